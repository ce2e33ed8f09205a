"""Event contracts between the services. One module per producing service."""

from __future__ import annotations

from shared.events.base import Event, Model
from shared.events.registry import ALL_EVENTS, TOPICS, decode, event_class, topic_of

__all__ = ["ALL_EVENTS", "TOPICS", "Event", "Model", "decode", "event_class", "topic_of"]
