"""Compile one study source into an Anki deck and an EPUB book that agree."""

__version__ = "0.2.0"
