"""What one output format needs beyond pandoc's writer: PDF through Typst, Word and OpenDocument."""
