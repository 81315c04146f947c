"""A fetched page into the archive: the steps the crawl's pipelines and the
batch jobs share (a page processed in a worker pool, a batch of statements
written), so that a statement is the same whichever way it came in."""
