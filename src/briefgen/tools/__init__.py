"""The one door to each outside tool: pandoc (a subprocess) and Typst (in process)."""
