"""Scrapy extensions of the project: the run ledger (``ledger.py``)."""
