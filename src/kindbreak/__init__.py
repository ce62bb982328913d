"""kindbreak: notice stress rising in your heartbeat and take a kind break."""

__version__ = "0.1.0"
