"""briefgen: assemble advocacy briefs from modular content blocks."""

__version__ = "0.1.0"
