"""kindbreak as a background service: the monitor starts with the person's desktop session,
waits quietly for the strap, restarts after a failure, and logs where the system keeps logs.

- :mod:`~kindbreak.service.spec`: what the service runs (absolute paths) and its checks;
- :mod:`~kindbreak.service.systemd`: a systemd user unit (Linux);
- :mod:`~kindbreak.service.launchd`: a launchd agent (macOS);
- :mod:`~kindbreak.service.tool`: running ``systemctl`` / ``launchctl``, with their errors in
  words.

``kindbreak service install|uninstall|status`` (:mod:`kindbreak.commands.service`) picks one.
"""
