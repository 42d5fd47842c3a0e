"""Client side of distributed training: vocabulary map-reduce, partitioning, the round
loop, and the merge of the partitions' deltas."""
from __future__ import annotations

import logging
import math
import os
import threading
import time
import uuid
from typing import Dict, List, Optional

import numpy as np

from ..config import check_callbacks, check_distributed_args
from ..corpus import CorpusError, corpus_paths
from ..errors import DistributedTrainingError
from ..model import Word2Vec, TrainRecord
from ..training.session import Callbacks, end_epoch, end_training
from ..training.trainer import EpochStats
from ._worker import (index_bytes, InputError, Plan, Weights, count_shard, drop_run,
                      merge_counts, prepare_partition, row_selection, train_round)

logger = logging.getLogger("fastw2v")

_MASK64 = (1 << 64) - 1
#: Rounds per epoch when ``round_words`` is not given (docs/distributed.md: quality held
#: with 17 rounds per epoch and fell with 5 or fewer).
DEFAULT_ROUNDS_PER_EPOCH = 20
#: Seconds train_distributed() waits for a first worker when the cluster has none yet.
WORKER_WAIT_S = 30
#: Seconds training waits, between rounds, for a live worker when it has lost them all.
REJOIN_WAIT_S = 120
#: Seconds between two looks at the scheduler's list of workers while data is being
#: sent to one of them (a worker that left the list is given up at once).
POLL_S = 0.25


def _check_client(client):
    if client is None:
        raise ValueError("train_distributed() needs a dask.distributed Client: "
                         "pass client=Client(...) (e.g. Client(LocalCluster()))")
    try:
        from distributed import Client
    except ImportError as exc:          # pragma: no cover - the extra is not installed
        raise ImportError("fastw2v.distributed needs Dask: pip install 'fastw2v[dask]'") from exc
    if not isinstance(client, Client):
        raise TypeError(f"client must be a dask.distributed.Client, not {type(client).__name__}")
    if client.status != "running":
        raise ValueError(f"the Dask client is not running (status {client.status!r})")
    # a cluster still starting its workers (job-queue and adaptive clusters start empty),
    # or one whose nanny is restarting the only worker: wait, then say so. Only the wait
    # running out means "no workers": a lost scheduler connection (CommClosedError, an
    # OSError like TimeoutError) propagates as itself.
    try:
        info = _workers_after_wait(client, WORKER_WAIT_S)
    except TimeoutError:
        raise ValueError(f"the Dask cluster has no workers (waited {WORKER_WAIT_S} s "
                         "for one to join)") from None
    workers = {addr: int(w.get("nthreads", 1)) for addr, w in sorted(info.items())}
    if not workers:
        raise ValueError("the Dask cluster has no workers")
    return workers


def _workers_after_wait(client, timeout: float) -> dict:
    """The scheduler's workers (address -> info); where there are none, first wait up to
    ``timeout`` seconds for one to join (Dask's TimeoutError if none does)."""
    workers = client.scheduler_info()["workers"]
    if not workers:
        client.wait_for_workers(1, timeout=timeout)
        workers = client.scheduler_info()["workers"]
    return workers


def _check_paths(corpus_files) -> List[str]:
    if isinstance(corpus_files, (str, bytes, os.PathLike)):
        corpus_files = [corpus_files]
    try:
        paths = [os.fspath(p) for p in corpus_files]
    except TypeError:
        raise TypeError("corpus_files must be a path or a list of paths/URLs") from None
    if not paths:
        raise CorpusError("corpus_files is empty: pass at least one shard path or URL")
    if any(not isinstance(p, str) for p in paths):
        raise TypeError("corpus_files must be str paths or URLs")
    _check_distinct(paths)
    return paths


def _local_files(path: str):
    """The real paths of the local files a shard path reads (a directory's files, as
    :func:`fastw2v.corpus.corpus_paths` lists them), or None for a URL. A shard that
    cannot be read is left to the worker that reads it, which says why."""
    if "://" in path and not path.startswith("file://"):
        return None
    try:
        return [os.path.realpath(f) for f in corpus_paths(path)]
    except CorpusError:
        return []


def _check_distinct(paths: List[str]) -> None:
    """``ValueError`` if two shards read the same data: the same string, the same local
    file spelled two ways, or a file that a directory shard also reads (the counts
    would double)."""
    if len(set(paths)) != len(paths):
        raise ValueError("corpus_files lists a shard more than once")
    seen = {}
    for p in paths:
        for f in _local_files(p) or ():
            if f in seen:
                raise ValueError(f"corpus_files reads {f!r} twice: through {seen[f]!r} and "
                                 f"{p!r}")
            seen[f] = p


def _raise_input_errors(results):
    for r in results:
        if isinstance(r, InputError):
            raise r.exc


def _count_vocabulary(client, run_id, paths, homes, max_vocab_size, unicode_errors,
                      storage_options, retries, trim_rule=None):
    counts = [client.submit(count_shard, run_id, p, max_vocab_size, unicode_errors,
                            storage_options, trim_rule, workers=[homes[i]],
                            allow_other_workers=True,
                            retries=retries, pure=False, key=f"fastw2v-count-{i}-{run_id}")
              for i, p in enumerate(paths)]
    parts, merges = list(counts), []
    level = 0
    while len(parts) > 1:                     # tree reduction, order preserved
        nxt = [client.submit(merge_counts, parts[i], parts[i + 1], max_vocab_size,
                             trim_rule, retries=retries, pure=False,
                             key=f"fastw2v-merge-{level}-{i}-{run_id}")
               for i in range(0, len(parts) - 1, 2)]
        merges += nxt
        if len(parts) % 2:
            nxt.append(parts[-1])
        parts, level = nxt, level + 1
    try:
        # a count that failed beyond its retries ends the run at once; the counts still
        # running are cancelled (their worker deletes what they copied once the run is
        # dropped) rather than left to finish for nothing
        from distributed import as_completed
        for fut in as_completed(counts):
            if fut.status == "error":
                exc = fut.exception()
                raise DistributedTrainingError(
                    f"counting shard {paths[counts.index(fut)]!r} failed after {retries} "
                    f"retries: {exc!r}") from exc
        result = parts[0].result()
    except BaseException:
        client.cancel(counts + merges)
        raise
    _raise_input_errors([result])
    return result


def train_distributed(corpus_files, client=None, *, workers: Optional[int] = None,
                      round_words: Optional[int] = None, retries: int = 3, trim_rule=None,
                      unicode_errors: str = "strict", storage_options: Optional[dict] = None,
                      merge: str = "sum", callbacks=(), **params) -> Word2Vec:
    """Train word2vec on a Dask cluster; return an ordinary :class:`fastw2v.Word2Vec`.

    Parameters
    ----------
    corpus_files : str or list of str
        Shards: local paths or fsspec URLs (``s3://``, ``gs://``, ``hdfs://``, ...) that
        every worker can read; each a text file (plain, .gz, .bz2, .xz) or directory, one
        sentence per line.
    client : dask.distributed.Client
        A running client of the cluster to train on.
    workers : int, optional
        Training threads per partition; default: each Dask worker's thread count.
    round_words : int, optional
        Most words a partition trains between two merges. Default: the largest
        partition's words per epoch / 20 (20 rounds per epoch). Shorter rounds are closer
        to single-machine training; longer ones move fewer bytes per word trained (see
        ``docs/distributed.md`` for how to choose).
    merge : {"sum", "average"}
        How a round's deltas are combined. ``"sum"`` (default) adds every partition's
        delta, as Hogwild threads would have; ``"average"`` is classic model averaging:
        per row, the mean of the deltas weighted by words trained, over the partitions
        that changed the row. Averaging divides the step on frequent words by the number
        of partitions, so it needs more epochs to match single-machine quality
        (measured in ``docs/distributed.md``).
    retries : int
        How often Dask retries a failed task before the training fails.
    trim_rule, unicode_errors, callbacks
        As :class:`fastw2v.Word2Vec` (callbacks get the client-side model).
    storage_options : dict, optional
        Passed to ``fsspec.open`` for URL shards (credentials, endpoints).
    **params
        gensim 4 parameters of :class:`fastw2v.Word2Vec`: ``vector_size``, ``alpha``,
        ``window``, ``min_count``, ``max_vocab_size``, ``sample``, ``seed``,
        ``min_alpha``, ``sg``, ``hs``, ``negative``, ``ns_exponent``, ``cbow_mean``,
        ``epochs``, ``max_final_vocab``, ``shrink_windows``, ``compute_loss``.

    Returns
    -------
    Word2Vec
        With ``distributed_stats``: per round, words trained, seconds and payload bytes
        sent to and received from workers.
    """
    check_distributed_args(params, workers, round_words, merge, retries)
    # ``workers`` sets the threads of each partition; where it is not given the model
    # keeps Word2Vec's default, which a later train() on one machine then uses
    local = {} if workers is None else {"workers": workers}
    model = Word2Vec(**params, **local,
                     unicode_errors=unicode_errors)           # validates the parameters
    callbacks = check_callbacks(callbacks)
    paths = _check_paths(corpus_files)
    worker_threads = _check_client(client)
    addrs = list(worker_threads)
    n_parts = min(len(addrs), len(paths))
    part_shards = [paths[p::n_parts] for p in range(n_parts)]
    run_id = uuid.uuid4().hex[:12]
    storage_options = dict(storage_options or {})
    try:
        return _train(model, client, run_id, paths, part_shards, addrs[:n_parts],
                      worker_threads, workers, round_words, retries, trim_rule,
                      unicode_errors, storage_options, callbacks, merge)
    finally:
        try:
            client.run(drop_run, run_id)
        except Exception:       # a dead cluster cannot hold our state either
            pass


def _train(model, client, run_id, paths, part_shards, part_addrs, worker_threads, workers,
           round_words, retries, trim_rule, unicode_errors, storage_options, callbacks, merge):
    state = model.state
    c = state.config
    t_start = time.perf_counter()
    homes = [part_addrs[i % len(part_addrs)] for i in range(len(paths))]
    counter, total, n_sentences, _ = _count_vocabulary(
        client, run_id, paths, homes, c.max_vocab_size, unicode_errors, storage_options,
        retries, trim_rule)
    # the shards' counts, with the corpus's own token and sentence totals, made the
    # vocabulary as build_vocab makes it (its checks, report and lifecycle events)
    model.build_vocab_from_freq(counter, corpus_count=n_sentences, trim_rule=trim_rule,
                                corpus_total_words=total)
    model.add_lifecycle_event("build_vocab", log_level=logging.DEBUG, update=False,
                              trim_rule=str(trim_rule))
    tables = state.build_tables()          # built once here, broadcast with the plan
    plan = Plan(c.as_dict(), list(state.vocab.words), np.asarray(state.vocab.counts),
                 tables, unicode_errors, storage_options)
    cluster = _Cluster(client, plan, part_addrs, 2 * len(part_addrs))
    preps = cluster.prepare(run_id, part_shards, retries)
    t_vocab = time.perf_counter()
    part_words = [sum(s[1] for s in prep) for prep in preps]
    corpus_words = sum(part_words)
    if corpus_words == 0:
        raise CorpusError("no word of the corpus is in the vocabulary")
    if round_words is None:
        round_words = max(1, math.ceil(max(part_words) / DEFAULT_ROUNDS_PER_EPOCH))
    chunks = max(1, math.ceil(max(part_words) / round_words))
    n_rounds = chunks * c.epochs
    threads = [workers or worker_threads[a] for a in part_addrs]
    logger.info("distributed: %d partitions on %d workers, %d words per epoch, %d rounds "
                "per epoch", len(part_addrs), len(worker_threads), corpus_words, chunks)

    current = state.weights()
    full_bytes = sum(a.nbytes for a in current.values())
    merger = _Merger(current, len(model.vocab), merge)
    weights = Weights(0, True, current)
    rounds = []
    # the record of Word2Vec.train: its "train" lifecycle events, the first callback at
    # the end (TrainRecord), stop_training reset, then honoured between epochs
    model.add_lifecycle_event("train", log_level=logging.DEBUG, msg=(
        f"training model with {len(part_addrs)} partitions of {threads} threads on "
        f"{len(model.wv)} vocabulary and {model.layer1_size} features, using sg={c.sg} "
        f"hs={c.hs} sample={c.sample} negative={c.negative} window={c.window} "
        f"shrink_windows={c.shrink_windows}"))
    cbs = Callbacks(model, (TrainRecord(model), *callbacks))
    model.stop_training = False
    cbs.call("on_train_begin")
    for epoch in range(c.epochs):
        if model.stop_training:
            break
        cbs.call("on_epoch_begin")
        if model.stop_training:
            break
        epoch_stat = dict(words_read=0, words_trained=0, raw_words=0, loss=0.0,
                          loss_examples=0)
        for chunk in range(chunks):
            r = epoch * chunks + chunk
            t0 = time.perf_counter()
            a0 = _alpha(c, r / n_rounds)
            a1 = _alpha(c, (r + 1) / n_rounds)

            def submit(p, plan_f, w_f, tag=""):
                return client.submit(
                    train_round, plan_f, w_f, run_id, p, part_shards[p], r, chunk, chunks,
                    a0, a1, (c.seed * 0x9E3779B97F4A7C15 + p + 1) & _MASK64, threads[p],
                    c.compute_loss, workers=[cluster.homes[p]], allow_other_workers=True,
                    retries=retries, pure=False, key=f"fastw2v-round-{r}-{p}{tag}-{run_id}")

            done = cluster.run_round(submit, weights, Weights(r, True, current), merger,
                                     r, n_rounds, retries)
            weights, received, touched, dense = merger.apply(r + 1)
            stat = dict(round=r, epoch=epoch, words=sum(x["words"] for x in done.values()),
                        seconds=time.perf_counter() - t0,
                        train_seconds=max(x["seconds"] for x in done.values()),
                        bytes_to_workers=int(cluster.sent), bytes_from_workers=int(received),
                        rows_changed=touched, dense=dense, full_resends=cluster.resends,
                        start_alpha=a0, end_alpha=a1)
            rounds.append(stat)
            for key in epoch_stat:
                epoch_stat[key] += sum(x[key] for x in done.values())
            logger.info("round %d/%d: %d words in %.2fs, %.1f MB out, %.1f MB back", r + 1,
                        n_rounds, stat["words"], stat["seconds"], cluster.sent / 1e6,
                        received / 1e6)
        stats = EpochStats(epoch=state.epochs_trained,
                           seconds=sum(s["seconds"] for s in rounds[-chunks:]), **epoch_stat)
        # the bookkeeping of single-machine training; the alpha the epoch ended at
        if not end_epoch(model, cbs, stats, a1):
            break
    if model.stop_training:
        logger.info("training stopped by a callback (model.stop_training) with %d "
                    "epochs trained", state.epochs_trained)
    end_training(model, cbs)
    model.distributed_stats = dict(
        partitions=len(part_addrs), dask_workers=len(worker_threads), threads=threads,
        corpus_words=corpus_words, rounds_per_epoch=chunks, round_words=round_words,
        model_bytes=full_bytes, vocab_seconds=t_vocab - t_start,
        seconds=time.perf_counter() - t_start, rounds=rounds,
        bytes_to_workers=sum(s["bytes_to_workers"] for s in rounds),
        bytes_from_workers=sum(s["bytes_from_workers"] for s in rounds))
    return model


class _Lost(Exception):
    """A worker that could not be sent its data: it died or left the cluster."""

    def __init__(self, addr: str, cause):
        super().__init__(f"worker {addr}: {cause}")
        self.addr, self.cause = addr, cause


def _send(client, obj, addrs) -> Dict[str, object]:
    """A copy of ``obj`` on each of the workers ``addrs``: ``{address: future}``, or
    :class:`_Lost` for the first worker that died or left before it had its copy.

    Each worker gets its own ``scatter`` (no ``broadcast=True``: the scheduler's
    replication retries a dead worker for ever when it has not yet noticed the death,
    and a worker it has already removed fails with a raw ``KeyError``). A copy is sent
    from a thread, and the wait for it ends as soon as its worker leaves the
    scheduler's list, so a death is never waited out; the thread of a lost worker is
    left to its comm's own timeout. The workers are sent their copies one after
    another: every byte goes through the client's link anyway, and a serialized copy
    in flight per worker would multiply the client's memory by the workers."""
    out: Dict[str, object] = {}
    for a in sorted(set(addrs)):
        box: dict = {}

        def send(a=a, box=box):
            try:
                [box["fut"]] = client.scatter([obj], workers=[a], hash=False)
            except BaseException as exc:       # noqa: B036 - handed to the caller
                box["exc"] = exc
        thread = threading.Thread(target=send, daemon=True, name=f"fastw2v-scatter-{a}")
        thread.start()
        while True:
            thread.join(POLL_S)
            if not thread.is_alive():
                break
            if a not in client.scheduler_info()["workers"]:
                raise _Lost(a, "it left the cluster while it was sent data")
        if "exc" in box:
            raise _Lost(a, box["exc"])
        out[a] = box["fut"]
    return out


class _Cluster:
    """Where the partitions live and what their workers hold: the plan on each
    partition's worker, and the round's tasks, sent again where a worker is lost.

    ``budget`` bounds, per round, the partitions sent again (a stale answer, a task
    Dask cancelled, or a worker lost while it was being sent its inputs)."""

    def __init__(self, client, plan: Plan, homes: List[str], budget: int):
        self.client, self.plan, self.homes, self.budget = client, plan, list(homes), budget
        self.plan_on: Dict[str, object] = {}     # address -> future of the plan there
        self.gone: set = set()                   # workers found dead, maybe still listed
        self.sent = 0                            # payload bytes of the round under way
        self.resends = 0                         # partitions the round sent again

    # -- where the partitions live -------------------------------------------------------
    def rehome(self) -> None:
        """Move partitions whose worker has left (died, restarted under a new address, or
        found dead here) to live workers, spread partitions that had to share a worker
        onto idle ones, and have the plan on every partition's worker."""
        while True:
            alive = self._alive()
            self.homes = _refresh_homes(self.homes, alive)
            self.plan_on = {a: f for a, f in self.plan_on.items() if a in alive}
            try:
                self.plan_on.update(_send(self.client, self.plan,
                                          [a for a in self.homes if a not in self.plan_on]))
                return
            except _Lost as lost:
                self._lose(lost, "the plan", self.homes.count(lost.addr))

    def _alive(self) -> List[str]:
        """The scheduler's workers but those found dead; waits up to REJOIN_WAIT_S for
        one where there is none."""
        deadline = time.monotonic() + REJOIN_WAIT_S
        while True:
            listed = self.client.scheduler_info()["workers"]
            self.gone &= set(listed)           # forget those the scheduler removed
            alive = sorted(a for a in listed if a not in self.gone)
            if alive:
                return alive
            if time.monotonic() > deadline:
                raise DistributedTrainingError(
                    f"the Dask cluster has no live worker (waited {REJOIN_WAIT_S} s for "
                    "one to join)")
            time.sleep(POLL_S)

    def _lose(self, lost: _Lost, what: str, moved: int, round_no: Optional[int] = None):
        """Note a worker found dead while it was sent ``what``: its ``moved`` partitions
        are sent again elsewhere, within the budget (DistributedTrainingError beyond
        it, naming the cause)."""
        self.gone.add(lost.addr)
        self.plan_on.pop(lost.addr, None)
        logger.warning("distributed: could not send %s to worker %s (%s); its %d "
                       "partition(s) move to live workers", what, lost.addr, lost.cause,
                       moved)
        self.resends += moved
        if self.resends > self.budget:
            where = "" if round_no is None else f"round {round_no + 1}: "
            raise DistributedTrainingError(
                f"{where}workers keep losing their state or their tasks: could not send "
                f"{what} to worker {lost.addr}: {lost.cause!r}") from (
                    lost.cause if isinstance(lost.cause, BaseException) else None)

    # -- the tasks -----------------------------------------------------------------------
    def prepare(self, run_id: str, part_shards, retries: int) -> list:
        """Encode each partition's shards on its worker (kept there for all rounds):
        per partition, ``[(entries, words, sentences, raw tokens)]`` per shard. A task
        Dask cancelled (its plan died with a worker) is sent again, within the budget."""
        def failed(exc):
            return DistributedTrainingError(
                f"encoding the shards failed after {retries} retries: {exc!r}")

        self.resends = 0
        preps: Dict[int, list] = {}
        todo = list(range(len(part_shards)))
        while todo:
            self.rehome()
            tag = f"-again{self.resends}" if self.resends else ""
            futs = {p: self.client.submit(
                        prepare_partition, self.plan_on[self.homes[p]], run_id,
                        part_shards[p], workers=[self.homes[p]], allow_other_workers=True,
                        retries=retries, pure=False, key=f"fastw2v-encode-{p}{tag}-{run_id}")
                    for p in todo}
            todo = []
            for p, res in self._results(futs, failed):
                if res is None:
                    todo.append(p)
                else:
                    preps[p] = res
            if self.resends + len(todo) > self.budget:
                raise DistributedTrainingError("encoding the shards: workers keep losing "
                                               "their tasks")
            self.resends += len(todo)
            if todo:
                self.plan_on.clear()
        return [preps[p] for p in range(len(part_shards))]

    def run_round(self, submit, update: Weights, full: Weights, merger: "_Merger",
                  r: int, n_rounds: int, retries: int) -> Dict[int, dict]:
        """Run round ``r`` on every partition and add each result to ``merger`` as it
        arrives: ``{partition: result}`` (the deltas taken out). A partition whose task
        answers "stale", is cancelled by Dask, or whose worker is lost while it is sent
        its inputs is sent again with the full weights, within the budget; a task
        that fails beyond its retries, or meets an input error, raises (the round's
        other tasks cancelled first)."""
        def failed(exc):
            return DistributedTrainingError(
                f"round {r + 1} of {n_rounds} failed after {retries} retries; the model "
                f"holds the weights of round {r}: {exc!r}")

        self.sent, self.resends = 0, 0
        pending = {p: update for p in range(len(self.homes))}
        done: Dict[int, dict] = {}
        while pending:
            self.rehome()
            try:
                futs = self._submit(submit, pending, full)
            except _Lost as lost:
                # the partitions of that worker start from the full weights elsewhere
                moved = [p for p in pending if self.homes[p] == lost.addr]
                pending.update({p: full for p in moved})
                self._lose(lost, "the weights", len(moved), r)
                continue
            pending = {}
            cancelled = False
            for p, res in self._results(futs, failed):
                if res is None or res.get("stale"):
                    pending[p] = full
                    cancelled |= res is None
                else:
                    done[p] = merger.add(p, res)
            if self.resends + len(pending) > self.budget:
                raise DistributedTrainingError(f"round {r + 1}: workers keep losing their "
                                               "state or their tasks")
            self.resends += len(pending)
            if cancelled:
                # a task Dask cancelled: its scattered inputs may have died with a worker,
                # so the plan goes out again to the partitions' workers
                self.plan_on.clear()
        return done

    def _submit(self, submit, pending: Dict[int, Weights], full: Weights) -> Dict[int, object]:
        """The weights each pending partition starts from (the update, or the full
        weights for one sent again) sent to its worker, then its task: ``{partition:
        future}``. All the sends come first, so a lost worker leaves no task behind."""
        on = {}
        for w in (w for w in (pending.get(p) for p in sorted(pending))
                  if w is not None):
            if id(w) in on:
                continue
            addrs = sorted({self.homes[p] for p, x in pending.items() if x is w})
            on[id(w)] = _send(self.client, w, addrs)
            self.sent += w.nbytes * len(addrs)
        tag = f"-full{self.resends}"
        return {p: submit(p, self.plan_on[self.homes[p]], on[id(w)][self.homes[p]],
                          tag if w is full else "")
                for p, w in pending.items()}

    def _results(self, futs: Dict[int, object], failed):
        """``(partition, result)`` of tasks as they finish, the result None where Dask
        cancelled the task instead of retrying it (seen when a worker process dies
        holding its inputs). A task that failed beyond its retries raises ``failed(its
        exception)``, and one that met an input error raises that; first the other
        tasks are cancelled, as they are whenever the caller stops early: they must not
        write into the run that is about to be dropped."""
        from distributed import as_completed
        part = {f.key: p for p, f in futs.items()}
        try:
            for f in as_completed(list(futs.values())):
                p = part[f.key]
                if not f.cancelled() and f.status == "error":
                    exc = f.exception()
                    raise failed(exc) from exc
                try:
                    res = None if f.cancelled() else f.result()
                except BaseException as exc:
                    if not f.cancelled():
                        if not isinstance(exc, Exception):
                            raise          # Ctrl-C
                        raise failed(exc) from exc
                    res = None             # cancelled while its result was fetched
                if res is None:
                    logger.warning("distributed: Dask cancelled the task %s; it is sent "
                                   "again", f.key)
                    yield p, None
                    continue
                f.release()                # its result leaves the cluster's memory
                _raise_input_errors([res])
                yield p, res
        except BaseException:
            self.client.cancel(list(futs.values()))
            raise


def _refresh_homes(homes: List[str], alive: List[str]) -> List[str]:
    """Move partitions whose worker has left (died, or restarted under a new address) to
    live workers, and spread partitions that had to share a worker onto idle ones."""
    out = list(homes)
    for p, h in enumerate(homes):
        if h not in alive:
            load = {a: out.count(a) for a in alive}
            out[p] = min(alive, key=lambda a: load[a])
            logger.warning("distributed: worker %s is gone; partition %d moves to %s",
                           h, p, out[p])
    idle = [a for a in alive if a not in out]
    for p in reversed(range(len(out))):
        if idle and out.count(out[p]) > 1:
            out[p] = idle.pop(0)
            logger.info("distributed: partition %d moves to idle worker %s", p, out[p])
    return out


def _alpha(c, fraction: float) -> float:
    return max(c.min_alpha, c.alpha - (c.alpha - c.min_alpha) * fraction)


class _Merger:
    """The client's side of the merge: a round's deltas are added to an accumulator as
    the partitions' results arrive, in partition order (a result that comes before its
    predecessors waits for them: float sums depend on their order, and the run must not
    depend on which worker finished first), so the client holds only the results that
    arrived early rather than all of them; they are applied to the weights, in place,
    only once the round is complete (:meth:`apply`): per row, the sum of the partitions'
    deltas, or (``merge="average"``) their mean weighted by words trained over the
    partitions that changed the row."""

    def __init__(self, current: Dict[str, np.ndarray], n_rows: int, merge: str):
        self.current, self.merge = current, merge
        self.acc = {k: np.zeros_like(v) for k, v in current.items()}
        # per matrix, the weight of the partitions that changed each row (for the
        # average) or just whether one did (for the sum)
        self.den = {k: np.zeros(n_rows, dtype=np.float64) for k in current}
        self.received = 0
        self.waiting: Dict[int, dict] = {}       # results ahead of their turn
        self.next = 0                            # the partition whose turn it is

    def add(self, partition: int, res: dict) -> dict:
        """Take partition ``partition``'s result (added now if its turn has come);
        returns ``res`` without the deltas (its other figures kept)."""
        self.waiting[partition] = res
        while self.next in self.waiting:
            self._add(self.waiting.pop(self.next))
            self.next += 1
        return {k: v for k, v in res.items() if k not in ("rows", "deltas")}

    def _add(self, res: dict) -> None:
        n = float(max(res["words"], 1)) if self.merge == "average" else 1.0
        for name, a in self.acc.items():
            rows, delta = res["rows"][name], res["deltas"][name]
            self.received += index_bytes(rows) + delta.nbytes
            if n != 1.0:
                delta *= np.float32(n)           # the result is ours: scaled in place
            if isinstance(rows, slice):
                a += delta                       # the dense block: no copy of the rows
                # rows the partition left alone do not count for the average
                self.den[name] += n * np.any(delta != 0, axis=1)
            else:
                a[rows] += delta
                self.den[name][rows] += n

    def apply(self, version: int):
        """Apply the round's accumulated deltas to the weights and reset the
        accumulator. Returns the update for the next round, the bytes received, and per
        matrix the number of rows changed and whether they move as one dense block."""
        if self.waiting:
            raise RuntimeError(f"partitions {sorted(self.waiting)} merged before "
                               f"partition {self.next}")
        self.next = 0
        update_rows, update_vals, touched, dense = {}, {}, {}, {}
        for name, W in self.current.items():
            a, den = self.acc[name], self.den[name]
            changed = np.flatnonzero(den)
            sel = row_selection(changed, W.shape[0])
            if self.merge == "average":
                d = den[sel]
                d[d == 0] = 1.0                  # rows nobody changed: a is 0 there
                W[sel] += a[sel] / d[:, None].astype(np.float32)
            else:
                W[sel] += a[sel]
            a[sel] = 0.0
            den[:] = 0.0
            update_rows[name] = sel
            # a dense update is the weights themselves, not a copy: it is serialized to
            # the workers before the next merge changes them (and a worker copies what
            # it receives into its base)
            update_vals[name] = W if isinstance(sel, slice) else W[sel]
            touched[name] = int(len(changed))
            dense[name] = isinstance(sel, slice)
        received, self.received = self.received, 0
        return Weights(version, False, update_vals, update_rows), received, touched, dense

