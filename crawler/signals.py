"""The crawl's own signals, beside Scrapy's (``scrapy.signals``).

``chrome_learned``: sent by the archive pipeline with ``lines``, a dict of
source key -> the keys of the lines its archive has learned as chrome
(``crawler.ingest.archiving.known_chrome``), when the spider opens and
after each batch is written. The extraction pipeline hands them to its
workers, which enrich and sign the text the archive will store.
"""

chrome_learned = object()
