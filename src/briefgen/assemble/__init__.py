"""Stage 2, assemble: choose a brief's blocks and data, and write it as one Markdown document."""
