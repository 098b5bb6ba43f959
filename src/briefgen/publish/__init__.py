"""Stage 5, write: output folders, artifacts, the manifest, the library page and the archive."""
