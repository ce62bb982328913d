"""Helpers the tests share, one module per concern, imported as ``from support.<module> import``
(``tests/`` is on the path). Fixtures live in ``conftest.py`` files: the ones every folder may
use in ``tests/conftest.py``, a folder's own in its ``conftest.py``. Nothing is imported from a
conftest or from another test module.

- ``data``: the data the tests carry in ``tests/data/`` (paths, with sources and licences).
- ``beats``: synthetic beats and the notifications a strap would send for them.
- ``neurokit``: the NeuroKit2 reference markers, computed in a child interpreter.
- ``scenario``: run one async scenario on a fresh loop with a safety-net timeout.
- ``dbus``: private D-Bus buses (dbus-daemon) and the loop the D-Bus peers run on.
- ``bluez_peer``: the BlueZ-shaped adapter and strap the BLE tests drive bleak against.
- ``notification_server``: a real desktop notification server on a private session bus.
- ``sinks``: a prompt sink on a store with a fake notifier, settings, scored windows.
- ``report_store``: two synthetic days imported into a log, with prompts and practices.
- ``fit_writer``: Garmin FIT files with HRV messages, written byte by byte.
- ``faults``: running kindbreak in a child under limits, and a small log to break.
- ``service``: stand-ins for systemctl and launchctl, and a systemd unit parser.
- ``waiting``: waiting for a child process to reach a state, with a deadline.
"""
