"""nora.cli layer."""
