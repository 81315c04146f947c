"""The few generic spiders that serve every source row: feeds, sitemaps
and paged listings, on a shared base."""
