"""briefgen: assemble advocacy briefs from modular content blocks."""

import os
import signal

__version__ = "0.1.0"

# Ctrl-C while Python is still importing briefgen (nothing is loaded or written yet) ends the
# process quietly, without a traceback of whichever import it hit; the CLI puts Python's own
# handler back as it starts, and from then on says "interrupted" itself (cli.run).
if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
    signal.signal(signal.SIGINT, lambda number, frame: os._exit(130))
