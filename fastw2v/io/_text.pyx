# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The word2vec text format's rows, parsed in C.

A row is a line ``word value value ...``: the word runs up to the line's first space byte,
the values are separated by runs of whitespace bytes (``bytes.split()``: space, ``\\t``,
``\\v``, ``\\f``, ``\\r``), whitespace at the end of the line is ignored and lines of
whitespace only are skipped. :func:`parse_rows` reads such rows straight from the file's
bytes (a memory map) into the destination matrix (float32 or float64) and records where
each word lies, as :func:`fastw2v.io._binary.parse_rows` does for binary rows.

Every value is the double that Python's ``float()`` gives for its bytes (which is what
NumPy's ``np.array(values, dtype=...)`` computes), cast to float32 for a float32 matrix:

* plain decimals that Clinger's exact fast path covers are computed in C (``_text.h``);
* other plain decimals (long significands, large exponents) go to CPython's correctly
  rounded, locale-independent parser (``PyOS_string_to_double``, which ``float()`` uses);
* anything else (``nan``, ``inf``, ``1_000``, garbage) goes to ``float()`` itself.

A line that is not a clean row (wrong number of values, a value ``float()`` rejects, no
space after the word, a float32 overflow that NumPy warns about, a blank line holding a
space) is left to the caller: :func:`parse_rows` stops before it with status
:data:`PYTHON_LINE`, and the caller parses that line the pure-Python way (same values,
same errors, same warnings) before calling again from the next line.
"""
import numpy as np
cimport numpy as cnp
from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.number cimport PyNumber_Float
from cpython.ref cimport PyObject
from cython cimport floating
from libc.math cimport isinf
from libc.stdint cimport int64_t
from libc.string cimport memchr, memcpy

cnp.import_array()

cdef extern from "_text.h":
    int FW_OK
    int FW_INEXACT
    int FW_GRAMMAR
    ctypedef struct fw_scanner:
        pass
    ctypedef struct fw_value:
        pass
    bint fw_is_space(unsigned char c) nogil
    int fw_read_token(const unsigned char *s, size_t length, const unsigned char *begin,
                      const unsigned char *end, fw_value *value) nogil
    double fw_value_double(fw_value x) nogil
    void fw_set_double(fw_value *x, double v) nogil
    void fw_scan_init(fw_scanner *sc, const unsigned char *at, const unsigned char *end) nogil
    const unsigned char *fw_skip_separators(fw_scanner *sc, const unsigned char *p) nogil
    const unsigned char *fw_next_separator(fw_scanner *sc, const unsigned char *p) nogil

cdef extern from "Python.h":
    double PyOS_string_to_double(const char *s, char **endptr,
                                 PyObject *overflow_exception) except? -1.0

cdef enum:
    C_DONE = 0
    C_PYTHON_LINE = 1
    C_FULL = 2
    C_SLOW_VALUE = 3

#: parse_rows stopped at the chunk's end or at the end of the bytes
DONE = C_DONE
#: parse_rows stopped before a line that the caller must parse in Python
PYTHON_LINE = C_PYTHON_LINE
#: parse_rows stopped because ``rows`` rows are done
FULL = C_FULL
#: parse_rows (``python_values=False``) stopped before a line holding a value that only
#: Python's parser reads; parse that line with ``python_values=True``
SLOW_VALUE = C_SLOW_VALUE

cdef enum:
    # the longest plain decimal handed to PyOS_string_to_double (it needs a NUL-terminated
    # copy); longer ones go to float()
    SHORT_TOKEN = 128
    # values of a row read (tokenized) before they are converted, in one run
    RUN = 128


cdef int slow_value(const unsigned char *s, const unsigned char *end, int kind,
                    double *value) except -1:
    """The value of the token ``s .. end`` that the fast path did not compute: 0, or 1
    where ``float()`` rejects it."""
    cdef char buf[SHORT_TOKEN + 1]
    cdef char *stop
    cdef Py_ssize_t length = end - s
    cdef double v = 0
    if kind == FW_INEXACT and length <= SHORT_TOKEN:
        # float() itself calls PyOS_string_to_double for such a token
        memcpy(buf, s, length)
        buf[length] = 0
        try:
            v = PyOS_string_to_double(buf, &stop, NULL)
        except ValueError:
            stop = NULL                         # (the grammar was checked: not expected)
        if stop == buf + length:
            value[0] = v
            return 0
    try:
        number = PyNumber_Float(PyBytes_FromStringAndSize(<const char *>s, length))
    except ValueError:
        return 1
    value[0] = PyFloat_AS_DOUBLE(number)
    return 0


cdef inline bint has_line_break(const unsigned char *p, const unsigned char *q) noexcept nogil:
    """Whether the separators ``p .. q`` hold a ``\\n`` (usually one byte: a space)."""
    if q - p == 1:
        return p[0] == 10
    return q > p and memchr(p, 10, q - p) != NULL


cdef Py_ssize_t parse_chunk(const unsigned char *base, Py_ssize_t n, Py_ssize_t pos,
                            Py_ssize_t stop, int64_t *line_no, int64_t *row, int64_t rows,
                            floating *out, Py_ssize_t dims, int64_t *word_start,
                            int64_t *word_end, bint python_values,
                            int *status) except -1 nogil:
    cdef const unsigned char *end = base + n
    cdef const unsigned char *p
    cdef const unsigned char *q
    cdef const unsigned char *tok
    cdef const unsigned char *word_stop
    cdef floating *dst
    cdef fw_scanner sc
    cdef Py_ssize_t k, k0, count
    cdef fw_value run[RUN]
    cdef bint overflow
    cdef int kind
    cdef double v
    cdef float f
    cdef bint blank
    cdef int rejected
    status[0] = C_DONE
    fw_scan_init(&sc, base + pos, end)
    while pos < stop and pos < n:
        if row[0] >= rows:
            status[0] = C_FULL
            return pos
        p = base + pos
        # the word: up to the first space of the line
        blank = True
        while p < end and p[0] != 32 and p[0] != 10:
            if blank and not fw_is_space(p[0]):
                blank = False
            p += 1
        if p == end or p[0] == 10:
            if blank:                           # a line of whitespace (no space byte)
                pos = (p - base) + 1
                line_no[0] += 1
                continue
            status[0] = C_PYTHON_LINE           # a word and no values
            return pos
        word_stop = p
        q = p + 1
        dst = out + row[0] * dims
        # runs of values: read them all (the tokenizing), then convert them all (each
        # conversion ends in a division that then overlaps the next ones)
        k0 = 0
        while k0 < dims:
            count = min(<Py_ssize_t>RUN, dims - k0)
            for k in range(count):
                # the value: from the next non-separator to the next separator
                tok = fw_skip_separators(&sc, q)
                if tok == end or has_line_break(q, tok):
                    status[0] = C_PYTHON_LINE   # fewer values than dims (or a blank line)
                    return pos
                q = fw_next_separator(&sc, tok)
                kind = fw_read_token(tok, q - tok, base, end, &run[k])
                if kind != FW_OK:
                    if not python_values:
                        status[0] = C_SLOW_VALUE    # (no GIL here: the caller reads the line)
                        return pos
                    with gil:
                        rejected = slow_value(tok, q, kind, &v)
                    if rejected:
                        status[0] = C_PYTHON_LINE   # not a number: the caller's error
                        return pos
                    fw_set_double(&run[k], v)
            overflow = False
            for k in range(count):
                v = fw_value_double(run[k])
                if floating is float:
                    f = <float>v
                    if isinf(f) and not isinf(v):
                        overflow = True
                    dst[k0 + k] = f
                else:
                    dst[k0 + k] = v
            if overflow:
                status[0] = C_PYTHON_LINE       # NumPy warns of this overflow: let it
                return pos
            k0 += count
        # the rest of the line: separators only
        tok = fw_skip_separators(&sc, q)
        if q < tok and q[0] == 10:
            p = q                               # (the usual end of a row)
        else:
            p = <const unsigned char *>memchr(q, 10, tok - q) if tok > q else NULL
            if p == NULL:
                if tok < end:
                    status[0] = C_PYTHON_LINE   # more values than dims
                    return pos
                p = end
        word_start[row[0]] = pos
        word_end[row[0]] = word_stop - base
        row[0] += 1
        line_no[0] += 1
        pos = (p - base) + 1 if p < end else n
    if row[0] >= rows and pos < n:
        status[0] = C_FULL
    return pos


def parse_rows(const unsigned char[::1] data, Py_ssize_t pos, Py_ssize_t stop,
               int64_t line_no, int64_t row, int64_t rows, floating[:, ::1] out,
               int64_t[::1] word_start, int64_t[::1] word_end, bint python_values=True):
    """Parse the lines starting at byte ``pos`` (line number ``line_no``) while a line
    starts before byte ``stop`` and fewer than ``rows`` rows are done, as rows ``row,
    row + 1, ...``.

    Writes row ``r``'s values to ``out[r]`` (float32 or float64) and its word's byte
    range to ``word_start[r]:word_end[r]``. Returns ``(pos, line_no, row, status)``: the
    first byte and the number of the next line, the next row, and :data:`DONE`,
    :data:`PYTHON_LINE` (the line at ``pos`` is for the caller) or :data:`FULL`.

    ``python_values=False`` parses without the GIL (other threads run meanwhile) and
    stops with :data:`SLOW_VALUE` before a line holding a value that the C fast path
    does not compute; ``True`` (default) holds the GIL and asks Python for such values.
    """
    cdef Py_ssize_t n = data.shape[0], dims = out.shape[1]
    cdef int status = C_DONE
    if rows > out.shape[0] or rows > word_start.shape[0] or rows > word_end.shape[0]:
        raise ValueError("rows exceeds the output arrays")
    if row < 0 or pos < 0 or dims <= 0:
        raise ValueError("invalid row, position or dimension")
    if pos >= n or row >= rows:
        return pos, line_no, row, (C_FULL if row >= rows and pos < n else C_DONE)
    cdef const unsigned char *base = &data[0]
    cdef floating *dst = &out[0, 0]
    cdef int64_t *starts = &word_start[0]
    cdef int64_t *ends = &word_end[0]
    stop = min(stop, n)
    if python_values:
        pos = parse_chunk(base, n, pos, stop, &line_no, &row, rows, dst, dims, starts, ends,
                          True, &status)
    else:
        with nogil:
            pos = parse_chunk(base, n, pos, stop, &line_no, &row, rows, dst, dims, starts,
                              ends, False, &status)
    return pos, line_no, row, status


def count_lines(const unsigned char[::1] data, Py_ssize_t start, Py_ssize_t stop):
    """How many ``\\n`` bytes lie in ``data[start:stop]``."""
    cdef Py_ssize_t count = 0
    cdef const unsigned char *p
    cdef const unsigned char *end
    if stop > data.shape[0]:
        stop = data.shape[0]
    if start >= stop:
        return 0
    p = &data[start]
    end = &data[0] + stop
    with nogil:
        while p < end:
            p = <const unsigned char *>memchr(p, 10, end - p)
            if p == NULL:
                break
            count += 1
            p += 1
    return count
