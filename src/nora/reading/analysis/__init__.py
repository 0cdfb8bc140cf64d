"""Agreement statistics and MRMC ROC analysis of reading results (numpy/scipy only)."""
