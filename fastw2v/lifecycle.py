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
