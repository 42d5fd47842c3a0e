"""File formats. This module holds fastw2v's native container (mmap-able, atomic saves).

Native layout (little-endian)::

    b"FASTW2V\\0"            8 bytes magic
    uint32 version            format version (1)
    uint64 header_length      bytes of the JSON header that follows
    JSON header               {"meta": {...}, "arrays": {name: {dtype, shape, offset}}}
    padding, arrays           each array C-contiguous at a 64-byte aligned offset

Strings (the vocabulary) are stored as a UTF-8 blob plus int64 offsets, so any word,
including ones with spaces or newlines, round-trips.
"""
from __future__ import annotations

import errno
import json
import math
import os
import secrets
import stat
import struct
from typing import Dict, List, Optional, Tuple

import numpy as np

from ..errors import FormatError, TruncatedFileError

MAGIC = b"FASTW2V\0"
VERSION = 1
_ALIGN = 64
_PREFIX = struct.Struct("<8sIQ")


def encode_strings(words: List[str]) -> Tuple[np.ndarray, np.ndarray]:
    """Pack strings into (uint8 blob, int64 offsets[len + 1])."""
    encoded = [w.encode("utf-8", "surrogatepass") for w in words]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    blob = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    return blob, offsets


def decode_strings(blob: np.ndarray, offsets: np.ndarray) -> List[str]:
    """Inverse of :func:`encode_strings`; ``FormatError`` if the two do not fit together."""
    blob, offsets = np.asarray(blob), np.asarray(offsets)
    if blob.ndim != 1 or offsets.ndim != 1 or len(offsets) < 1 or offsets.dtype.kind not in "iu":
        raise FormatError("corrupt string table (bad array shapes or types)")
    o = offsets.tolist()
    if o[0] != 0 or o[-1] != blob.nbytes or any(a > b for a, b in zip(o, o[1:])):
        raise FormatError("corrupt string table (offsets do not index the blob)")
    data = blob.tobytes()
    try:
        return [data[o[i]:o[i + 1]].decode("utf-8", "surrogatepass") for i in range(len(o) - 1)]
    except UnicodeDecodeError as exc:
        raise FormatError(f"corrupt string table ({exc})") from None


def _public_error(exc: OSError, path: str, note: str = "") -> OSError:
    """``exc`` naming ``path`` (instead of the temporary file it happened on, or of no
    file at all), its message followed by ``note``."""
    if exc.errno is None:
        return exc
    return type(exc)(exc.errno, f"{exc.strerror}{note}", path)


class NamedWriter:
    """A binary file object whose ``write``/``flush`` errors name ``path`` (and add
    ``note`` to the message): a full disk raises ``OSError(ENOSPC)`` with no file name,
    which would leave the user guessing which file (a save's hidden temporary, a
    training's scratch file) could not be written."""

    def __init__(self, fh, path: str, note: str = ""):
        self._fh, self._path, self._note = fh, path, note

    def write(self, data):
        try:
            return self._fh.write(data)
        except OSError as exc:
            raise _public_error(exc, self._path, self._note) from None

    def flush(self):
        try:
            self._fh.flush()
        except OSError as exc:
            raise _public_error(exc, self._path, self._note) from None

    def __getattr__(self, name):
        return getattr(self._fh, name)


def write_through(fh, path: str, write_fn, note: str = "") -> None:
    """``write_fn`` on ``fh`` (an open binary file of ``path``) as a :class:`NamedWriter`,
    then flush and close it; every write error names ``path`` (and adds ``note``). ``fh``
    is closed in any case, and where ``write_fn`` or the flush failed, that error is the
    one raised (the close would only fail again on the bytes still buffered)."""
    out = NamedWriter(fh, path, note)
    try:
        write_fn(out)
        out.flush()
    except BaseException:
        try:
            fh.close()
        except OSError:
            pass
        raise
    try:
        fh.close()
    except OSError as exc:
        raise _public_error(exc, path, note) from None


def _create_beside(path: str):
    """A new, empty temporary file beside ``path``: ``(fd, name)``.

    Created with ``os.open(..., 0o666)`` so the process's umask decides its permissions,
    as it does for any file ``open(path, "w")`` creates (``tempfile.mkstemp`` would make
    it 0600 whatever the umask). Overwriting an existing file keeps that file's
    permission bits, as writing into it would."""
    directory = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    for _ in range(100):
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                         0o666)
        except FileExistsError:
            continue
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except OSError:
            mode = None
        if mode is not None:
            try:
                os.fchmod(fd, mode)
            except OSError:
                pass
        return fd, tmp
    raise FileExistsError(errno.EEXIST, "cannot create a temporary file beside it", path)


def atomic_write(path, write_fn) -> None:
    """Call ``write_fn(fileobj)`` on a temporary file beside ``path``, then rename it over
    ``path``: readers see the old file or the complete new one, never a partial one.

    The file gets the permissions any other writer's would (``0o666`` less the umask, or
    the replaced file's own), and an ``OSError`` names ``path``, never the temporary.

    A symbolic link is followed: the file it points to is replaced and the link stays,
    as ``open(path, "wb")`` would leave it. A path that is not a regular file (``-output
    /dev/stdout``, a named pipe, ``/dev/null``) cannot be replaced by a rename, so it is
    written straight through, as the C tool writes it."""
    path = os.fspath(path)
    try:
        kind = os.stat(path).st_mode
    except OSError:
        kind = None
    if kind is not None and not stat.S_ISREG(kind):
        try:
            fh = open(path, "wb")
        except OSError as exc:
            raise _public_error(exc, path) from None
        write_through(fh, path, write_fn)
        return
    shown, path = path, os.path.realpath(path)
    try:
        fd, tmp = _create_beside(path)
    except OSError as exc:
        raise _public_error(exc, shown) from None
    try:
        def write_and_sync(out):
            write_fn(out)
            out.flush()
            try:
                os.fsync(out.fileno())
            except OSError as exc:
                raise _public_error(exc, shown) from None

        write_through(os.fdopen(fd, "wb"), shown, write_and_sync)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.remove(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError) and tmp in (exc.filename, exc.filename2, path):
            raise _public_error(exc, shown) from None
        raise


#: the dtype kinds of native arrays: no objects, so no pickles
_KINDS = "biufSU"
_PLAIN = (str, int, float, bool, type(None))


def pack_attrs(expandos: Dict[str, np.ndarray], n: int) -> Tuple[Dict[str, np.ndarray], dict]:
    """Per-key attributes (``set_vecattr``) for a native file: ``(arrays, lists)``, arrays
    named ``attr:NAME``, and for an object array (gensim's kind for text attributes) a
    JSON list of its values, which must be ``str``, numbers, booleans or None
    (``TypeError`` naming the attribute otherwise, before anything is written)."""
    arrays, lists = {}, {}
    for attr, vals in expandos.items():
        vals = np.asarray(vals)
        if vals.shape != (n,):
            raise ValueError(f"attribute {attr!r} has shape {vals.shape}, not ({n},)")
        if vals.dtype.kind != "O":
            arrays["attr:" + attr] = vals
            continue
        items = [v.item() if isinstance(v, np.generic) else v for v in vals.tolist()]
        bad = next((v for v in items if not isinstance(v, _PLAIN)), _PLAIN)
        if bad is not _PLAIN:
            raise TypeError(f"attribute {attr!r} holds a {type(bad).__name__} ({bad!r:.60}); "
                            "a saved attribute holds numbers, text, booleans or None")
        lists[attr] = items
    return arrays, lists


def unpack_attrs(arrays: Dict[str, np.ndarray], lists, n: int) -> Dict[str, np.ndarray]:
    """The attributes :func:`pack_attrs` wrote, checked (``ValueError`` otherwise)."""
    out = {}
    for name, vals in arrays.items():
        if name.startswith("attr:"):
            if vals.shape != (n,):
                raise ValueError(f"attribute {name[5:]!r} has shape {vals.shape}")
            out[name[5:]] = np.array(vals)
    if not isinstance(lists, dict):
        raise ValueError("object_attrs is not an object")
    for attr, items in lists.items():
        if not (isinstance(items, list) and len(items) == n
                and all(isinstance(v, _PLAIN) for v in items)):
            raise ValueError(f"attribute {attr!r} is not a list of {n} plain values")
        arr = np.empty(n, dtype=object)
        arr[:] = items
        out[attr] = arr
    return out


def save_native(path, meta: dict, arrays: Dict[str, np.ndarray]) -> None:
    """Save ``meta`` (JSON-serialisable) and named arrays into one native file, atomically.

    ``path`` may also be a binary file object open for writing (gensim's
    ``fname_or_handle``): it gets the same bytes from its current position, written in
    place (so not atomically), flushed and left open."""
    arrays = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
    for name, arr in arrays.items():
        # what load_native reads back: numbers, booleans, fixed-width bytes and text
        if arr.dtype.kind not in _KINDS:
            raise TypeError(f"array {name!r} has dtype {arr.dtype}; it cannot be saved "
                            "(numbers, booleans and fixed-width strings can)")
    descr = {}
    offset = 0
    for name, arr in arrays.items():
        offset = -(-offset // _ALIGN) * _ALIGN
        descr[name] = {"dtype": arr.dtype.newbyteorder("<").str, "shape": list(arr.shape),
                       "offset": offset}
        offset += arr.nbytes
    header = json.dumps({"meta": meta, "arrays": descr}).encode("utf-8")
    data_start = -(-(_PREFIX.size + len(header)) // _ALIGN) * _ALIGN

    def write(fh):
        fh.write(_PREFIX.pack(MAGIC, VERSION, len(header)))
        fh.write(header)
        fh.write(b"\0" * (data_start - _PREFIX.size - len(header)))
        pos = 0
        for name, arr in arrays.items():
            start = descr[name]["offset"]
            fh.write(b"\0" * (start - pos))
            # the array's own buffer (no copy of it in bytes) where it is little-endian
            fh.write(np.ascontiguousarray(arr.astype(arr.dtype.newbyteorder("<"),
                                                     copy=False)).data)
            pos = start + arr.nbytes

    if hasattr(path, "write"):
        out = NamedWriter(path, str(getattr(path, "name", "the file object")))
        write(out)
        out.flush()
        return
    atomic_write(path, write)


def load_native(path, mmap: Optional[str] = None) -> Tuple[dict, Dict[str, np.ndarray]]:
    """Load a native file: ``(meta, arrays)``. With ``mmap="r"`` (or ``"c"``) arrays are
    memory maps of the file instead of copies in memory."""
    path = os.fspath(path)
    if mmap not in (None, "r", "c", "r+"):
        raise ValueError(f"mmap={mmap!r} is invalid: use None, 'r', 'r+' or 'c'")
    if os.path.isdir(path):
        raise IsADirectoryError(f"model file {path!r} is a directory")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"model file {path!r} does not exist")
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        prefix = fh.read(_PREFIX.size)
        if len(prefix) < _PREFIX.size:
            # the start of the magic: a fastw2v file cut short; anything else is not one
            kind = TruncatedFileError if MAGIC.startswith(prefix[:len(MAGIC)]) else FormatError
            raise kind(f"{path}: too short to be a fastw2v file ({size} bytes)")
        magic, version, header_len = _PREFIX.unpack(prefix)
        if magic != MAGIC:
            raise FormatError(f"{path}: not a fastw2v model file (bad magic {magic!r})")
        if version != VERSION:
            raise FormatError(f"{path}: unsupported fastw2v file version {version}")
        if header_len > size - _PREFIX.size:
            raise TruncatedFileError(f"{path}: truncated (header of {header_len} bytes does not fit)")
        try:
            header = json.loads(fh.read(header_len).decode("utf-8"))
            meta, descr = header["meta"], header["arrays"]
            if not isinstance(meta, dict) or not isinstance(descr, dict):
                raise TypeError("meta and arrays must be objects")
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            # RecursionError: JSON nested thousands deep, which no saver writes
            raise FormatError(f"{path}: corrupt header ({type(exc).__name__}: "
                              f"{str(exc)[:200]})") from None
    data_start = -(-(_PREFIX.size + header_len) // _ALIGN) * _ALIGN
    arrays = {}
    extents = []
    for name, d in descr.items():
        try:
            if not isinstance(d["dtype"], str) or not isinstance(d["shape"], list):
                raise TypeError("dtype must be a string and shape a list")
            dtype = np.dtype(d["dtype"])
            shape = tuple(int(x) for x in d["shape"])
            start = data_start + int(d["offset"])
        except (TypeError, ValueError, KeyError, OverflowError) as exc:
            raise FormatError(f"{path}: corrupt description of array {name!r} ({exc})") from None
        if any(s < 0 for s in shape) or start < data_start or dtype.kind not in _KINDS \
                or dtype.itemsize == 0 or len(shape) > 32:
            raise FormatError(f"{path}: corrupt description of array {name!r}")
        nbytes = math.prod(shape) * dtype.itemsize
        if start + nbytes > size:
            raise TruncatedFileError(f"{path}: truncated: array {name!r} needs bytes "
                              f"{start}..{start + nbytes} but the file has {size}")
        if nbytes:
            extents.append((start, start + nbytes, name))
        if mmap and nbytes:
            arrays[name] = np.memmap(path, dtype=dtype, mode=mmap, offset=start, shape=shape)
        else:
            arr = np.fromfile(path, dtype=dtype, count=nbytes // dtype.itemsize if dtype.itemsize else 0,
                              offset=start)
            try:
                arrays[name] = arr.reshape(shape)
            except ValueError as exc:  # a zero-size shape NumPy cannot describe
                raise FormatError(f"{path}: corrupt description of array {name!r} ({exc})"
                                  ) from None
    # a save writes each array in a region of its own: overlapping ones are a damaged or
    # crafted header, whose arrays would alias each other's bytes
    extents.sort()
    for (_, end, first), (start, _, second) in zip(extents, extents[1:]):
        if start < end:
            raise FormatError(f"{path}: corrupt header (arrays {first!r} and {second!r} "
                              "overlap)")
    return meta, arrays
