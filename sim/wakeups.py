"""Wake-ups: how the hot path schedules work on SimPy's clock.

The readable SimPy idiom is a process per caller (``yield req | env.timeout(patience)``); it costs
about eight events and a generator resume per caller. The simulator's hot path instead schedules
*callbacks*: a :class:`Wake` is an event on SimPy's queue that is triggered on creation, scheduled ``delay``
seconds ahead on the environment's own event queue, and calls one function with one value when its
time comes. Long-lived actors (the daily arrivals, schedules, operations reviews) stay ordinary
generator processes; both run on the same ``simpy.Environment``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Final

from heapq import heappop, heappush

from simpy import Environment
from simpy.events import NORMAL, URGENT, Event

_NORMAL: Final = NORMAL
_push: Final = heappush
"""(Final: compiled, read once, not looked up in the module at each wake-up.)"""


class Wakeup:
    """What SimPy's loop needs of an event (``callbacks``, ``_ok``, ``_value``; ``value`` for
    readers), without :class:`simpy.events.Event` as a base: a plain class, so that compiled
    (mypyc) it is a native one, its fields read directly by the compiled hot path (SimPy's queue
    is typed for its own events, hence the ``type: ignore`` where one is pushed). A wake-up is
    triggered from the start and never fails."""

    __slots__ = ("env", "callbacks", "_value", "_ok")

    env: Environment
    callbacks: list[Callable[[Any], Any]] | None
    _value: Any
    _ok: bool

    @property
    def value(self) -> Any:
        """The value the callback reads."""
        return self._value


class Wake(Wakeup):
    """Call ``callback(event)`` *delay* seconds from now; the event's ``value`` is *value*."""

    __slots__ = ()

    def __init__(self, env: Environment, delay: float, callback: Callable[[Any], Any], value: Any):
        # the event is triggered at once, and Environment.schedule is inlined (as simpy.Timeout
        # does): this runs two or three times per caller
        self.env = env
        self.callbacks = [callback]
        self._value = value
        self._ok = True
        _push(env._queue, (env._now + delay, _NORMAL, next(env._eid), self))  # type: ignore[misc]


class Recurring(Wakeup):
    """One event object reused for a chain of wake-ups (the next arrival; an agent's next step):
    after it fires, :meth:`again` schedules it anew instead of creating a new event. Only one
    wake-up of a chain is ever pending, so the object is never in the event queue twice."""

    __slots__ = ("callback", "_queue", "_eid")

    def __init__(self, env: Environment, callback: Callable[[Any], Any] | None = None):
        self.env = env
        self.callback = callback
        """Called with the event at each wake-up, unless :meth:`again` names another."""
        self.callbacks = None
        self._value = None
        self._ok = True
        self._queue: list[Any] = env._queue  # SimPy's (never replaced): read once
        self._eid: Iterator[int] = env._eid

    def again(self, delay: float, value: Any, callback: Callable[[Any], Any] | None = None) -> None:
        """Wake up *delay* seconds from now with *value*, calling *callback* (default: the chain's).
        The previous wake-up must have fired."""
        self.callbacks = [callback or self.callback]  # type: ignore[list-item]
        self._value = value
        _push(self._queue, (self.env._now + delay, _NORMAL, next(self._eid), self))


class Clock(Environment):
    """SimPy's environment, run by a leaner loop: :meth:`run` to a time processes the events
    in SimPy's order with :meth:`~simpy.core.Environment.step` inlined (a call saved per event,
    about 3% of a run). Anything else (running to an event, or until nothing is left) is SimPy's
    own :meth:`~simpy.core.Environment.run`."""

    def run(self, until=None):
        if until is None or isinstance(until, Event):
            return super().run(until)
        at = until if isinstance(until, int) else float(until)
        if at <= self._now:
            raise ValueError(f"until ({at}) must be greater than the current simulation time")
        # as SimPy does: an event at *at*, before every event scheduled there later
        stop = Event(self)
        stop._ok = True
        stop._value = None
        heappush(self._queue, (at, URGENT, next(self._eid), stop))
        queue = self._queue
        while True:
            self._now, _, _, event = heappop(queue)
            if event is stop:
                return None
            callbacks, event.callbacks = event.callbacks, None
            for callback in callbacks:  # type: ignore[union-attr]
                callback(event)
            if not event._ok and not hasattr(event, "_defused"):
                # a failed event nobody handled crashes the run, as in SimPy
                error = type(event._value)(*event._value.args)
                error.__cause__ = event._value
                raise error
