"""Viewer support: autoloader presets, shared links and URL calls."""
