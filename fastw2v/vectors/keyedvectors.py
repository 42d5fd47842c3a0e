"""Word vectors with their vocabulary index (gensim 4's ``KeyedVectors`` names and
answers): storage, look-ups, norms, files. The similarity queries are inherited from
:class:`fastw2v.vectors.queries.SimilarityQueries`. This module contains no training code.

Norms are cached (float32 [V], one value per row) instead of a second, normalised copy
of the matrix.
The cache is dropped when ``vectors`` is replaced, and it notices in-place updates such
as further training by comparing a small sample of rows; after editing individual rows
by hand call ``fill_norms(force=True)`` (as in gensim).

Loaded vectors (word2vec files, :meth:`KeyedVectors.load`) keep their keys packed in
arrays (:class:`fastw2v.vectors.PackedKeys`: about 23 bytes a key instead of about 130
as ``str``, ``int``, dict entry and list slot), and build ``index_to_key`` and
``key_to_index`` the first time either is read or assigned: look-ups, queries and
:meth:`KeyedVectors.save` do not need them. So a 500,000 x 300 file loads in 1.03x the
matrix's memory instead of 1.12x; whoever uses the two attributes pays for them then,
once.
"""
from __future__ import annotations

import logging
import os
import warnings
from numbers import Integral
from typing import Dict, Iterable, List, Optional, Sequence, Union

import numpy as np


logger = logging.getLogger("fastw2v")

from ..interrupts import deferred_interrupt
from ..lifecycle import LifecycleEvents, loaded_events, saved_events
from ._keys import PackedKeys
from .queries import KEY_TYPES, SimilarityQueries

_NATIVE_FORMAT = "fastw2v.KeyedVectors"
#: a whole model's native file (:mod:`fastw2v.state`), whose ``wv`` :meth:`load` reads
_MODEL_FORMAT = "fastw2v.Word2Vec"
#: The two attributes built from packed keys when first used.
_KEY_ATTRS = frozenset(("index_to_key", "key_to_index"))


def _checked_index(index_to_key, key_to_index) -> List[str]:
    """``index_to_key`` as a list, after checking that ``key_to_index`` is its index: a
    dict of the same length mapping each key to its row (an ``int``). Every key is
    checked up to ``_FULL_CHECK`` keys; beyond, about 4,096 spread over the rows, the
    first and the last (a full check would cost what building the index does)."""
    if not isinstance(key_to_index, dict):
        raise TypeError(f"key_to_index must be a dict, not {type(key_to_index).__name__}")
    if not isinstance(index_to_key, list):
        index_to_key = list(index_to_key)
    n = len(index_to_key)
    if len(key_to_index) != n:
        raise ValueError(f"key_to_index has {len(key_to_index)} keys for {n} in index_to_key "
                         "(keys must be unique)")
    rows = range(n) if n <= _FULL_CHECK else (*range(0, n, -(-n // 4096)), n - 1)
    for i in rows:
        got = key_to_index.get(index_to_key[i])
        if type(got) is not int or got != i:
            raise ValueError(f"key_to_index does not map index_to_key[{i}] "
                             f"({index_to_key[i]!r}) to {i}")
    return index_to_key


#: Up to this many keys a given ``key_to_index`` is checked key by key.
_FULL_CHECK = 1 << 16


def _renamed(old: str, new: str) -> str:
    """The message for a gensim 3 attribute that gensim 4 (and fastw2v) replaced."""
    return (f"The {old} attribute was replaced in gensim 4.0.0 (fastw2v follows gensim 4): "
            f"use {new} instead. See https://github.com/RaRe-Technologies/gensim/wiki/"
            "Migrating-from-Gensim-3.x-to-4")


def _check_fits(attr: str, have: np.dtype, want: np.dtype) -> None:
    """``TypeError`` unless values of dtype ``want`` fit attribute ``attr`` of dtype
    ``have`` without losing anything (gensim refuses a conflicting type): objects hold
    anything, numbers widen within their kind or from integers to floats, but a float
    is no integer, a boolean no number, and text no number."""
    have, want = np.dtype(have), np.dtype(want)
    if have.kind in "OUS" and want.kind in "OUS" or have == want:
        return        # text: the attribute becomes objects where it must (_fit_attr)
    if want.kind == "b" and have.kind != "b" or \
            not np.can_cast(want, have, casting="same_kind") or \
            (have.kind in "iu" and want.kind not in "iu"):
        raise TypeError(f"can't set attribute {attr!r} of type {have} to values of type "
                        f"{want}: it would lose them (gensim refuses a conflicting type too)")


class KeyedVectors(SimilarityQueries, LifecycleEvents):
    """Vectors for a list of keys, loadable and queryable without a model.

    Parameters
    ----------
    vector_size : int
        Dimensionality of the vectors.
    index_to_key : sequence of str or PackedKeys, optional
        The keys, in row order (unique). A :class:`~fastw2v.vectors._keys.PackedKeys` is
        kept as it is (``index_to_key`` and ``key_to_index`` are built when first used).
    vectors : np.ndarray, optional
        [len(index_to_key), vector_size], float32 unless ``dtype`` says otherwise;
        zeros if omitted. The array is used as is (not copied).
    counts : array-like of int, optional
        Corpus count of each key (``get_vecattr(key, "count")``).
    dtype : numpy dtype
        dtype of the zero matrix created when ``vectors`` is omitted.
    key_to_index : dict, optional
        ``{index_to_key[i]: i}``, where the caller has built it already (a loader does, to
        find duplicate words): then it and ``index_to_key`` (a ``list``) are taken as they
        are, not built or copied again, which saves the time and the peak memory of a
        second index for millions of keys. Checked for its length and every key (a
        spread sample of 4,096 beyond 65,536 keys).
    """

    def __init__(self, vector_size: int, index_to_key: Sequence[str] = (),
                 vectors: Optional[np.ndarray] = None, counts=None, dtype=np.float32, *,
                 key_to_index: Optional[Dict[str, int]] = None, count=None,
                 mapfile_path=None):
        if isinstance(index_to_key, Integral) and not isinstance(index_to_key, bool) \
                and index_to_key == 0 and count is None:
            index_to_key = ()       # KeyedVectors(size, 0): gensim's positional count 0
            if isinstance(vectors, (type, np.dtype)):
                # the rest of gensim's order too: (vector_size, count, dtype, mapfile_path)
                dtype, vectors = vectors, None
                if counts is not None:
                    mapfile_path, counts = counts, None
        if count == 0 and not isinstance(count, bool):
            count = None            # gensim's default: nothing preallocated
        if mapfile_path is not None:
            raise TypeError("mapfile_path (gensim's vectors in a memory-mapped file of "
                            "your own) is not supported: save() and load(fname, mmap='r') "
                            "map the vectors")
        if isinstance(index_to_key, (str, Integral)) or count is not None:
            raise TypeError("index_to_key must be a sequence of keys (gensim's preallocation "
                            "count is not supported: make KeyedVectors(vector_size) and "
                            "add_vectors(keys, weights), or pass index_to_key and vectors)")
        self.vector_size = int(vector_size)
        if self.vector_size < 0:
            raise ValueError(f"vector_size={vector_size} is invalid: must be >= 0")
        if isinstance(index_to_key, PackedKeys):
            if key_to_index is not None:
                raise TypeError("key_to_index goes with a list of keys, not PackedKeys")
            self._packed = index_to_key
        elif key_to_index is None:
            self.index_to_key: List[str] = list(index_to_key)
            self.key_to_index: Dict[str, int] = {k: i for i, k in enumerate(self.index_to_key)}
            if len(self.key_to_index) != len(self.index_to_key):
                raise ValueError("keys must be unique")
        else:
            self.index_to_key = _checked_index(index_to_key, key_to_index)
            self.key_to_index = key_to_index
        if vectors is None:
            vectors = np.zeros((len(self), self.vector_size), dtype=dtype)
        self.vectors = vectors
        if "_vectors" not in self.__dict__:
            # given together, keys and vectors must match now (by hand, one after the
            # other, they may differ until the second is assigned)
            raise ValueError(self._mismatch(vectors))
        self.expandos: Dict[str, np.ndarray] = {}
        #: gensim's lock factors: training scales the update of input row ``r`` by
        #: ``vectors_lockf[r % len(vectors_lockf)]`` (0.0 freezes the row). One shared 1.0 by
        #: default, as gensim's models; one per key after ``intersect_word2vec_format``.
        self.vectors_lockf = np.ones(1, dtype=np.float32)
        if counts is not None:
            # a copy: the counts stay the caller's (a model's vocabulary keeps its own
            # read-only), and set_vecattr(key, "count", n) can change these
            counts = np.array(counts, dtype=np.int64)
            if counts.shape != (len(self),):
                raise ValueError(f"{counts.shape[0] if counts.ndim else 0} counts for {len(self)} keys")
            self.expandos["count"] = counts

    # -- the keys -----------------------------------------------------------------------
    #: Keys packed in arrays, or None once ``index_to_key`` and ``key_to_index`` exist.
    _packed: Optional[PackedKeys] = None

    def __getattr__(self, name):
        # called only for attributes not found otherwise: here, the two built from packed
        # keys the first time either is read, and the matrix while it does not match the
        # keys (see _settle)
        if name in _KEY_ATTRS:
            self._unpack()
            if name in self.__dict__:
                return self.__dict__[name]
        elif name == "_vectors" and "_unmatched_vectors" in self.__dict__:
            return self._check_matched()
        # the usual error, or the one a property raised (``vocab`` says what replaced it)
        return object.__getattribute__(self, name)

    def __setattr__(self, name, value):
        if name in _KEY_ATTRS:
            if self.__dict__.get("_packed") is not None:
                self._unpack()  # the other of the two must exist, built from the same keys
            object.__setattr__(self, name, value)
            self._settle()
            return
        object.__setattr__(self, name, value)

    # -- keys and matrix assigned one after the other -------------------------------------
    # gensim lets ``vectors``, ``index_to_key`` and ``key_to_index`` be assigned one by
    # one, in any order, so they disagree in between. Here a matrix whose rows do not
    # match the keys is held apart (``_unmatched_vectors``) and ``_vectors``, which every
    # use of the matrix goes through, is absent: reading it reaches ``__getattr__``, which
    # puts the matrix in use if it matches by then, else raises ``ValueError`` naming the
    # mismatch. Assigning any of the three settles it again; so the usual path pays
    # nothing.
    def _mismatch(self, vectors) -> Optional[str]:
        """What keeps ``vectors`` from being used with the keys, or None."""
        n = len(self)
        if vectors.shape[0] != n:
            return (f"vectors have shape {vectors.shape} but there are {n} keys "
                    f"(index_to_key): assign the index_to_key and key_to_index of these "
                    f"vectors, or vectors of shape ({n}, {self.vector_size}), or call "
                    "resize_vectors(), before using them")
        d = self.__dict__
        keys, index = d.get("index_to_key"), d.get("key_to_index")
        if keys is not None and index is not None and len(index) != len(keys):
            return (f"key_to_index has {len(index)} keys for the {len(keys)} of "
                    "index_to_key: assign key_to_index = {key: row for row, key in "
                    "enumerate(index_to_key)} before using the vectors")
        return None

    def _check_matched(self) -> np.ndarray:
        """The matrix held apart, now in use if it matches the keys (changed in place
        since, say); else ``ValueError`` naming the mismatch."""
        self._settle()
        d = self.__dict__
        if "_vectors" in d:
            return d["_vectors"]
        raise ValueError(self._mismatch(d["_unmatched_vectors"]))

    def _settle(self) -> None:
        """Use the matrix if it matches the keys, else hold it apart (see above)."""
        d = self.__dict__
        vectors = d.get("_vectors")
        if vectors is None:
            vectors = d.get("_unmatched_vectors")
            if vectors is None:
                return          # no matrix yet (``__init__`` assigns the keys first)
        if self._mismatch(vectors) is None:
            d["_vectors"] = vectors
            d.pop("_unmatched_vectors", None)
        else:
            d.pop("_vectors", None)
            d["_unmatched_vectors"] = vectors

    def _unpack(self) -> None:
        """Build ``index_to_key`` from the packed keys, drop these (their pages go back
        to the system at once), then build ``key_to_index``. A thread that finds the list
        without the dict builds the dict itself (two threads at once each build the same;
        ``__getattr__`` is only reached while one of the two is missing)."""
        d = self.__dict__
        packed = d.get("_packed")
        if packed is not None:
            keys = packed.to_list()
            d["index_to_key"] = keys
            del packed
            d.pop("_packed", None)      # before the dict is built: never beside it
        keys = d.get("index_to_key")
        if keys is not None and "key_to_index" not in d:
            d["key_to_index"] = dict(zip(keys, range(len(keys))))

    def _key_at(self, row: int):
        packed = self._packed
        return packed.key_at(row) if packed is not None else self.index_to_key[row]

    # -- the matrix and its norms -------------------------------------------------------
    @property
    def vectors(self) -> np.ndarray:
        """[V, vector_size] array of the vectors, row ``i`` for ``index_to_key[i]``.

        As in gensim, ``vectors``, ``index_to_key`` and ``key_to_index`` may be assigned
        one after the other in any order; until they agree in length, reading
        ``vectors`` or any query raises ``ValueError`` naming the mismatch."""
        return self._vectors

    @vectors.setter
    def vectors(self, value) -> None:
        value = np.asanyarray(value)
        if value.ndim != 2 or value.shape[1] != self.vector_size:
            raise ValueError(f"vectors have shape {value.shape}, expected "
                             f"({len(self)}, {self.vector_size})")
        if value.dtype.kind != "f":
            raise ValueError(f"vectors must be floating point, not {value.dtype}")
        d = self.__dict__
        d.pop("_vectors", None)
        d["_unmatched_vectors"] = value
        self._settle()
        self._norms = self._probe_idx = self._probe = None

    @property
    def norms(self) -> Optional[np.ndarray]:
        """Cached L2 norm of every row ([V], the vectors' dtype); ``None`` until computed
        (``fill_norms``). Assign ``None`` to drop the cache."""
        return self._norms

    @norms.setter
    def norms(self, value) -> None:
        if value is not None:
            # norms given by hand stay valid as long as the vectors do not change
            self._probe_idx = self._probe_rows()
            self._probe = np.array(self._vectors[self._probe_idx])
        self._norms = None if value is None else np.asarray(value)

    def _probe_rows(self) -> np.ndarray:
        V = len(self._vectors)
        return np.unique(np.concatenate([np.arange(min(V, 64)),
                                         np.linspace(0, V - 1, min(V, 256)).astype(np.int64)]))

    def fill_norms(self, force: bool = False) -> np.ndarray:
        """Compute the norms cache if it is missing, stale or ``force`` is set; return it.

        Safe with queries on other threads: each attribute is read once, so a cache
        dropped or rebuilt meanwhile by another thread only costs a recomputation."""
        v = self._vectors
        norms, idx, probe = self._norms, self._probe_idx, self._probe
        if not force and norms is not None and idx is not None and len(norms) == len(v) \
                and np.array_equal(v[idx], probe, equal_nan=True):
            return norms
        idx = self._probe_rows()
        probe = np.array(v[idx])
        norms = np.linalg.norm(v, axis=1)
        self._probe_idx, self._probe, self._norms = idx, probe, norms
        return norms

    def safe_norms(self, start: int = 0, end: Optional[int] = None) -> np.ndarray:
        n = self.fill_norms()[start:end]
        # zero rows score 0 instead of nan (gensim divides by zero)
        return np.where(n == 0, np.ones_like(n), n)

    def get_normed_vectors(self) -> np.ndarray:
        """A new [V, d] array: every vector scaled to unit length (zero vectors stay zero)."""
        return (self._vectors / self.safe_norms()[:, None]).astype(self._vectors.dtype, copy=False)

    @property
    def vocab(self):
        """Removed in gensim 4 (and never in fastw2v): ``AttributeError`` saying what to use."""
        raise AttributeError(
            "The vocab attribute was removed from KeyedVectors in gensim 4.0.0 (fastw2v "
            "follows gensim 4): use .key_to_index (key -> row), .index_to_key (row -> key) "
            "and .get_vecattr(key, 'count') / .set_vecattr(key, 'count', value) instead. "
            "See https://github.com/RaRe-Technologies/gensim/wiki/Migrating-from-Gensim-3.x-to-4")

    @vocab.setter
    def vocab(self, value):
        self.vocab      # raises the AttributeError above

    # gensim 3's other names: reading them says what replaced them (as gensim 4 does);
    # assigning the two key lists sets index_to_key, as in gensim
    @property
    def index2word(self):
        raise AttributeError(_renamed("index2word", ".index_to_key"))

    @index2word.setter
    def index2word(self, value):
        self.index_to_key = value

    @property
    def index2entity(self):
        raise AttributeError(_renamed("index2entity", ".index_to_key"))

    @index2entity.setter
    def index2entity(self, value):
        self.index_to_key = value

    @property
    def vectors_norm(self):
        raise AttributeError(_renamed("vectors_norm", ".get_normed_vectors() (the unit "
                                      "vectors are computed when asked for)"))

    def unit_normalize_all(self) -> None:
        """Scale every vector to unit length, in place (the original lengths are lost, so
        training cannot sensibly continue). A zero vector stays zero (gensim makes it NaN)."""
        norms = self.fill_norms()
        self._vectors /= np.where(norms == 0, 1, norms)[:, None].astype(self._vectors.dtype)
        self.norms = (norms != 0).astype(self._vectors.dtype)

    def init_sims(self, replace: bool = False) -> None:
        """Deprecated (gensim 4): compute the norms (``fill_norms``); with ``replace=True``
        also ``unit_normalize_all()``. Queries need neither."""
        warnings.warn("init_sims() is deprecated, as in gensim 4: queries compute the norms "
                      "themselves (fill_norms()); use unit_normalize_all() to replace the "
                      "vectors by unit vectors", DeprecationWarning, stacklevel=2)
        self.fill_norms()
        if replace:
            logger.warning("init_sims(replace=True) overwrites the vectors with unit vectors; "
                           "training cannot sensibly continue")
            self.unit_normalize_all()

    # -- look-ups -----------------------------------------------------------------------
    def __len__(self) -> int:
        packed = self._packed
        return len(packed) if packed is not None else len(self.index_to_key)

    def __contains__(self, key) -> bool:
        return self.has_index_for(key)

    def has_index_for(self, key) -> bool:
        return self.get_index(key, -1) >= 0

    def get_index(self, key, default=None) -> int:
        """Row of ``key`` (an int in range is its own row); ``default`` if given and the
        key is unknown, else ``KeyError``."""
        packed = self._packed
        if packed is not None:
            idx = packed.index(key if type(key) is str else str(key)) \
                if isinstance(key, str) else -1
            if idx >= 0:
                return idx
        else:
            try:
                idx = self.key_to_index.get(key)
            except TypeError:   # unhashable
                idx = None
            if idx is not None:
                return idx
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool) \
                and 0 <= key < len(self):
            return int(key)
        if default is not None:
            return default
        if "_unmatched_vectors" in self.__dict__:
            self._check_matched()   # keys and vectors assigned by hand disagree: say so
        raise KeyError(f"Key {key!r} not present in vocabulary")

    def get_vector(self, key, norm: bool = False) -> np.ndarray:
        """The vector of ``key``: a read-only view, as gensim's (written through, it
        would leave the cached norms stale; assign ``kv[key] = vector`` instead); a new
        unit-length copy if ``norm``."""
        idx = self.get_index(key)
        if norm:
            return self._vectors[idx] / self.safe_norms(idx, idx + 1)[0]
        view = self._vectors[idx]
        view.flags.writeable = False
        return view

    word_vec = get_vector

    def __getitem__(self, key_or_keys: Union[str, Iterable[str]]) -> np.ndarray:
        if isinstance(key_or_keys, KEY_TYPES):
            return self.get_vector(key_or_keys)
        return np.vstack([self.get_vector(k) for k in key_or_keys])

    def __setitem__(self, keys, weights) -> None:
        if isinstance(keys, KEY_TYPES):
            keys, weights = [keys], np.asarray(weights).reshape(1, -1)
        self.add_vectors(keys, weights, replace=True)

    def get_vecattr(self, key, attr: str):
        """Per-key attribute, e.g. ``"count"``: as gensim, the element of its array (a
        NumPy scalar such as ``np.int64`` for counts; the object itself for text)."""
        if attr not in self.expandos:
            raise KeyError(f"no attribute {attr!r}; known: {sorted(self.expandos)}")
        return self.expandos[attr][self.get_index(key)]

    def set_vecattr(self, key, attr: str, val) -> None:
        """Set per-key attribute ``attr`` of ``key`` (made, zero for every key, on first
        use: of ``val``'s dtype for a number or boolean, else of objects, as gensim's, so
        that longer text later is kept whole)."""
        if attr not in self.expandos:
            self.allocate_vecattrs([attr], [np.asarray(val).dtype])
        else:
            self._fit_attr(attr, np.asarray(val).dtype)
        self.expandos[attr][self.get_index(key)] = val

    def _fit_attr(self, attr: str, dtype) -> None:
        """Check that values of ``dtype`` fit attribute ``attr`` (:func:`_check_fits`);
        fixed-width text (from a file) becomes objects, so that longer text fits."""
        have = self.expandos[attr]
        _check_fits(attr, have.dtype, dtype)
        if have.dtype.kind in "US" and np.dtype(dtype).kind in "OUS":
            self.expandos[attr] = have.astype(object)

    def allocate_vecattrs(self, attrs=None, types=None) -> None:
        """Make sure every attribute in ``attrs`` (default: those there) has one value per
        key, of the dtype in ``types`` (gensim's name): new ones zero, existing ones
        extended with zeros. A type an existing attribute cannot hold without losing
        values (a float for integers, text for numbers) raises ``TypeError``, as gensim
        refuses a type that conflicts with the existing one."""
        if attrs is None:
            attrs, types = list(self.expandos), [a.dtype for a in self.expandos.values()]
        attrs = list(attrs)
        types = [np.int64] * len(attrs) if types is None else list(types)
        if len(types) != len(attrs):
            raise ValueError(f"{len(attrs)} attributes but {len(types)} types")
        for attr, dtype in zip(attrs, types):
            old = self.expandos.get(attr)
            dtype = np.dtype(dtype)
            if dtype.kind not in "biuf":
                dtype = np.dtype(object)    # text of any length, as gensim's
            if old is not None:
                _check_fits(attr, old.dtype, dtype)
                dtype = old.dtype
            new = np.zeros(len(self), dtype=dtype)
            if old is not None:
                n = min(len(old), len(new))
                new[:n] = old[:n]
            self.expandos[attr] = new

    def resize_vectors(self, seed: int = 0) -> None:
        """Make ``vectors`` one row per key of ``index_to_key`` (gensim 4's method, for
        keys added to or removed from ``index_to_key``/``key_to_index`` by hand).

        Rows of keys that had one keep it. New rows are random, as gensim makes them:
        row ``i`` is row ``i`` of ``np.random.default_rng(seed).random((len(self),
        vector_size), dtype=np.float32) * 2 - 1``, divided by ``vector_size`` (so the
        same ``seed`` gives gensim's values; converted to the vectors' dtype, where
        gensim always makes float32). Unlike gensim, the matrix may also shrink (the
        first rows are kept). The per-key attributes (``expandos``) and a per-key
        ``vectors_lockf`` follow: new keys get 0 and 1.0 (trainable); the cached norms
        are dropped.
        """
        d = self.__dict__
        prior = d.get("_vectors")
        if prior is None:
            prior = d.get("_unmatched_vectors")
        n, dim = len(self), self.vector_size
        old_rows = 0 if prior is None else prior.shape[0]
        if prior is None or prior.shape != (n, dim):
            rng = np.random.default_rng(seed)
            # every row drawn, kept or not: a new row gets the draws it would get in a
            # fresh matrix of this shape (gensim's values for the same seed)
            fresh = rng.random((n, dim), dtype=np.float32)
            fresh *= np.float32(2.0)
            fresh -= np.float32(1.0)
            fresh /= np.float32(dim)
            dtype = np.float32 if prior is None else prior.dtype
            out = fresh if fresh.dtype == dtype else fresh.astype(dtype)
            if prior is not None:
                rows, cols = min(old_rows, n), min(prior.shape[1], dim)
                out[:rows, :cols] = prior[:rows, :cols]
            self.vectors = out
        self.allocate_vecattrs()
        lockf = np.asarray(self.vectors_lockf)
        if lockf.ndim == 1 and len(lockf) == old_rows and old_rows > 1 and old_rows != n:
            kept = min(n, old_rows)
            resized = np.ones(n, dtype=lockf.dtype)
            resized[:kept] = lockf[:kept]
            self.vectors_lockf = resized
        self._norms = self._probe_idx = self._probe = None

    def add_vectors(self, keys, weights, extras: Optional[dict] = None, replace: bool = False) -> None:
        """Add vectors for ``keys`` (a list of keys and a [n, vector_size] array or list of
        1-D vectors, or one key and one 1-D vector, as in gensim). New keys are appended;
        a key already present keeps its vector unless ``replace``. ``extras`` maps an
        attribute name to per-key values. A per-key ``vectors_lockf`` grows with 1.0
        (trainable) for the new keys."""
        if isinstance(keys, KEY_TYPES):
            keys, weights = [keys], np.asarray(weights).reshape(1, -1)
            extras = {k: np.asarray(v).reshape(1) for k, v in (extras or {}).items()}
        keys = list(keys)
        weights = np.asarray(weights, dtype=self._vectors.dtype)
        if weights.size != len(keys) * self.vector_size:
            raise ValueError(f"{len(keys)} keys but weights of shape {weights.shape}; expected "
                             f"({len(keys)}, {self.vector_size})")
        weights = weights.reshape(len(keys), self.vector_size)
        extras = {k: np.asarray(v) for k, v in (extras or {}).items()}
        for attr, vals in extras.items():          # checked before anything changes
            if vals.shape[:1] != (len(keys),):
                raise ValueError(f"extras[{attr!r}] has {vals.shape[0] if vals.ndim else 0} "
                                 f"values for {len(keys)} keys")
            if attr in self.expandos:
                self._fit_attr(attr, vals.dtype)
        new_keys, new_pos, seen = [], [], set()
        for pos, key in enumerate(keys):
            idx = self.key_to_index.get(key)
            if idx is None:
                if key in seen:
                    raise ValueError(f"key {key!r} appears twice in the keys to add")
                seen.add(key)
                new_keys.append(key)
                new_pos.append(pos)
            elif replace:
                if not self._vectors.flags.writeable:      # mapped read-only: a copy
                    self.vectors = np.array(self._vectors)
                self._vectors[idx] = weights[pos]
                for attr, vals in extras.items():
                    self.set_vecattr(key, attr, vals[pos])
        if new_keys:
            start = len(self.index_to_key)
            lockf = np.asarray(self.vectors_lockf)
            per_key = lockf.ndim == 1 and len(lockf) == start and start > 1
            # the grown arrays are made first: a Ctrl-C or a MemoryError while they are
            # leaves the keys and vectors as they were, still matching
            grown = np.concatenate([self._vectors, weights[new_pos]])
            expandos = {}
            for attr, values in self.expandos.items():
                add = extras[attr][new_pos] if attr in extras else \
                    np.zeros(len(new_keys), dtype=values.dtype)
                expandos[attr] = np.concatenate([values, add])
            for attr, vals in extras.items():
                if attr not in self.expandos:
                    expandos[attr] = np.concatenate(
                        [np.zeros(start, dtype=vals.dtype), vals[new_pos]])
            if per_key:
                lockf = np.concatenate([lockf, np.ones(len(new_keys), dtype=lockf.dtype)])
            with deferred_interrupt():         # then the change, which Ctrl-C won't split
                self.key_to_index.update(zip(new_keys, range(start, start + len(new_keys))))
                self.index_to_key.extend(new_keys)
                self.expandos.update(expandos)
                self.vectors = grown
                if per_key:
                    self.vectors_lockf = lockf
        self._norms = None

    def add_vector(self, key, vector) -> int:
        """Add one vector (gensim's name); returns its row (an existing key keeps its
        vector, as in gensim's ``add_vectors``)."""
        self.add_vectors(key, vector)
        return self.get_index(key)

    def sort_by_descending_frequency(self) -> None:
        """Reorder the keys by descending ``count`` attribute, as gensim 4 does: equal
        counts put the key at the higher row first. The vectors, the per-key attributes
        and a per-key ``vectors_lockf`` move with their keys; cached norms are dropped.
        ``KeyError`` without counts. A model's ``wv`` sorted this way no longer matches
        the model, whose training then refuses to start."""
        if not len(self):
            return
        if "count" not in self.expandos:
            raise KeyError("sort_by_descending_frequency() needs the keys' 'count' "
                           "attribute (set_vecattr(key, 'count', n) or counts=)")
        counts = np.asarray(self.expandos["count"], dtype=np.int64)
        rows = np.arange(len(counts))
        order = np.lexsort((-rows, -counts))
        if len(self._vectors):
            logger.warning("sort_by_descending_frequency() copies the vectors")
        keys = self.index_to_key
        self.index_to_key = [keys[i] for i in order]
        self.key_to_index = {k: i for i, k in enumerate(self.index_to_key)}
        for attr in list(self.expandos):
            self.expandos[attr] = self.expandos[attr][order]
        lockf = np.asarray(self.vectors_lockf)
        if lockf.ndim == 1 and len(lockf) == len(order) and len(order) > 1:
            self.vectors_lockf = lockf[order]
        self.vectors = self._vectors[order]

    def _per_key_lockf(self) -> np.ndarray:
        """``vectors_lockf`` as one float32 factor per key (a shared or repeating one
        expanded as training reads it, ``lockf[r % len]``), stored back on the object so
        single entries can be set."""
        lockf = np.asarray(self.vectors_lockf, dtype=np.float32).reshape(-1)
        if len(lockf) == 0:
            lockf = np.ones(1, dtype=np.float32)
        if len(lockf) != len(self):
            lockf = lockf[np.arange(len(self)) % len(lockf)]
        self.vectors_lockf = np.array(lockf, dtype=np.float32)
        return self.vectors_lockf

    def intersect_word2vec_format(self, fname, lockf: float = 0.0, binary: bool = False,
                                  encoding: str = "utf8", unicode_errors: str = "strict") -> int:
        """Take the vectors of a word2vec text/binary file for the keys present here
        (gensim's name and arguments): no key is added, keys not in the file keep their
        vectors. The lock factor of every key taken is set to ``lockf`` (0.0, the default,
        freezes it in further training; 1.0 lets it train), so ``vectors_lockf`` becomes
        one factor per key (the others keep theirs).

        The file is checked as :meth:`load_word2vec_format` checks it (same errors).

        Returns
        -------
        int
            How many keys took the file's vectors (gensim logs this number).
        """
        from ..io.word2vec_format import read_word2vec_rows
        path = os.fspath(fname)
        words, vectors, _ = read_word2vec_rows(path, binary=binary, encoding=encoding,
                                               unicode_errors=unicode_errors)
        if vectors.shape[1] != self.vector_size:
            raise ValueError(f"incompatible vector size {vectors.shape[1]} in file {path} "
                             f"(these vectors have {self.vector_size})")
        hits = [(self.key_to_index[w], i) for i, w in enumerate(words) if w in self.key_to_index]
        factors = self._per_key_lockf()
        if hits:
            ours, theirs = (np.array(x, dtype=np.int64) for x in zip(*hits))
            self._vectors[ours] = vectors[theirs]
            factors[ours] = lockf
            self._norms = None
        self.add_lifecycle_event("intersect_word2vec_format",
                                 msg=f"merged {len(hits)} vectors into "
                                     f"{self._vectors.shape} matrix from {path}")
        return len(hits)

    # -- persistence --------------------------------------------------------------------
    # -- evaluation (gensim's names and signatures; see fastw2v.evaluation.scoring) ---------------
    def evaluate_word_analogies(self, analogies, restrict_vocab: int = 300000,
                                case_insensitive: bool = True, dummy4unknown: bool = False,
                                similarity_function: str = "most_similar"):
        """Accuracy on an analogy file: ``(score, sections)`` as gensim returns them.
        ``similarity_function``: ``"3CosAdd"``/``"most_similar"`` or
        ``"3CosMul"``/``"most_similar_cosmul"``. See
        :func:`fastw2v.evaluation.scoring.evaluate_word_analogies`."""
        from ..evaluation.scoring import evaluate_word_analogies
        return evaluate_word_analogies(self, analogies, restrict_vocab, case_insensitive,
                                       dummy4unknown, similarity_function)

    def evaluate_word_pairs(self, pairs, delimiter: str = "\t", encoding: str = "utf8",
                            restrict_vocab: int = 300000, case_insensitive: bool = True,
                            dummy4unknown: bool = False):
        """``(pearson, spearman, oov_ratio)`` on a word-pair similarity file, as gensim
        returns them. See :func:`fastw2v.evaluation.scoring.evaluate_word_pairs`."""
        from ..evaluation.scoring import evaluate_word_pairs
        return evaluate_word_pairs(self, pairs, delimiter, restrict_vocab, case_insensitive,
                                   dummy4unknown, encoding)

    @staticmethod
    def log_accuracy(section) -> float:
        """Log one section of :meth:`evaluate_word_analogies` (gensim's static method);
        returns its accuracy."""
        from ..evaluation.scoring import log_accuracy
        return log_accuracy(section)

    @staticmethod
    def log_evaluate_word_pairs(pearson, spearman, oov, pairs) -> None:
        """Log :meth:`evaluate_word_pairs`' results (gensim's static method)."""
        from ..evaluation.scoring import log_evaluate_word_pairs
        log_evaluate_word_pairs(pearson, spearman, oov, pairs)

    def similarity_unseen_docs(self, *args, **kwargs):
        """Refused, as in gensim: it is a Doc2Vec method."""
        raise NotImplementedError("Call similarity_unseen_docs on a Doc2Vec model instead.")

    def save(self, fname_or_handle, separately=None, sep_limit=10 * 1024 ** 2,
             ignore=frozenset(), pickle_protocol=4) -> None:
        """Save keys, vectors and attributes to one native file, atomically (mmap-able);
        or, as gensim allows, into a binary file object open for writing, written in
        place and left open. ``separately``, ``sep_limit``, ``ignore`` and
        ``pickle_protocol`` are gensim's and have no effect: the arrays are always in
        the one file, and nothing is pickled."""
        from ..io.native import encode_strings, pack_attrs, save_native
        self.add_lifecycle_event("saving", log_level=logging.DEBUG,
                                 fname_or_handle=str(fname_or_handle),
                                 separately=str(separately), sep_limit=sep_limit,
                                 ignore=sorted(ignore, key=str))
        packed = self._packed
        if packed is not None:
            blob, offsets = packed.blob, packed.offsets
        else:
            bad = next((i for i, k in enumerate(self.index_to_key) if not isinstance(k, str)),
                       None)
            if bad is not None:
                key = self.index_to_key[bad]
                # gensim pickles any key; this file stores text keys only
                raise TypeError(
                    f"only str keys can be saved, but index_to_key[{bad}] is {key!r} of type "
                    f"{type(key).__name__}: convert the keys (index_to_key = [str(k) for k "
                    "in index_to_key] and key_to_index to match), or write them as text "
                    "with save_word2vec_format()")
            blob, offsets = encode_strings(self.index_to_key)
        arrays = {"keys_blob": blob, "keys_offsets": offsets, "vectors": self._vectors}
        attr_arrays, attr_lists = pack_attrs(self.expandos, len(self))
        arrays.update(attr_arrays)
        arrays["vectors_lockf"] = np.asarray(self.vectors_lockf, dtype=np.float32).reshape(-1)
        meta = {"format": _NATIVE_FORMAT, "vector_size": self.vector_size}
        if attr_lists:
            meta["object_attrs"] = attr_lists
        events = saved_events(getattr(self, "lifecycle_events", None))
        if events is not None:
            meta["lifecycle_events"] = events
        save_native(fname_or_handle, meta, arrays)

    @classmethod
    def load(cls, fname, mmap: Optional[str] = None) -> "KeyedVectors":
        """Load a file written by :meth:`save`, or by gensim 4's ``save()`` (its
        KeyedVectors with their per-key attributes, or a Word2Vec model's ``wv``, where
        gensim's ``KeyedVectors.load`` returns the whole model; read without gensim and
        without running code from the file, see :mod:`fastw2v.io.gensim_pickle`);
        ``mmap="r"`` maps the vectors read-only. A whole model saved by fastw2v's
        ``Word2Vec.save()`` gives its ``wv`` too, read without its other weights."""
        from ..io.gensim_pickle import is_gensim_pickle, read_gensim
        from ..io.native import FormatError, load_native, unpack_attrs
        if is_gensim_pickle(fname):
            g = read_gensim(fname, mmap=mmap)
            kv = cls(g.vector_size, g.index_to_key, g.vectors, g.counts)
            if g.vectors_lockf is not None:
                kv.vectors_lockf = np.array(g.vectors_lockf, dtype=np.float32)
            kv.expandos.update(g.attrs)
            kv.lifecycle_events = list(g.lifecycle_events)
            kv.add_lifecycle_event("loaded", log_level=logging.DEBUG, fname=str(fname))
            return kv
        meta, arrays = load_native(fname, mmap=mmap)
        fname = os.fspath(fname)
        try:
            fmt = meta.get("format") if isinstance(meta, dict) else None
            if fmt == _MODEL_FORMAT:
                # a whole model (state.ModelState.save): its words, counts and vectors
                if not isinstance(meta.get("config"), dict):
                    raise TypeError("the header has no 'config' object")
                keys, repeated = PackedKeys.from_arrays(arrays["words_blob"],
                                                        arrays["words_offsets"])
                vector_size = meta["config"]["vector_size"]
                counts = arrays["counts"]
                if counts.dtype.kind not in "iu":
                    raise ValueError(f"counts have dtype {counts.dtype}, not integers")
            elif fmt == _NATIVE_FORMAT:
                keys, repeated = PackedKeys.from_arrays(arrays["keys_blob"],
                                                        arrays["keys_offsets"])
                vector_size, counts = meta["vector_size"], None
            else:
                raise FormatError(f"not a fastw2v KeyedVectors file (format {fmt!r})")
            if len(repeated):
                raise ValueError(f"key {keys.key_at(int(repeated[0]))!r} is there twice")
            kv = cls(int(vector_size), keys, arrays["vectors"],
                     None if counts is None else np.array(counts, dtype=np.int64))
            kv.expandos.update(unpack_attrs(arrays, meta.get("object_attrs", {}), len(keys)))
            if "vectors_lockf" in arrays:       # absent from files of earlier versions
                lockf = np.array(arrays["vectors_lockf"], dtype=np.float32)
                if lockf.ndim != 1 or len(lockf) == 0 or not np.all(np.isfinite(lockf)):
                    raise FormatError(f"vectors_lockf has shape {lockf.shape} or values "
                                      "that are not finite")
                kv.vectors_lockf = lockf
            kv.lifecycle_events = loaded_events(meta.get("lifecycle_events"))
        except (KeyError, TypeError, ValueError) as exc:
            raise FormatError(f"{fname}: corrupt KeyedVectors file ({exc})") from None
        kv.add_lifecycle_event("loaded", log_level=logging.DEBUG, fname=fname)
        return kv

    def save_word2vec_format(self, fname, fvocab=None, binary: bool = False, total_vec=None,
                             write_header: bool = True, prefix: str = "",
                             append: bool = False, sort_attr: str = "count", *,
                             leading=(), c_text: bool = False) -> None:
        """Write the word2vec C tool's text or binary format (see
        :func:`fastw2v.io.word2vec_format.save_word2vec_format`; ``append`` and
        ``total_vec`` join several sets of vectors in one file, as in gensim; ``leading``
        rows and ``c_text`` write the C tool's own files, fastw2v's additions)."""
        from ..io.word2vec_format import save_word2vec_format
        save_word2vec_format(self, fname, fvocab=fvocab, binary=binary, total_vec=total_vec,
                             write_header=write_header, prefix=prefix, append=append,
                             sort_attr=sort_attr, leading=leading, c_text=c_text)

    @classmethod
    def load_word2vec_format(cls, fname, fvocab=None, binary: bool = False, encoding="utf8",
                             unicode_errors="strict", limit=None, datatype=np.float32,
                             no_header: bool = False) -> "KeyedVectors":
        """Read the word2vec C tool's text/binary format, GloVe text (``no_header=True``)
        or fastText ``.vec`` files (see :mod:`fastw2v.io.word2vec_format`)."""
        from ..io.word2vec_format import load_word2vec_format
        kv = load_word2vec_format(cls, fname, fvocab=fvocab, binary=binary, encoding=encoding,
                                  unicode_errors=unicode_errors, limit=limit,
                                  datatype=datatype, no_header=no_header)
        kv.add_lifecycle_event("load_word2vec_format",
                               msg=f"loaded {kv.vectors.shape} matrix of type "
                                   f"{kv.vectors.dtype} from {os.fspath(fname)}",
                               binary=binary, encoding=encoding)
        return kv

    def __repr__(self) -> str:
        return f"<KeyedVectors: {len(self)} keys, vector_size={self.vector_size}>"

    def __str__(self) -> str:
        # gensim's string, which log lines and its lifecycle events carry
        return f"{type(self).__name__}<vector_size={self.vector_size}, {len(self)} keys>"
