"""Handlers typed by their events: a subscription's types come from its handler's annotation."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import pytest

from shared.consumer import Subscription, handled_events
from shared.events.base import Event
from shared.events.feedback import CYCLES_TOPIC, CycleClosed, CycleOpened, ProgressReported


async def on_cycle_event(seen: list[Event], events: Sequence[CycleOpened | CycleClosed]) -> None:
    seen.extend(events)


async def on_progress_reported(events: Sequence[ProgressReported]) -> None:
    return None


async def on_anything(events: Sequence[Event]) -> None:
    return None


async def on_list(events: list[ProgressReported]) -> None:
    return None


def test_the_event_types_are_those_of_the_handlers_annotation_bound_arguments_aside() -> None:
    subscription = Subscription(CYCLES_TOPIC, partial(on_cycle_event, []))
    assert subscription.events == (CycleOpened, CycleClosed)
    assert subscription.types == {"feedback.cycle_opened", "feedback.cycle_closed"}
    assert subscription.function is on_cycle_event
    assert handled_events(on_progress_reported) == (ProgressReported,)


@pytest.mark.parametrize("handler", [on_anything, on_list, on_cycle_event])
def test_a_handler_not_typed_by_concrete_events_is_refused(handler: object) -> None:
    with pytest.raises(TypeError):
        handled_events(handler)  # type: ignore[arg-type]
