"""One module per CLI command; each has ``run(...) -> int`` (the exit status).

:mod:`kindbreak.cli` parses the arguments and calls ``run`` with plain typed values; the command
does its work, builds what it needs through :mod:`kindbreak.app`, and prints through
:class:`~kindbreak.commands.output.Output` only. A new command is one module here and one
``_add_...`` function in ``cli.py``. Modules import heavy libraries inside ``run``, so that
``kindbreak --help`` stays instant.
"""
