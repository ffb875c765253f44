"""Compile one study source into an Anki deck and an EPUB book that agree."""

__version__ = "0.2.0"
MAX_SOURCE_BYTES = 32 * 1024 * 1024  # the most a source may be: see read.py
