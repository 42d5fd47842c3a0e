"""The one thread runner under both training schedules: start the worker threads, run
the calling thread's part, stop and join them, and raise the first failure.

The calling thread never blocks for long: it joins with short time-outs (:data:`TICK`)
and calls ``tick`` meanwhile, so a ``KeyboardInterrupt`` (Ctrl-C) is seen within a
fraction of a second. Whatever stops a run (Ctrl-C while starting, driving or joining,
an error of the driving code, or a worker's error) the threads are stopped and joined
before :meth:`ThreadRunner.run` returns or raises, so no thread still writes weights
afterwards. The schedules (:mod:`.trainer`, lock-free; :mod:`.rounds`, reproducible)
supply what their threads do and how to make them stop.
"""
from __future__ import annotations

import threading
from typing import Callable, List, Optional

#: Seconds between two looks at Ctrl-C and progress while the calling thread waits.
TICK = 0.2


class ThreadRunner:
    """Runs ``n`` threads named ``f"{prefix}-{i}"``, each ``work(i)``.

    Parameters
    ----------
    prefix : str
        Thread name prefix (tests and debuggers find the threads by it).
    n : int
        Number of threads.
    work : callable
        ``work(i)``, the body of thread ``i``. An exception it lets escape is recorded
        as by :meth:`record` and stops the other threads.
    stop : callable
        ``stop()`` makes every thread end soon (called on any failure, possibly more
        than once).
    release : callable, optional
        ``release(n_started)`` tells the started threads that no more work comes (after
        the driving part ended, normally or not). It returns a ``KeyboardInterrupt``
        that came meanwhile (having called ``stop()``) instead of raising it, else None.
    tick : callable, optional
        Called on the calling thread between short waits while joining.
    """

    def __init__(self, prefix: str, n: int, work: Callable[[int], None], *,
                 stop: Callable[[], None],
                 release: Optional[Callable[[int], Optional[BaseException]]] = None,
                 tick: Optional[Callable[[], None]] = None):
        self.prefix, self.n = prefix, n
        self.work, self.stop, self.release, self.tick = work, stop, release, tick
        #: errors of the threads, in the order they happened
        self.errors: List[BaseException] = []
        self._lock = threading.Lock()

    def record(self, exc: BaseException) -> None:
        """Keep a worker thread's error, to be raised on the calling thread."""
        with self._lock:
            self.errors.append(exc)

    def _body(self, i: int) -> None:
        try:
            self.work(i)
        except BaseException as exc:          # re-raised on the calling thread
            self.record(exc)
            self.stop()

    def run(self, drive: Callable[[], None]) -> None:
        """Start the threads, call ``drive()`` on this thread, then stop and join them.

        Raises the first failure, by priority: ``drive``'s exception (Ctrl-C included),
        a Ctrl-C that came while stopping, a thread's error."""
        threads = [threading.Thread(target=self._body, args=(i,), daemon=True,
                                    name=f"{self.prefix}-{i}") for i in range(self.n)]
        failure: Optional[BaseException] = None
        try:
            # inside the try: a Ctrl-C between two starts still stops those started
            for t in threads:
                t.start()
            drive()
        except BaseException as exc:       # Ctrl-C, or an error of the driving code
            failure = exc
            self.stop()
        # (a thread has an ident once started, even if start() was interrupted after)
        late = self._finish([t for t in threads if t.ident is not None])
        failure = failure or late or (self.errors[0] if self.errors else None)
        if failure is not None:
            raise failure

    def _finish(self, started) -> Optional[BaseException]:
        """Release and join the started threads; a Ctrl-C meanwhile is kept and returned
        (not raised) so that no thread still runs when we return."""
        pending: Optional[BaseException] = None
        if self.release is not None:
            pending = self.release(len(started))
        for t in started:
            while t.is_alive():
                try:
                    t.join(timeout=TICK)
                    if self.tick is not None:
                        self.tick()
                except KeyboardInterrupt as exc:
                    pending = exc
                    self.stop()
        return pending
