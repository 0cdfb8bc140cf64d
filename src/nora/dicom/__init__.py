"""nora.dicom layer."""
