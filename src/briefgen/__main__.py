"""`python -m briefgen`."""

from briefgen.cli import main

# Guarded: worker processes start by importing the main module, and must not run the CLI again.
if __name__ == "__main__":
    main()
