"""The incident session: services built and wired once, state streamed, commands in."""

from warroom.services.session.core import IncidentSession, JournalOpener
from warroom.services.session.state import Notice, SessionState

__all__ = ["IncidentSession", "JournalOpener", "Notice", "SessionState"]
