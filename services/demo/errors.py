"""The one error the demo's set-up raises."""


class DemoError(Exception):
    """The demo could not be set up (e.g. git missing); the message is one line to print."""
