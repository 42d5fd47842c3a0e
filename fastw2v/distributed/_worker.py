"""Worker side of distributed training: the messages, the state a worker keeps across
rounds (local shard copies, encoded shards, base weights) and the Dask tasks.

Every task is pure with respect to the model: it trains on a private copy of the base
weights and returns deltas, so a retried task gives the same result and a failed one
leaves nothing behind.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..config import TrainConfig
from ..corpus import CorpusError, EncodedCorpus, corpus_paths
from ..state import ModelState
from ..training.trainer import Trainer, corpus_blocks
from ..vocab import (RULE_KEEP, VocabBuilder, VocabularyError, builder_from_counts,
                     keep_vocab_item)

_ROW_CHUNK = 1 << 16          # rows compared at a time when finding changed rows
#: Above this fraction of changed rows a matrix moves as one dense block: fewer bytes
#: than values plus an index, and copied without gathering rows one by one.
DENSE_FRACTION = 0.75

# ----------------------------------------------------------------------------------------
# messages between client and workers
@dataclass
class Plan:
    """What every worker needs besides weights: parameters, vocabulary, tables."""
    config: dict
    words: List[str]
    counts: np.ndarray
    tables: tuple
    unicode_errors: str
    storage_options: dict


@dataclass
class Weights:
    """Weights for a round: ``full`` arrays, or the rows changed by the previous round."""
    version: int
    full: bool
    arrays: Dict[str, np.ndarray]                                   # full: name -> [V, d]
    rows: Dict[str, object] = field(default_factory=dict)   # update: int64 idx or slice(None)

    @property
    def nbytes(self) -> int:
        return int(sum(a.nbytes for a in self.arrays.values())
                   + sum(index_bytes(r) for r in self.rows.values()))


class InputError:
    """A task's verdict that its input is bad (not retried: the error is final)."""

    def __init__(self, exc: BaseException):
        self.exc = exc


class RunDropped(RuntimeError):
    """A task of a run this worker has already dropped (its client finished or failed
    while the task was queued or running): whatever the task made is deleted."""


class _RunState:
    def __init__(self):
        self.lock = threading.Lock()          # guards the fields below
        self.train_lock = threading.Lock()    # one round trains at a time on this worker
        self.local_copies: Dict[str, str] = {}
        self.encoded: Dict[str, EncodedCorpus] = {}
        self.skeleton: Optional[ModelState] = None
        self.base: Dict[str, np.ndarray] = {}
        self.version = -1
        #: set by close(): a task still running then must not record a file here, where
        #: nothing would ever delete it
        self.closed = False

    def close(self) -> None:
        self.closed = True
        for enc in self.encoded.values():
            enc.close()
        for path in self.local_copies.values():
            _remove(path)
        self.encoded.clear()
        self.local_copies.clear()
        self.skeleton = None
        self.base = {}


def _remove(path: str) -> None:
    """Delete a local shard copy: a file, or the folder a URL directory was copied to."""
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            os.remove(path)
        except OSError:
            pass


_RUNS: "OrderedDict[str, _RunState]" = OrderedDict()
_RUNS_LOCK = threading.Lock()
#: Runs a worker keeps state for. A client that died without cleaning up leaves its state
#: behind; the least recently used run beyond this many is dropped (a run that is still
#: alive then only pays a re-encode and a full-weights resend: its tasks answer "stale").
MAX_RUNS = 4
#: Runs dropped on this worker, most recent last (at most MAX_DROPPED): a task of one of
#: them that starts or finishes late (the client dropped the run after a failure while
#: the task was queued or copying a shard) must not make that run's state again.
_DROPPED: "OrderedDict[str, None]" = OrderedDict()
MAX_DROPPED = 256


def _state(run_id: str) -> _RunState:
    evicted = []
    with _RUNS_LOCK:
        if run_id in _DROPPED:
            raise RunDropped(f"run {run_id} was dropped on this worker")
        st = _RUNS.get(run_id)
        if st is None:
            st = _RUNS[run_id] = _RunState()
            while len(_RUNS) > MAX_RUNS:
                evicted.append(_RUNS.popitem(last=False)[1])
        _RUNS.move_to_end(run_id)
    for old in evicted:
        with old.lock:
            old.close()
    return st


def drop_run(run_id: str) -> int:
    """Forget a run on this worker (``client.run`` target); returns 1 if it was known."""
    with _RUNS_LOCK:
        st = _RUNS.pop(run_id, None)
        _DROPPED[run_id] = None
        while len(_DROPPED) > MAX_DROPPED:
            _DROPPED.popitem(last=False)
    if st is None:
        return 0
    with st.lock:
        st.close()
    return 1


def _local_dir() -> str:
    try:
        from distributed import get_worker
        return get_worker().local_directory
    except Exception:      # not inside a worker (tests call task functions directly)
        return tempfile.gettempdir()


def _is_url(path: str) -> bool:
    return "://" in path


#: What fsspec raises for a URL that no retry can mend: it does not exist, it cannot be
#: read, its protocol is unknown (ValueError) or needs a package that is not installed.
_FINAL_URL_ERRORS = (FileNotFoundError, IsADirectoryError, NotADirectoryError,
                     PermissionError, ValueError, ImportError)


def _local_path(st: _RunState, path: str, storage_options: dict) -> str:
    """A local file for ``path``: itself, or a copy of an fsspec URL (made once per run;
    a URL directory becomes a local folder of the same files, read as a local directory
    shard is)."""
    if not _is_url(path):
        corpus_paths(path)                     # CorpusError if missing or unreadable
        return path
    with st.lock:
        local = st.local_copies.get(path)
    if local is not None:
        return local
    try:
        local = _copy_url(path, storage_options)
    except _FINAL_URL_ERRORS as exc:
        if isinstance(exc, FileNotFoundError):
            raise CorpusError(f"corpus shard {path!r} does not exist") from None
        raise CorpusError(f"corpus shard {path!r} cannot be read: "
                          f"{type(exc).__name__}: {exc}") from None
    with st.lock:
        if st.closed:          # the run was dropped while this task copied the shard
            _remove(local)
            raise RunDropped(f"the run of shard {path!r} was dropped on this worker")
        kept = st.local_copies.setdefault(path, local)
    if kept != local:          # another task of this run copied it meanwhile
        _remove(local)
    return kept


def _copy_url(path: str, storage_options: dict) -> str:
    """Copy the file or directory at URL ``path`` into this worker's local directory;
    the local path. A directory's files are the ones :func:`corpus_paths` would take
    from a local directory (regular files not starting with '.'), under their own names
    so that their suffixes still choose the decompression."""
    import fsspec
    fs, root = fsspec.core.url_to_fs(path, **storage_options)
    if not fs.isdir(root):
        name = path.rstrip("/").rsplit("/", 1)[-1]
        suffix = "".join(name.partition(".")[1:]) if "." in name else ""   # keep .txt.gz
        fd, local = tempfile.mkstemp(prefix="fastw2v-shard-", suffix=suffix,
                                     dir=_local_dir())
        try:
            with os.fdopen(fd, "wb") as dst, fs.open(root, "rb") as src:
                shutil.copyfileobj(src, dst, 1 << 22)
        except BaseException:
            _remove(local)
            raise
        return local
    files = sorted((e["name"] for e in fs.ls(root, detail=True) if e["type"] == "file"
                    and not e["name"].rstrip("/").rsplit("/", 1)[-1].startswith(".")),
                   key=lambda n: n.rstrip("/").rsplit("/", 1)[-1])
    if not files:
        raise CorpusError(f"corpus directory {path!r} contains no files")
    local = tempfile.mkdtemp(prefix="fastw2v-shard-", dir=_local_dir())
    try:
        for name in files:
            dst_path = os.path.join(local, name.rstrip("/").rsplit("/", 1)[-1])
            with open(dst_path, "wb") as dst, fs.open(name, "rb") as src:
                shutil.copyfileobj(src, dst, 1 << 22)
    except BaseException:
        _remove(local)
        raise
    return local


def count_shard(run_id: str, path: str, max_vocab_size, unicode_errors: str,
                 storage_options: dict, trim_rule=None):
    """Map step: count the words of one shard -> (Counter, tokens, sentences, min_reduce).
    ``trim_rule`` is consulted while pruning (``max_vocab_size``), as one machine's
    counter consults it."""
    try:
        local = _local_path(_state(run_id), path, storage_options)
        builder = VocabBuilder(max_vocab_size, trim_rule).add_file(local, unicode_errors)
    except (CorpusError, VocabularyError, UnicodeError) as exc:
        return InputError(CorpusError(f"shard {path!r}: {exc}"))
    return builder.counter, builder.total_words, builder.n_sentences, builder.min_reduce


def merge_counts(a, b, max_vocab_size, trim_rule=None):
    """Reduce step: add two shards' counts, ``a``'s words first (first-seen order)."""
    for part in (a, b):
        if isinstance(part, InputError):
            return part
    counter = Counter(a[0])
    counter.update(b[0])
    # a single reader of a then b would have taken b's pruning steps after a's:
    # min_reduce counts the steps of both (it starts at 1 in each shard)
    min_reduce = a[3] + b[3] - 1
    # the counter's rule (VocabBuilder, as the C tool): a table above max_vocab_size
    # loses, once, the words counted min_reduce times or fewer. One step, not a loop
    # down to max_vocab_size: a single reader of the shards prunes once per sentence
    # that overflows, so its table too may end above max_vocab_size.
    if max_vocab_size is not None and len(counter) > max_vocab_size:
        counter = Counter({w: c for w, c in counter.items()
                           if keep_vocab_item(w, c, min_reduce + 1, trim_rule)})
        min_reduce += 1
    return counter, a[1] + b[1], a[2] + b[2], min_reduce


def _keep_all(word, count, min_count):
    return RULE_KEEP


def _skeleton(st: _RunState, plan: Plan) -> ModelState:
    """A worker's own model state over the broadcast vocabulary: its weight arrays are
    the buffers each round trains in, and its ``kernel_model`` trains them."""
    with st.lock:
        if st.skeleton is None:
            skel = ModelState(TrainConfig(**dict(plan.config, workers=1)),
                              unicode_errors=plan.unicode_errors)
            # the words are already selected: keep all of them, in the broadcast order
            skel.set_vocab(builder_from_counts(dict(zip(plan.words, plan.counts.tolist())),
                                               ranked=True), trim_rule=_keep_all)
            if skel.vocab.words != plan.words:
                raise RuntimeError("worker vocabulary differs from the broadcast one")
            skel.use_tables(plan.tables)        # built once on the client, broadcast
            st.skeleton = skel
        return st.skeleton


def _sync(st: _RunState, weights: Weights) -> bool:
    """Bring this worker's base weights to ``weights.version``; False if it cannot
    (it missed an update: a new or restarted worker) and needs the full weights."""
    with st.lock:
        if weights.full:
            st.base = {k: np.array(v, copy=True) for k, v in weights.arrays.items()}
            st.version = weights.version
        elif st.version == weights.version - 1:
            for name, rows in weights.rows.items():
                st.base[name][rows] = weights.arrays[name]
            st.version = weights.version
        return st.version == weights.version


def _encoded(st: _RunState, plan: Plan, path: str) -> EncodedCorpus:
    with st.lock:
        enc = st.encoded.get(path)
    if enc is None:
        local = _local_path(st, path, plan.storage_options)
        index = {w: i for i, w in enumerate(plan.words)}
        new = EncodedCorpus(local, index, plan.unicode_errors, tmp_dir=_local_dir())
        with st.lock:
            enc = None if st.closed else st.encoded.setdefault(path, new)
        if enc is not new:         # the run was dropped meanwhile, or another task won
            new.close()
        if enc is None:
            raise RunDropped(f"the run of shard {path!r} was dropped on this worker")
    return enc


def prepare_partition(plan: Plan, run_id: str, shards: Sequence[str]):
    """Encode a partition's shards once; -> [(entries, words, sentences, raw tokens)]."""
    st = _state(run_id)
    try:
        out = []
        for path in shards:
            enc = _encoded(st, plan, path)
            out.append((len(enc.ids), enc.n_words, enc.n_sentences, enc.raw_words))
        return out
    except (CorpusError, UnicodeError) as exc:
        return InputError(CorpusError(f"shard {path!r}: {exc}"))


def row_selection(rows: np.ndarray, n_rows: int):
    """``rows`` as an index, or ``slice(None)`` (every row) when most rows changed."""
    return slice(None) if len(rows) > DENSE_FRACTION * n_rows else rows


def index_bytes(rows) -> int:
    return 0 if isinstance(rows, slice) else int(rows.nbytes)


def _changed_rows(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    parts = [np.flatnonzero(np.any(new[i:i + _ROW_CHUNK] != old[i:i + _ROW_CHUNK], axis=1)) + i
             for i in range(0, new.shape[0], _ROW_CHUNK)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def train_round(plan: Plan, weights: Weights, run_id: str, partition: int,
                 shards: Sequence[str], round_no: int, chunk: int, chunks: int,
                 start_alpha: float, end_alpha: float, seed: int, threads: int,
                 compute_loss: bool):
    """One partition's share of one round (a pure task: same inputs, same result)."""
    st = _state(run_id)
    if not _sync(st, weights):
        return {"stale": True, "partition": partition}
    t0 = time.perf_counter()
    try:
        encs = [_encoded(st, plan, p) for p in shards]
    except (CorpusError, UnicodeError) as exc:
        return InputError(CorpusError(f"partition {partition}: {exc}"))
    # this round's slice of the partition's stream (its shards one after another)
    total = sum(len(e.ids) for e in encs)
    lo, hi = total * chunk // chunks, total * (chunk + 1) // chunks
    jobs, n_words, offset, slices = [], 0, 0, []
    for enc in encs:
        s, e = max(lo - offset, 0), min(hi - offset, len(enc.ids))
        if s < e:
            n_words += int(np.count_nonzero(enc.ids[s:e] >= 0))
            # each job's share of the shard's raw tokens (the file_jobs rule of
            # single-machine training): the rounds of an epoch add up to the shard's
            raw, n_ids = enc.raw_words, len(enc.ids)
            jobs += [(enc.ids, s + a, s + b, raw * (s + b) // n_ids - raw * (s + a) // n_ids)
                     for a, b in corpus_blocks(e - s, threads, ids=enc.ids[s:e])]
            slices.append((enc, s, e))
        offset += len(enc.ids)
    skel = _skeleton(st, plan)
    with st.train_lock:
        with st.lock:
            base = st.base
            if st.version != weights.version:    # another task moved the base meanwhile
                return {"stale": True, "partition": partition}
            work = skel.weights()
            for name, arr in work.items():
                np.copyto(arr, base[name])
        stats = []
        if n_words:
            km = skel.kernel_model(compute_loss)
            stats = Trainer(km, threads, seed).train(
                lambda _: iter(jobs), 1, round_no, start_alpha, end_alpha, n_words)
        for enc, s, e in slices:        # this round's ids leave memory (not the page cache)
            enc.release(s, e)
        rows, deltas = {}, {}
        # the trained arrays, taken afresh: kernel_model may have moved them into the
        # kernels' layout (a copy), so `work` may no longer be what trained
        for name, arr in skel.weights().items():
            r = row_selection(_changed_rows(arr, base[name]), arr.shape[0])
            rows[name] = r
            deltas[name] = arr[r] - base[name][r]
    if _FAULT is not None:
        _maybe_fail(_FAULT, round_no, partition)
    return {"partition": partition, "rows": rows, "deltas": deltas, "words": n_words,
            "words_read": sum(s.words_read for s in stats),
            "words_trained": sum(s.words_trained for s in stats),
            "raw_words": sum(s.raw_words for s in stats),
            "loss": sum(s.loss for s in stats),
            "loss_examples": sum(s.loss_examples for s in stats),
            "seconds": time.perf_counter() - t0}


# ----------------------------------------------------------------------------------------
# fault injection (tests only)
#: ``(round, partition, marker_file, how)`` or None: set in every worker process by
#: ``client.run(_set_fault, fault)`` (tests of retries and of a dying worker).
_FAULT = None


def _set_fault(fault) -> None:
    """Test hook (``client.run`` target): make :func:`train_round` fail as ``fault``
    says, or (None) not at all."""
    global _FAULT
    _FAULT = fault


def _maybe_fail(fault, round_no: int, partition: int) -> None:
    """Fail the first attempt of one task (``fault = (round, partition, marker_file,
    how)``), after it trained, so a half-done round would show."""
    f_round, f_part, marker, how = fault
    if round_no != f_round or partition != f_part or os.path.exists(marker):
        return
    with open(marker, "w") as fh:
        fh.write(f"failed round {round_no} partition {partition} ({how})\n")
    if how == "exit":
        os._exit(13)                 # the worker process dies; its nanny restarts it
    raise RuntimeError(f"injected failure in round {round_no}, partition {partition}")


