"""The Scrapy project: sources, spiders, middlewares, pipelines and the
ledger extension, with the two libraries a crawl runs (``extraction/``: a
page to a clean statement; ``enrich/``: who said what) and the steps it
shares with the batch jobs (``ingest/``)."""
