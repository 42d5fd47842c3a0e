"""The lock-free (Hogwild) schedule, the work split into jobs, and the epoch loop.

Both input modes end up as *jobs* for the same kernel entry point
(:meth:`fastw2v.kernels.Worker.train`): a slice of an int32 id stream. In corpus-file
mode the stream is the corpus encoded once (a memory map) and jobs are fixed slices of
it; in iterable mode the calling thread converts sentences to ids in batches while the
workers train. Workers hold no GIL while training. The threads are started, stopped and
joined by :class:`fastw2v.training.runner.ThreadRunner`; ``reproducible=True`` runs the
same jobs in rounds instead (:mod:`.rounds`).

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

from .. import kernels
from ..corpus import check_sentence, encode_batch
from .rounds import RoundRunner
from .runner import TICK, ThreadRunner

logger = logging.getLogger("fastw2v")

_MASK64 = (1 << 64) - 1
#: Largest corpus-file job, in stream entries: small enough that threads finish an epoch
#: together (the last job is the only one trained alone) and Ctrl-C waits briefly.
MAX_BLOCK = 50_000
#: With several lock-free workers, the rows every thread writes all the time are updated
#: in per-thread copies, taken when a row is first touched and merged after every
#: HOT_MERGE_TOTAL / workers trained centre words (see
#: :meth:`fastw2v.kernels.Worker.use_hot_rows`): the HOT_NODES Huffman nodes nearest the
#: root (every word's path crosses them) and the output rows of the HOT_OUTPUTS most
#: frequent words (the noise distribution draws them as negatives again and again); at
#: most 1/HOT_FRACTION of the rows each. In a vocabulary not sorted by frequency the
#: first rows are copied anyway (harmless, only less useful).
#:
#: Speed, measured at 16 workers on a 16-core Xeon (3M words, vector_size 100, one
#: interleaved sweep, merges then every 1,000 words): nodes only gave 3.0x one worker
#: (sg-ns) and 3.8x (cbow-ns); 256 hot outputs 6.6x and 4.8x. With 2 workers the hot
#: outputs cost more than the contention they save, so they start at
#: HOT_OUTPUTS_MIN_WORKERS: on a 2-vCPU Zen 5 EPYC (wiki17m, 1 epoch, 5 interleaved
#: rounds) 2 workers gave 2.05x one worker without them and 1.85x with them (sg-ns),
#: 1.94x and 1.74x (cbow-ns), 1.92x and 1.81x at vector_size 300 (sg-ns, 3 rounds); on
#: the older 2-vCPU EPYC 1.89x and 1.90x (sg-ns), 1.62x and 1.54x (cbow-ns). The hot
#: nodes pay from 2 workers on (Zen 5: sg-hs 1.89x against 1.30x without them). 3 to 8
#: workers are not measured; the threshold keeps the 16-core gain.
#:
#: Quality: a thread moves its copies for a whole merge interval without seeing the
#: other threads' moves, and the merge adds all the moves up, so the interval is shared
#: out between the workers (the total is what 2 workers were measured safe with).
#: With 16 threads and 1,000 words per thread, sg-hs scored 0.072 on analogies against
#: 0.092 without hot rows (1.5M-word sample); with 125, 0.092. HOT_WORDS (frequent
#: words' input rows) stays 0: with 64 of them as well, 16 threads diverged (analogy 0.00
#: after one epoch of wiki17m, 0.15 without); that was measured with the earlier merges
#: at sentence ends. With the shared-out interval they no longer diverge: 16 threads on
#: 2 cores, the 1.5M-word sample, 5 epochs, seeds 1-4, analogy / WS-353 / SimLex means
#: cbow-ns .034 / .263 / .160 with 64 (.034 / .263 / .156 with 256) against
#: .034 / .263 / .157 without, sg-ns .062 / .416 / .207 against .061 / .417 / .207. Their
#: speed at 16 cores with this interval is not measured yet (device_scaling.sh SWEEP=1);
#: on 2 cores they were slower (RESULTS, "Which rows to keep in per-thread copies").
#:
#: The hot nodes' copies (this thread's and its snapshot) should stay in a core's L2, so
#: there are at most HOT_NODE_BYTES of them per copy: all 511 up to vector_size 128
#: (rows of 112 floats at 100), 215 at 300 (304 floats), 120 at 500 (544). On the Zen 5
#: EPYC (1 MiB L2; wiki3m, 1 epoch, 2 workers, 3 interleaved rounds) CBOW/HS gained
#: 1.76x -> 1.88x one worker at 300 with 215 nodes instead of 511, and 1.80x -> 1.95x at
#: 500 with 127; skip-gram/HS 1.90x -> 1.91x and 1.90x -> 1.97x.
HOT_NODES = 511
HOT_NODE_BYTES = 256 * 1024
HOT_OUTPUTS = 256
HOT_OUTPUTS_MIN_WORKERS = 3
HOT_WORDS = 0
HOT_FRACTION = 64
HOT_MERGE_TOTAL = 2000


def job_seed(seed: int, epoch: int, job: int) -> int:
    """64-bit seed of one job's random stream (the kernel mixes it further)."""
    return ((seed & _MASK64) * 0x9E3779B97F4A7C15 + (epoch + 1) * 0xD1B54A32D192ED03
            + job * 0x8CB92BA72F3D8DD7) & _MASK64


@dataclass
class EpochStats:
    """What one epoch did, summed over workers.

    ``completed`` is False for an epoch cut short (Ctrl-C, an error): its figures then
    cover the jobs trained before the stop.
    """

    epoch: int
    words_read: int = 0          # in-vocabulary words read (before down-sampling)
    words_trained: int = 0       # words kept by down-sampling
    loss: float = 0.0            # sum of the objective over examples (if compute_loss)
    loss_examples: int = 0       # examples in that sum
    raw_words: int = 0           # corpus tokens read, including out-of-vocabulary ones
    seconds: float = 0.0
    completed: bool = True
    #: whether the kernels summed the loss in this epoch (None: as ``compute_loss`` says)
    loss_computed: Optional[bool] = None

    @property
    def mean_loss(self) -> float:
        return self.loss / self.loss_examples if self.loss_examples else float("nan")


#: Reproducible mode with more than 2 threads: the stream entries (words) that the
#: jobs of one round hold together, and the fewest one job holds. The jobs of a round
#: all start from the weights as the round found them, so the more words a round
#: holds, the staler each thread's view: with jobs of the default mode's size, CBOW/NS
#: (3 epochs, 3M words of Wikipedia) scored 2.0% on analogies at 4 threads and 0.9% at
#: 16, against 3.4% lock-free; with 40,000-word rounds 3.1% and 2.9%. Two threads keep
#: the default mode's jobs: their rounds are as good, and shorter rounds cost them
#: 15-20% of their speed (copying and merging the rows each round touches).
ROUND_ENTRIES = 40_000
MIN_ROUND_JOB = 2_000


def round_job_size(workers: int) -> Optional[int]:
    """Words per job in the reproducible mode (:data:`ROUND_ENTRIES` over the threads),
    or None (no limit) for up to 2 threads."""
    if workers <= 2:
        return None
    return max(MIN_ROUND_JOB, math.ceil(ROUND_ENTRIES / workers))


def corpus_blocks(n_entries: int, workers: int, reproducible: bool = False,
                  ids: Optional[np.ndarray] = None,
                  release: Optional[Callable[[int, int], None]] = None
                  ) -> List[Tuple[int, int]]:
    """Split ``[0, n_entries)`` into contiguous blocks: several per worker so a slow
    thread does not hold the others back, none larger than :data:`MAX_BLOCK`, nor
    than :func:`round_job_size` in the reproducible mode.

    With the encoded stream ``ids`` (``-1`` ends a sentence), each cut moves on to the
    next sentence end, if one comes within half a block: a job trains its sentences
    whole, so no context pair across a cut is lost (a cut inside a sentence dropped its
    pairs there, a few per job, more with more workers). A line longer than that (a
    text8-style file) is still cut where the block ends; its blocks are then at most
    1.5 times as long.

    ``release(start, end)`` (an encoded corpus's, optional) is called behind the
    searches as they go, so that the pages they read do not stay in memory together:
    without an end to find, the searches read half the stream, and the kernel maps the
    pages around each one it faults in, so all of it was resident at once (68 MB for a
    17M-word text8-style file)."""
    if n_entries == 0:
        return []
    size = max(10_000, min(MAX_BLOCK, math.ceil(n_entries / (16 * workers))))
    limit = round_job_size(workers) if reproducible else None
    if limit is not None:
        size = min(size, limit)
    cuts = list(range(size, n_entries, size))
    if ids is not None:
        reach = size // 2
        moved, searched = [], 0
        for cut in cuts:
            # ids[cut - 1] is the last entry of the block: a -1 there is a whole cut
            stop = min(cut - 1 + reach, n_entries)
            cut += _first_end(ids, cut - 1, stop)
            if release is not None:
                release(searched, stop)
                searched = stop
            if cut < n_entries and (not moved or cut > moved[-1]):
                moved.append(cut)
        if release is not None:
            release(searched, n_entries)
        cuts = moved
    bounds = [0] + cuts + [n_entries]
    return list(zip(bounds[:-1], bounds[1:]))


#: Entries a sentence-end search reads first; each further step reads twice as many.
END_SEARCH_STEP = 1024


def _first_end(ids: np.ndarray, start: int, stop: int) -> int:
    """Offset from ``start`` of the first ``-1`` in ``ids[start:stop]``, or 0 if none.

    Read in steps that double from :data:`END_SEARCH_STEP` entries: the stream of a
    corpus file is a memory map, and every page read counts in resident memory until the
    trainer releases it. Comparing each cut's whole half block at once read half of a
    17M-word stream (34 of 68 MB) before the first job, where an end a few hundred
    entries on needs one page."""
    lo, step = start, END_SEARCH_STEP
    while lo < stop:
        hi = min(lo + step, stop)
        ends = np.flatnonzero(ids[lo:hi] == -1)
        if len(ends):
            return lo - start + int(ends[0])
        lo, step = hi, 2 * step
    return 0


def iter_id_batches(sentences: Iterable, key_to_index: dict,
                    batch_words: int) -> Iterator[Tuple[np.ndarray, int, int]]:
    """Convert token lists to ``(int32 ids, raw token count, sentence count)`` batches
    (``-1`` ends a sentence; OOV words dropped), each holding about ``batch_words`` words.

    The per-token loop is :func:`fastw2v.corpus.encode_batch` (C); it runs on the
    calling thread while the workers train the previous batches."""
    it = iter(sentences)
    done = 0
    while True:
        ids, raw, n = encode_batch(it, key_to_index, batch_words, done, check_sentence)
        if n == 0:
            return
        done += n
        yield ids, raw, n


class Trainer:
    """Runs epochs of training over a kernel :class:`~fastw2v.kernels.Model`.

    The calling thread feeds jobs to the worker threads and waits for them with short
    time-outs, so it stays responsive: a ``KeyboardInterrupt`` (Ctrl-C) or an error
    stops the feeding, lets each worker finish the job in hand (a fraction of a second),
    records the partial epoch in :attr:`partial` and is re-raised. A worker's error is
    re-raised on the calling thread the same way.
    """

    def __init__(self, kernel_model, workers: int, seed: int, reproducible: bool = False):
        self.kernel_model = kernel_model
        self.workers = [kernels.Worker(kernel_model) for _ in range(workers)]
        self.seed = seed
        #: rounds with private rows merged in a fixed order (:mod:`fastw2v.training.rounds`)
        self.rounds = RoundRunner(kernel_model, self.workers) if reproducible else None
        if workers > 1 and not reproducible:
            # at most 1/64 of the rows: in a small vocabulary no row dominates the updates,
            # and the staleness of private copies would be felt by many words
            V = kernel_model.vocab_size
            nodes = min(HOT_NODES, V // HOT_FRACTION,
                        HOT_NODE_BYTES // (4 * kernel_model.row_stride))
            for w in self.workers:
                w.use_hot_rows(words=min(HOT_WORDS, V // HOT_FRACTION), nodes=nodes,
                               outputs=(min(HOT_OUTPUTS, V // HOT_FRACTION)
                                        if workers >= HOT_OUTPUTS_MIN_WORKERS else 0),
                               merge_every=max(1, HOT_MERGE_TOTAL // workers))
        #: Stats of the epoch cut short by the last exception, else None.
        self.partial: Optional[EpochStats] = None

    def _run_epoch(self, epoch: int, jobs: Iterator[Tuple[np.ndarray, int, int, int]],
                   tick: Optional[Callable[[], None]]) -> EpochStats:
        """Feed ``jobs`` to the worker threads; return when all are trained."""
        if self.rounds is not None:
            return self._run_epoch_rounds(epoch, jobs, tick)
        # Jobs go through C queues (queue.SimpleQueue), bounded by a second one of free
        # slots: this thread, the one a Ctrl-C interrupts, then takes no lock of Python
        # code. A KeyboardInterrupt can land right after a `with lock:` took its lock and
        # before the block that releases it began; in queue.Queue.put that left the
        # queue's mutex held, and the end markers and every worker waited for it forever
        # (seen after 20 to 200 Ctrl-Cs). A SimpleQueue's get and put are one C call each.
        q: "queue.SimpleQueue" = queue.SimpleQueue()
        slots: "queue.SimpleQueue" = queue.SimpleQueue()
        for _ in range(2 * len(self.workers)):
            slots.put(None)
        stop = threading.Event()
        raw_done = [0] * len(self.workers)     # corpus tokens of the jobs each one trained

        def work(k):
            worker = self.workers[k]
            while True:
                item = q.get()
                if item is None:
                    return
                slots.put(None)         # the job left the queue: room for the next
                if stop.is_set():
                    continue            # drain without training
                ids, start, end, seed, raw = item
                try:
                    worker.train(ids, start, end, seed)
                    raw_done[k] += raw
                except BaseException as exc:     # re-raised on the caller's thread
                    runner.record(exc)
                    stop.set()

        def drive():
            last_tick = time.perf_counter()
            for job_no, (ids, start, end, raw) in enumerate(jobs):
                item = (ids, start, end, job_seed(self.seed, epoch, job_no), raw)
                while not stop.is_set():
                    try:
                        slots.get(timeout=TICK)
                        break
                    except queue.Empty:
                        pass
                    if tick is not None:
                        tick()
                if stop.is_set():
                    break
                q.put(item)
                if tick is not None and time.perf_counter() - last_tick >= TICK:
                    tick()
                    last_tick = time.perf_counter()

        def release(n_started):
            """One end marker per started thread; a Ctrl-C meanwhile is returned."""
            pending: Optional[BaseException] = None
            sent = 0
            while sent < n_started:
                try:
                    q.put(None)         # unbounded: never waits (an extra one is harmless)
                    sent += 1
                except KeyboardInterrupt as exc:
                    pending = exc
                    stop.set()
            return pending

        runner = ThreadRunner("fastw2v-worker", len(self.workers), work, stop=stop.set,
                              release=release, tick=tick)
        t0 = time.perf_counter()
        failure: Optional[BaseException] = None
        try:
            runner.run(drive)
        except BaseException as exc:       # Ctrl-C, a bad sentence, a worker's error
            failure = exc
        return self._epoch_stats(epoch, t0, sum(raw_done), failure)

    def _run_epoch_rounds(self, epoch: int, jobs, tick) -> EpochStats:
        """Reproducible mode: the same jobs, trained in synchronised rounds."""
        t0 = time.perf_counter()
        failure: Optional[BaseException] = None
        try:
            self.rounds.run(jobs, lambda k: job_seed(self.seed, epoch, k), on_round=tick)
        except BaseException as exc:     # Ctrl-C or a worker's error: the round is dropped
            failure = exc
        return self._epoch_stats(epoch, t0, self.rounds.raw_done, failure)

    def _epoch_stats(self, epoch: int, t0: float, raw_words: int,
                     failure: Optional[BaseException]) -> EpochStats:
        """Sum the workers' counters (in worker order); raise ``failure`` if any."""
        stats = EpochStats(epoch=epoch, seconds=time.perf_counter() - t0, raw_words=raw_words,
                           loss_computed=self.kernel_model.computes_loss)
        for w in self.workers:
            loss, examples, read, trained = w.take_stats()
            stats.loss += loss
            stats.loss_examples += examples
            stats.words_read += read
            stats.words_trained += trained
        if failure is not None:
            stats.completed = False
            self.partial = stats
            raise failure
        return stats

    def train(self, epoch_jobs: Callable[[int], Iterator[Tuple[np.ndarray, int, int, int]]],
              epochs: int, first_epoch: int, start_alpha: float, end_alpha: float,
              total_words: int, on_epoch_begin=None, on_epoch_end=None, *,
              progress=None, report_delay: float = 1.0) -> List[EpochStats]:
        """Train ``epochs`` epochs; ``epoch_jobs(i)`` yields the jobs of epoch ``i`` as
        ``(ids, start, end, raw_tokens)``.

        ``total_words`` is the number of words over which alpha decays from
        ``start_alpha`` to ``end_alpha`` (all epochs of this call).
        ``on_epoch_begin(epoch)`` / ``on_epoch_end(epoch, stats)`` returning False stop
        the training (before / after that epoch). ``progress`` (optional) gets
        ``update(words_done, alpha=..., loss=...)`` calls from the calling thread;
        progress is logged every ``report_delay`` seconds.
        On an exception (Ctrl-C included) the partial epoch is left in :attr:`partial`.
        """
        km = self.kernel_model
        km.set_schedule(start_alpha, end_alpha, total_words, 0)
        all_stats = []
        self.partial = None
        t_start = time.perf_counter()
        state = {"last_log": t_start}

        def tick():
            done = km.progress
            if progress is not None:
                progress.update(done, alpha=km.alpha)
            now = time.perf_counter()
            if now - state["last_log"] >= report_delay:
                state["last_log"] = now
                logger.info("progress %.1f%%: %d words, %.0f words/s, alpha %.6f",
                            100.0 * done / max(total_words, 1), done,
                            done / max(now - t_start, 1e-9), km.alpha)

        try:
            self._epochs(epoch_jobs, epochs, first_epoch, on_epoch_begin, on_epoch_end,
                         progress, tick, all_stats)
        finally:
            if self.rounds is not None:
                self.rounds.close()          # frees the private rows
        return all_stats

    def _epochs(self, epoch_jobs, epochs, first_epoch, on_epoch_begin, on_epoch_end,
                progress, tick, all_stats) -> None:
        km = self.kernel_model
        for i in range(epochs):
            epoch = first_epoch + i
            if on_epoch_begin is not None:
                if on_epoch_begin(epoch) is False:
                    break
            stats = self._run_epoch(epoch, epoch_jobs(i), tick)
            all_stats.append(stats)
            # the kernels count examples either way; the loss exists only if computed
            has_loss = km.computes_loss and stats.loss_examples
            logger.info("epoch %d: %d words read, %d trained, %.0f words/s%s", epoch,
                        stats.words_read, stats.words_trained,
                        stats.words_read / max(stats.seconds, 1e-9),
                        f", mean loss {stats.mean_loss:.4f}" if has_loss else "")
            if progress is not None:
                progress.update(km.progress, alpha=km.alpha,
                                loss=stats.mean_loss if has_loss else None)
            if on_epoch_end is not None:
                if on_epoch_end(epoch, stats) is False:
                    break
