"""Word-vector text formats shared with other tools: the word2vec C tool's text and binary
formats (also read and written by gensim), GloVe text files (no header line) and
fastText ``.vec`` files (word2vec text format).

Layout::

    header   b"<rows> <dims>\\n"                  (absent in GloVe files)
    text     b"word v1 v2 ... vd\\n"              one row per line
    binary   b"word " + d little-endian float32 [+ b"\\n"]

The C tool ends each binary row with ``\\n``; gensim writes none. Both are read: newlines
before a word are skipped. fastw2v writes the C tool's newline, so its binary file is one
byte per row longer than gensim's for the same vectors; the header, the words and the
float32 bytes are identical (see docs/errors.md). Files may be gzip, bzip2 or xz
compressed (detected from their first bytes, or chosen by the ``.gz``/``.bz2``/``.xz``
suffix on writing; the formats are :data:`fastw2v.corpus.compression.COMPRESSIONS`).
``fvocab`` files are ``word count`` lines, written by :mod:`fastw2v.vocab` and read here
with the vector file's ``encoding`` and ``unicode_errors``.

Loading never trusts the header: sizes are checked against the bytes present before
anything is allocated, and every problem raises :class:`fastw2v.FormatError` (a
``ValueError``) naming the file, the row and the problem; a file that ends too early
raises its subclass :class:`fastw2v.errors.TruncatedFileError` (also an ``EOFError``, as
gensim raises) and a word that is not valid in ``encoding`` raises
:class:`fastw2v.errors.UndecodableError` (also a ``UnicodeDecodeError``). A binary file
read as text, or a text file read with ``binary=True``, is recognised and the message
says which ``binary=`` to pass.
"""
from __future__ import annotations

import codecs
import logging
import mmap
import os
import re
import sys
from typing import Dict

import numpy as np

from ..config import MAX_VECTOR_SIZE
from ..corpus import usable_cpus
from ..corpus.compression import DECOMPRESSION_ERRORS, MAGIC_LENGTH, by_magic, write_by_suffix
from ..errors import TruncatedFileError, UndecodableError
from ..vocab import check_vocab_word, read_word_counts, write_word_counts
from ._binary import LINE_BREAK_IN_WORD, TRUNCATED, join_words
from ._binary import read_rows as read_binary_rows
from ._text import FULL, PYTHON_LINE, SLOW_VALUE, count_lines
from ._text import parse_rows as parse_text_rows
from .native import FormatError, atomic_write, write_through

logger = logging.getLogger("fastw2v")

_MAX_HEADER = 4096
_COUNT = re.compile(rb"-?[0-9]+")


def _read_bytes(path: str):
    """The file's (decompressed) bytes: a read-only mmap for plain files."""
    if os.path.isdir(path):
        raise IsADirectoryError(f"word-vector file {path!r} is a directory")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"word-vector file {path!r} does not exist")
    size = os.path.getsize(path)
    if size == 0:
        raise FormatError(f"{path}: empty file")
    with open(path, "rb") as fh:
        compression = by_magic(fh.read(MAGIC_LENGTH))
        if compression is not None:
            try:
                fh.seek(0)
                return compression.decompress(fh.read())
            except DECOMPRESSION_ERRORS as exc:
                cut = isinstance(exc, EOFError) or "ended before" in str(exc)
                kind = TruncatedFileError if cut else FormatError
                raise kind(f"{path}: corrupt compressed file ({'truncated: ' if cut else ''}"
                           f"{exc})") from None
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)


def _check_options(path, binary, encoding, unicode_errors, limit, datatype, no_header):
    try:
        codecs.lookup(encoding)
        codecs.lookup_error(unicode_errors)
    except LookupError as exc:
        raise ValueError(f"{exc} (encoding={encoding!r}, unicode_errors={unicode_errors!r})") from None
    dtype = np.dtype(datatype)
    if dtype.kind != "f":
        raise ValueError(f"datatype={datatype!r} is invalid: use a floating-point type")
    if limit is not None and (not isinstance(limit, (int, np.integer)) or limit < 0):
        raise ValueError(f"limit={limit!r} is invalid: use None or an integer >= 0")
    if no_header and binary:
        raise ValueError(f"{path}: no_header=True is only for text files (GloVe); binary "
                         "word2vec files always have a header")
    return dtype


def _parse_header(path, data):
    end = data.find(b"\n", 0, _MAX_HEADER)
    line = data[:end if end >= 0 else min(len(data), _MAX_HEADER)]
    parts = line.split()
    try:
        if len(parts) != 2:
            raise ValueError
        rows, dims = int(parts[0]), int(parts[1])
    except ValueError:
        raise FormatError(f"{path}: the first line {bytes(line[:60])!r} is not a '<rows> <dims>' "
                          "header (GloVe files have none: pass no_header=True)") from None
    if end < 0:
        raise TruncatedFileError(f"{path}: truncated after the header (no rows)")
    if rows < 0 or dims <= 0:
        raise FormatError(f"{path}: header says {rows} rows of {dims} dimensions")
    if dims > MAX_VECTOR_SIZE:
        # as many as training allows; more is a damaged header (checked even with no rows,
        # where nothing else would catch it)
        raise FormatError(f"{path}: header says {dims} dimensions, more than the "
                          f"{MAX_VECTOR_SIZE} fastw2v reads and trains")
    return rows, dims, end + 1


def _decode(path, raw: bytes, encoding, unicode_errors, where: str) -> str:
    try:
        return raw.decode(encoding, unicode_errors)
    except UnicodeDecodeError as exc:
        raise UndecodableError(
            f"{path}: {where}: word {bytes(raw[:40])!r} is not valid {encoding} ({exc.reason}; "
            "pass unicode_errors='replace' or 'ignore' to load it anyway)",
            exc.encoding, exc.object, exc.start, exc.end, exc.reason) from None


# bytes of numbers written as text: what the first vector of a text file is made of
_TEXT_NUMBER_BYTES = frozenset(b"0123456789.-+eE \t\r\n")


def _first_row_is_text(data, start, dims) -> bool:
    """Whether the first row after the header holds numbers written as text where a
    binary row would have ``4 * dims`` bytes of float32 (a text file read as binary)."""
    space = data.find(b" ", start, start + _MAX_HEADER)
    if space < 0:
        return False
    vector = bytes(data[space + 1:space + 1 + 4 * dims])
    return len(vector) > 0 and all(b in _TEXT_NUMBER_BYTES for b in vector) \
        and any(48 <= b <= 57 for b in vector)


def _looks_binary(data, start, dims) -> bool:
    """Whether the rows after a header look like binary float32 rows (a binary file read
    as text): control bytes (NUL included), which float32 data is full of and text never
    holds, or a first row laid out as ``word``, a space, ``4 * dims`` bytes and the C
    tool's newline, with a line break inside those bytes."""
    if dims is None:
        return False
    sample = bytes(data[start:start + 4 * dims + 4096])
    controls = sum(sample.count(bytes([b])) for b in range(32) if b not in (9, 10, 13))
    if b"\0" in sample or controls > len(sample) // 100:
        return True
    space = sample.find(b" ")
    end = space + 1 + 4 * dims
    return space > 0 and b"\n" not in sample[:space] and end < len(sample) \
        and sample[end:end + 1] == b"\n" and b"\n" in sample[space + 1:end]


def _read_binary(path, data, start, rows, dims, words, check_end=True):
    """The rows of a binary file from byte ``start``: ``(words, vectors)``, the words
    gathered in ``words`` (a :class:`_Words`)."""
    row_bytes = 4 * dims
    available = len(data) - start
    if rows and _first_row_is_text(data, start, dims):
        raise FormatError(f"{path}: this looks like a text file (the first row's values are "
                          "written as text): pass binary=False")
    if rows * (row_bytes + 1) > available:
        raise TruncatedFileError(f"{path}: header promises {rows} rows of {dims} float32 (at least "
                          f"{rows * (row_bytes + 1)} bytes) but only {available} bytes follow; "
                          "truncated, or not a binary word2vec file (binary=False for text)")
    def words_of(blob, starts, first):
        words.add_joined(blob, len(starts), lambda r: f"row {first + r + 1} (byte {starts[r]})")

    vectors, pos, done, status = read_binary_rows(data, start, rows, dims, words_of)
    if status == TRUNCATED:
        raise TruncatedFileError(f"{path}: truncated at row {done + 1} of {rows} (byte {pos}): "
                                 "the file ends before this row's vector does")
    if status == LINE_BREAK_IN_WORD:
        # words never hold a line break: the previous row was longer than the header's
        # dimension says, so its leftover floats ran into this word
        raw = bytes(data[pos:min(pos + 40, data.find(b" ", pos))])
        raise FormatError(f"{path}: row {done + 1} (byte {pos}): word {raw!r} holds "
                          f"a line break: rows do not have the header's {dims} dimensions "
                          "(mislabelled header, or not a binary word2vec file)")
    if sys.byteorder != "little":
        vectors = vectors.byteswap()          # the format is little-endian float32
    if check_end and data[pos:].strip():
        raise FormatError(f"{path}: header says {rows} rows but more data follows row {rows} "
                          f"(byte {pos}): mislabelled header (pass limit= to read only the "
                          "first rows)")
    return words, vectors


#: Encodings in which a space byte is always a space (never inside another character) and
#: decoding carries no state across words: the words of a file are decoded as one
#: space-joined blob. Others are decoded word by word. (``utf-8-sig`` is not one: it drops
#: a BOM at the start of each word, not only of the blob.)
_BLOB_ENCODINGS = ("utf-8", "ascii", "latin-1", "iso8859", "cp125", "windows-125")
#: Error handlers that treat an undecodable byte the same way in a word and in the blob
#: (a space always ends an invalid sequence): with others, words are decoded one by one.
_BLOB_ERROR_HANDLERS = frozenset(("strict", "ignore", "replace", "backslashreplace",
                                  "surrogateescape", "surrogatepass"))


def _decode_words(path, blob, n, encoding, unicode_errors, where):
    """``n`` words of a file (``blob``: their bytes joined by spaces), decoded as one call
    where the encoding allows; an undecodable word is reported as :func:`_decode` does,
    at ``where(r)`` (``r``: the word's place in ``blob``). Words hold no space byte, so
    ``blob`` split at its spaces gives back each word's bytes (the file's pages are not
    touched again)."""
    if not n:
        return []
    name = codecs.lookup(encoding).name
    if name.startswith(_BLOB_ENCODINGS) and name != "utf-8-sig" \
            and unicode_errors in _BLOB_ERROR_HANDLERS:
        try:
            words = blob.decode(encoding, unicode_errors).split(" ")
        except UnicodeDecodeError as exc:
            r = blob.count(b" ", 0, exc.start)      # the word holding the bad bytes
            _decode(path, blob.split(b" ")[r], encoding, unicode_errors, where(r))
            raise                                   # _decode raised already
        if len(words) == n:
            return words
    words = []
    for r, raw in enumerate(blob.split(b" ")):
        try:
            words.append(raw.decode(encoding, unicode_errors))
        except UnicodeDecodeError:
            _decode(path, raw, encoding, unicode_errors, where(r))
            raise                                   # _decode raised already
    return words


class _Words:
    """The words of a file as its reader finds them, in row order: decoded into a
    ``list`` of ``str``, or (``packed``) checked and kept as the file's bytes for
    :class:`fastw2v.vectors.PackedKeys` (no Python object per word: a word costs its
    bytes, not about 130 bytes as ``str``, list slot, dict entry and ``int``). Packing
    needs words whose bytes are their UTF-8 (:func:`_packable`)."""

    def __init__(self, path, encoding, unicode_errors, packed):
        self.path, self.encoding, self.unicode_errors = path, encoding, unicode_errors
        self.packed = packed
        self._items = []        # str, or (packed) bytes of words joined by spaces
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def add_joined(self, blob: bytes, n: int, where) -> None:
        """``n`` words whose bytes ``blob`` joins by single spaces; ``where(r)`` names
        the place of word ``r`` in an error."""
        if not self.packed:
            self._items += _decode_words(self.path, blob, n, self.encoding,
                                         self.unicode_errors, where)
        elif n:
            try:
                blob.decode(self.encoding)          # strict: checked, not kept
            except UnicodeDecodeError:
                _decode_words(self.path, blob, n, self.encoding, self.unicode_errors, where)
                raise                               # _decode_words raised already
            self._items.append(blob)
        self._count += n

    def add(self, word: str) -> None:
        """One word, decoded already."""
        self._items.append(word.encode("utf-8") if self.packed else word)
        self._count += 1

    def result(self):
        """The ``list`` of ``str``, or (``packed``) ``(PackedKeys, rows of words seen
        before)`` (see :meth:`PackedKeys.from_arrays`)."""
        if not self.packed:
            return self._items
        from ..vectors import PackedKeys
        chunks, self._items = self._items, []
        return PackedKeys.from_joined(chunks, self._count)


def _packable(encoding, unicode_errors) -> bool:
    """Whether a word's bytes in the file are the UTF-8 of the word it decodes to, so
    that words can be packed as they are: UTF-8 or ASCII, decoded strictly."""
    return unicode_errors == "strict" and codecs.lookup(encoding).name in ("utf-8", "ascii")


#: Bytes of a memory-mapped text file read between two releases of its pages (also the
#: most one C call parses). Each reading thread holds up to this many bytes of the file
#: resident: with 4 MB and two threads that was 0.07x the matrix of a 100,000 x 300 text
#: file (peak 1.149x; 1.077x with 1 MB, at the same speed within the noise).
_RELEASE_BYTES = 1 << 20


def _release_pages(data, released, pos):
    """Once ``_RELEASE_BYTES`` of a memory map are read past ``released``, hand the pages
    up to ``pos`` back (they stay in the page cache, not in this process); returns where
    the released pages now end."""
    if pos - released < _RELEASE_BYTES:
        return released
    upto = min(pos, len(data)) // mmap.PAGESIZE * mmap.PAGESIZE
    if upto > released:
        data.madvise(mmap.MADV_DONTNEED, released, upto - released)
    return max(released, upto)


def _text_lines(data, start, first_line):
    """(line number, line without trailing whitespace) for every non-blank line. Lines
    are cut from ``data`` one at a time (no copy of the whole file), and the pages of a
    memory map already read are released as it goes, so the file does not stay resident
    beside the matrix (it stays in the page cache)."""
    release = isinstance(data, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED")
    n, pos, line_no, released = len(data), start, first_line, 0
    while pos < n:
        end = data.find(b"\n", pos)
        if end < 0:
            end = n
        line = data[pos:end].rstrip()
        if line:
            yield line_no, line
        line_no += 1
        pos = end + 1
        if release:
            released = _release_pages(data, released, pos)


def _split_row(path, line, line_no, dims, dtype, encoding, unicode_errors):
    word, _, rest = line.partition(b" ")
    values = rest.split()
    if dims is not None and len(values) != dims:
        raise FormatError(f"{path}: line {line_no}: {len(values)} values, expected {dims} "
                          f"(line starts {bytes(line[:40])!r})")
    try:
        vec = np.array(values, dtype=dtype)
    except ValueError:
        raise FormatError(f"{path}: line {line_no}: values are not numbers "
                          f"(line starts {bytes(line[:40])!r}); a binary file? (binary=True)") from None
    return _decode(path, word, encoding, unicode_errors, f"line {line_no}"), vec


def _read_text(path, data, start, rows, dims, dtype, words, first_line, check_end=True):
    """The rows of a text file from byte ``start`` (see :func:`_read_text_rows`); a
    :class:`FormatError` of a file that looks binary says so."""
    try:
        if rows is not None and dims is not None and rows * (2 * dims) > len(data) - start:
            raise TruncatedFileError(f"{path}: header promises {rows} rows of {dims} values "
                                     f"but only {len(data) - start} bytes follow: truncated "
                                     "or mislabelled")
        if rows == 0:
            return words, np.zeros((0, dims), dtype=dtype)
        return _read_text_rows(path, data, start, rows, dims, dtype, words, first_line,
                               check_end)
    except FormatError as exc:
        if _looks_binary(data, start, dims):
            raise FormatError(f"{path}: this looks like a binary file: pass binary=True "
                              f"(read as text: {str(exc)[len(path) + 2:]})") from None
        raise


def _unended_tail(data) -> bytes:
    """The last line of a file that does not end with a newline (without trailing
    whitespace; ``b""`` where the file ends with a newline): a file cut in its last row
    ends in that row."""
    return b"" if data[len(data) - 1:] == b"\n" else bytes(data[data.rfind(b"\n") + 1:]).rstrip()


def _warn_unended(path, tail):
    """Warn where the rows read ran to the end of a file whose last line has no line
    break (``tail``: :func:`_unended_tail`): a file cut inside its last value still has
    every value of its last row, only the last one shorter, and nothing else tells."""
    if tail:
        logger.warning("%s: the file ends without a line break, so its last value may have "
                       "been cut short (the C tool, gensim and fastw2v end every row with "
                       "one): check that the file is complete", path)


def _python_row(path, line, line_no, rows, row, dims, dtype, encoding, unicode_errors,
                check_end, tail):
    """One non-blank line read the Python way, as row ``row``: ``(word, vector, dims)``
    (``dims`` found from the first row where ``None``), or ``None`` where the header's
    ``rows`` are done and ``check_end`` is off. ``tail``: :func:`_unended_tail` of the
    file."""
    if rows is not None and row >= rows:
        if not check_end:
            return None
        raise FormatError(f"{path}: header says {rows} rows but line {line_no} holds "
                          "another one: mislabelled header (pass limit= to read only "
                          "the first rows)")
    try:
        word, vec = _split_row(path, line, line_no, dims, dtype, encoding, unicode_errors)
    except FormatError as exc:
        # a short last row with no newline after it: the file was cut in that row
        if tail and line == tail and dims is not None and len(line.split()) <= dims \
                and not isinstance(exc, UndecodableError):
            raise TruncatedFileError(f"{path}: truncated in line {line_no}: the file ends "
                                     f"before its {dims} values do") from None
        raise
    if dims is None:
        dims = len(vec)
        if dims == 0:
            raise FormatError(f"{path}: line {line_no}: no values after the word")
    return word, vec, dims


#: dtypes whose text rows are parsed in C (others: :func:`_read_text_rows_python`)
_C_TEXT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


#: Text files with at least this many bytes of rows are parsed by several threads.
_PARALLEL_TEXT_BYTES = 32 << 20
#: The most threads a text file is parsed by.
_MAX_TEXT_THREADS = 8


def _text_threads(nbytes: int) -> int:
    """How many threads parse ``nbytes`` of text rows: one per usable CPU (at most
    ``_MAX_TEXT_THREADS``), and one for files under ``_PARALLEL_TEXT_BYTES``."""
    if nbytes < _PARALLEL_TEXT_BYTES:
        return 1
    return max(1, min(usable_cpus(), _MAX_TEXT_THREADS))


def _end_of_last_line(data, start) -> int:
    """Where the last line after ``start`` that holds anything but whitespace ends (after
    its newline, or the end of the data where it has none); ``start`` if there is none."""
    end = len(data)
    while end > start:
        block = data[max(start, end - 65536):end]
        kept = len(block.rstrip())
        if kept:
            end -= len(block) - kept
            newline = data.find(b"\n", end)
            return len(data) if newline < 0 else newline + 1
        end -= len(block)
    return start


class _NotPlain(Exception):
    """A text file that the parallel reader leaves to the sequential one."""


def _parallel_text_rows(data, start, rows, dims, dtype, first_line, threads):
    """Rows of a plain text file parsed by ``threads`` threads, each over its own run of
    lines, without the GIL (``parse_rows(..., python_values=False)``).

    Plain: exactly ``rows`` lines after the header, blank lines at the end aside, each a
    clean row (no blank line between rows, no line the C parser leaves to Python). Then
    line ``i`` is row ``i``, and each thread knows where its rows go from the lines
    before its run. Returns ``(parts, starts, matrix)`` (``parts``: ``(first row, rows,
    their words' bytes joined by spaces)`` per chunk, in row order; ``starts``: where
    each row begins), or ``None`` for any other file: the sequential reader then reads
    it from the start and gives its values, errors and warnings. Values that only
    Python parses are read one line at a time with the GIL. Each thread releases the
    pages of the memory map it has read, as the sequential reader does."""
    from ..training.runner import ThreadRunner

    n = _end_of_last_line(data, start)      # blank lines at the end hold no row
    if n <= start:
        return None
    bounds = [start]
    for i in range(1, threads):
        cut = data.find(b"\n", start + (n - start) * i // threads)
        bounds.append(max(bounds[-1], n if cut < 0 else cut + 1))
    bounds.append(n)
    release = isinstance(data, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED")

    def count(i):
        """The lines of run i, its pages released as they are counted (the file would
        otherwise be resident beside the matrix until the rows are parsed)."""
        pos, stop, total = bounds[i], bounds[i + 1], 0
        released = pos // mmap.PAGESIZE * mmap.PAGESIZE
        while pos < stop:
            if given_up:
                raise _NotPlain
            upto = min(pos + _RELEASE_BYTES, stop)
            total += count_lines(data, pos, upto)
            pos = upto
            if release:
                released = _release_pages(data, released, pos)
        return total

    given_up = []       # set when the threads are to stop (see in_threads)

    def run(i):
        pos, line_no, row = bounds[i], first_line + first_rows[i], first_rows[i]
        stop, last_row = bounds[i + 1], first_rows[i + 1]
        released = pos // mmap.PAGESIZE * mmap.PAGESIZE
        parts = []
        while pos < stop:
            if given_up:
                raise _NotPlain
            first = row
            pos, line_no, row, status = parse_text_rows(
                data, pos, min(pos + _RELEASE_BYTES, stop), line_no, row, last_row, out,
                starts, ends, python_values=False)
            if status == SLOW_VALUE:            # one line, its odd values read by Python
                pos, line_no, row, status = parse_text_rows(
                    data, pos, pos + 1, line_no, row, last_row, out, starts, ends)
            if status == PYTHON_LINE or (status == FULL and pos < stop):
                given_up.append(i)
                raise _NotPlain
            if row > first:
                parts.append((first, row - first,
                              join_words(data, starts[first:row], ends[first:row], row - first)))
            if release:
                released = _release_pages(data, released, pos)
        if row != last_row:                     # blank lines: rows are not lines
            given_up.append(i)
            raise _NotPlain
        return parts

    def in_threads(body):
        """``body(i)`` for every run ``i``, each on its own thread; their results in
        order. Ctrl-C, or one thread finding the file not plain, stops every thread at
        its next chunk (1 MiB), and all of them have ended before this returns or
        raises: an interrupt is not held up until the whole file is read, and no thread
        still reads the map when the caller closes it."""
        results = [None] * threads

        def work(i):
            results[i] = body(i)

        ThreadRunner("fastw2v-load", threads, work,
                     stop=lambda: given_up.append(-1)).run(lambda: None)
        return results

    try:
        lines = in_threads(count)
        if data[n - 1:n] != b"\n":
            lines[-1] += 1                      # the last line, unended
        if sum(lines) != rows:
            return None
        first_rows = np.concatenate([[0], np.cumsum(lines)]).tolist()
        out = np.empty((rows, dims), dtype=dtype)
        starts = np.empty(rows, dtype=np.int64)
        ends = np.empty(rows, dtype=np.int64)
        parts = [p for ps in in_threads(run) for p in ps]
    except _NotPlain:
        return None
    return parts, starts, out


def _read_text_rows(path, data, start, rows, dims, dtype, words, first_line, check_end):
    """The words and vectors of text rows from byte ``start`` (line ``first_line``):
    ``rows`` rows of ``dims`` values (``None``: up to the end of the file, and as many
    values as the first row has). float32 and float64 rows are parsed in C
    (:func:`fastw2v.io._text.parse_rows`), chunk by chunk, the pages of a memory map
    released between chunks (as :func:`_text_lines` does); the lines the C parser leaves
    to Python (the first row of a file without header, wrong rows, lines after the last
    row) are read as :func:`_read_text_rows_python` reads every line, so the values,
    errors and warnings are the same."""
    if dtype not in _C_TEXT_DTYPES:
        return _read_text_rows_python(path, data, start, rows, dims, dtype, words,
                                      first_line, check_end)
    encoding, unicode_errors = words.encoding, words.unicode_errors

    def decode(blob, first, count):
        """Gather the words of rows ``first .. first + count - 1`` (``blob``: their bytes
        joined by spaces); an undecodable one is reported at its line."""
        words.add_joined(
            blob, count,
            lambda r: f"line {first_line + count_lines(data, start, starts[first + r])}")

    if rows is not None and dims is not None:
        threads = _text_threads(len(data) - start)
        if threads > 1:
            done = _parallel_text_rows(data, start, rows, dims, dtype, first_line, threads)
            if done is not None:
                parts, starts, out = done
                for first, count, blob in parts:
                    decode(blob, first, count)
                _warn_unended(path, _unended_tail(data))    # the last row is the last line
                return words, out
    n = len(data)
    release = isinstance(data, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED")
    pos, line_no, row, released = start, first_line, 0, 0
    out = starts = ends = None
    capacity = 0
    # words are decoded chunk by chunk: an undecodable word raises before
    tail = _unended_tail(data)  # any later line's error, as it would line by line

    while pos < n:
        if out is not None and row < capacity:
            first = row
            pos, line_no, row, status = parse_text_rows(
                data, pos, min(pos + _RELEASE_BYTES, n), line_no, row, capacity, out,
                starts, ends)
            if pos >= n and row > first and status != PYTHON_LINE:
                _warn_unended(path, tail)
            if row > first:
                # the chunk's words are gathered now, while their pages are resident
                decode(join_words(data, starts[first:row], ends[first:row], row - first),
                       first, row - first)
            if release:
                released = _release_pages(data, released, pos)
            if status != PYTHON_LINE and row < capacity:
                continue
        if pos >= n:
            break
        # one line read in Python, as _read_text_rows_python reads each line
        end = data.find(b"\n", pos)
        if end < 0:
            end = n
        line = data[pos:end].rstrip()
        this_line = line_no
        pos, line_no = end + 1, line_no + 1
        if not line:
            continue
        got = _python_row(path, line, this_line, rows, row, dims, dtype, encoding,
                          unicode_errors, check_end, tail)
        if got is None:
            break
        word, vec, dims = got
        if pos >= n:
            _warn_unended(path, tail)
        if out is None:
            # as many rows as the header says, or (no header) as the bytes could hold: a
            # value takes at least two bytes with its separator (rows never written cost
            # no memory)
            capacity = (n - start) // (2 * dims) + 1
            if rows is not None:
                capacity = min(rows, capacity)
            out = np.empty((capacity, dims), dtype=dtype)
            starts = np.empty(capacity, dtype=np.int64)
            ends = np.empty(capacity, dtype=np.int64)
        out[row] = vec
        words.add(word)
        row += 1
    if rows is not None and row < rows:
        raise TruncatedFileError(f"{path}: header promises {rows} rows but the file has "
                                 f"{row}")
    if not row:
        raise FormatError(f"{path}: no vectors in the file")
    return words, out[:row]


def _read_text_rows_python(path, data, start, rows, dims, dtype, words, first_line,
                           check_end):
    """The rows of a text file read line by line in Python (``np.array`` parses each
    row's values): the reader of the dtypes that :func:`_read_text_rows` does not parse in
    C, and the reference it matches value for value and error for error."""
    tail = _unended_tail(data)      # a file cut in its last row ends in that row
    # rows go straight into one matrix of as many rows as the header says, or (no header)
    # as many as the bytes could hold (a value takes at least two bytes with its
    # separator): rows never written are never touched, so they cost no memory
    out = None
    for line_no, line in _text_lines(data, start, first_line):
        got = _python_row(path, line, line_no, rows, len(words), dims, dtype, words.encoding,
                          words.unicode_errors, check_end, tail)
        if got is None:
            break
        word, vec, dims = got
        if out is None:
            capacity = rows if rows is not None else (len(data) - start) // (2 * dims) + 1
            out = np.empty((capacity, dims), dtype=dtype)
        out[len(words)] = vec
        words.add(word)
    else:
        if words:
            _warn_unended(path, tail)       # the rows ran to the file's last line
    if rows is not None and len(words) < rows:
        raise TruncatedFileError(f"{path}: header promises {rows} rows but the file has "
                                 f"{len(words)}")
    if not words:
        raise FormatError(f"{path}: no vectors in the file")
    return words, out[:len(words)]


def load_word2vec_format(cls, fname, fvocab=None, binary=False, encoding="utf8",
                         unicode_errors="strict", limit=None, datatype=np.float32,
                         no_header=False):
    """Read word vectors written by the word2vec C tool, gensim, GloVe or fastText.

    Parameters
    ----------
    cls : type
        The KeyedVectors class to build.
    fname : str or path
        The file (optionally gzip/bzip2/xz compressed).
    fvocab : str or path, optional
        ``word count`` lines (the C tool's ``-save-vocab``) giving the counts; without it
        counts are made up in descending order as gensim does (``rows - row``). Its
        words are decoded with ``encoding`` and ``unicode_errors``, as the vector file's
        (``</s>`` kept: the C tool's vector files have a ``</s>`` row).
    binary : bool
        Binary rows (float32) instead of text rows.
    encoding, unicode_errors : str
        How words are decoded; ``unicode_errors="replace"``/``"ignore"`` loads words that
        are not valid text (e.g. multi-byte characters cut by the C tool).
    limit : int, optional
        Read at most this many rows (``None`` or 0: all, as gensim).
    datatype : numpy float type
        dtype of the loaded vectors (float32 by default).
    no_header : bool
        Text file without the ``rows dims`` header line (GloVe).

    Raises
    ------
    FormatError
        The file is corrupt or not in the stated format.
    TruncatedFileError
        The file ends before its header says it does (a ``FormatError`` and ``EOFError``).
    UndecodableError
        A word (of ``fname`` or ``fvocab``) is not valid in ``encoding`` and
        ``unicode_errors="strict"`` (a ``FormatError`` and ``UnicodeDecodeError``).
    FileNotFoundError
        ``fname`` or ``fvocab`` does not exist.
    fastw2v.VocabularyError
        ``fvocab`` is malformed (a ``ValueError`` too).
    """
    path = os.fspath(fname)
    # the vocabulary file is checked first: nothing large is read if it is unusable
    vocab = None if fvocab is None else _read_fvocab(fvocab, encoding, unicode_errors)
    # without a vocabulary file the words stay packed (looked up without a str each)
    words, index, vectors, rows = _read_indexed(path, binary, encoding, unicode_errors, limit,
                                                datatype, no_header, packed=vocab is None)
    if vocab is not None:
        missing = [w for w in words if w not in vocab]
        if missing:
            logger.warning("%s: %d words have no count in %s (count 0), e.g. %r",
                           path, len(missing), os.fspath(fvocab), missing[0])
        counts = [vocab.get(w, 0) for w in words]
    else:
        counts = np.arange(rows, rows - len(words), -1, dtype=np.int64)
    return cls(vectors.shape[1], words, vectors, counts, key_to_index=index)


def read_word2vec_rows(fname, binary=False, encoding="utf8", unicode_errors="strict",
                       limit=None, datatype=np.float32, no_header=False):
    """The words and vectors of a word2vec text/binary or GloVe file, checked as
    :func:`load_word2vec_format` checks them: ``(words, vectors [n, d], rows read)``.
    A word seen again keeps its first row (with a warning), as in gensim."""
    words, _, vectors, rows = _read_indexed(fname, binary, encoding, unicode_errors, limit,
                                            datatype, no_header)
    return words, vectors, rows


def _read_indexed(fname, binary, encoding, unicode_errors, limit, datatype, no_header,
                  packed=False):
    """:func:`read_word2vec_rows` and the index of its words: ``(words, {word: row},
    vectors, rows read)``. The index is built once, and it is also how duplicate words are
    found (no set of the words beside it: that was the peak of a large load).

    ``packed``, where the encoding allows (:func:`_packable`): ``(PackedKeys, None,
    vectors, rows read)``, the words never made into ``str``."""
    path = os.fspath(fname)
    dtype = _check_options(path, binary, encoding, unicode_errors, limit, datatype, no_header)
    words = _Words(path, encoding, unicode_errors,
                   packed and _packable(encoding, unicode_errors))
    data = _read_bytes(path)
    try:
        if no_header:
            words, vectors = _read_text(path, data, 0, limit or None, None, dtype, words, 1,
                                        check_end=False)
        else:
            rows, dims, start = _parse_header(path, data)
            # rows beyond the header's count are an error, unless limit= asks for fewer
            check_end = not (limit and limit <= rows)
            if limit:
                rows = min(rows, int(limit))
            if binary:
                words, vectors = _read_binary(path, data, start, rows, dims, words, check_end)
                vectors = vectors.astype(dtype, copy=False)
            else:
                words, vectors = _read_text(path, data, start, rows, dims, dtype, words, 2,
                                            check_end)
    finally:
        if isinstance(data, mmap.mmap):
            data.close()
    rows = len(words)
    if words.packed:
        keys, repeated = words.result()
        if len(repeated):
            # a word seen again: keep its first row, as below
            for i in repeated.tolist():
                logger.warning("%s: duplicate word %r at row %d, ignoring all but the first",
                               path, keys.key_at(i), i + 1)
            keep = np.ones(rows, dtype=bool)
            keep[repeated] = False
            keep = np.flatnonzero(keep)
            keys, vectors = keys.take(keep), np.ascontiguousarray(vectors[keep])
        return keys, None, vectors, rows
    words = words.result()
    index = dict(zip(words, range(rows)))
    if len(index) != rows:
        # a word seen again: keep its first row (the index above holds its last)
        index = {}
        for i, w in enumerate(words):
            if w in index:
                logger.warning("%s: duplicate word %r at row %d, ignoring all but the first",
                               path, w, i + 1)
            else:
                index[w] = i
        keep = np.fromiter(index.values(), dtype=np.int64, count=len(index))
        words, vectors = list(index), np.ascontiguousarray(vectors[keep])
        for j, w in enumerate(words):           # renumbered in place: no second dict
            index[w] = j
    return words, index, vectors, rows


def _read_fvocab(fvocab, encoding, unicode_errors) -> Dict[str, int]:
    """The counts of a ``word count`` file (the C tool's ``-save-vocab``) read by
    :func:`fastw2v.vocab.read_word_counts`, its words decoded as the vector file's are
    (``encoding``, ``unicode_errors``); the C tool's ``</s>`` entry is kept (its vector
    files have a ``</s>`` row). A missing file is a ``FileNotFoundError``, as a missing
    vector file is."""
    path = os.fspath(fvocab)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"vocabulary file {path!r} does not exist")
    return read_word_counts(path, skip_sentence_end=False,
                            decode=lambda raw, line_no: _decode(path, raw, encoding,
                                                                unicode_errors,
                                                                f"line {line_no}"))


def _check_key(key) -> str:
    key = str(key)
    if not key or any(c in key for c in " \n\r"):
        raise ValueError(f"key {key!r} cannot be written in word2vec format (empty, or "
                         "contains a space or line break)")
    return key


def save_word2vec_format(kv, fname, fvocab=None, binary=False, total_vec=None,
                         write_header=True, prefix="", append=False, sort_attr="count", *,
                         leading=(), c_text=False):
    """Write ``kv`` in the word2vec C tool's text or binary format, atomically.

    As in gensim, several sets of vectors can make one file: write the first with
    ``total_vec`` = all the rows to come (at least its own), then the others with
    ``append=True, write_header=False``. Appending adds to the end of ``fname`` (and of
    ``fvocab``), not atomically; a compressed file gets another compressed stream, which
    the readers take as the continuation.

    Rows are written by descending ``sort_attr`` (ties in row order) when the vectors have
    that attribute, as gensim does. Text values are printed with 9 significant digits (17
    for float64), which read back to the same float32; binary rows are float32 followed
    by ``\\n`` as the C tool writes them. ``fvocab`` also writes ``word count`` lines.

    Two additions of fastw2v's, for files that the C tool's readers take as its own:
    ``leading`` holds ``(key, vector, count)`` rows written first and counted in the
    header (the C tool's ``</s>`` row), and ``c_text=True`` prints text values as the
    C tool's ``"%lf "`` does (six decimals, a space after every value, the last one too).
    """
    leading = [(_check_key(key), np.asarray(vec), int(count)) for key, vec, count in leading]
    V, d = kv.vectors.shape
    for key, vec, _ in leading:
        if vec.shape != (d,):
            raise ValueError(f"leading row {key!r} has shape {vec.shape}, not ({d},)")
        if key in kv:
            raise ValueError(f"leading row {key!r} is also a key of the vectors")
    if total_vec is not None and int(total_vec) < V:
        raise ValueError(f"total_vec={total_vec} is less than the {V} vectors to write: "
                         "readers would stop before the last ones")
    header_rows = (V if total_vec is None else int(total_vec)) + len(leading)
    if sort_attr in kv.expandos:
        order = np.argsort(-kv.expandos[sort_attr], kind="stable")
    else:
        order = np.arange(V)
    keys = [key for key, _, _ in leading] + \
        [_check_key(prefix + str(kv.index_to_key[i])) for i in order]
    if fvocab is not None and sort_attr not in kv.expandos:
        # gensim's refusal: the lines would say 0 for every word
        raise ValueError(f"Cannot store vocabulary with {sort_attr!r} because that "
                         "attribute does not exist (vectors read from a word2vec file have "
                         "no counts: set_vecattr(key, 'count', n), or save without fvocab)")
    if fvocab is not None:
        for key in keys:            # refused before any file is written
            check_vocab_word(key)
    if binary or kv.vectors.dtype.itemsize <= 4 or c_text:
        values = kv.vectors.astype(np.float32, copy=False)
        fmt = " ".join(["%.9g"] * d)
    else:
        values = kv.vectors
        fmt = " ".join(["%.17g"] * d)
    if c_text:
        fmt = "%f " * d
    rows = [vec.astype(values.dtype) for _, vec, _ in leading]
    order = [-1 - j for j in range(len(leading))] + list(order)

    def write(out):
        if write_header:
            out.write(f"{header_rows} {d}\n".encode("utf-8"))
        chunk = []
        for key, i in zip(keys, order):
            row = values[i] if i >= 0 else rows[-1 - i]
            if binary:
                chunk.append(key.encode("utf-8") + b" " + row.astype("<f4").tobytes() + b"\n")
            else:
                chunk.append((key + " " + fmt % tuple(row.tolist()) + "\n").encode("utf-8"))
            if len(chunk) >= 4096:
                out.write(b"".join(chunk))
                chunk = []
        out.write(b"".join(chunk))

    def put(path, write):
        if append:
            write_through(open(path, "ab"), os.fspath(path), write)
        else:
            atomic_write(path, write)

    put(fname, write_by_suffix(fname, write))
    if fvocab is not None:
        counts = kv.expandos.get("count")

        def write_vocab(fh):
            write_word_counts(fh, keys, [leading[-1 - i][2] if i < 0 else
                                         int(counts[i]) if counts is not None else 0
                                         for i in order])

        put(fvocab, write_vocab)
