"""Everything that reads the archive for people: SQL, search, trends,
records and exports, history, health, the Datasette browser and the report.
Nothing here writes."""
