"""nora.processing layer."""
