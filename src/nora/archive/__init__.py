"""nora.archive layer."""
