"""Stage 1, load: read and validate every input file into typed values (model.py)."""
