"""Client side of distributed training: vocabulary map-reduce, partitioning, the round
loop, and the merge of the partitions' deltas."""
from __future__ import annotations

import logging
import math
import os
import time
import uuid
from typing import Dict, List, Optional

import numpy as np

from ..config import check_distributed_args
from ..corpus import CorpusError
from ..errors import DistributedTrainingError
from ..model import Word2Vec
from ..training.session import Callbacks, end_epoch, end_training
from ..training.trainer import EpochStats
from ..vocab import builder_from_counts
from ._worker import (index_bytes, InputError, Plan, Weights, count_shard, drop_run,
                      merge_counts, prepare_partition, row_selection, train_round)

logger = logging.getLogger("fastw2v")

_MASK64 = (1 << 64) - 1
#: Rounds per epoch when ``round_words`` is not given (docs/distributed.md: quality held
#: with 17 rounds per epoch and fell with 5 or fewer).
DEFAULT_ROUNDS_PER_EPOCH = 20
#: Seconds train_distributed() waits for a first worker when the cluster has none yet.
WORKER_WAIT_S = 30


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
    if len(set(paths)) != len(paths):
        raise ValueError("corpus_files lists a shard more than once")
    return paths


def _raise_input_errors(results):
    for r in results:
        if isinstance(r, InputError):
            raise r.exc


def _count_vocabulary(client, run_id, paths, homes, max_vocab_size, unicode_errors,
                      storage_options, retries):
    parts = [client.submit(count_shard, run_id, p, max_vocab_size, unicode_errors,
                           storage_options, workers=[homes[i]], allow_other_workers=True,
                           retries=retries, pure=False, key=f"fastw2v-count-{i}-{run_id}")
             for i, p in enumerate(paths)]
    level = 0
    while len(parts) > 1:                     # tree reduction, order preserved
        nxt = [client.submit(merge_counts, parts[i], parts[i + 1], max_vocab_size,
                             retries=retries, pure=False,
                             key=f"fastw2v-merge-{level}-{i}-{run_id}")
               for i in range(0, len(parts) - 1, 2)]
        if len(parts) % 2:
            nxt.append(parts[-1])
        parts, level = nxt, level + 1
    result = parts[0].result()
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
    model = Word2Vec(**params, workers=workers or 1, unicode_errors=unicode_errors,
                     callbacks=callbacks)                     # validates the parameters
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
                      unicode_errors, storage_options, tuple(callbacks), merge)
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
        retries)
    # the shards' counts, with the corpus's own token and sentence totals
    builder = builder_from_counts(counter)
    builder.total_words, builder.n_sentences = total, n_sentences
    state.set_vocab(builder, trim_rule)
    tables = state.build_tables()          # built once here, broadcast with the plan
    plan = Plan(c.as_dict(), list(state.vocab.words), np.asarray(state.vocab.counts),
                 tables, unicode_errors, storage_options)
    plan_f = _broadcast(client, plan, part_addrs)
    t_vocab = time.perf_counter()

    preps = client.gather([
        client.submit(prepare_partition, plan_f, run_id, shards, workers=[addr],
                      allow_other_workers=True, retries=retries, pure=False,
                      key=f"fastw2v-encode-{p}-{run_id}")
        for p, (shards, addr) in enumerate(zip(part_shards, part_addrs))])
    _raise_input_errors(preps)
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
    acc = {k: np.zeros_like(v) for k, v in current.items()}
    den = np.zeros(len(model.vocab), dtype=np.float64)
    weights = Weights(0, True, current)
    rounds, epoch_stat = [], None
    cbs = Callbacks(model, callbacks)
    cbs.call("on_train_begin")
    for r in range(n_rounds):
        epoch, chunk = divmod(r, chunks)
        if chunk == 0:
            epoch_stat = dict(words_read=0, words_trained=0, loss=0.0, loss_examples=0)
            cbs.call("on_epoch_begin")
        t0 = time.perf_counter()
        a0 = _alpha(c, r / n_rounds)
        a1 = _alpha(c, (r + 1) / n_rounds)
        homes_now = _refresh_homes(client, part_addrs)
        if homes_now != part_addrs:             # the plan may have died with a worker
            part_addrs = homes_now
            plan_f = _broadcast(client, plan, part_addrs)
        w_f = _broadcast(client, weights, part_addrs)
        sent = weights.nbytes * len(set(part_addrs))

        def submit(p, w, tag=""):
            return client.submit(
                train_round, plan_f, w, run_id, p, part_shards[p], r, chunk, chunks, a0, a1,
                (c.seed * 0x9E3779B97F4A7C15 + p + 1) & _MASK64, threads[p], c.compute_loss,
                workers=[part_addrs[p]], allow_other_workers=True, retries=retries,
                pure=False, key=f"fastw2v-round-{r}-{p}{tag}-{run_id}")

        futs = {p: submit(p, w_f) for p in range(len(part_addrs))}
        results: Dict[int, dict] = {}
        resends = 0
        while futs:
            done = _gather_round(client, futs, r, n_rounds, retries)
            again = [p for p, res in done.items() if res is None or res.get("stale")]
            results.update({p: res for p, res in done.items() if p not in again})
            if resends + len(again) > 2 * len(part_addrs):
                raise DistributedTrainingError(f"round {r + 1}: workers keep losing their "
                                               "state or their tasks")
            if any(done[p] is None for p in again):
                # a task Dask cancelled: its scattered inputs may have died with a worker,
                # so the plan goes out again to the live workers
                part_addrs = _refresh_homes(client, part_addrs)
                plan_f = _broadcast(client, plan, part_addrs)
            futs = {}
            for p in again:       # the full weights, which any worker can start from
                resends += 1
                full = client.scatter(Weights(r, True, current), hash=False)
                sent += full_bytes
                futs[p] = submit(p, full, f"-full{resends}")
        weights, received, touched, dense = _merge(current, acc, den, results, r + 1, merge)
        stat = dict(round=r, epoch=epoch, words=sum(x["words"] for x in results.values()),
                    seconds=time.perf_counter() - t0,
                    train_seconds=max(x["seconds"] for x in results.values()),
                    bytes_to_workers=int(sent), bytes_from_workers=int(received),
                    rows_changed=touched, dense=dense, full_resends=resends,
                    start_alpha=a0, end_alpha=a1)
        rounds.append(stat)
        for key in epoch_stat:
            epoch_stat[key] += sum(x[key] for x in results.values())
        logger.info("round %d/%d: %d words in %.2fs, %.1f MB out, %.1f MB back", r + 1,
                    n_rounds, stat["words"], stat["seconds"], sent / 1e6, received / 1e6)
        if chunk == chunks - 1:
            stats = EpochStats(epoch=state.epochs_trained,
                               seconds=sum(s["seconds"] for s in rounds[-chunks:]),
                               **epoch_stat)
            # the bookkeeping of single-machine training; the alpha the epoch ended at
            end_epoch(model, cbs, stats, a1)
    end_training(model, cbs)
    model.distributed_stats = dict(
        partitions=len(part_addrs), dask_workers=len(worker_threads), threads=threads,
        corpus_words=corpus_words, rounds_per_epoch=chunks, round_words=round_words,
        model_bytes=full_bytes, vocab_seconds=t_vocab - t_start,
        seconds=time.perf_counter() - t_start, rounds=rounds,
        bytes_to_workers=sum(s["bytes_to_workers"] for s in rounds),
        bytes_from_workers=sum(s["bytes_from_workers"] for s in rounds))
    return model


def _broadcast(client, obj, addrs):
    """A copy of ``obj`` on each of the workers ``addrs``, as one future."""
    [fut] = client.scatter([obj], workers=sorted(set(addrs)), broadcast=True, hash=False)
    return fut


def _gather_round(client, futs, r, n_rounds, retries):
    """Wait for a round's tasks ``{partition: future}``: ``{partition: result}``, the
    result None where Dask cancelled the task instead of retrying it (seen when a worker
    process dies in mid-round). A task that failed beyond its retries, or one that met an
    input error, raises."""
    def failed(exc):
        return DistributedTrainingError(
            f"round {r + 1} of {n_rounds} failed after {retries} retries; the model holds "
            f"the weights of round {r}: {exc!r}")

    try:
        out = client.gather(futs, errors="skip")     # a failed task's result is None
    except Exception as exc:
        raise failed(exc) from exc
    for p, f in futs.items():
        if out[p] is None and not f.cancelled():
            exc = f.exception()
            raise failed(exc) from exc
        if out[p] is None:
            logger.warning("distributed: Dask cancelled round %d's task for partition %d; "
                           "it is sent again", r + 1, p)
    _raise_input_errors(out.values())
    return out


def _refresh_homes(client, homes: List[str]) -> List[str]:
    """Move partitions whose worker has left (died, or restarted under a new address) to
    live workers, and spread partitions that had to share a worker onto idle ones."""
    alive = sorted(_workers_after_wait(client, 120))
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


def _merge(current, acc, den, results, version, merge):
    """Apply a finished round to the client's weights (in place): per row, the sum of the
    partitions' deltas, or (``merge="average"``) their mean weighted by words trained
    over the partitions that changed the row. Returns the update for the next round,
    the bytes received, and per matrix the number of rows changed and whether they
    move as one dense block."""
    received = 0
    update_rows, update_vals, touched, dense = {}, {}, {}, {}
    for name, W in current.items():
        a = acc[name]
        den[:] = 0.0
        for p in sorted(results):
            res = results[p]
            rows, delta = res["rows"][name], res["deltas"][name]
            received += index_bytes(rows) + delta.nbytes
            n = float(max(res["words"], 1)) if merge == "average" else 1.0
            a[rows] += np.float32(n) * delta
            if isinstance(rows, slice):          # dense: rows the partition left alone
                den += n * np.any(delta != 0, axis=1)   # do not count for the average
            else:
                den[rows] += n
        changed = np.flatnonzero(den)
        sel = row_selection(changed, W.shape[0])
        if merge == "average":
            d = den[sel]
            d[d == 0] = 1.0                      # rows nobody changed: a is 0 there
            W[sel] += a[sel] / d[:, None].astype(np.float32)
        else:
            W[sel] += a[sel]
        a[sel] = 0.0
        update_rows[name] = sel
        update_vals[name] = W[sel].copy()
        touched[name] = int(len(changed))
        dense[name] = isinstance(sel, slice)
    return Weights(version, False, update_vals, update_rows), received, touched, dense

