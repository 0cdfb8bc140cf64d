"""Core layer: settings, the exception hierarchy, identifiers and logging. Imports nothing internal."""
