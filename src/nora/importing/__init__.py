"""Import: DICOM conversion, uploads, the DICOM node and PACS query/retrieve into the archive."""
