"""Reproducible multi-threaded training: private rows merged in a fixed order.

The default trainer is lock-free (Hogwild): threads update shared rows as they go, so
with ``workers > 1`` the result depends on thread timing. With ``reproducible=True`` the
epoch instead runs in *rounds*. In a round each of the T worker threads trains one job
(job ``k`` of the epoch goes to thread ``k % T``, with the random stream of job ``k``),
reading the shared weights as they were at the start of the round plus its own updates,
which it writes to private copies of the rows it touches
(:meth:`fastw2v.kernels.Worker.use_private_rows`). At the end of the round every thread
turns its private rows into differences; then the differences are added to the shared
rows worker after worker in thread order (weighted, see below), the rows split
between the threads by ``row % T`` so that the addition runs in parallel and no row
is written by two threads.
The learning rate of a job depends only on the round's start position and the thread's
own reading. Nothing depends on timing, so runs are bit-identical for the same seed,
corpus and worker count, across processes and machines with the same build.

The price: threads wait for each other at the end of every round, and within a round
they do not see each other's updates (a staleness of one round, like a mini-batch of
T jobs). So from 3 threads on the jobs are shorter than the default mode's: a round
holds about :data:`fastw2v.training.trainer.ROUND_ENTRIES` words whatever T is
(:func:`~fastw2v.training.trainer.round_job_size`; iterable input: ``batch_words`` or
that, whichever is less). A frequent word's row is pulled most of the way by every job
that touches it, so the merge does not simply add the k differences of a row that
k > 2 threads touched (k moves of the whole way overshoot k - 1 times, and training
diverged from 3 threads on): :func:`fastw2v.kernels.apply_private_deltas` weighs them
by how often each thread used the row.

The threads run on :class:`fastw2v.training.runner.ThreadRunner`, as the lock-free
schedule's do. An interrupted round is dropped whole: the shared weights are only ever written by
complete merges, so the model stays consistent.
"""
from __future__ import annotations

import threading
from typing import Iterator, List, Sequence, Tuple

import numpy as np

from .. import kernels
from .runner import ThreadRunner

_STOP = object()


class RoundRunner:
    """Runs the rounds of one epoch on persistent threads with barriers."""

    def __init__(self, kernel_model, workers: Sequence):
        self.km = kernel_model
        self.workers = list(workers)
        #: corpus tokens of the jobs of the rounds completed by the last :meth:`run`
        self.raw_done = 0
        for w in self.workers:
            w.use_private_rows(True)

    def close(self) -> None:
        for w in self.workers:
            w.use_private_rows(False)

    def run(self, jobs: Iterator[Tuple[np.ndarray, int, int, int]], seed_of,
            on_round=None) -> None:
        """Train every job ``(ids, start, end, raw_tokens)``; job ``k`` gets the random
        stream ``seed_of(k)``. ``on_round()`` is called on this thread after each round.
        An exception (a worker's, or Ctrl-C here) drops the round in progress and is
        raised once the threads have stopped."""
        T = len(self.workers)
        barrier = threading.Barrier(T + 1)
        assign: List[object] = [None] * T
        shared = {"base": 0, "active": []}
        runner = ThreadRunner("fastw2v-sync", T, lambda i: loop(i), stop=barrier.abort)
        errors = runner.errors

        def loop(i: int) -> None:
            try:
                rounds(i)
            except threading.BrokenBarrierError:      # the caller was interrupted
                return

        def rounds(i: int) -> None:
            w = self.workers[i]
            while True:
                barrier.wait()                          # round starts
                job = assign[i]
                if job is _STOP:
                    return
                try:
                    if job is not None:
                        ids, start, end, seed = job
                        w.set_job_schedule(shared["base"], len(shared["active"]))
                        w.train(ids, start, end, seed)
                        w.private_to_deltas()
                except BaseException as exc:           # re-raised by the caller
                    runner.record(exc)
                barrier.wait()                          # every job of the round trained
                try:
                    if not errors:
                        kernels.apply_private_deltas(self.km, shared["active"], i, T)
                except BaseException as exc:
                    runner.record(exc)
                barrier.wait()                          # differences applied
                w.clear_private()

        def drive() -> None:
            job_no = 0
            it = iter(jobs)
            while not errors:
                batch = []
                raw_batch = 0
                for ids, start, end, raw in it:
                    batch.append((ids, start, end, seed_of(job_no)))
                    raw_batch += raw
                    job_no += 1
                    if len(batch) == T:
                        break
                if not batch:
                    break
                for i in range(T):
                    assign[i] = batch[i] if i < len(batch) else None
                shared["base"] = self.km.progress
                shared["active"] = self.workers[:len(batch)]
                barrier.wait()
                barrier.wait()
                barrier.wait()
                if not errors:
                    self.raw_done += raw_batch
                if on_round is not None:
                    on_round()
            for i in range(T):
                assign[i] = _STOP
            barrier.wait()

        self.raw_done = 0
        # a failure here (a worker's error, Ctrl-C) aborts the barrier: the round in
        # progress is dropped, the threads end and the failure is raised
        runner.run(drive)
