"""gensim's lifecycle events: each object keeps a list of what happened to it (created,
trained, saved, loaded), with the time and the versions, and saves it with itself.

:class:`LifecycleEvents` gives an object gensim's ``add_lifecycle_event``; its list is
the object's ``lifecycle_events`` attribute, made on the first event as gensim makes it
(``None`` there turns the record off, as in gensim). :class:`fastw2v.Word2Vec`,
:class:`fastw2v.KeyedVectors` and the phrase models use it.
"""
from __future__ import annotations

import logging
import platform
import sys
from datetime import datetime

logger = logging.getLogger("fastw2v")


class LifecycleEvents:
    """gensim's ``add_lifecycle_event`` (a mixin)."""

    def add_lifecycle_event(self, event_name: str, log_level=logging.INFO, **event) -> None:
        """Append an event to ``lifecycle_events`` (gensim's method) and log it at
        ``log_level`` (falsy: not logged). ``event``'s items are kept, with
        ``datetime``, ``fastw2v`` (the version), ``python``, ``platform`` and ``event``
        (``event_name``) added. Nothing is recorded while ``lifecycle_events`` is None."""
        from . import __version__
        record = dict(event)
        record.update(datetime=datetime.now().isoformat(), fastw2v=__version__,
                      python=sys.version, platform=platform.platform(), event=event_name)
        if log_level:
            logger.log(log_level, "%s lifecycle event %s", type(self).__name__, record)
        if not hasattr(self, "lifecycle_events"):
            self.lifecycle_events = []
        if self.lifecycle_events is not None:
            self.lifecycle_events.append(record)


#: the most values (containers, numbers, texts) a file's lifecycle events may expand to,
#: and how deep they may nest: gensim's events are a few dozen flat dictionaries, and a
#: pickle can make a few hundred bytes expand to 2**40 values by sharing one list twice
#: at each of 40 levels
EVENT_VALUES = 200_000
EVENT_DEPTH = 16
EVENT_CHARS = 10_000_000


def plain_events(events) -> list:
    """The lifecycle events of a file another library wrote (gensim's pickles), as
    plain JSON values: dictionaries with text keys, lists (for tuples and sets too),
    text, numbers, booleans and None (anything else, an array say, as ``<ndarray of shape
    (3,)>``). Not a list: no events. ``ValueError`` if they expand to more than
    :data:`EVENT_VALUES` values or :data:`EVENT_CHARS` characters, or nest deeper than
    :data:`EVENT_DEPTH`."""
    budget = [EVENT_VALUES, EVENT_CHARS]

    def text(value: str) -> str:
        budget[1] -= len(value)
        if budget[1] < 0:
            raise ValueError(f"lifecycle_events hold more than {EVENT_CHARS:,} characters")
        return value

    def plain(value, depth):
        budget[0] -= 1
        if budget[0] < 0:
            raise ValueError(f"lifecycle_events expand to more than {EVENT_VALUES:,} values")
        if depth > EVENT_DEPTH:
            raise ValueError(f"lifecycle_events nest deeper than {EVENT_DEPTH} levels")
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str):
            return text(value)
        if isinstance(value, (int, float)):
            return value if not isinstance(value, int) or abs(value) < 1 << 64 \
                else text(f"<an integer of {value.bit_length()} bits>")
        if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
            return plain(value.item(), depth)          # a NumPy scalar
        if isinstance(value, (list, tuple, set, frozenset)):
            return [plain(v, depth + 1) for v in value]
        if isinstance(value, dict):
            return {plain(k, depth + 1) if isinstance(k, str) else text(type(k).__name__):
                    plain(v, depth + 1) for k, v in value.items()}
        # an array or any other object: its kind, never its str() (which a file can make
        # exponentially long, an object array holding itself twice per level)
        shape = getattr(value, "shape", None)
        return text(f"<{type(value).__name__}{'' if shape is None else f' of shape {shape}'}>")

    if not isinstance(events, list):
        return []
    try:
        return [plain(e, 1) for e in events if isinstance(e, dict)]
    except (MemoryError, RecursionError):
        raise ValueError("lifecycle_events do not fit in memory") from None


def saved_events(events):
    """``events`` as a native file's header holds them (JSON): what JSON cannot hold
    (an object a caller passed to ``add_lifecycle_event``) becomes its ``str()``, as
    gensim would pickle it; None stays None."""
    import json
    if events is None:
        return None
    return json.loads(json.dumps(list(events), default=str))


def loaded_events(value) -> list:
    """A native file's ``lifecycle_events`` (absent in files of earlier versions: an
    empty list); ``ValueError`` naming the problem if it is not a list of objects."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        raise ValueError(f"lifecycle_events is {type(value).__name__}, not a list of objects")
    return value
