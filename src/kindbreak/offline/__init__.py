"""A whole file through the one pipeline at once: ``analyze`` (results) and ``import`` (into the
log). The same :class:`~kindbreak.signal.pipeline.Pipeline` as live monitoring, so a file gives
the windows, scores and episodes a live session on the same beats gives."""
