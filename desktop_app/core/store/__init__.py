"""The usage store: the database, its schema and time zones, the daily rollup, and every read of it."""
