"""Downloader middlewares: retries with backoff, every response kept in
WARC files, and replay from WARC recordings."""
