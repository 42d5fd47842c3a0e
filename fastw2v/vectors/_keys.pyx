# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Keys packed into arrays: :class:`PackedKeys`, a vocabulary without a Python object
per key.

A ``dict`` of ``str`` to ``int`` and the ``list`` beside it cost about 130 bytes a key on
CPython 3.11 (the ``str``, the ``int``, the dict's entry and index slot, the list's
pointer): 65 MB for 500,000 keys, 11% of a 500,000 x 300 float32 matrix. Here a key costs
its UTF-8 bytes, an 8-byte offset and two 4-byte slots of an open-addressing table:

* ``blob``: every key's UTF-8 bytes (``surrogatepass``), one after another;
* ``offsets``: int64 ``[n + 1]``, key ``i`` is ``blob[offsets[i]:offsets[i + 1]]``;
* ``table``: int32, a power of two of at least ``2 n`` slots, each -1 (empty) or a row;
  a key's first slot is its hash's low bits, then the next slots in turn (linear
  probing). The hash is SipHash-1-3 under a random 128-bit key drawn per table, so a
  file crafted to make its words collide cannot slow the table down (a fixed hash would
  let such a file turn the build into n^2 / 2 comparisons).

A table is built once; its keys are immutable. :class:`fastw2v.KeyedVectors` holds one in
place of ``index_to_key`` and ``key_to_index`` after a load, and builds the ``list`` and
the ``dict`` the first time either is used.
"""
import mmap
import os

import numpy as np
cimport numpy as cnp
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t
from libc.string cimport memcmp, memcpy

cnp.import_array()


cdef inline uint64_t _rotl(uint64_t x, int b) noexcept nogil:
    return (x << b) | (x >> (64 - b))


cdef inline void _sipround(uint64_t *v) noexcept nogil:
    v[0] += v[1]
    v[1] = _rotl(v[1], 13)
    v[1] ^= v[0]
    v[0] = _rotl(v[0], 32)
    v[2] += v[3]
    v[3] = _rotl(v[3], 16)
    v[3] ^= v[2]
    v[0] += v[3]
    v[3] = _rotl(v[3], 21)
    v[3] ^= v[0]
    v[2] += v[1]
    v[1] = _rotl(v[1], 17)
    v[1] ^= v[2]
    v[2] = _rotl(v[2], 32)


cdef inline uint64_t _load_le(const uint8_t *p, Py_ssize_t n) noexcept nogil:
    """``n`` (at most 8) bytes as a little-endian integer, on any host."""
    cdef uint64_t m = 0
    cdef Py_ssize_t i
    for i in range(n):
        m |= (<uint64_t>p[i]) << (8 * i)
    return m


cdef uint64_t siphash(const uint8_t *data, Py_ssize_t n, uint64_t k0, uint64_t k1,
                      int c_rounds, int d_rounds) noexcept nogil:
    """SipHash-c-d (Aumasson and Bernstein, 2012) of ``n`` bytes under the key
    ``(k0, k1)``, the 64-bit output."""
    cdef uint64_t v[4]
    cdef uint64_t m
    cdef Py_ssize_t i, whole = n - n % 8
    cdef int r
    v[0] = k0 ^ 0x736f6d6570736575ULL
    v[1] = k1 ^ 0x646f72616e646f6dULL
    v[2] = k0 ^ 0x6c7967656e657261ULL
    v[3] = k1 ^ 0x7465646279746573ULL
    i = 0
    while i < whole:
        m = _load_le(data + i, 8)
        v[3] ^= m
        for r in range(c_rounds):
            _sipround(v)
        v[0] ^= m
        i += 8
    m = _load_le(data + whole, n - whole) | ((<uint64_t>n) << 56)
    v[3] ^= m
    for r in range(c_rounds):
        _sipround(v)
    v[0] ^= m
    v[2] ^= 0xff
    for r in range(d_rounds):
        _sipround(v)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def siphash_bytes(bytes data, uint64_t k0, uint64_t k1, int c_rounds=1, int d_rounds=3):
    """:func:`siphash` of ``data`` (for the tests: SipHash-2-4 has published vectors)."""
    return siphash(<const uint8_t *>PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data), k0, k1,
                   c_rounds, d_rounds)


cdef inline uint64_t _hash(const uint8_t *data, Py_ssize_t n, uint64_t k0, uint64_t k1) noexcept nogil:
    return siphash(data, n, k0, k1, 1, 3)


def _mapped(n, dtype):
    """An empty array of ``n`` items in its own anonymous memory map, unmapped when the
    array is dropped. A table's arrays live in maps so that dropping them (once
    ``index_to_key`` and ``key_to_index`` are built from them) gives their pages back at
    once: glibc keeps freed heap blocks of a few MB for reuse, which would stand beside
    the list and the dict (measured: 1.145x the matrix of a 500,000 x 300 load instead
    of 1.119x)."""
    dtype = np.dtype(dtype)
    if n * dtype.itemsize < mmap.PAGESIZE:
        return np.empty(n, dtype=dtype)
    return np.frombuffer(mmap.mmap(-1, n * dtype.itemsize), dtype=dtype)


def table_size(Py_ssize_t n):
    """Slots of the table of ``n`` keys: the smallest power of two >= ``2 n`` (at least 8),
    so at most half of them are filled."""
    cdef Py_ssize_t size = 8
    while size < 2 * n:
        size *= 2
    return size


cdef class PackedKeys:
    """``n`` unique ``str`` keys in three arrays (see the module's docs): the row of a key
    (:meth:`index`) and the key of a row (:meth:`key_at`) without a Python object per key.

    Build one with :meth:`from_arrays` (the bytes and offsets of keys),
    :meth:`from_words` (a sequence of ``str``) or :meth:`from_joined` (space-joined
    chunks, as a file's reader gathers them). Pickles as its keys and hash key. The
    arrays it exposes are its own: writing into them corrupts it.
    """
    cdef readonly object blob, offsets, table
    cdef readonly uint64_t k0, k1
    cdef const uint8_t[::1] _blob
    cdef const int64_t[::1] _offsets
    cdef int32_t[::1] _table
    cdef Py_ssize_t _n, _mask

    def __cinit__(self):
        self._n = 0
        self._mask = 0

    def __init__(self, *args, **kwargs):
        raise TypeError("build PackedKeys with PackedKeys.from_words, from_arrays or "
                        "from_joined")

    @staticmethod
    def from_arrays(blob, offsets, seed=None):
        """Keys ``blob[offsets[i]:offsets[i + 1]]``, decoded as UTF-8 (``surrogatepass``).

        Returns ``(keys, duplicates)``: the table of the keys, and the rows (int64, in
        order) whose key equals an earlier row's. With duplicates the table indexes each
        key's first row; :meth:`take` of the other rows gives a table of unique keys.

        ``ValueError`` when the offsets do not index the blob in order or a key is not
        valid UTF-8 (each key on its own: a character split between two keys is one).
        ``seed``: 16 bytes for the hash key (random by default; for tests).
        """
        return _new(_copied(blob, np.uint8), _copied(offsets, np.int64), seed)

    @staticmethod
    def from_joined(chunks, Py_ssize_t count, seed=None):
        """:meth:`from_arrays` of ``count`` keys given as ``chunks``: ``bytes``, each one
        or more keys joined by single spaces (so keys cannot hold a space), as a word2vec
        file's reader gathers them. The keys' bytes are copied once, straight into the
        table's arrays. ``ValueError`` if the chunks hold another number of keys."""
        cdef Py_ssize_t total = 0, at = 0, key = 0, i, length
        cdef const uint8_t *c
        for chunk in chunks:
            total += len(<bytes?>chunk)
        if total - (count - len(chunks)) < 0:
            raise ValueError(f"{count} keys do not fit {total} bytes of chunks")
        blob = _mapped(total - (count - len(chunks)), np.uint8)
        offsets = _mapped(count + 1, np.int64)
        cdef uint8_t[::1] b = blob
        cdef int64_t[::1] o = offsets
        o[0] = 0
        for chunk in chunks:
            c = <const uint8_t *>PyBytes_AS_STRING(chunk)
            length = PyBytes_GET_SIZE(chunk)
            for i in range(length):
                if c[i] == 32:
                    key += 1
                    if key >= count:
                        raise ValueError(f"the chunks hold more than {count} keys")
                    o[key] = at
                elif at < b.shape[0]:
                    b[at] = c[i]
                    at += 1
                else:
                    raise ValueError(f"the chunks hold fewer than {count} keys")
            key += 1                        # the chunk's last key ends with the chunk
            if key > count:
                raise ValueError(f"the chunks hold more than {count} keys")
            o[key] = at
        if key != count or at != b.shape[0]:
            raise ValueError(f"the chunks hold {key} keys, not {count}")
        return _new(blob, offsets, seed)

    @staticmethod
    def from_words(words, seed=None):
        """:meth:`from_arrays` of a sequence of ``str`` (packed as the native format packs
        strings, :func:`fastw2v.io.native.encode_strings`): ``(keys, duplicates)``."""
        from ..io.native import encode_strings
        blob, offsets = encode_strings(list(words))
        return PackedKeys.from_arrays(blob, offsets, seed)

    cdef _attach(self, blob, offsets, table):
        self.blob, self.offsets, self.table = blob, offsets, table
        self._blob = blob
        self._offsets = offsets
        self._table = table
        self._n = len(offsets) - 1
        self._mask = len(table) - 1

    cdef object _fill(self):
        """Put every row in the table (the first of equal keys); the later equal rows."""
        dups = np.empty(self._n, dtype=np.int64)
        cdef int64_t[::1] d = dups
        cdef Py_ssize_t i, found, count = 0
        with nogil:
            for i in range(self._n):
                found = self._probe(&self._blob[0], self._offsets[i], self._offsets[i + 1] - self._offsets[i], i)
                if found != i:
                    d[count] = i
                    count += 1
        return dups[:count].copy()

    cdef Py_ssize_t _probe(self, const uint8_t *base, int64_t start, Py_ssize_t length,
                           Py_ssize_t insert) noexcept nogil:
        """The row of the key ``base[start:start + length]``; -1 if absent, where it is
        then stored as row ``insert`` unless ``insert`` is -1."""
        cdef uint64_t h = _hash(base + start, length, self.k0, self.k1)
        cdef Py_ssize_t slot = <Py_ssize_t>(h & <uint64_t>self._mask)
        cdef int32_t row
        cdef int64_t a
        while True:
            row = self._table[slot]
            if row < 0:
                if insert >= 0:
                    self._table[slot] = <int32_t>insert
                    return insert
                return -1
            a = self._offsets[row]
            if self._offsets[row + 1] - a == length \
                    and memcmp(&self._blob[0] + a, base + start, length) == 0:
                return row
            slot = (slot + 1) & self._mask

    cpdef Py_ssize_t index(self, str key):
        """The row of ``key``, or -1."""
        if self._n == 0:
            return -1
        raw = key.encode("utf-8", "surrogatepass")
        return self._probe(<const uint8_t *>PyBytes_AS_STRING(raw), 0, PyBytes_GET_SIZE(raw), -1)

    cpdef str key_at(self, Py_ssize_t row):
        """The key of row ``row`` (``0 <= row < len(self)``; negative counts from the end)."""
        if row < 0:
            row += self._n
        if row < 0 or row >= self._n:
            raise IndexError(f"row {row} out of range for {self._n} keys")
        cdef int64_t a = self._offsets[row]
        return PyUnicode_DecodeUTF8(<const char *>&self._blob[0] + a,
                                    self._offsets[row + 1] - a, "surrogatepass")

    def to_list(self):
        """Every key, in row order, as a new ``list`` of ``str``."""
        cdef Py_ssize_t i
        cdef int64_t a
        cdef const char *base = <const char *>&self._blob[0]
        out = [None] * self._n
        for i in range(self._n):
            a = self._offsets[i]
            out[i] = PyUnicode_DecodeUTF8(base + a, self._offsets[i + 1] - a, "surrogatepass")
        return out

    def take(self, rows):
        """A new table of the keys of ``rows`` (int64, in the order given; they must be
        unique keys), with a fresh hash key."""
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) and (rows.min() < 0 or rows.max() >= self._n):
            raise IndexError("rows out of range")
        starts = self.offsets[rows]
        offsets = _mapped(len(rows) + 1, np.int64)      # built in place: no second copy
        offsets[0] = 0
        np.cumsum(self.offsets[rows + 1] - starts, out=offsets[1:])
        blob = _mapped(int(offsets[len(rows)]), np.uint8)
        cdef const int64_t[::1] s = starts, o = offsets
        cdef uint8_t[::1] b = blob
        cdef Py_ssize_t i
        with nogil:
            for i in range(s.shape[0]):
                if o[i + 1] > o[i]:
                    memcpy(&b[o[i]], &self._blob[s[i]], o[i + 1] - o[i])
        keys, dups = _new(blob, offsets, None)
        if len(dups):
            raise ValueError(f"row {int(rows[dups[0]])} repeats an earlier key")
        return keys

    @property
    def nbytes(self):
        """Bytes held by the three arrays."""
        return self.blob.nbytes + self.offsets.nbytes + self.table.nbytes

    def __len__(self):
        return self._n

    def __contains__(self, key):
        return isinstance(key, str) and self.index(key) >= 0

    def __reduce__(self):
        return (_rebuild, (self.blob, self.offsets, self.k0, self.k1))

    def __repr__(self):
        return f"<PackedKeys: {self._n} keys, {self.nbytes} bytes>"


def _new(blob, offsets, seed):
    """``(PackedKeys, repeated rows)`` of the keys ``blob[offsets[i]:offsets[i + 1]]``
    (arrays of uint8 and int64 the table keeps), after checking them."""
    cdef Py_ssize_t n = len(offsets) - 1
    if n < 0:
        raise ValueError("the offsets do not index the key bytes in order (none given)")
    if n >= 2 ** 31 - 1:
        raise ValueError(f"{n} keys: at most 2**31 - 2 fit a table")
    _check_keys(blob, offsets)
    raw = os.urandom(16) if seed is None else bytes(seed)
    if len(raw) != 16:
        raise ValueError("seed must be 16 bytes")
    cdef PackedKeys keys = PackedKeys.__new__(PackedKeys)
    keys.k0 = int.from_bytes(raw[:8], "little")
    keys.k1 = int.from_bytes(raw[8:], "little")
    table = _mapped(table_size(n), np.int32)
    table.fill(-1)
    keys._attach(blob, offsets, table)
    return keys, keys._fill()


cdef Py_ssize_t _utf8_error(const uint8_t *p, Py_ssize_t n) noexcept nogil:
    """-1 if ``p[:n]`` is valid UTF-8, encoded surrogates allowed (what Python's
    ``decode("utf-8", "surrogatepass")`` accepts); else where the first bad sequence
    starts."""
    cdef Py_ssize_t i = 0, k, need
    cdef uint8_t c, lo, hi
    while i < n:
        c = p[i]
        if c < 0x80:
            i += 1
            continue
        if 0xC2 <= c <= 0xDF:
            need, lo, hi = 1, 0x80, 0xBF
        elif c == 0xE0:
            need, lo, hi = 2, 0xA0, 0xBF      # no overlong 3-byte forms
        elif 0xE1 <= c <= 0xEF:
            need, lo, hi = 2, 0x80, 0xBF      # ED A0..BF: a surrogate, passed
        elif c == 0xF0:
            need, lo, hi = 3, 0x90, 0xBF      # no overlong 4-byte forms
        elif 0xF1 <= c <= 0xF3:
            need, lo, hi = 3, 0x80, 0xBF
        elif c == 0xF4:
            need, lo, hi = 3, 0x80, 0x8F      # up to U+10FFFF
        else:
            return i
        if i + need >= n:               # the sequence runs past the end
            return i
        if p[i + 1] < lo or p[i + 1] > hi:
            return i
        for k in range(2, need + 1):
            if (p[i + k] & 0xC0) != 0x80:
                return i
        i += need + 1
    return -1


def utf8_error(bytes data):
    """Where the first invalid UTF-8 sequence of ``data`` starts (encoded surrogates
    allowed), or -1 (for the tests: Python's decoder is the reference)."""
    return _utf8_error(<const uint8_t *>PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data))


def _check_keys(blob, offsets):
    """``ValueError`` unless the offsets run from 0 to the end of the blob in order and
    every key on its own is valid UTF-8 (``surrogatepass``): a character split between
    two keys is an error."""
    cdef const uint8_t[::1] b = blob
    cdef const int64_t[::1] o = offsets
    cdef Py_ssize_t n = o.shape[0] - 1, i, bad = -1, row = -1
    cdef int order = 0
    if o[0] != 0 or o[n] != b.shape[0]:
        order = 1
    else:
        with nogil:
            # every offset in order first: a key is read only once all of them lie
            # inside the blob (a later offset past the end, then one back inside,
            # would otherwise let an earlier key be read past the blob's end)
            for i in range(n):
                if o[i + 1] < o[i]:
                    order = 1
                    break
            for i in range(n if not order else 0):
                bad = _utf8_error(&b[0] + o[i], o[i + 1] - o[i])
                if bad >= 0:
                    row = i
                    break
    if order:
        raise ValueError("the offsets do not index the key bytes in order")
    if row >= 0:
        raw = bytes(b[o[row]:o[row + 1]])
        raise ValueError(f"key {row} is not valid UTF-8 (byte {bad} of {raw[:40]!r})")


def _copied(values, dtype):
    """``values`` (array-like) as a new 1-D array of ``dtype`` in its own map."""
    values = np.asarray(values).reshape(-1)
    out = _mapped(len(values), dtype)
    out[:] = values
    return out


def _rebuild(blob, offsets, k0, k1):
    """A pickled :class:`PackedKeys` back: the table is not pickled but built again from
    the keys, under the same hash key (so a pickle is smaller, and a corrupt one cannot
    hand over a table that disagrees with its keys)."""
    keys, dups = PackedKeys.from_arrays(blob, offsets,
                                        int(k0).to_bytes(8, "little") + int(k1).to_bytes(8, "little"))
    if len(dups):
        raise ValueError("pickled keys repeat a key")
    return keys
