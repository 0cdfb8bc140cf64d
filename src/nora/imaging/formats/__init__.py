"""The imaging format registry: detect a file's format from its content and summarise its header.

One module per format (``nifti``, ``analyze``, ``nrrd``, ``mgh``, ``gifti``, ``tck``, ``trk``, ``stl``,
``dicom``, ``json``), each offering a sniffer and a cheap header reader; ``registry`` picks the reader.
Unknown content raises :class:`~nora.core.errors.UnsupportedFormat`; a file that claims a format but
cannot be read (truncated, bad header, data shorter than declared) raises
:class:`~nora.core.errors.CorruptFile`.
"""

from __future__ import annotations

from nora.imaging.formats.base import FileSummary
from nora.imaging.formats.registry import inspect_file, supported_formats

__all__ = ["FileSummary", "inspect_file", "supported_formats"]
