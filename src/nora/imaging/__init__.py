"""nora.imaging layer."""
