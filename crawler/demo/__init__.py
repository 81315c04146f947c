"""The offline demo: a small hand-written copy of three sites, recorded into
a WARC file and crawled with the real spiders and source rows."""
