"""The reading tool: forms, readings, results, agreement and MRMC analysis."""
