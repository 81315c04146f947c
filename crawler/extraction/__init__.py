"""A fetched page to a clean statement, or a reason why not:
``extract.extract_statement`` is the one entry point."""
