"""nora.annotation: ROIs, marker sets, their versions, ROI operations and statistics, DICOM SEG in and out."""
