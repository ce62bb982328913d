"""One monitoring session: source -> pipeline -> sinks (the store, the status line, the prompts,
the scheduled jobs)."""
