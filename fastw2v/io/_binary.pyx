# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The word2vec binary format's rows, parsed in C.

A row is ``word`` + ``' '`` + ``dims`` little-endian float32, optionally preceded by
line breaks (the C tool writes one after each row, gensim none). :func:`parse_rows` reads
rows straight from the file's bytes (a memory map) into the destination matrix and
records where each word lies; :func:`join_words` gathers the words into one
space-separated blob, so that Python decodes them with one ``bytes.decode`` and one
``str.split`` per chunk instead of one call per word (words cannot hold a space: it ends
them). :func:`read_rows` drives both over a whole file in chunks.
"""
import numpy as np
cimport numpy as cnp
from libc.stdint cimport int64_t
from libc.string cimport memchr, memcpy

cnp.import_array()

cdef enum:
    C_TRUNCATED = 1
    C_LINE_BREAK_IN_WORD = 2

#: parse_rows stopped because the bytes end before the row's vector does
TRUNCATED = C_TRUNCATED
#: parse_rows stopped because a word holds a line break (rows longer than ``dims``)
LINE_BREAK_IN_WORD = C_LINE_BREAK_IN_WORD


def parse_rows(const unsigned char[::1] data, Py_ssize_t pos, Py_ssize_t stop,
               int64_t row, int64_t rows, float[:, ::1] out, int64_t[::1] word_start,
               int64_t[::1] word_end):
    """Parse rows ``row, row + 1, ...`` starting at byte ``pos`` while a row starts
    before byte ``stop`` and fewer than ``rows`` rows are done.

    Writes row ``r``'s vector to ``out[r]`` and its word's byte range to
    ``word_start[r]:word_end[r]``. Returns ``(pos, row, status)``: the byte after the
    last parsed row, the next row, and 0, :data:`TRUNCATED` or
    :data:`LINE_BREAK_IN_WORD` (then ``pos`` is where the bad row starts).
    """
    cdef Py_ssize_t n = data.shape[0], dims = out.shape[1]
    cdef Py_ssize_t row_bytes = 4 * dims
    cdef const unsigned char *base = &data[0] if n else NULL
    cdef const unsigned char *space
    cdef Py_ssize_t w
    cdef int status = 0
    if rows > out.shape[0] or rows > word_start.shape[0] or rows > word_end.shape[0]:
        raise ValueError("rows exceeds the output arrays")
    with nogil:
        while row < rows and pos < stop:
            while pos < n and base[pos] == 10:          # '\n' before the word
                pos += 1
            if pos >= n:
                status = C_TRUNCATED
                break
            space = <const unsigned char *>memchr(base + pos, 32, n - pos)
            if space == NULL:
                status = C_TRUNCATED
                break
            w = space - base
            if w + 1 + row_bytes > n:
                status = C_TRUNCATED
                break
            if memchr(base + pos, 10, w - pos) != NULL:
                status = C_LINE_BREAK_IN_WORD
                break
            word_start[row] = pos
            word_end[row] = w
            memcpy(&out[row, 0], base + w + 1, row_bytes)
            pos = w + 1 + row_bytes
            row += 1
    return pos, row, status


def join_words(const unsigned char[::1] data, int64_t[::1] word_start, int64_t[::1] word_end,
               int64_t rows):
    """The bytes of words ``0 .. rows - 1`` joined by single spaces."""
    cdef int64_t r, total = 0, at = 0, length
    for r in range(rows):
        total += word_end[r] - word_start[r] + 1
    out = bytearray(total - 1 if total else 0)
    if not total:
        return bytes(out)
    cdef unsigned char[::1] o = out
    with nogil:
        for r in range(rows):
            length = word_end[r] - word_start[r]
            if length:
                memcpy(&o[at], &data[word_start[r]], length)
            at += length
            if r + 1 < rows:
                o[at] = 32
                at += 1
    return bytes(out)


#: Bytes parsed between two releases of the mapped pages already copied.
CHUNK_BYTES = 1 << 22


def read_rows(data, Py_ssize_t start, int64_t rows, int dims, words_of):
    """Rows ``0 .. rows - 1`` of a binary word2vec file whose bytes are ``data`` (a
    read-only ``mmap`` or ``bytes``), from byte ``start``.

    Rows are parsed a chunk of :data:`CHUNK_BYTES` at a time; each chunk's words go, as
    one space-joined blob, to ``words_of(blob, starts, first)`` (``starts``: where each of
    the chunk's words begins in ``data``; ``first``: the chunk's first row), which keeps
    them as it likes (decoded, or packed). So only one chunk's word bytes are gathered
    here at a time, not the whole file's. Returns ``(vectors, pos, done, status)``: the
    float32 ``[done, dims]`` vectors, the byte after the last row (or where the bad row
    starts), the rows read and the :func:`parse_rows` status. A memory map's
    pages are released (``MADV_DONTNEED``) after each chunk, so the file's pages do not
    stay resident beside the matrix (they stay in the page cache).
    """
    import mmap as _mmap
    cdef const unsigned char[::1] view = data
    out = np.empty((rows, dims), dtype=np.float32)
    # a chunk holds at most this many rows (a row takes 4 * dims + 2 bytes at least)
    cdef int64_t capacity = max(1, min(rows, CHUNK_BYTES // (4 * dims + 2) + 1))
    starts = np.empty(capacity, dtype=np.int64)
    ends = np.empty(capacity, dtype=np.int64)
    cdef Py_ssize_t pos = start, released, page = _mmap.PAGESIZE
    cdef int64_t row = 0, got
    cdef int status = 0
    release = isinstance(data, _mmap.mmap) and hasattr(data, "madvise") \
        and hasattr(_mmap, "MADV_DONTNEED")
    released = 0
    while row < rows and status == 0:
        pos, got, status = parse_rows(view, pos, min(pos + CHUNK_BYTES, view.shape[0]), 0,
                                      min(capacity, rows - row), out[row:], starts, ends)
        if got:
            # the chunk's words are gathered now, while their pages are resident
            words_of(join_words(view, starts, ends, got), starts[:got], row)
            row += got
        if release and pos - released >= CHUNK_BYTES:
            # whole pages behind the last parsed row are dropped from this process
            upto = (pos // page) * page
            data.madvise(_mmap.MADV_DONTNEED, released, upto - released)
            released = upto
        if status == 0 and pos >= view.shape[0] and row < rows:
            status = TRUNCATED
    if row < rows:
        out = out[:row]
    return out, pos, row, status
