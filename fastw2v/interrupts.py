"""Holding Ctrl-C back while a change of several objects is made.

Python raises ``KeyboardInterrupt`` at the next check point of the main thread after
the signal came, which may lie between two steps that only together leave objects
consistent (a vocabulary and the vectors over it, the keys and the matrix of a
:class:`~fastw2v.vectors.KeyedVectors`). Code that makes everything slow first and
changes the objects last runs that last part under :func:`deferred_interrupt`: a Ctrl-C
meanwhile is raised right after it, with the change made. (Long waits never run under
it: Ctrl-C stays prompt.)
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator

__all__ = ["deferred_interrupt"]


@contextmanager
def deferred_interrupt() -> Iterator[None]:
    """Run the block with SIGINT's Python handler held back; once the block has ended
    (normally or not) the handler runs if the signal came meanwhile, so Ctrl-C raises
    ``KeyboardInterrupt`` there. Outside the main thread (which alone runs signal
    handlers), or where SIGINT has no Python handler (ignored, or the system default),
    the block simply runs. Nested blocks hand a held signal on to the outer one."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if not callable(previous):
        yield
        return
    held = []
    signal.signal(signal.SIGINT, lambda signum, frame: held.append(frame))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if held:
            previous(signal.SIGINT, held[0])
