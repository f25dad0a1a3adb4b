"""Bodies of the scheduled and queue entry points."""
