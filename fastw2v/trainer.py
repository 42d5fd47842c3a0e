"""Worker threads, the work split, progress, loss totals and callbacks.

Both input modes end up as *jobs* for the same kernel entry point
(:meth:`fastw2v._kernels.Worker.train`): a slice of an int32 id stream. In corpus-file
mode the stream is the corpus encoded once (a memory map) and jobs are fixed slices of
it; in iterable mode the calling thread converts sentences to ids in batches while the
workers train. Workers hold no GIL while training.

Every job gets its own random stream, derived from ``(seed, epoch, job number)`` only.
So with ``workers=1`` a run is bit-identical across processes, and with more workers the
random choices (windows, down-sampling, negatives) are still identical; only the order
in which threads touch shared rows varies (lock-free Hogwild updates).
"""
from __future__ import annotations

import logging
import math
import queue
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, List, Optional, Tuple

import numpy as np

from . import _kernels
from .corpus import SENTENCE_END, check_sentence

logger = logging.getLogger("fastw2v")

_MASK64 = (1 << 64) - 1
#: Largest corpus-file job, in stream entries: small enough that threads finish an epoch
#: together (the last job is the only one trained alone) and Ctrl-C waits briefly.
MAX_BLOCK = 50_000


def job_seed(seed: int, epoch: int, job: int) -> int:
    """64-bit seed of one job's random stream (the kernel mixes it further)."""
    return ((seed & _MASK64) * 0x9E3779B97F4A7C15 + (epoch + 1) * 0xD1B54A32D192ED03
            + job * 0x8CB92BA72F3D8DD7) & _MASK64


@dataclass
class EpochStats:
    """What one epoch did, summed over workers."""

    epoch: int
    words_read: int = 0          # in-vocabulary words read (before down-sampling)
    words_trained: int = 0       # words kept by down-sampling
    loss: float = 0.0            # sum of the objective over examples (if compute_loss)
    loss_examples: int = 0       # examples in that sum
    raw_words: int = 0           # corpus tokens read, including out-of-vocabulary ones
    seconds: float = 0.0

    @property
    def mean_loss(self) -> float:
        return self.loss / self.loss_examples if self.loss_examples else float("nan")


def corpus_blocks(n_entries: int, workers: int) -> List[Tuple[int, int]]:
    """Split ``[0, n_entries)`` into contiguous blocks: several per worker so a slow
    thread does not hold the others back, none larger than :data:`MAX_BLOCK`."""
    if n_entries == 0:
        return []
    size = max(10_000, min(MAX_BLOCK, math.ceil(n_entries / (16 * workers))))
    return [(s, min(s + size, n_entries)) for s in range(0, n_entries, size)]


def iter_id_batches(sentences: Iterable, key_to_index: dict,
                    batch_words: int) -> Iterator[Tuple[np.ndarray, int]]:
    """Convert token lists to ``(int32 ids, raw token count)`` batches (``-1`` ends a
    sentence; OOV words dropped), each holding about ``batch_words`` words.

    The per-token loop is :func:`fastw2v._kernels.encode_batch` (C); it runs on the
    calling thread while the workers train the previous batches."""
    it = iter(sentences)
    done = 0
    while True:
        ids, raw, n = _kernels.encode_batch(it, key_to_index, batch_words, done, check_sentence)
        if n == 0:
            return
        done += n
        yield ids, raw


class Trainer:
    """Runs epochs of training over a kernel :class:`~fastw2v._kernels.Model`."""

    def __init__(self, kernel_model, workers: int, seed: int):
        self.kernel_model = kernel_model
        self.workers = [_kernels.Worker(kernel_model) for _ in range(workers)]
        self.seed = seed

    def _run_epoch(self, epoch: int, jobs: Iterator[Tuple[np.ndarray, int, int, int]],
                   report: Optional[Callable[[], None]]) -> EpochStats:
        """Feed ``jobs`` to the worker threads; return when all are trained."""
        q: "queue.Queue" = queue.Queue(maxsize=2 * len(self.workers))
        errors: List[BaseException] = []
        stop = threading.Event()

        def work(worker):
            while True:
                item = q.get()
                if item is None:
                    return
                if stop.is_set():
                    continue            # drain without training
                ids, start, end, seed = item
                try:
                    worker.train(ids, start, end, seed)
                except BaseException as exc:     # re-raised on the caller's thread
                    errors.append(exc)
                    stop.set()

        threads = [threading.Thread(target=work, args=(w,), daemon=True,
                                    name=f"fastw2v-worker-{i}")
                   for i, w in enumerate(self.workers)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        last_report = t0
        raw_words = 0
        try:
            for job_no, (ids, start, end, raw) in enumerate(jobs):
                raw_words += raw
                item = (ids, start, end, job_seed(self.seed, epoch, job_no))
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.2)
                        break
                    except queue.Full:
                        pass
                if stop.is_set():
                    break
                if report is not None and time.perf_counter() - last_report >= 1.0:
                    report()
                    last_report = time.perf_counter()
        except BaseException:
            stop.set()
            raise
        finally:
            for _ in threads:
                q.put(None)
            for t in threads:
                while t.is_alive():
                    t.join(timeout=0.2)
                    if report is not None and time.perf_counter() - last_report >= 1.0:
                        report()
                        last_report = time.perf_counter()
        if errors:
            raise errors[0]
        stats = EpochStats(epoch=epoch, seconds=time.perf_counter() - t0, raw_words=raw_words)
        for w in self.workers:
            loss, examples, read, trained = w.take_stats()
            stats.loss += loss
            stats.loss_examples += examples
            stats.words_read += read
            stats.words_trained += trained
        return stats

    def train(self, epoch_jobs: Callable[[int], Iterator[Tuple[np.ndarray, int, int, int]]],
              epochs: int, first_epoch: int, start_alpha: float, end_alpha: float,
              total_words: int, on_epoch_begin=None, on_epoch_end=None) -> List[EpochStats]:
        """Train ``epochs`` epochs; ``epoch_jobs(i)`` yields the jobs of epoch ``i`` as
        ``(ids, start, end, raw_tokens)``.

        ``total_words`` is the number of words over which alpha decays from
        ``start_alpha`` to ``end_alpha`` (all epochs of this call).
        """
        km = self.kernel_model
        km.set_schedule(start_alpha, end_alpha, total_words, 0)
        all_stats = []

        def report():
            done = km.progress
            logger.info("progress %.1f%%: %d words, alpha %.6f",
                        100.0 * done / max(total_words, 1), done, km.alpha)

        for i in range(epochs):
            epoch = first_epoch + i
            if on_epoch_begin is not None:
                if on_epoch_begin(epoch) is False:
                    break
            stats = self._run_epoch(epoch, epoch_jobs(i), report)
            all_stats.append(stats)
            logger.info("epoch %d: %d words read, %d trained, %.0f words/s%s", epoch,
                        stats.words_read, stats.words_trained,
                        stats.words_read / max(stats.seconds, 1e-9),
                        f", mean loss {stats.mean_loss:.4f}" if stats.loss > 0 else "")
            if on_epoch_end is not None:
                if on_epoch_end(epoch, stats) is False:
                    break
        return all_stats
