"""Item pipelines, thin adapters: extraction in a worker pool, then the
archive in batched transactions."""
