"""nora.api layer."""
