"""Models saved by gensim 4 (``model.save()``, ``model.wv.save()``), read without gensim
and without running anything from the file.

gensim's ``save()`` pickles the object and writes each NumPy attribute of at least
``sep_limit`` elements to its own file beside the pickle, named after the attribute path
(``m.model.wv.vectors.npy``, ``m.model.syn1neg.npy``); a name ending in ``.gz`` or ``.bz2``
gives a compressed pickle and ``.npz`` companions holding one array ``val``. The pickle
records what went where: ``__numpys`` (separate arrays), ``__scipys`` (separate sparse
matrices), ``__ignoreds`` (left out, e.g. ``cum_table``) and ``__recursive_saveloads``
(attributes, such as ``wv``, whose own arrays follow the same rules one level down).

Unpickling normally imports and calls whatever the file names, so a crafted file runs
code. :class:`RestrictedUnpickler` resolves only an explicit list of names: NumPy's array,
dtype and scalar reconstruction, plain containers, and gensim's classes (and NumPy's random
generators), which become inert :class:`PickledObject` stand-ins recording the state they
are given. gensim is never imported and no method chosen by the file runs; any other name
raises :class:`~fastw2v.errors.UnsafePickleError` before it is built. NumPy's calls are
recorded too, not made: NumPy's ``__setstate__`` trusts its state (a dtype's flags, an
object array's length), so :func:`materialise` builds the arrays afterwards from checked
state with NumPy's public constructors. Files of models this
module does not read (gensim 3.x and older layouts, FastText, Doc2Vec, ...) raise
:class:`~fastw2v.errors.UnsupportedModelError` saying what the file is and how to convert it.
"""
from __future__ import annotations

import _compat_pickle
import io
import logging
import math
import os
import pickle
import pickletools
import re
import reprlib
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import numpy as np

from ..config import MAX_VECTOR_SIZE
from ..corpus.compression import DECOMPRESSION_ERRORS, MAGIC_LENGTH, by_magic
from ..lifecycle import plain_events
from ._pickle_scan import scan as scan_pickle
from ..tables import huffman_from_paths
from ..errors import (CorruptPickleError, FormatError, MissingFileError, ParameterError,
                      TruncatedFileError, TruncatedPickleError, UnsafePickleError,
                      UnsupportedModelError)

logger = logging.getLogger(__name__)

#: How to turn a model this module does not read into a file fastw2v does.
WORKAROUND = ("in gensim: model.wv.save_word2vec_format('x.bin', binary=True), then in "
              "fastw2v: KeyedVectors.load_word2vec_format('x.bin', binary=True)")

_MMAP_MODES = (None, "r", "r+", "c")


# -- inert stand-ins ---------------------------------------------------------------------
class PickledObject:
    """An inert stand-in for an object of a class the pickle names (a gensim class,
    NumPy's random generator, ...).

    Attributes
    ----------
    pickled_name : str
        ``module.name`` of the class or function the file names (a class attribute).
    args : tuple
        The arguments the file built it with.
    fields : dict
        The state the file gave it (an object's ``__dict__``); a state that is not a
        dictionary is kept under ``"__state__"``.

    ``__slots__`` keeps the state out of attribute look-up, so nothing the file writes can
    add behaviour (a method, ``__array__``...) to the stand-in.
    """

    __slots__ = ("args", "fields")
    pickled_name = "?"

    def __new__(cls, *args, **kwargs):
        self = object.__new__(cls)
        self.args = args
        self.fields = {}
        return self

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state) -> None:
        # a copy: one shared state given to many BUILDs is counted each time
        if (isinstance(state, tuple) and len(state) == 2
                and all(part is None or isinstance(part, dict) for part in state)):
            for part in state:  # (__dict__, slot values)
                self._take(part or {})
        elif isinstance(state, dict):
            self._take(state)
        else:
            self.fields["__state__"] = state

    def _take(self, state: dict) -> None:
        _spend(len(state))
        _check_state(state)
        self.fields.update(state)

    def __repr__(self) -> str:
        return f"<pickled {self.pickled_name}>"


_STAND_INS: Dict[str, type] = {}


def _stand_in(qualified: str) -> type:
    """The stand-in class for ``qualified`` (one class per name, made on first use)."""
    cls = _STAND_INS.get(qualified)
    if cls is None:
        cls = type(qualified.rpartition(".")[2], (PickledObject,),
                   {"__slots__": (), "pickled_name": qualified})
        _STAND_INS[qualified] = cls
    return cls


class _Brief(reprlib.Repr):
    def repr_int(self, x, level):
        if x.bit_length() > 13000:    # repr() of an int past 4300 digits raises
            return f"<an int of {x.bit_length()} bits>"
        return super().repr_int(x, level)


_BRIEF = _Brief()
_BRIEF.maxlevel, _BRIEF.maxstring, _BRIEF.maxother = 3, 60, 60


def brief(value) -> str:
    """A short ``repr`` of a value from a file, for messages: bounded in work and length
    (``f"{value!r:.60}"`` would build the whole repr first, and a pickle can share one
    list at every level of a deep nesting, whose repr is then exponentially long; an int
    of more than 4300 digits has no repr at all)."""
    return _BRIEF.repr(value)


# -- the few real callables a model pickle needs, guarded ---------------------------------
class _Guarded:
    """A callable the pickle may name (a global of :data:`_ALLOWED`), wrapped: a pickle
    can apply ``BUILD`` to any object it holds, a global included, and ``BUILD`` without
    ``__setstate__`` sets attributes; on a bare function or class that would change it
    for the rest of the process. The wrapper refuses that, and has no attributes to set."""

    __slots__ = ("_call", "_name")

    def __init__(self, call, name: str):
        object.__setattr__(self, "_call", call)
        object.__setattr__(self, "_name", name)

    def __call__(self, *args, **kwargs):
        return self._call(*args, **kwargs)

    def __setstate__(self, state):
        raise UnsafePickleError(f"the pickle changes {self._name} (BUILD on a global): "
                                "refused")

    def __setattr__(self, name, value):
        raise UnsafePickleError(f"the pickle changes {self._name}: refused")

    def __repr__(self) -> str:
        return f"<{self._name}>"


def _plain_dict(*args):
    """``collections.defaultdict``/``OrderedDict``/``Counter``: a plain dict, so no
    factory named by the file is ever called on a missing key."""
    if len(args) > 1 or (args and not (args[0] is None or callable(args[0])
                                       or isinstance(args[0], dict))):
        raise FormatError("unexpected arguments to a dictionary in the pickle")
    if args and isinstance(args[0], dict):
        _spend(len(args[0]))
        _charge_hashing(args[0], "a dictionary's copy")
        return dict(args[0])
    return {}


def _reconstructor(cls, base, state):
    """``copyreg._reconstructor`` (protocol 0/1 objects), for stand-ins only."""
    if not (isinstance(cls, type) and issubclass(cls, PickledObject)) or \
            base is not _ALLOWED[("builtins", "object")]:
        raise UnsafePickleError(f"copyreg._reconstructor of {cls!r} on {base!r} refused")
    return cls.__new__(cls)


def _codecs_encode(text, encoding="utf-8", errors="strict"):
    """``_codecs.encode``, as protocol 2 writes ``bytes``: ``encode(str, 'latin1')``."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1") or \
            errors != "strict":
        raise UnsafePickleError("_codecs.encode is allowed only for latin1 text")
    _spend(len(text))
    return text.encode("latin1")


#: how many items the builtins a pickle calls may copy in one load (see _builtin)
COPY_BUDGET = 50_000_000
#: how many objects the unpickler may hash as dict keys and set items in one load,
#: counting a tuple as all it holds, plus one per opcode (``_pickle_scan``)
HASH_BUDGET = 50_000_000
_copies = threading.local()
_hashes = threading.local()
_array_bytes = threading.local()
#: the encodings str() may decode with in a pickle
_TEXT_ENCODINGS = frozenset(["utf-8", "utf8", "latin1", "latin-1", "iso-8859-1", "ascii",
                             "us-ascii"])


def _builtin(kind):
    """A built-in type a pickle may name, as a value or to call (protocols 0-2 build sets
    and some numbers by calling). A call copies what it is given, and the pickle can give
    one shared list to a thousand calls: the items copied in one load are counted against
    :data:`COPY_BUDGET`. Text is made from text or bytes only (``str`` of a list would be
    its repr, which a file can make exponentially long)."""
    def build(*args, **kwargs):
        if kwargs:
            raise FormatError(f"{kind.__name__}() called with keywords in the pickle")
        if kind is str and not all(isinstance(a, (str, bytes)) for a in args):
            raise FormatError("str() of something other than text in the pickle")
        if kind in (int, float, complex) and any(isinstance(a, (str, bytes, bytearray)) and
                                                len(a) > 100 for a in args):
            # int(text, 16) of a megabyte: a number whose every hash reads 4M bits,
            # that the walk weighed as one short string
            raise FormatError(f"{kind.__name__}() of a text of "
                              f"{max(len(a) for a in args if hasattr(a, '__len__')):,} "
                              "characters in the pickle")
        if kind is str and len(args) > 1 and str(args[1]).lower().replace("_", "-") not in \
                _TEXT_ENCODINGS:
            # some codecs decode in quadratic time (punycode)
            raise FormatError(f"str() with the encoding {brief(args[1])} in the pickle")
        _spend(sum(len(a) for a in args if hasattr(a, "__len__")))
        if kind in (set, frozenset, dict) and args:
            items = args[0]
            if kind is dict:
                if not isinstance(items, dict) and not all(
                        isinstance(p, (tuple, list)) and len(p) == 2 for p in items):
                    # dict() takes any pair it can iterate: a dict's keys, unseen here
                    raise FormatError("dict() of something other than pairs in the pickle")
                items = list(items) if isinstance(items, dict) else [p[0] for p in items]
            _charge_hashing(items, f"{kind.__name__}()")
        return kind(*args)
    build.__name__ = kind.__name__
    return build


def _spend(items: int) -> None:
    """Count ``items`` copied by a call the pickle made against :data:`COPY_BUDGET`
    plus the pickle's size (what it copies once from its own bytes: text made into
    ``bytes`` for each key of a gensim 3 phrase model, for instance)."""
    left = getattr(_copies, "left", COPY_BUDGET) - items
    if left < 0:
        limit = getattr(_copies, "limit", COPY_BUDGET)
        raise FormatError(f"the pickle copies more than {limit:,} items")
    _copies.left = left


def _spend_bytes(n: int) -> None:
    """Count ``n`` bytes of arrays built from the pickle against what the pickle holds
    (its size, and 64 MiB): many arrays made from one shared string would otherwise
    multiply it (4,000 of 100 KB from a 132 KB file took 382 MB)."""
    left = getattr(_array_bytes, "left", None)
    if left is None:
        return
    left -= n
    if left < 0:
        raise FormatError("the pickle builds more array bytes than it holds (one string "
                          "shared by many arrays: a crafted file?)")
    _array_bytes.left = left


def _bytes_like(kind):
    def build(*args):
        # bytes(n) / bytearray(n) would allocate n bytes from a number in the file
        if len(args) > 1 or (args and not isinstance(args[0], (bytes, bytearray, str))):
            raise FormatError(f"unexpected arguments to {kind.__name__} in the pickle")
        if args:
            _spend(len(args[0]))
        if args and isinstance(args[0], str):
            return kind(args[0], "latin1")
        return kind(*args)
    return build


# -- NumPy objects, rebuilt from checked state ---------------------------------------------
# NumPy pickles an array as ``_reconstruct(ndarray, (0,), b'b')`` followed by ``BUILD``
# with ``(version, shape, dtype, fortran, data)``, a dtype as ``dtype(name, align, copy)``
# with ``BUILD (3, byteorder, ..., elsize, alignment, flags)``, a scalar as
# ``scalar(dtype, bytes)`` and, with protocol 5, an array as ``_frombuffer(buffer, dtype,
# shape, order)``. NumPy's own ``__setstate__`` trusts that state: the flags of a dtype
# can turn file bytes into object pointers, an object array's list can be shorter than
# its shape, and a second BUILD on an array frees memory a view of it still uses. So the
# pickle builds inert records of these calls (below), and :func:`materialise` makes the
# real objects afterwards from state it has checked, with NumPy's public constructors
# only: plain numbers, text and objects, every length matched to the shape.
_DTYPE_NAME = re.compile(r"\A(?:b1|[iu][1248]|f[248]|c(?:8|16)|[US][0-9]{1,7}|O[48])\Z")
_MAX_DIMS = 32


class _NumpyRecord:
    """The arguments and state a pickle gave one NumPy call, nothing else."""

    __slots__ = ("args", "state")

    def __init__(self, *args):
        self.args, self.state = args, None

    def __setstate__(self, state) -> None:
        self.state = state

    def __repr__(self) -> str:
        return f"<pickled {type(self).__name__[1:]}>"


class _Dtype(_NumpyRecord):
    """``numpy.dtype(name, align, copy)``."""
    __slots__ = ()


class _Array(_NumpyRecord):
    """``_reconstruct(ndarray, (0,), ...)``, filled by ``BUILD``."""
    __slots__ = ()


class _Scalar(_NumpyRecord):
    """``numpy._core.multiarray.scalar(dtype, data)``."""
    __slots__ = ()

    def __setstate__(self, state) -> None:
        raise FormatError("a NumPy scalar given a state")


class _Buffer(_NumpyRecord):
    """``numpy._core.numeric._frombuffer(buffer, dtype, shape, order)`` (protocol 5)."""
    __slots__ = ()

    def __setstate__(self, state) -> None:
        raise FormatError("a NumPy array from a buffer given a state")


class _ArrayClass:
    """What the pickle's ``numpy.ndarray`` (or ``numpy.memmap``) resolves to: accepted only
    as the class argument of :func:`_reconstruct`, so the file cannot call ``ndarray(shape)``
    to allocate what it likes."""

    def __new__(cls, *args, **kwargs):
        raise UnsafePickleError("numpy.ndarray called directly by the pickle: refused")


def _reconstruct(subtype, shape, dtype):
    """NumPy's ``_reconstruct`` as every pickled array uses it: an empty array that the
    pickle's ``BUILD`` then describes (recorded, see :func:`materialise`)."""
    if subtype is not _ALLOWED[("numpy", "ndarray")] or tuple(shape) != (0,):
        raise UnsafePickleError(f"numpy _reconstruct of shape {shape!r} refused (NumPy "
                                "pickles an array empty, then fills it)")
    return _Array()


def _checked_dtype(record) -> np.dtype:
    """The dtype a :class:`_Dtype` record describes: booleans, integers, floats,
    complex numbers, fixed-width text or bytes, or objects, in the byte order its state
    gives; anything else (structured, void, datetime dtypes, flags, sizes that disagree)
    is refused."""
    if not isinstance(record, _Dtype):
        raise FormatError(f"an array's dtype is a {type(record).__name__}")
    name = record.args[0] if record.args else None
    if isinstance(name, bytes):
        name = name.decode("latin1")
    if not isinstance(name, str) or not _DTYPE_NAME.match(name):
        raise FormatError(f"dtype {brief(name)} is not one a gensim model holds")
    dtype = np.dtype(object) if name[0] == "O" else np.dtype(name)
    state = record.state
    if state is not None:
        if not (isinstance(state, tuple) and len(state) in (8, 9) and state[0] == 3
                and state[1] in ("<", ">", "|", "=")):
            raise FormatError(f"dtype {name} has a state NumPy never writes")
        elsize = state[5]
        if not (isinstance(elsize, int) and elsize in (-1, dtype.itemsize)) and \
                dtype.kind != "O":
            raise FormatError(f"dtype {name} claims {elsize!r} bytes an item")
        if state[1] in "<>" and dtype.kind not in "bOS":
            dtype = dtype.newbyteorder(state[1])
    return dtype


def _shape(value) -> tuple:
    if not (isinstance(value, tuple) and len(value) <= _MAX_DIMS
            and all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 2 ** 63
                    for n in value)):
        raise FormatError(f"array shape {brief(value)} is not a tuple of sizes")
    return value


def _from_bytes(data, dtype: np.dtype, shape: tuple, fortran: bool) -> np.ndarray:
    """A new, writable array of ``shape`` from exactly as many bytes as it needs."""
    if isinstance(data, str):
        data = data.encode("latin1")     # protocol 0-2 bytes under encoding="latin1"
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise FormatError(f"array data is a {type(data).__name__}, not bytes")
    n = math.prod(shape)
    if len(data) != n * dtype.itemsize:
        raise FormatError(f"array of shape {shape} and dtype {dtype} holds {len(data)} "
                          f"bytes, not {n * dtype.itemsize}")
    _spend_bytes(len(data))
    flat = np.frombuffer(data, dtype=dtype, count=n) if n else np.zeros(0, dtype)
    return flat.reshape(shape, order="F" if fortran else "C").copy(order="K")


#: what an object array of a gensim model holds: text (set_vecattr), numbers, and arrays
#: (a Huffman code and point per word)
_OBJECT_ITEMS = (str, bytes, int, float, complex, bool, type(None), np.generic, np.ndarray)


def _from_items(items, shape: tuple, fortran: bool) -> np.ndarray:
    if not isinstance(items, list):
        raise FormatError(f"an object array's data is a {type(items).__name__}, not a list")
    n = math.prod(shape)
    if len(items) != n:
        raise FormatError(f"an object array of shape {shape} holds {len(items)} items")
    out = np.empty(n, dtype=object)
    for i, item in enumerate(items):
        if not isinstance(item, _OBJECT_ITEMS):
            raise FormatError(f"an object array holds a {type(item).__name__}")
        out[i] = item
    return out.reshape(shape, order="F" if fortran else "C")


def _build_array(record: _Array, build) -> np.ndarray:
    state = record.state
    if isinstance(state, tuple) and len(state) == 5:
        state = state[1:]                # (version, shape, dtype, fortran, data)
    if not (isinstance(state, tuple) and len(state) == 4):
        raise FormatError("an array without NumPy's state (shape, dtype, order, data)")
    shape, dtype, fortran, data = _shape(state[0]), _checked_dtype(state[1]), state[2], \
        state[3]
    if not isinstance(fortran, bool):
        raise FormatError(f"array order flag {brief(fortran)}")
    if dtype.kind == "O":
        return _from_items(build(data), shape, fortran)
    return _from_bytes(data, dtype, shape, fortran)


def _build_scalar(record: _Scalar) -> np.generic:
    if len(record.args) != 2:
        raise FormatError("a NumPy scalar without (dtype, data)")
    dtype = _checked_dtype(record.args[0])
    if dtype.kind == "O":
        raise FormatError("a NumPy object scalar")
    return _from_bytes(record.args[1], dtype, (1,), False)[0]


def _build_buffer(record: _Buffer) -> np.ndarray:
    if len(record.args) != 4 or record.args[3] not in ("C", "F"):
        raise FormatError("a NumPy array from a buffer without (buffer, dtype, shape, order)")
    buffer, dtype, shape, order = record.args
    dtype = _checked_dtype(dtype)
    if dtype.kind == "O":
        raise FormatError("a NumPy object array from a buffer")
    return _from_bytes(buffer, dtype, _shape(shape), order == "F")


def _charge_rebuilt(keys: list) -> None:
    """Charge inserting the ``keys`` of a dict or set some of which were rebuilt: a
    NumPy scalar record hashes by its identity in the unpickler, but the scalar made of
    it by the file's choice (32,000 complex keys of hash 0 took 9 s)."""
    _charge_hashing(keys, "a NumPy scalar as a key")


def materialise(obj, path: str = "<pickle>"):
    """``obj`` (what :class:`RestrictedUnpickler` returned) with every NumPy record
    replaced by the array, scalar or dtype it describes, checked (``FormatError``
    naming ``path`` otherwise). Containers are rebuilt and stand-ins' fields updated in
    place; an object reached twice (the pickle's memo) is rebuilt once, so the work is
    linear in the pickle."""
    done: Dict[int, Any] = {}
    keep: List[Any] = []          # the originals, so that no id is reused meanwhile

    def build(x):
        key = id(x)
        if key in done:
            return done[key]
        keep.append(x)
        if isinstance(x, (str, bytes, int, float, bool, type(None), complex)):
            return x
        if isinstance(x, list):
            out = done[key] = []
            out.extend(build(v) for v in x)
            return out
        if isinstance(x, dict):
            out = done[key] = {}
            keys, values, rebuilt = [], [], False
            for k, v in x.items():
                built = build(k)
                rebuilt = rebuilt or built is not k
                keys.append(built)
                values.append(build(v))
            if rebuilt:
                _charge_rebuilt(keys)
            out.update(zip(keys, values))
            return out
        if isinstance(x, PickledObject):
            done[key] = x
            x.args = tuple(build(v) for v in x.args)
            for k in list(x.fields):
                x.fields[k] = build(x.fields[k])
            return x
        if isinstance(x, tuple):
            out = tuple(build(v) for v in x)
        elif isinstance(x, (set, frozenset)):
            items = [build(v) for v in x]
            if any(k is not o for k, o in zip(items, x)):
                _charge_rebuilt(items)
            out = type(x)(items)
        elif isinstance(x, _Array):
            out = _build_array(x, build)
        elif isinstance(x, _Scalar):
            out = _build_scalar(x)
        elif isinstance(x, _Buffer):
            out = _build_buffer(x)
        elif isinstance(x, _Dtype):
            out = _checked_dtype(x)
        else:
            out = x
        done[key] = out
        return out

    try:
        return build(obj)
    except RecursionError:
        raise CorruptPickleError(f"{path}: the pickle nests containers too deeply") from None
    except MemoryError:
        raise FormatError(f"{path}: the pickle's data do not fit in memory") from None
    except FormatError as exc:
        raise FormatError(f"{path}: corrupt NumPy data in the pickle ({exc})") from None
    except (TypeError, ValueError, OverflowError) as exc:
        # unhashable or odd keys, sizes NumPy refuses
        raise FormatError(f"{path}: corrupt pickle ({type(exc).__name__}: {exc})") from None


_ALLOWED: Dict[tuple, Any] = {}
for _core in ("numpy.core", "numpy._core"):
    _ALLOWED[(_core + ".multiarray", "_reconstruct")] = _reconstruct
    _ALLOWED[(_core + ".multiarray", "scalar")] = _Scalar
    _ALLOWED[(_core + ".numeric", "_frombuffer")] = _Buffer
_ALLOWED[("numpy", "ndarray")] = _ArrayClass
_ALLOWED[("numpy", "memmap")] = _ArrayClass  # a model gensim loaded with mmap, saved again
_ALLOWED[("numpy", "dtype")] = _Dtype
for _kind in (int, float, complex, bool, str, list, tuple, dict, set, frozenset, object):
    _ALLOWED[("builtins", _kind.__name__)] = _builtin(_kind)
_ALLOWED[("builtins", "bytes")] = _bytes_like(bytes)
_ALLOWED[("builtins", "bytearray")] = _bytes_like(bytearray)
for _name in ("defaultdict", "OrderedDict", "Counter"):
    _ALLOWED[("collections", _name)] = _plain_dict
_ALLOWED[("copyreg", "_reconstructor")] = _reconstructor
_ALLOWED[("_codecs", "encode")] = _codecs_encode
_ALLOWED = {key: _Guarded(call, ".".join(key)) for key, call in _ALLOWED.items()}
# numpy.memmap is numpy.ndarray for _reconstruct
_ALLOWED[("numpy", "memmap")] = _ALLOWED[("numpy", "ndarray")]

#: Names that become stand-ins: gensim 4's classes and what their pickles hold besides
#: (the ``load`` attribute gensim sets on instances, ``hashfxn``, NumPy random generators).
_STAND_IN_NAMES = {
    "gensim.models.word2vec": {"Word2Vec"},
    "gensim.models.keyedvectors": {"KeyedVectors"},
    "gensim.utils": {"call_on_class_only", "SaveLoad"},
    "builtins": {"hash"},
    "numpy.random": {"__RandomState_ctor"},
    "numpy.random._pickle": {"__randomstate_ctor", "__bit_generator_ctor",
                             "__generator_ctor"},
    "numpy.random.mtrand": {"RandomState"},
    "numpy.random._generator": {"Generator"},
    "numpy.random._mt19937": {"MT19937"},
    "numpy.random._pcg64": {"PCG64", "PCG64DXSM"},
    "numpy.random._philox": {"Philox"},
    "numpy.random._sfc64": {"SFC64"},
    "numpy.random.bit_generator": {"SeedSequence", "__pyx_unpickle_SeedSequence"},
}
#: Any class of these modules becomes a stand-in (gensim 3 pickled training callbacks).
_STAND_IN_MODULES = ("gensim.models.callbacks",)

#: Classes found only in gensim 3.x (or older) pickles of Word2Vec and KeyedVectors.
_LEGACY = {
    "gensim.models.keyedvectors": {"Word2VecKeyedVectors", "Vocab", "CompatVocab",
                                   "EuclideanKeyedVectors", "WordEmbeddingsKeyedVectors",
                                   "BaseKeyedVectors"},
    "gensim.models.word2vec": {"Vocab", "Word2VecVocab", "Word2VecTrainables"},
}
_LEGACY_MODULES = ("gensim.models.deprecated", "gensim.models.base_any2vec",
                   "gensim.models.wrappers")


def _model_family(module: str, name: str) -> Optional[str]:
    """The model a gensim class we do not read belongs to, for the error message."""
    if "fasttext" in module or name.startswith("FastText"):
        return "FastText"
    if "doc2vec" in module or name.startswith("Doc2Vec"):
        return "Doc2Vec"
    return None


def _unsupported(path: str, what: str, extra: str = "") -> UnsupportedModelError:
    return UnsupportedModelError(
        f"{path}: this is {what}; fastw2v reads gensim 4 Word2Vec models and KeyedVectors "
        f"only.{extra} Workaround: {WORKAROUND}")


_LEGACY_HINT = (" gensim 4 converts it when loading: Word2Vec.load() it in gensim 4 and "
                "save() it again (keeps the training state), or convert the vectors.")


#: how long a global's module and name may be together (gensim's are below 100)
MAX_GLOBAL_NAME = 1000


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that builds only the names of :data:`_ALLOWED` (NumPy arrays, plain
    containers) and stand-ins for gensim's classes; any other name raises
    :class:`UnsafePickleError` (or :class:`UnsupportedModelError` for gensim models this
    module does not read) before anything is built.

    ``top_class`` is the first class the file names, the model's own (``None`` before one
    is seen).
    """

    def __init__(self, file, path: str = "<pickle>"):
        super().__init__(file, encoding="latin1")
        self.path = path
        self.top_class: Optional[str] = None

    def find_class(self, module: str, name: str):
        if len(module) + len(name) > MAX_GLOBAL_NAME:
            # each look-up would copy and hash it (5,000 of a 4 MB name: 5.6 s)
            raise FormatError(f"the pickle names a global of {len(module) + len(name):,} "
                              "characters (a crafted file?)")
        # Python 2 pickles name builtins and copyreg by their old names
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        qualified = f"{module}.{name}"
        if self.top_class is None:
            self.top_class = qualified
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        if name in _STAND_IN_NAMES.get(module, ()) or module in _STAND_IN_MODULES:
            return _stand_in(qualified)
        if module == "gensim" or module.startswith("gensim."):
            self._refuse_gensim(module, name, qualified)
        if self.top_class.startswith("gensim.") and self.top_class != qualified:
            holds = (f"a gensim {self.top_class.rpartition('.')[2]} holding a {qualified} "
                     "(a callback or other class of your own, or a crafted file)")
        else:
            holds = f"a pickle of {qualified}, which a saved gensim model never contains"
        raise UnsafePickleError(
            f"{self.path}: {holds}; fastw2v builds no class outside NumPy and gensim's "
            "models, and refused it before anything ran. If you trust the file, convert "
            f"it {WORKAROUND}")

    def _refuse_gensim(self, module: str, name: str, qualified: str):
        top = self.top_class or qualified
        top_module, _, top_name = top.rpartition(".")
        family = _model_family(module, name) or _model_family(top_module, top_name)
        if family == "FastText":
            raise _unsupported(self.path, f"a gensim FastText model ({qualified})",
                               " Converting keeps the word vectors, not the n-grams.")
        if family == "Doc2Vec":
            raise _unsupported(self.path, f"a gensim Doc2Vec model ({qualified})",
                               " Converting keeps the word vectors (model.dv holds the "
                               "document vectors).")
        if name in _LEGACY.get(module, ()) or module.startswith(_LEGACY_MODULES):
            what = "KeyedVectors" if "KeyedVectors" in top_name else top_name
            raise _unsupported(self.path, f"a gensim 3.x (or older) {what} file (it "
                                          f"contains {qualified})", _LEGACY_HINT)
        if module.startswith("gensim.models.") and name[:1].isupper():
            raise _unsupported(self.path, f"a gensim {name} object ({qualified})")
        raise UnsafePickleError(
            f"{self.path}: the pickle asks for {qualified}, a gensim function no saved "
            "model contains; refused before anything ran")


# -- reading ------------------------------------------------------------------------------
@dataclass
class GensimModel:
    """What a gensim 4 ``Word2Vec`` or ``KeyedVectors`` file holds.

    Attributes
    ----------
    kind : str
        ``"word2vec"`` (a full model) or ``"keyedvectors"`` (vectors only).
    index_to_key : list of str (or int)
        The words, row order of every matrix (a KeyedVectors may have int keys).
    counts : np.ndarray or None
        int64 [V] corpus counts (gensim's ``count`` attribute of each key); None for
        KeyedVectors that have none.
    vectors : np.ndarray
        float32 [V, vector_size] input vectors (memory-mapped if saved separately and read
        with ``mmap``).
    vectors_lockf : np.ndarray or None
        float32 [L] gensim's per-row update factors (usually ``[1.0]``; row ``i`` uses
        ``vectors_lockf[i % L]``).
    syn1neg, syn1 : np.ndarray or None
        float32 [V, vector_size] output weights of negative sampling / hierarchical softmax.
    params : dict
        The hyper-parameters, by gensim's names (``vector_size`` only for KeyedVectors).
    training : dict
        The training state gensim kept: ``corpus_count``, ``corpus_total_words``,
        ``train_count``, ``total_train_time``, ``running_training_loss``,
        ``min_alpha_yet_reached``, ``effective_min_count``, ``raw_vocab_size`` and
        ``cum_table_saved`` (gensim leaves ``cum_table`` out and rebuilds it); empty for
        KeyedVectors.
    gensim_version : str or None
        The gensim that saved the file, from its lifecycle events.
    attrs : dict
        The other per-key attributes (``set_vecattr``) of numbers or text (gensim keeps
        text in object arrays), by name: [V] arrays.
        gensim's own ``code``/``point`` (in ``huffman_paths``) and ``sample_int``
        (fastw2v computes its down-sampling from the counts) are not among them.
    lifecycle_events : list of dict
        gensim's record of the model's life (``lifecycle_events``), oldest first.
    path : str
    huffman_paths : tuple or None
        ``(codes, points, offsets)`` of the Huffman tree gensim trained ``syn1`` for
        (uint8, int32 and int64 arrays; word ``w``'s path is ``offsets[w]:offsets[w+1]``,
        root first), from each word's ``code`` and ``point``; None without them. gensim
        breaks ties between equal counts by its heap's layout, so its tree can differ
        from one rebuilt from the counts, and ``syn1``'s rows belong to this one.
    """

    kind: str
    index_to_key: List[str]
    counts: Optional[np.ndarray]
    vectors: np.ndarray
    vectors_lockf: Optional[np.ndarray]
    syn1neg: Optional[np.ndarray]
    syn1: Optional[np.ndarray]
    params: Dict[str, Any]
    training: Dict[str, Any]
    gensim_version: Optional[str] = None
    path: str = ""
    huffman_paths: Optional[tuple] = None
    attrs: Dict[str, np.ndarray] = field(default_factory=dict)
    lifecycle_events: List[dict] = field(default_factory=list)

    @property
    def vector_size(self) -> int:
        return int(self.vectors.shape[1])


def _head(path, n: int) -> bytes:
    """The first ``n`` bytes of ``path``'s content, decompressed if it is compressed
    (``b""`` if it cannot be read)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(max(n, MAGIC_LENGTH))
            compression = by_magic(head)
            if compression is None:
                return head[:n]
        with compression.open(path, "rb") as fh:
            return fh.read(n)
    except (OSError, *DECOMPRESSION_ERRORS):
        return b""


#: how a protocol 0 or 1 pickle of a gensim object starts (``pickle_protocol=0/1``)
_OLD_PROTOCOL_STARTS = (b"ccopy_reg\n_reconstructor\n", b"cgensim.")


def is_gensim_pickle(path) -> bool:
    """Whether ``path`` starts as a pickle of protocol 2 to 5 does (as gensim's
    ``save()`` writes; also inside gzip, bzip2 or xz), or as one of protocol 0 or 1 of
    an object does: a cheap test to route a file to :func:`read_gensim`, which tells a
    gensim model from other pickles."""
    head = _head(path, 32)
    return (len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5) or \
        head.startswith(_OLD_PROTOCOL_STARTS)


def pickled_class(path) -> Optional[str]:
    """``module.name`` of the first class ``path``'s pickle names (for a gensim file, the
    model's class, e.g. ``gensim.models.fasttext.FastText``), read from its first bytes
    without unpickling; None if there is none there."""
    strings: List[str] = []
    try:
        for opcode, arg, _ in pickletools.genops(io.BytesIO(_head(path, 4096))):
            if opcode.name == "GLOBAL":
                return str(arg).replace(" ", ".")
            if opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                return f"{strings[-2]}.{strings[-1]}"
            if isinstance(arg, str) and "UNICODE" in opcode.name:
                strings.append(arg)
    except Exception:  # the head cut an opcode short, or not a pickle
        return None
    return None


class _Companion:
    """An array gensim wrote to its own file (``__numpys``), read when used."""

    __slots__ = ("path", "attribute", "sparse")

    def __init__(self, path: str, attribute: str, sparse: bool = False):
        self.path, self.attribute, self.sparse = path, attribute, sparse


def _names(obj: PickledObject, key: str, path: str) -> List[str]:
    value = obj.fields.get(key, [])
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise FormatError(f"{path}: corrupt gensim bookkeeping {key!r} ({brief(value)})")
    return list(value)


def _attach_companions(obj: PickledObject, prefix: str, suffix: str, path: str,
                       depth: int = 0, seen: Optional[set] = None) -> None:
    """Mark the attributes gensim's ``_save_specials`` set aside, as its ``_load_specials``
    restores them: separate arrays at ``<prefix>.<attribute>.<suffix>``, recursively for
    ``__recursive_saveloads`` (``<prefix>.wv.vectors.npy``), ignored ones as None. Each
    object once: gensim saves every object once, and a pickle that names one object from
    many attributes at many levels would otherwise be walked once per path."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        raise FormatError(f"{path}: gensim bookkeeping names one object twice")
    seen.add(id(obj))
    if depth > 8:
        raise FormatError(f"{path}: gensim bookkeeping nested too deeply")
    for attribute in _names(obj, "__recursive_saveloads", path):
        child = obj.fields.get(attribute)
        if isinstance(child, PickledObject):
            _attach_companions(child, f"{prefix}.{attribute}", suffix, path, depth + 1, seen)
    for attribute in _names(obj, "__numpys", path):
        obj.fields[attribute] = _Companion(f"{prefix}.{attribute}.{suffix}", attribute)
    for attribute in _names(obj, "__scipys", path):
        obj.fields[attribute] = _Companion(f"{prefix}.{attribute}", attribute, sparse=True)
    for attribute in _names(obj, "__ignoreds", path):
        obj.fields[attribute] = None


def _npy_header(fh) -> tuple:
    """``(shape, dtype)`` from the header of the ``.npy`` data ``fh`` is at."""
    version = np.lib.format.read_magic(fh)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
    elif version == (2, 0):
        shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
    else:   # 3.0: field names in UTF-8, which no array of a gensim model has
        raise ValueError(f".npy format version {version[0]}.{version[1]} is not read here")
    return shape, dtype


def _read_npy(path: str, mmap) -> np.ndarray:
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            shape, dtype = _npy_header(fh)
            data_start = fh.tell()
    except FileNotFoundError:
        raise
    except (ValueError, OSError, EOFError, SyntaxError) as exc:
        raise FormatError(f"{path}: not a readable .npy file ({exc})") from None
    if dtype.hasobject:
        raise FormatError(f"{path}: holds Python objects, which are not loaded")
    needed = data_start + math.prod(shape) * dtype.itemsize     # Python ints: no wrap
    if size < needed:
        raise TruncatedFileError(f"{path}: truncated ({size} bytes, the header of a "
                                 f"{dtype} array of shape {shape} needs {needed})")
    try:
        return np.load(path, mmap_mode=mmap, allow_pickle=False)
    except (ValueError, OSError, EOFError, OverflowError) as exc:
        raise FormatError(f"{path}: cannot read the array ({exc})") from None


def _read_npz(path: str) -> np.ndarray:
    try:
        with np.load(path, allow_pickle=False) as archive:
            if "val" not in archive.files:
                raise FormatError(f"{path}: no array 'val' (holds {archive.files})")
            # the array's size from its header, bounded by what its compressed bytes can
            # hold, before NumPy allocates and fills it
            member = archive.zip.getinfo("val.npy")
            with archive.zip.open(member) as fh:
                shape, dtype = _npy_header(fh)
            needed = math.prod(shape) * dtype.itemsize
            limit, why = expansion_limit(member.compress_size)
            if needed > limit:
                raise FormatError(
                    f"{path}: its array claims {needed:,} bytes from {member.compress_size:,}"
                    f" compressed bytes, more than they may expand to here ({limit:,}: "
                    f"{why}): a decompression bomb, or too large for this machine?")
            return archive["val"]
    except FileNotFoundError:
        raise
    except FormatError:
        raise
    except Exception as exc:  # zipfile, zlib and format errors of a damaged archive
        raise FormatError(f"{path}: cannot read the compressed array ({exc})") from None


def _array(obj: Optional[PickledObject], attribute: str, mmap, path: str,
           compressed: bool) -> Optional[np.ndarray]:
    """``obj``'s array ``attribute``: inline, or read from its companion file; None if
    absent."""
    if obj is None:
        return None
    value = obj.fields.get(attribute)
    if isinstance(value, _Companion):
        if value.sparse:
            raise UnsupportedModelError(f"{path}: {attribute} was saved as a sparse matrix,"
                                        " which a Word2Vec model never holds")
        if not os.path.exists(value.path):
            raise MissingFileError(
                f"{value.path} is missing: gensim saved {attribute} of {path} in that "
                "separate file; keep the files gensim wrote beside the model together")
        if compressed:
            if mmap is not None:
                raise ParameterError(f"{path}: the arrays of a compressed model ({value.path})"
                                     " cannot be memory-mapped; load with mmap=None")
            value = _read_npz(value.path)
        else:
            value = _read_npy(value.path, mmap)
    if value is None:
        return None
    if not isinstance(value, np.ndarray):
        raise FormatError(f"{path}: {attribute} is a {type(value).__name__}, not an array")
    return value


def _weights(arr: Optional[np.ndarray], name: str, shape, path: str) -> Optional[np.ndarray]:
    if arr is None:
        return None
    if arr.shape != shape or arr.dtype.kind != "f":
        raise FormatError(f"{path}: {name} has shape {arr.shape} and dtype {arr.dtype}, "
                          f"expected {shape} floats")
    if arr.dtype != np.float32:  # gensim allows float64 KeyedVectors; fastw2v trains float32
        arr = arr.astype(np.float32)
    return arr


#: gensim 4's Word2Vec attributes that are hyper-parameters, with the value gensim's
#: ``_load_specials`` gives a file written before the attribute existed.
_PARAMS = {
    "vector_size": None, "window": 5, "min_count": 5, "sg": 0, "hs": 0, "negative": 5,
    "ns_exponent": 0.75, "cbow_mean": 1, "alpha": 0.025, "min_alpha": 0.0001,
    "sample": 1e-3, "epochs": 5, "seed": 1, "max_final_vocab": None, "sorted_vocab": 1,
    "shrink_windows": True, "compute_loss": False, "max_vocab_size": None, "null_word": 0,
    "workers": 3, "batch_words": 10000, "comment": None,
}
_TRAINING = {
    "corpus_count": None, "corpus_total_words": None, "train_count": 0,
    "total_train_time": 0.0, "running_training_loss": 0.0, "min_alpha_yet_reached": None,
    "effective_min_count": None,
}


def _plain(value):
    """NumPy scalars as Python numbers (gensim sometimes stores them)."""
    return value.item() if isinstance(value, np.generic) else value


def _scalar(value, name: str, path: str):
    """A hyper-parameter or training figure of a gensim model: a number, text, a
    boolean or None (NumPy scalars as Python ones), else ``FormatError`` naming it; its
    range is checked where it is used (the model's parameter checks)."""
    value = _plain(value)
    if not isinstance(value, (type(None), bool, int, float, str)):
        raise FormatError(f"{path}: {name} is a {type(value).__name__} ({brief(value)}), "
                          "not a number or text")
    if isinstance(value, int) and not -2 ** 63 <= value < 2 ** 64:
        raise FormatError(f"{path}: {name} is {brief(value)}, beyond any 64-bit number")
    return value


#: A compressed pickle or ``.npz`` array may expand to this many times its compressed
#: size (and to :data:`EXPANSION_FLOOR` bytes whatever its size), and no further than the
#: memory available. Deflate (gzip, ``.npz``) cannot expand further than 1,032 times,
#: so a valid gzip file that fits in memory always passes; bzip2 and xz can (a few
#: kilobytes of bzip2 hold gigabytes of zeros), and such a file is refused before it
#: fills the memory, as is any file whose data would not fit in it.
EXPANSION_LIMIT = 1100
EXPANSION_FLOOR = 256 << 20
#: a compressed pickle is decompressed into memory up to this size, beyond into a
#: temporary file
SPOOL_BYTES = 64 << 20


def available_memory() -> Optional[int]:
    """The kernel's estimate of the memory available (``MemAvailable``), or None."""
    try:
        with open("/proc/meminfo", "rb") as fh:
            for line in fh:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


#: the unpickler's objects may take this many times the (decompressed) pickle's size,
#: plus OBJECTS_FLOOR, as the walk counts them: genuine gensim files take 2.4-5.0 times
#: (1M words of text or random 64-bit ids, 2M NumPy int64 keys, phrase models), a dict
#: of 10,000 two-to-five-letter keys under 8; 48M empty lists 56 times (3.4 GB from
#: 47 KB of gzip), 16M empty sets 216 times
OBJECTS_RATIO = 16
OBJECTS_FLOOR = 256 << 20


def objects_limit(pickle_bytes: int) -> int:
    """How many bytes of objects a pickle of ``pickle_bytes`` may build: OBJECTS_RATIO
    times its size plus OBJECTS_FLOOR, and never more than the memory available."""
    limit = OBJECTS_RATIO * pickle_bytes + OBJECTS_FLOOR
    available = available_memory()
    return limit if available is None else min(limit, available)


def expansion_limit(compressed_bytes: int) -> tuple:
    """``(most bytes, why)``: what ``compressed_bytes`` of compressed data may expand to
    here, and the rule that sets it, for messages."""
    limit = max(EXPANSION_FLOOR, EXPANSION_LIMIT * compressed_bytes)
    why = f"{EXPANSION_LIMIT} times its compressed size, or {EXPANSION_FLOOR >> 20} MiB"
    avail = available_memory()
    if avail is not None and avail < limit:
        limit, why = avail, "the memory available"
    return limit, why


class _Bounded(io.RawIOBase):
    """The uncompressed bytes of ``stream`` up to ``limit`` of them; reading beyond raises
    :class:`~fastw2v.errors.FormatError`. Reads are cut at the limit, so a pickle that asks
    for gigabytes in one read fills no more memory than the limit."""

    def __init__(self, stream, compressed_bytes: int, what: str):
        self._limit, self._why = expansion_limit(compressed_bytes)
        self._stream, self._left, self._what = stream, self._limit, what

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        # the views are released on the way out, an exception included: the caller may
        # free ``b`` while a traceback still holds this frame
        with memoryview(b) as whole, whole.cast("B") as view, \
                view[:min(len(view), self._left + 1)] as part:
            n = self._stream.readinto(part)
        self._left -= n
        if self._left < 0:
            raise FormatError(
                f"the {self._what} file expands to more than {self._limit:,} bytes "
                f"({self._why}): a decompression bomb, or too large for this machine? If "
                "you trust the file, decompress it and load the plain file")
        return n

    def close(self) -> None:
        if not self.closed:
            self._stream.close()
        super().close()


class _Prefix(io.RawIOBase):
    """The first ``length`` bytes of ``stream`` (which stays open)."""

    def __init__(self, stream, length: int):
        self._stream, self._left = stream, length

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        with memoryview(b) as whole, whole.cast("B") as view, \
                view[:min(len(view), self._left)] as part:
            n = self._stream.readinto(part)
        self._left -= n
        return n


#: CPython hashes ints modulo this prime, so ints outside (-it, it) can share a hash
_HASH_MODULUS = 2 ** 61 - 1


def _big_int(x) -> bool:
    """Whether ``x`` is an int whose hash a file can choose (ints equal modulo
    :data:`_HASH_MODULUS` hash alike)."""
    return isinstance(x, int) and not -_HASH_MODULUS < x < _HASH_MODULUS


def _hash_cost(items, limit: int) -> int:
    """What hashing ``items`` into one set or dict costs: each item's objects expanded
    as a tree (a tuple's hash is not cached: a shared tuple is hashed once per place),
    plus, for items whose hash the file can choose (anything but text and bytes, whose
    hash is keyed by a secret of the process: ints hash modulo 2**61 - 1, a tuple by a
    fixed function of its items'), a comparison with every earlier item of the same
    hash. Stops counting past ``limit``."""
    sizes: Dict[int, int] = {}          # id -> tree size

    def atom(x) -> int:         # an int's hash and comparison read all its digits
        return 1 + x.bit_length() // 64 if isinstance(x, int) else 1

    def measure(x) -> int:
        if not isinstance(x, (tuple, frozenset)):
            return atom(x)
        todo = [x]
        while todo:
            y = todo[-1]
            if id(y) in sizes:
                todo.pop()
                continue
            inner = [e for e in y if isinstance(e, (tuple, frozenset)) and id(e) not in sizes]
            if inner:
                todo += inner
                continue
            size = 1
            for e in y:
                size = min(size + (sizes[id(e)] if isinstance(e, (tuple, frozenset)) else
                                   atom(e)), limit + 1)
            sizes[id(y)] = size
            todo.pop()
        return sizes[id(x)]

    cost, same_hash = 0, {}
    for x in items:
        size = measure(x)
        cost += size
        if cost > limit:
            break
        if not isinstance(x, (str, bytes)):
            try:
                h = hash(x)         # bounded: the tree was counted first
            except TypeError:
                break               # unhashable: set() or dict() raises it
            # each comparison with an earlier key of its hash may read it all
            cost += same_hash.get(h, 0) * size
            same_hash[h] = same_hash.get(h, 0) + 1
    return cost


def _check_state(state: dict) -> None:
    """An object's state must be attribute names (text) and their values, as every
    gensim file's is: other keys would be hashed again by each BUILD that gives the
    state and each later update of the fields (one 4 MB int key given to 20,000
    objects took 71 s). One state can be given to many ``BUILD``s, so it is checked
    once for its keys as they are (a pickle can add keys to a dict, never take one
    away: the number of keys tells)."""
    seen = getattr(_hashes, "states", None)
    if seen is None:
        seen = _hashes.states = {}
    entry = seen.get(id(state))
    if entry is None or entry[0] is not state or entry[1] != len(state):
        odd = [k for k in state if type(k) is not str]
        if odd:
            raise FormatError(f"an object's state in the pickle has a key that is not an "
                              f"attribute name: {brief(odd[0])}")
        # the dict itself is held, so its id is not reused while the load lasts
        seen[id(state)] = (state, len(state))


def _charge_hashing(items, what: str) -> None:
    """Count what inserting ``items`` into a set or dict costs (:func:`_hash_cost`)
    against the load's :data:`HASH_BUDGET`."""
    left = getattr(_hashes, "left", HASH_BUDGET)
    left -= _hash_cost(items, left)
    if left < 0:
        raise FormatError(f"{what} in the pickle hashes and compares more than "
                          f"{HASH_BUDGET:,} objects (a crafted file?)")
    _hashes.left = left


#: int keys of one hash a KeyedVectors file may hold (random 64-bit ids share a hash
#: modulo 2**61 - 1 a few times at most)
SAME_HASH_KEYS = 64


def _check_key_hashes(keys, path: str) -> None:
    """Refuse int keys made to share a hash: each insertion into a set or dict compares
    with every earlier key of its hash, so 1M of them take an hour."""
    counts: Dict[int, int] = {}
    for k in keys:
        if _big_int(k):
            h = hash(k)
            counts[h] = counts.get(h, 0) + 1
            if counts[h] > SAME_HASH_KEYS:
                raise FormatError(f"{path}: more than {SAME_HASH_KEYS} of its integer keys "
                                  "share one hash (keys chosen to slow the load: a crafted "
                                  "file?)")


def _unpickle(path: str) -> tuple:
    """The top object of ``path``'s pickle and the first class it names."""
    return restricted_unpickle(path)


def restricted_unpickle(path: str, unpickler=None) -> tuple:
    """``(top object, first class named)`` of the pickle in ``path`` (plain, or gzip,
    bzip2 or xz compressed), read with ``unpickler`` (a :class:`RestrictedUnpickler`
    subclass taking ``(file, path)``; :class:`RestrictedUnpickler` by default).

    Errors name ``path``: :class:`~fastw2v.errors.UnsafePickleError` and
    :class:`~fastw2v.errors.UnsupportedModelError` as the unpickler raised them,
    :class:`~fastw2v.errors.TruncatedPickleError` for a pickle that ends early,
    :class:`~fastw2v.errors.CorruptPickleError` for a damaged one."""
    with open(path, "rb") as raw:
        compression = by_magic(raw.read(MAGIC_LENGTH))
    size = os.path.getsize(path)
    _hashes.left, _hashes.states = HASH_BUDGET, {}
    try:
        if compression is None:
            stream = open(path, "rb")
        else:
            # decompressed once, within the bound, into memory (or a temporary file
            # beyond SPOOL_BYTES), for the walk and then the unpickler
            stream = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
            with io.BufferedReader(_Bounded(compression.open(path, "rb"), size,
                                            compression.name), 1 << 16) as source:
                try:
                    shutil.copyfileobj(source, stream, 1 << 20)
                except OSError as exc:
                    if exc.errno is None:       # the decompressor's: a damaged file
                        raise
                    stream.close()              # the system's: a full disk, ...
                    raise OSError(exc.errno, f"{exc.strerror} while decompressing "
                                  f"{path} into a temporary file in "
                                  f"{tempfile.gettempdir()}; set TMPDIR to a folder with "
                                  "more room") from None
            size = stream.tell()
        _copies.left = _copies.limit = COPY_BUDGET + size
        with stream:
            # what the C unpickler would do in steps nothing can interrupt is refused
            # first; where the walk stopped short, the unpickler reads no further
            stream.seek(0)
            _, scanned, complete = scan_pickle(stream, HASH_BUDGET, size,
                                               objects_limit(size))
            stream.seek(0)
            source = stream if complete else io.BufferedReader(_Prefix(stream, scanned))
            reader = (unpickler or RestrictedUnpickler)(source, path)
            try:
                top = reader.load()
            finally:
                _hashes.states = None       # the states held for _check_state
    except (UnsafePickleError, UnsupportedModelError) as exc:
        if str(exc).startswith(path):
            raise
        raise type(exc)(f"{path}: {exc}") from None
    except TruncatedPickleError as exc:
        raise TruncatedPickleError(f"{path}: {exc}") from None
    except EOFError:
        raise TruncatedPickleError(f"{path}: the pickle ends early (truncated file?)") from None
    except pickle.UnpicklingError as exc:
        if "truncated" in str(exc):
            raise TruncatedPickleError(f"{path}: the pickle ends early ({exc})") from None
        raise CorruptPickleError(f"{path}: corrupt pickle ({exc})") from None
    except FormatError as exc:
        raise FormatError(f"{path}: {exc}") from None
    except OSError as exc:
        if exc.errno is not None:       # the system's (a full disk): not the file's fault
            raise
        raise CorruptPickleError(f"{path}: corrupt pickle ({type(exc).__name__}: {exc})"
                                 ) from None
    except Exception as exc:  # whatever a damaged stream makes the unpickler raise
        raise CorruptPickleError(f"{path}: corrupt pickle ({type(exc).__name__}: {exc})"
                                 ) from None
    _array_bytes.left = size + (64 << 20)
    try:
        return materialise(top, path), reader.top_class
    finally:
        _array_bytes.left = None


def _check_layout(top: PickledObject, kind: str, path: str) -> PickledObject:
    """The model's KeyedVectors stand-in; UnsupportedModelError for pre-4.0 layouts."""
    wv = top if kind == "keyedvectors" else top.fields.get("wv")
    legacy = [a for a in ("vocabulary", "trainables", "syn0", "iter") if a in top.fields]
    if isinstance(wv, PickledObject):
        legacy += [f"wv.{a}" for a in ("vocab", "syn0", "index2word") if a in wv.fields]
    if legacy or not isinstance(wv, PickledObject) or "index_to_key" not in wv.fields:
        what = "Word2Vec model" if kind == "word2vec" else "KeyedVectors file"
        found = ", ".join(legacy) or "no wv.index_to_key"
        raise _unsupported(path, f"a gensim 3.x (or older) {what} ({found})", _LEGACY_HINT)
    if wv.pickled_name != "gensim.models.keyedvectors.KeyedVectors":
        raise FormatError(f"{path}: the model's vectors are a {wv.pickled_name}")
    return wv


def read_gensim(path, mmap: Optional[str] = None) -> GensimModel:
    """Read a ``Word2Vec`` or ``KeyedVectors`` file written by gensim 4's ``save()``,
    with the separate ``.npy`` (or ``.npz``) files gensim wrote beside it.

    Parameters
    ----------
    path : str or os.PathLike
        The file passed to gensim's ``save()``.
    mmap : {None, 'r', 'r+', 'c'}
        Memory-map the arrays gensim saved in separate ``.npy`` files (as gensim's
        ``load(mmap=...)``); arrays inside the pickle are read into memory.

    Raises
    ------
    UnsafePickleError
        The pickle names something other than NumPy arrays, plain containers and gensim's
        model classes; nothing from it has run.
    UnsupportedModelError
        A gensim file of another kind (3.x layouts, FastText, Doc2Vec, ...): the message
        says which, and how to convert it.
    TruncatedFileError, FormatError
        The pickle or a separate array is truncated or corrupt, or a separate array is
        missing (named).
    FileNotFoundError
        ``path`` does not exist.
    """
    path = os.fspath(path)
    if mmap not in _MMAP_MODES:
        raise ParameterError(f"mmap={mmap!r} is invalid: use one of {_MMAP_MODES}")
    top, top_class = _unpickle(path)
    if not isinstance(top, PickledObject):
        raise FormatError(f"{path}: a pickle of a {type(top).__name__}, not a gensim model")
    kind = {"gensim.models.word2vec.Word2Vec": "word2vec",
            "gensim.models.keyedvectors.KeyedVectors": "keyedvectors"}.get(top.pickled_name)
    if kind is None:
        raise _unsupported(path, f"a pickled {top.pickled_name}, not a gensim model")
    # gensim names the companions of "m.model.gz" / ".bz2" "*.npz", all others "*.npy"
    compressed = path.endswith((".gz", ".bz2"))
    _attach_companions(top, path, "npz" if compressed else "npy", path)
    wv = _check_layout(top, kind, path)

    keys = wv.fields["index_to_key"]
    if not isinstance(keys, list):
        raise FormatError(f"{path}: index_to_key is a {type(keys).__name__}")
    # words are strings; KeyedVectors may also have int keys (gensim allows any hashable,
    # fastw2v's KeyedVectors str and int)
    if kind == "word2vec":
        allowed, what = (lambda k: isinstance(k, str)), "strings"
    else:
        allowed, what = (lambda k: isinstance(k, (str, int)) and not isinstance(k, bool)), \
            "strings or integers"
    if kind != "word2vec":
        # NumPy integers (keys made with np.arange) as Python ints: equal and hashed alike
        keys = [int(k) if isinstance(k, np.integer) else k for k in keys]
    odd = next((k for k in keys if not allowed(k)), None)
    if odd is not None:
        raise _unsupported(path, f"{'a Word2Vec model' if kind == 'word2vec' else 'KeyedVectors'}"
                                 f" with keys that are not {what} ({odd!r})")
    V = len(keys)
    _check_key_hashes(keys, path)
    if len(set(keys)) != V:
        seen: set = set()
        twice = next(k for k in keys if k in seen or seen.add(k))
        raise FormatError(f"{path}: key {brief(twice)} is in index_to_key twice")
    vectors = _array(wv, "vectors", mmap, path, compressed)
    if vectors is None or vectors.ndim != 2:
        raise FormatError(f"{path}: no 2-d vectors array")
    vector_size = _scalar(wv.fields.get("vector_size", vectors.shape[1]), "vector_size", path)
    if not (isinstance(vector_size, int) and 0 <= vector_size <= MAX_VECTOR_SIZE):
        raise FormatError(f"{path}: vector_size {brief(vector_size)} is not an integer "
                          f"from 0 to {MAX_VECTOR_SIZE}")
    vectors = _weights(vectors, "vectors", (V, vector_size), path)

    counts = None
    expandos = wv.fields.get("expandos") or {}
    if not isinstance(expandos, dict):
        raise FormatError(f"{path}: expandos is a {type(expandos).__name__}")
    if expandos.get("count") is not None:
        counts = expandos["count"]
        if (not isinstance(counts, np.ndarray) or counts.shape != (V,)
                or counts.dtype.kind not in "iu"):
            raise FormatError(f"{path}: counts are not {V} integers")
        if V and (counts.min() < 0 or counts.max() > np.iinfo(np.int64).max):
            raise FormatError(f"{path}: counts outside 0..2**63-1 ({counts.min()} to "
                              f"{counts.max()})")
        counts = counts.astype(np.int64)
    attrs: Dict[str, np.ndarray] = {}
    copied: Dict[int, np.ndarray] = {}      # one copy of an array the file shares
    for name, values in expandos.items():
        if name in ("count", "code", "point", "sample_int"):
            continue
        if (isinstance(name, str) and isinstance(values, np.ndarray) and values.shape == (V,)
                and (values.dtype.kind in "biufSU" or (values.dtype.kind == "O" and all(
                    isinstance(v, (str, int, float, bool, type(None))) for v in values)))):
            if id(values) not in copied:
                copied[id(values)] = np.array(values)
            attrs[name] = copied[id(values)]
        else:
            logger.warning("%s: per-key attribute %s is not %d numbers or strings (%s); "
                           "it is not loaded", path, brief(name), V,
                           getattr(values, "dtype", type(values).__name__))
    huffman_paths = None
    if kind == "word2vec" and expandos.get("code") is not None \
            and expandos.get("point") is not None:
        huffman_paths = _huffman_paths(expandos["code"], expandos["point"], V, path)
    lockf = _array(wv, "vectors_lockf", mmap, path, compressed)
    if lockf is not None:
        if lockf.ndim != 1 or not len(lockf) or lockf.dtype.kind != "f":
            raise FormatError(f"{path}: vectors_lockf has shape {lockf.shape}")
        lockf = lockf.astype(np.float32, copy=False)
        if not np.all(np.isfinite(lockf)):
            # training would scale every update by it: NaN vectors everywhere
            raise FormatError(f"{path}: vectors_lockf holds values that are not finite")

    syn1neg = syn1 = None
    params: Dict[str, Any] = {"vector_size": int(vectors.shape[1])}
    training: Dict[str, Any] = {}
    if kind == "word2vec":
        f = top.fields
        syn1neg = _weights(_array(top, "syn1neg", mmap, path, compressed), "syn1neg",
                           vectors.shape, path)
        syn1 = _weights(_array(top, "syn1", mmap, path, compressed), "syn1",
                        vectors.shape, path)
        for name, default in _PARAMS.items():
            params[name] = _scalar(f.get(name, default), name, path)
        params["vector_size"] = int(vectors.shape[1])
        for name, default in _TRAINING.items():
            training[name] = _scalar(f.get(name, default), name, path)
        raw_vocab = f.get("raw_vocab")
        training["raw_vocab_size"] = len(raw_vocab) if isinstance(raw_vocab, dict) else 0
        training["cum_table_saved"] = "cum_table" in f and f["cum_table"] is not None

    version = None
    try:
        events = plain_events(top.fields.get("lifecycle_events"))
    except ValueError as exc:
        raise FormatError(f"{path}: {exc}") from None
    for event in reversed(events):
        if isinstance(event.get("gensim"), str):
            version = event["gensim"]
            break
    return GensimModel(kind=kind, index_to_key=list(keys), counts=counts, vectors=vectors,
                       vectors_lockf=lockf, syn1neg=syn1neg, syn1=syn1, params=params,
                       training=training, gensim_version=version, path=path,
                       huffman_paths=huffman_paths, attrs=attrs, lifecycle_events=events)


#: no Huffman code is longer: a path of n branches needs counts growing at least like
#: the Fibonacci numbers along it, and F(93) is past 2**63, the largest count there is
MAX_CODE_LENGTH = 92


def _huffman_paths(codes, points, V: int, path) -> tuple:
    """gensim's per-word ``code`` and ``point`` arrays joined into ``(codes, points,
    offsets)`` and checked as :func:`~fastw2v.tables.huffman_from_paths` checks a tree
    (the kernels index ``syn1`` with the points), else ``FormatError``. None for a single
    word (gensim gives it an empty path; fastw2v's own tree gives it one inner node)."""
    if V < 2:
        return None
    if not (isinstance(codes, np.ndarray) and isinstance(points, np.ndarray)
            and codes.shape == (V,) and points.shape == (V,)):
        raise FormatError(f"{path}: the Huffman codes and points are not {V} entries each")
    for w in range(V):
        c, p = codes[w], points[w]
        if not (isinstance(c, np.ndarray) and isinstance(p, np.ndarray) and c.ndim == 1
                and c.shape == p.shape and c.dtype.kind in "biu" and p.dtype.kind in "iu"):
            raise FormatError(f"{path}: the Huffman code and point of word {w} are not two "
                              "integer arrays of the same length")
        if len(c) > MAX_CODE_LENGTH:
            # checked before the paths are joined: a file can share one long array among
            # all its words, and joining them would take words x length bytes
            raise FormatError(f"{path}: word {w}'s Huffman code has {len(c)} branches, "
                              f"more than any tree of int64 counts has ({MAX_CODE_LENGTH})")
    offsets = np.zeros(V + 1, dtype=np.int64)
    np.cumsum([len(c) for c in codes], out=offsets[1:])
    flat = (np.concatenate(list(codes)), np.concatenate(list(points)), offsets)
    try:
        huffman_from_paths(*flat, V)
    except ValueError as exc:
        raise FormatError(f"{path}: {exc}") from None
    return flat


__all__ = ["GensimModel", "PickledObject", "RestrictedUnpickler", "WORKAROUND",
           "is_gensim_pickle", "pickled_class", "read_gensim", "restricted_unpickle"]
