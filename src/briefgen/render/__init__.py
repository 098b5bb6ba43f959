"""Stages 3 and 4, cite and render: pandoc's tree, the allowlist, every format, in workers."""
