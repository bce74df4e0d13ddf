"""A generated municipality for tests and benchmarks: `generate` makes the people, groups
and families from a seed, `ss12000` writes them as SS 12000 files, `seed` imports them
through the roster import and adds a term's activity through the services."""
