# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The corpus's compiled half: tokens to int32 ids without Python objects.

Two paths lead to the id stream the kernels read (``-1`` ends a sentence):

* token lists (iterable mode): :func:`encode_batch` and :func:`map_tokens`, a C loop
  over list items and dict look-ups;
* UTF-8 bytes (corpus-file mode): :class:`ByteCounter` (the vocabulary pass) and
  :class:`ByteEncoder` (the encoding pass), which split and hash the bytes in C
  (``_tokenize.h``) without the GIL.

Nothing here knows about training: the kernels (:mod:`fastw2v.kernels`) only ever see
the arrays this module returns.
"""
import numpy as np
cimport numpy as cnp
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.dict cimport PyDict_GetItemWithError
from cpython.ref cimport PyObject
from cpython.sequence cimport PySequence_Fast_GET_SIZE, PySequence_Fast_ITEMS
from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy, memset

cnp.import_array()

cdef Py_ssize_t _lookup_ids(object tokens, dict index, int32_t *out) except -1:
    """Write to ``out`` the ids of the tokens (a list or tuple) found in ``index``, in
    order; return how many. The per-token loop of both encoders, in C."""
    cdef Py_ssize_t k, m = 0, n = PySequence_Fast_GET_SIZE(tokens)
    cdef PyObject **items = PySequence_Fast_ITEMS(tokens)
    cdef PyObject *v
    for k in range(n):
        v = PyDict_GetItemWithError(index, <object>items[k])
        if v != NULL:
            out[m] = <int32_t><object>v
            m += 1
    return m


#: The largest ``batch_words``: a batch's word ids are one int32 buffer of about this
#: many (a larger one would overflow the buffer's size).
MAX_BATCH_WORDS = 1 << 28


def encode_batch(iterator, dict index, int64_t batch_words, int64_t first_sentence, check):
    """Pull token lists from ``iterator`` and map them to ids through ``index`` until the
    batch holds at least ``batch_words`` in-vocabulary words (or the iterator ends).

    Returns ``(ids, raw_tokens, sentences)``: int32 ids with ``-1`` after each sentence
    (out-of-vocabulary tokens dropped), the number of tokens read including OOV ones,
    and the number of sentences consumed (0 when the iterator was already exhausted).
    ``check(sentence, number)`` is called for anything that is not a list or tuple (it
    raises the error that names the problem).

    This is the iterable mode's only per-token Python work: a C loop over list items
    and dict look-ups, several times faster than the equivalent comprehension.
    """
    if not 1 <= batch_words <= MAX_BATCH_WORDS:     # also for a crafted file's value
        raise ValueError(f"batch_words={batch_words} is invalid: must be 1 to "
                         f"{MAX_BATCH_WORDS}")
    cdef int64_t cap = batch_words + 1024, n = 0, raw = 0, sentences = 0
    cdef int64_t length
    cdef int32_t *buf = <int32_t *>malloc(cap * sizeof(int32_t))
    cdef int32_t *grown
    if buf == NULL:
        raise MemoryError()
    try:
        for sentence in iterator:
            if not isinstance(sentence, (list, tuple)):
                check(sentence, first_sentence + sentences)
                sentence = list(sentence)
            length = PySequence_Fast_GET_SIZE(sentence)
            if n + length + 1 > cap:
                cap = 2 * (n + length + 1)
                grown = <int32_t *>realloc(buf, cap * sizeof(int32_t))
                if grown == NULL:
                    raise MemoryError()
                buf = grown
            n += _lookup_ids(sentence, index, buf + n)
            buf[n] = -1
            n += 1
            raw += length
            sentences += 1
            if n - sentences >= batch_words:
                break
        out = np.empty(n, dtype=np.int32)
        if n:
            memcpy(cnp.PyArray_DATA(out), buf, n * sizeof(int32_t))
        return out, raw, sentences
    finally:
        free(buf)


def map_tokens(list tokens, dict index):
    """int32 ids of the tokens found in ``index`` (others dropped), in order: the
    corpus-file encoder's per-token loop, in C."""
    out = np.empty(len(tokens), dtype=np.int32)
    return out[:_lookup_ids(tokens, index, <int32_t *>cnp.PyArray_DATA(out))]





#: gensim's ``max_sentence_length`` (its ``LineSentence`` default): the sentences a
#: corpus file's line counts as in ``corpus_count`` (:class:`ByteCounter`).
LINE_SENTENCE_WORDS = FW_LINE_SENTENCE_WORDS


def line_sentences(int64_t tokens):
    """The sentences gensim's ``LineSentence`` makes of a line of ``tokens`` tokens: one
    per started :data:`LINE_SENTENCE_WORDS`, none for an empty line (the C counter's
    rule, ``fw_line_sentences``)."""
    return fw_line_sentences(tokens)


cdef class _ByteTokens:
    """What the two C passes over corpus bytes share (see ``_tokenize.h``): a table of
    words numbered in first-seen order, and the token count. Tokens are split
    exactly where Python's ``str.split()`` splits (every character for which
    ``str.isspace()`` is true) and ``'\\n'`` ends a line. The bytes must be valid UTF-8
    (decode them strictly first) and each block must end at whitespace or at the end of a
    file."""
    cdef fw_counter c
    cdef readonly int64_t raw_tokens

    def __cinit__(self, *args, **kwargs):
        if fw_counter_init(&self.c) < 0:
            raise MemoryError("cannot allocate the word table")
        self.raw_tokens = 0

    def __dealloc__(self):
        fw_counter_free(&self.c)


cdef class ByteEncoder(_ByteTokens):
    """Encode UTF-8 corpus bytes to vocabulary ids without creating Python objects: the
    same stream as splitting the decoded text and looking the tokens up in a dict (the
    tests check it), tokens not in ``words`` dropped, ``-1`` at each newline.
    ``sentences`` counts the ``-1`` written: every line, an empty one too.

    Parameters
    ----------
    words : list of str
        The vocabulary; a word's id is its position.
    """
    cdef int open_line
    cdef readonly int64_t sentences

    def __cinit__(self, *args, **kwargs):
        self.open_line = 0
        self.sentences = 0

    def add_totals(self, int64_t raw, int64_t lines, bint open_after):
        """Count the next block as read: its tokens, its newlines, and whether a token
        follows its last newline (or, without one, is in it at all), as
        :meth:`encode_block` gives them."""
        self.raw_tokens += raw
        self.sentences += lines
        self.open_line = open_after if lines else (self.open_line or open_after)

    def __init__(self, words):
        cdef bytes b
        for i, w in enumerate(words):
            b = w.encode("utf-8", "surrogatepass")
            if fw_counter_add(&self.c, <const uint8_t *>PyBytes_AS_STRING(b), len(b),
                              fw_hash_bytes(<const uint8_t *>PyBytes_AS_STRING(b), len(b))) < 0:
                raise MemoryError("cannot allocate the word table")
            if self.c.n_words != i + 1:
                raise ValueError(f"the vocabulary holds {w!r} twice")

    def encode(self, bytes data):
        """int32 ids of the tokens of ``data`` found in the vocabulary, ``-1`` at each
        newline; adds to the running totals (blocks in order)."""
        ids, raw, lines, open_after = self.encode_block(data)
        self.add_totals(raw, lines, open_after)
        return ids

    def encode_block(self, bytes data, out=None):
        """``(ids, raw, lines, open_after)`` of one block on its own: its ids (as
        :meth:`encode`), its tokens (found or not), its newlines, and whether a token
        follows its last newline (or, without one, is in it at all). The running totals
        are left alone and the word table is only read, so threads may encode different
        blocks at once (the GIL is released); whoever puts the blocks back in order adds
        the counts with :meth:`add_totals` (:meth:`encode` does both). ``out``: an int32 array of
        ``len(data) + 1`` entries to write the ids to (by default a new one)."""
        cdef int64_t n = PyBytes_GET_SIZE(data), m, raw = 0, lines = 0
        cdef int open_after = 0
        cdef const uint8_t *p = <const uint8_t *>PyBytes_AS_STRING(data)
        if out is None:
            out = np.empty(n + 1, dtype=np.int32)
        elif (not isinstance(out, np.ndarray) or out.dtype != np.int32 or out.ndim != 1
              or not out.flags.c_contiguous or not out.flags.writeable or len(out) < n + 1):
            raise ValueError(f"out must be a writeable contiguous int32 array of at least "
                             f"{n + 1} entries")
        cdef int32_t *o = <int32_t *>cnp.PyArray_DATA(out)
        with nogil:
            m = fw_encode_bytes(&self.c.t, p, n, o, &raw, &lines, &open_after)
        return out[:m], raw, lines, bool(open_after)

    def end_file(self):
        """At the end of a file: ``[-1]`` if its last line had tokens but no newline
        (a file always ends a sentence), else an empty array."""
        cdef bint closes = self.open_line
        if closes:
            self.open_line = 0
            self.sentences += 1
        return np.full(1 if closes else 0, -1, dtype=np.int32)


cdef class ByteCounter(_ByteTokens):
    """Count the tokens of UTF-8 corpus bytes in C (the vocabulary pass of a corpus file):
    the counts, first-seen order and totals of counting ``str.split()`` tokens.

    ``sentences`` is gensim's ``corpus_count`` of the lines ended so far: what its
    ``LineSentence`` yields, one sentence per started :data:`LINE_SENTENCE_WORDS`
    tokens of a line and none for an empty one (:func:`line_sentences`)."""
    cdef fw_lines lines

    def __cinit__(self, *args, **kwargs):
        memset(&self.lines, 0, sizeof(fw_lines))

    @property
    def sentences(self):
        """Sentences of the lines ended so far (see the class)."""
        return fw_lines_total(&self.lines)

    @property
    def distinct(self):
        """Distinct words counted so far."""
        return self.c.n_words

    def count(self, bytes data):
        cdef int64_t n = PyBytes_GET_SIZE(data)
        cdef const uint8_t *p = <const uint8_t *>PyBytes_AS_STRING(data)
        cdef int rc
        with nogil:
            rc = fw_count_bytes(&self.c, p, n, &self.raw_tokens, &self.lines)
        if rc < 0:
            raise MemoryError("out of memory while counting words")

    def clear(self):
        """Forget everything counted, keeping the memory (a block counter is reused for
        block after block: allocated once, not once per block by whichever thread)."""
        fw_counter_clear(&self.c)
        self.raw_tokens = 0
        memset(&self.lines, 0, sizeof(fw_lines))

    def merge(self, ByteCounter block):
        """Add what ``block`` counted (a counter of the next block of the file, counted
        on its own, perhaps by another thread) as if this counter had read it: its words
        in their first-seen order, its counts, tokens and lines. Merging the blocks'
        counters in file order gives the counter of one pass over the file."""
        cdef int rc
        if block is self:
            raise ValueError("a counter cannot merge itself")
        with nogil:
            rc = fw_counter_merge(&self.c, &block.c)
        if rc < 0:
            raise MemoryError("out of memory while counting words")
        self.raw_tokens += block.raw_tokens
        fw_lines_merge(&self.lines, &block.lines)

    def end_file(self):
        """A file's end ends its last line (counted if it had tokens)."""
        fw_lines_end(&self.lines)

    def items(self):
        """``(words, counts)``: the distinct words (str) in first-seen order and their
        counts (int64 array)."""
        cdef int64_t i, n = self.c.n_words
        words = [None] * n
        for i in range(n):
            words[i] = self.c.pool[self.c.t.word_off[i]:self.c.t.word_off[i + 1]].decode("utf-8")
        counts = np.empty(n, dtype=np.int64)
        if n:
            memcpy(cnp.PyArray_DATA(counts), self.c.counts, n * sizeof(int64_t))
        return words, counts
