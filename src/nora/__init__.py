"""nora: an open, self-hosted medical imaging research platform."""

__version__ = "0.1.0"
