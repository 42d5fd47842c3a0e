# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The phrase models' compiled half: counting and applying on UTF-8 bytes.

* :class:`KeyTable`: str keys stored as UTF-8 bytes, with an int64 count (a phrase
  model's vocabulary of unigrams and joined candidates) or a float64 score (a frozen
  model's phrases), in insertion order; pruning keeps the order.
* :class:`Learner`: counts unigrams and candidate phrases, from token lists or from a
  corpus file's checked bytes (split exactly as ``str.split()`` splits, without the GIL).
* :class:`Applier`: joins phrases left to right, writing a corpus file's bytes or the
  spans of a token list.
* :func:`export_phrases`: every phrase of a count table that scores above the threshold.

The per-token work is in ``_phrases.h``; nothing here knows the gensim-facing classes
(:mod:`fastw2v.phrases.model`), which own the parameters and their checks.
"""
import numpy as np
cimport numpy as cnp
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE
from cpython.ref cimport PyObject
from libc.math cimport NAN
from libc.stdint cimport int64_t, uint8_t, uint64_t
from libc.string cimport memcpy, memset

cnp.import_array()

cdef extern from "Python.h":
    const char *PyUnicode_AsUTF8AndSize(object s, Py_ssize_t *size) except NULL

#: ``kind`` values of :class:`Applier` (and of :func:`export_phrases`).
FROZEN = FWP_FROZEN
DEFAULT = FWP_DEFAULT
NPMI = FWP_NPMI
WORD2PHRASE = FWP_WORD2PHRASE
CALLBACK = FWP_CALLBACK


cdef inline bytes _encode(str s):
    return s.encode("utf-8", "surrogatepass")


cdef inline str _decode(const uint8_t *p, int64_t n):
    return (<char *>p)[:n].decode("utf-8", "surrogatepass")


cdef const uint8_t *_token_utf8(object tok, Py_ssize_t *n, list keep) except NULL:
    """The UTF-8 bytes of a str token (cached in the str object by CPython); a token
    with lone surrogates is encoded with ``surrogatepass`` into ``keep``."""
    if not isinstance(tok, str):
        raise TypeError(f"tokens must be str, but the sentence contains {tok!r} of type "
                        f"{type(tok).__name__}")
    try:
        return <const uint8_t *>PyUnicode_AsUTF8AndSize(tok, n)
    except UnicodeEncodeError:
        b = _encode(<str>tok)
        keep.append(b)
        n[0] = PyBytes_GET_SIZE(b)
        return <const uint8_t *>PyBytes_AS_STRING(b)


cdef inline object _as_tokens(object sentence):
    """A list or tuple of the sentence's tokens (other iterables are copied)."""
    if type(sentence) is list or type(sentence) is tuple:
        return sentence
    if isinstance(sentence, (str, bytes)):
        raise TypeError(f"a sentence must be a list of str tokens, not a "
                        f"{type(sentence).__name__} (got {sentence[:40]!r}); split it first")
    try:
        return list(sentence)
    except TypeError:
        raise TypeError(f"a sentence must be a list of str tokens, not "
                        f"{type(sentence).__name__}") from None


cdef inline PyObject *_item(object seq, Py_ssize_t k):
    if type(seq) is list:
        return PyList_GET_ITEM(seq, k)
    return PyTuple_GET_ITEM(seq, k)


cdef class KeyTable:
    """str keys (stored as UTF-8) with an int64 count each, or with a float64 score when
    ``scores`` is true; in insertion order.

    Parameters
    ----------
    scores : bool
        Values are scores (float64) instead of counts (int64).
    expect : int
        Entries to make room for.
    """
    cdef fwp_table t
    cdef readonly bint scores

    def __cinit__(self, bint scores=False, int64_t expect=0):
        if fwp_init(&self.t, expect) < 0:
            raise MemoryError("cannot allocate the phrase table")
        self.scores = scores

    def __dealloc__(self):
        fwp_free(&self.t)

    def __len__(self):
        return self.t.n

    @property
    def nbytes(self):
        """Bytes held by the table's arrays (keys, entries, slots)."""
        return (self.t.pool_cap + self.t.cap * sizeof(fwp_entry)
                + (self.t.mask + 1) * 8)

    cdef inline object _value(self, int64_t i):
        if self.scores:
            return fwp_get_score(&self.t, i)
        return self.t.entries[i].value

    cdef int64_t _find(self, str key) except -2:
        cdef bytes b = _encode(key)
        cdef const uint8_t *p = <const uint8_t *>PyBytes_AS_STRING(b)
        cdef int64_t n = PyBytes_GET_SIZE(b)
        return fwp_find(&self.t, p, n, fwp_hash(p, n))

    def get(self, key, default=None):
        """The value of ``key``, or ``default``."""
        if not isinstance(key, str):
            return default
        cdef int64_t i = self._find(key)
        return default if i < 0 else self._value(i)

    def __contains__(self, key):
        return isinstance(key, str) and self._find(key) >= 0

    def set(self, str key, value):
        """Set ``key``'s value (added at the end if new)."""
        cdef bytes b = _encode(key)
        cdef const uint8_t *p = <const uint8_t *>PyBytes_AS_STRING(b)
        cdef int64_t n = PyBytes_GET_SIZE(b)
        cdef uint64_t h = fwp_hash(p, n)
        cdef int64_t i = fwp_find(&self.t, p, n, h)
        if i < 0:
            i = fwp_insert(&self.t, p, n, h, 0)
            if i < 0:
                raise MemoryError("out of memory in the phrase table")
        if self.scores:
            fwp_set_score(&self.t, i, float(value))
        else:
            self.t.entries[i].value = value

    def key_at(self, int64_t i):
        """The key of entry ``i`` (0 <= i < len)."""
        if i < 0 or i >= self.t.n:
            raise IndexError(i)
        return _decode(fwp_key(&self.t, i), fwp_key_len(&self.t, i))

    def keys(self):
        """The keys, in order."""
        cdef int64_t i
        for i in range(self.t.n):
            yield _decode(fwp_key(&self.t, i), fwp_key_len(&self.t, i))

    def items(self):
        """``(key, value)`` pairs, in order."""
        cdef int64_t i
        for i in range(self.t.n):
            yield _decode(fwp_key(&self.t, i), fwp_key_len(&self.t, i)), self._value(i)

    def prune(self, int64_t keep_min):
        """Drop the entries counted fewer than ``keep_min`` times (order kept)."""
        if fwp_prune(&self.t, keep_min) < 0:
            raise MemoryError("out of memory while pruning the phrase table")

    def merge(self, KeyTable other):
        """Add ``other``'s counts: keys already here keep their place, new ones are
        appended in ``other``'s order (a dict update's order)."""
        cdef int64_t i
        for i in range(other.t.n):
            if fwp_add(&self.t, fwp_key(&other.t, i), fwp_key_len(&other.t, i),
                       fwp_hash(fwp_key(&other.t, i), fwp_key_len(&other.t, i)),
                       other.t.entries[i].value) < 0:
                raise MemoryError("out of memory while merging phrase counts")

    def to_arrays(self):
        """``(blob, offsets, values)``: the keys' UTF-8 bytes (uint8), int64 offsets
        [len + 1] into them, and the values (int64 counts or float64 scores)."""
        cdef int64_t i, n = self.t.n
        blob = np.empty(self.t.pool_len, dtype=np.uint8)
        if self.t.pool_len:
            memcpy(cnp.PyArray_DATA(blob), self.t.pool, self.t.pool_len)
        offsets = np.empty(n + 1, dtype=np.int64)
        values = np.empty(n, dtype=np.float64 if self.scores else np.int64)
        cdef int64_t[::1] o = offsets
        cdef int64_t[::1] vi
        cdef double[::1] vd
        for i in range(n):
            o[i] = self.t.entries[i].off
        o[n] = self.t.pool_len
        if self.scores:
            vd = values
            for i in range(n):
                vd[i] = fwp_get_score(&self.t, i)
        else:
            vi = values
            for i in range(n):
                vi[i] = self.t.entries[i].value
        return blob, offsets, values

    def __reduce__(self):
        blob, offsets, values = self.to_arrays()
        return KeyTable.from_arrays, (blob, offsets, values, self.scores)

    @staticmethod
    def from_arrays(blob, offsets, values, bint scores):
        """The table :meth:`to_arrays` describes; ``ValueError`` if the arrays do not fit
        together (a damaged file) or a key is not UTF-8 or appears twice."""
        cdef const uint8_t[::1] b = np.ascontiguousarray(blob, dtype=np.uint8)
        cdef const int64_t[::1] o = np.ascontiguousarray(offsets, dtype=np.int64)
        cdef Py_ssize_t n = o.shape[0] - 1
        if n < 0 or len(values) != n or o[0] != 0 or o[n] != b.shape[0]:
            raise ValueError("the key table's arrays do not fit together")
        cdef const double[::1] vd
        cdef const int64_t[::1] vi
        if scores:
            vd = np.ascontiguousarray(values, dtype=np.float64)
        else:
            vi = np.ascontiguousarray(values, dtype=np.int64)
        cdef KeyTable out = KeyTable(scores, n)
        cdef Py_ssize_t i
        cdef int64_t j, length
        cdef const uint8_t *p
        cdef uint64_t h
        for i in range(n):
            length = o[i + 1] - o[i]
            if length < 0:
                raise ValueError("the key table's offsets are not increasing")
            p = &b[0] + o[i] if length else <const uint8_t *>b""
            # a strict decode: a damaged file must not put invalid UTF-8 in the table
            _decode(p, length)
            h = fwp_hash(p, length)
            if fwp_find(&out.t, p, length, h) >= 0:
                raise ValueError(f"the key table holds {_decode(p, length)!r} twice")
            j = fwp_insert(&out.t, p, length, h, 0)
            if j < 0:
                raise MemoryError("out of memory while loading the phrase table")
            if scores:
                fwp_set_score(&out.t, j, vd[i])
            else:
                out.t.entries[j].value = vi[i]
        return out


cdef class Learner:
    """Counts unigrams and candidate phrases (gensim's ``_learn_vocab``): every token
    that is not a connector word counts as a unigram, and with the previous such token
    of its sentence (and the connector words between them), joined by the delimiter, as
    a candidate. When the table holds more than ``max_vocab_size`` entries after a
    sentence, entries counted fewer than ``min_reduce`` times are dropped and
    ``min_reduce`` grows by one.

    ``word2phrase=True`` counts as word2phrase.c: candidates run on across line ends,
    and pruning (checked after every word) drops counts up to ``min_reduce`` inclusive.
    """
    cdef fwp_learner L
    cdef readonly KeyTable vocab
    cdef KeyTable connectors
    cdef bytes delim
    cdef int open_line

    def __cinit__(self, *args, **kwargs):
        memset(&self.L, 0, sizeof(fwp_learner))

    def __dealloc__(self):
        fwp_learner_free_buffers(&self.L)

    def __init__(self, KeyTable connectors, str delimiter, int64_t max_vocab_size,
                 bint word2phrase=False, int64_t expect=0):
        self.vocab = KeyTable(False, min(expect, max_vocab_size))
        self.connectors = connectors
        self.delim = _encode(delimiter)
        self.L.vocab = &self.vocab.t
        self.L.connectors = &connectors.t if connectors is not None and len(connectors) else NULL
        self.L.delim = <const uint8_t *>PyBytes_AS_STRING(self.delim)
        self.L.dlen = PyBytes_GET_SIZE(self.delim)
        self.L.max_vocab_size = max_vocab_size
        self.L.min_reduce = 1
        self.L.prune_at_or_below = word2phrase
        self.L.across_lines = word2phrase
        self.open_line = 0

    @property
    def total_words(self):
        """Tokens read (connector words included)."""
        return self.L.total_words

    @property
    def sentences(self):
        return self.L.sentences

    @property
    def min_reduce(self):
        return self.L.min_reduce

    @property
    def prunings(self):
        """How many times the table was pruned."""
        return self.L.prunings

    def learn_sentence(self, sentence):
        """Count one sentence (a list or tuple of str; other iterables are copied)."""
        cdef object toks = _as_tokens(sentence)
        cdef Py_ssize_t k, m = len(toks), n = 0
        cdef const uint8_t *p
        cdef list keep = []
        cdef int rc = 0
        for k in range(m):
            p = _token_utf8(<object>_item(toks, k), &n, keep)
            if fwp_plan_token(&self.L, p, n, fwp_hash(p, n)) < 0:
                rc = -1
                break
        # run the plan now, while the sentence's strs (whose bytes it points to) live
        if rc < 0 or fwp_plan_end_sentence(&self.L) < 0 or fwp_run_ops(&self.L) < 0:
            raise MemoryError("out of memory while counting phrases")

    def learn_bytes(self, bytes data):
        """Count the tokens of checked UTF-8 bytes that end at whitespace (or at a
        file's end); ``'\\n'`` ends a sentence. Runs without the GIL."""
        cdef const uint8_t *p = <const uint8_t *>PyBytes_AS_STRING(data)
        cdef int64_t n = PyBytes_GET_SIZE(data)
        cdef int rc
        with nogil:
            rc = fwp_learn_bytes(&self.L, p, n, &self.open_line)
        if rc < 0:
            raise MemoryError("out of memory while counting phrases")

    def end_file(self):
        """A file's end ends its last line."""
        if self.open_line:
            self.open_line = 0
            if fwp_plan_end_sentence(&self.L) < 0 or fwp_run_ops(&self.L) < 0:
                raise MemoryError("out of memory while counting phrases")


cdef double _call_scorer(void *ctx, int64_t a, int64_t b, int64_t ab, int *err) noexcept nogil:
    with gil:
        return (<Applier>ctx)._score(a, b, ab, err)


cdef class Applier:
    """Joins phrases left to right (gensim's ``analyze_sentence``): a token that is not
    a connector word starts a candidate; the next such token ends it, with the connector
    words between; if the candidate's score is above the threshold the tokens are
    joined by the delimiter and the next token starts afresh, otherwise the candidate's
    tokens stay as they are and its last token starts the next candidate.

    Parameters
    ----------
    table : KeyTable
        Scores of the exported phrases (``kind=FROZEN``) or counts (the other kinds,
        scored on the fly).
    connectors : KeyTable or None
    delimiter : str
    kind : int
        :data:`FROZEN`, :data:`DEFAULT`, :data:`NPMI`, :data:`WORD2PHRASE` or
        :data:`CALLBACK` (``scorer`` is called as gensim calls a scoring function).
    """
    cdef fwp_applier A
    cdef KeyTable table
    cdef KeyTable connectors
    cdef bytes delim
    cdef str delimiter
    cdef object scorer
    cdef object error
    cdef object py_min_count
    cdef object py_len_vocab
    cdef object py_corpus_word_count
    cdef int open_line

    def __cinit__(self, *args, **kwargs):
        memset(&self.A, 0, sizeof(fwp_applier))

    def __dealloc__(self):
        fwp_applier_free_buffers(&self.A)

    def __init__(self, KeyTable table, KeyTable connectors, str delimiter, int kind,
                 scorer=None):
        self.table = table
        self.connectors = connectors
        self.delimiter = delimiter
        self.delim = _encode(delimiter)
        self.A.table = &table.t
        self.A.connectors = &connectors.t if connectors is not None and len(connectors) else NULL
        self.A.delim = <const uint8_t *>PyBytes_AS_STRING(self.delim)
        self.A.dlen = PyBytes_GET_SIZE(self.delim)
        self.A.s.kind = kind
        self.scorer = scorer
        if kind == FWP_CALLBACK:
            self.A.s.cb = _call_scorer
            self.A.s.cb_ctx = <void *>self
        self.configure(float("inf"), 1, 0, 0)

    def configure(self, threshold, min_count, len_vocab, corpus_word_count):
        """The scorer's arguments, read again before each use (a model's threshold may
        change and its vocabulary grow)."""
        self.A.s.threshold = threshold
        self.A.s.min_count = min_count
        self.A.s.len_vocab = len_vocab
        self.A.s.corpus_word_count = corpus_word_count
        self.py_min_count = min_count
        self.py_len_vocab = len_vocab
        self.py_corpus_word_count = corpus_word_count

    @property
    def phrases_formed(self):
        return self.A.phrases

    @property
    def tokens_read(self):
        return self.A.tokens

    cdef double _score(self, int64_t a, int64_t b, int64_t ab, int *err):
        try:
            return float(self.scorer(worda_count=a, wordb_count=b, bigram_count=ab,
                                     len_vocab=self.py_len_vocab, min_count=self.py_min_count,
                                     corpus_word_count=self.py_corpus_word_count))
        except BaseException as exc:
            self.error = exc
            err[0] = 1
            return 0.0

    cdef int _fail(self) except -1:
        self.A.err = 0
        if self.error is not None:
            exc, self.error = self.error, None
            raise exc
        raise MemoryError("out of memory while applying phrases")

    cdef bytes _take_output(self):
        out = PyBytes_FromStringAndSize(<char *>self.A.out, self.A.out_len)
        self.A.out_len = 0
        return out

    def restart(self):
        """Start afresh: drop whatever a call stopped by an error left half-applied
        (pending tokens, output, an open line). Every sentence and every file starts so."""
        self._restart()

    cdef inline void _restart(self):
        fwp_applier_restart(&self.A)
        self.open_line = 0
        self.error = None

    def apply_bytes(self, bytes data):
        """The text of checked UTF-8 bytes (ending at whitespace or at a file's end) with
        phrases joined: tokens separated by one space, ``'\\n'`` kept at each line's end.
        A line may run on into the next call. Runs without the GIL unless the scorer is
        a Python function."""
        cdef const uint8_t *p = <const uint8_t *>PyBytes_AS_STRING(data)
        cdef int64_t n = PyBytes_GET_SIZE(data)
        cdef int rc
        self.A.out_mode = FWP_OUT_BYTES
        if self.A.s.kind == FWP_CALLBACK:
            rc = fwp_apply_bytes(&self.A, p, n, &self.open_line)
        else:
            with nogil:
                rc = fwp_apply_bytes(&self.A, p, n, &self.open_line)
        if rc < 0:
            self._fail()
        return self._take_output()

    def end_file(self):
        """The rest of a file's output: its last line ends (with ``'\\n'``) if open."""
        self.A.out_mode = FWP_OUT_BYTES
        if self.open_line:
            self.open_line = 0
            if fwp_apply_end_sentence(&self.A) < 0:
                self._fail()
        return self._take_output()

    cdef object _spans(self, object toks):
        """Run one sentence in span mode; returns the token list or tuple."""
        cdef Py_ssize_t k, m = len(toks), n = 0
        cdef const uint8_t *p
        cdef list keep = []
        self._restart()
        self.A.out_mode = FWP_OUT_SPANS
        for k in range(m):
            p = _token_utf8(<object>_item(toks, k), &n, keep)
            if fwp_apply_token(&self.A, p, n, fwp_hash(p, n)) < 0:
                self._fail()
        if fwp_apply_end_sentence(&self.A) < 0:
            self._fail()
        return toks

    def apply_sentence(self, sentence):
        """The sentence's tokens with phrases joined (a new list of str)."""
        cdef object toks = self._spans(_as_tokens(sentence))
        cdef Py_ssize_t k, f, l
        cdef list out = []
        for k in range(self.A.n_out):
            f = self.A.span[2 * k]
            l = self.A.span[2 * k + 1]
            if f == l:
                out.append(<object>_item(toks, f))
            else:
                out.append(self.delimiter.join(toks[f:l + 1]))
        return out

    def analyze_sentence(self, sentence):
        """``(token, score)`` pairs: a joined phrase with its score, or a token with
        ``None`` (gensim's ``analyze_sentence``, as a list)."""
        cdef object toks = self._spans(_as_tokens(sentence))
        cdef Py_ssize_t k, f, l
        cdef list out = []
        for k in range(self.A.n_out):
            f = self.A.span[2 * k]
            l = self.A.span[2 * k + 1]
            if f == l:
                out.append((<object>_item(toks, f), None))
            else:
                out.append((self.delimiter.join(toks[f:l + 1]), self.A.score[k]))
        return out

    def add_phrases(self, sentence, dict found):
        """Put the sentence's phrases and their scores into ``found``."""
        cdef object toks = self._spans(_as_tokens(sentence))
        cdef Py_ssize_t k, f, l
        for k in range(self.A.n_out):
            f = self.A.span[2 * k]
            l = self.A.span[2 * k + 1]
            if f != l:
                found[self.delimiter.join(toks[f:l + 1])] = self.A.score[k]


def export_phrases(KeyTable counts, str delimiter, int kind, threshold, min_count,
                   len_vocab, corpus_word_count, scorer=None):
    """A score table of every entry of ``counts`` that holds the delimiter and scores
    above ``threshold`` (gensim's ``export_phrases``: the first and the last part of the
    key, split at the delimiter, are scored as the candidate's words)."""
    cdef bytes d = _encode(delimiter)
    cdef const uint8_t *dp = <const uint8_t *>PyBytes_AS_STRING(d)
    cdef int64_t dlen = PyBytes_GET_SIZE(d), i, a = 0, b = 0, j
    cdef fwp_scorer s
    cdef KeyTable out = KeyTable(True)
    cdef int rc
    memset(&s, 0, sizeof(fwp_scorer))
    s.kind = kind
    s.threshold = threshold
    s.min_count = min_count
    s.len_vocab = len_vocab
    s.corpus_word_count = corpus_word_count
    if kind != FWP_CALLBACK:
        with nogil:
            rc = fwp_export(&counts.t, &s, dp, dlen, &out.t)
        if rc < 0:
            raise MemoryError("out of memory while exporting phrases")
        return out
    for i in range(counts.t.n):
        if counts.t.entries[i].value <= 0 or not fwp_export_counts(&counts.t, i, dp, dlen, &a, &b):
            continue
        score = scorer(worda_count=a, wordb_count=b, bigram_count=counts.t.entries[i].value,
                       len_vocab=len_vocab, min_count=min_count,
                       corpus_word_count=corpus_word_count)
        if score <= threshold:
            continue
        j = fwp_insert(&out.t, fwp_key(&counts.t, i), fwp_key_len(&counts.t, i),
                       fwp_hash(fwp_key(&counts.t, i), fwp_key_len(&counts.t, i)), 0)
        if j < 0:
            raise MemoryError("out of memory while exporting phrases")
        fwp_set_score(&out.t, j, float(score))
    return out
