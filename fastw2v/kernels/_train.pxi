# nogil training kernels: the one sentence/window loop and the four updates.
# Every input mode feeds the same entry point, :meth:`Worker.train`, with a flat int32 id
# stream in which ``-1`` ends a sentence. The kernels see only C pointers collected once
# in :class:`Model`; no Python object is touched between ``with nogil`` and its end.
#
# Weights are shared between threads **without locks** (Hogwild!, as in the C tool and
# gensim): concurrent updates to the same row may interleave. This is the standard
# trade-off of word2vec training; it does not hurt quality in practice.
#
# The learning rate is computed in one place, :func:`learning_rate`, from a progress
# counter shared by all threads of a ``train()`` call (in-vocabulary words read, including
# those dropped by down-sampling), decaying linearly from ``start_alpha`` to ``end_alpha``.
# Threads add to that counter every ``PROGRESS_EVERY`` words, as the C tool does.
#
# Included once per SIMD variant (_train_<variant>.pyx), each compiled with its own
# instruction set; fastw2v.kernels picks one at import. This file holds the shared
# declarations and constants; the code follows the data flow, one concern per file:
#   _rows.pxi     row policies (shared rows with per-thread hot rows | private copies)
#   _noise.pxi    the noise stream of negative sampling
#   _updates.pxi  hierarchical softmax, negative sampling, the shared-negatives window
#   _loop.pxi     windows, the sentence loops, the loop over a job's ids
#   _objects.pxi  Model, Worker and the reproducible mode's merge (Python's view)
#   _streams.pxi  the random streams, exposed for the tests' NumPy twin
import numpy as np
cimport numpy as cnp
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.math cimport pow
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy, memset

from fastw2v.kernels.types cimport *
from fastw2v.kernels.layout import zero_padded_width

cnp.import_array()

cdef extern from "vecmath.h" nogil:
    void fw_axpy(float a, const float *x, float *y, int n)
    void fw_scale(float a, float *y, int n)
    void fw_set_scores(const float *x, float **y, int n, int d, float *s)
    void fw_rows_sum(float **y, int n, float scale, float *out, int d)
    void fw_rows_axpy(const float *x, float **y, const float *a, int n, int d)
    void fw_set_update(const float *x, float *err, float **y, const float *g, int n, int d,
                       const float **soon, int nsoon)
    void fw_set_update_apply(float *x, float xscale, const float *err, float **y,
                             const float *g, int n, int d,
                             const float **soon, int nsoon)
    void fw_window_scores(float **x, int nx, float **y, int ny, int d, float *s, int gs)
    void fw_window_update(float **x, const float *xscale, int nx, float **y, int ny,
                          const float *g, int gs, float *err, int d, const float **soon,
                          int nsoon)
    int64_t fw_atomic_add(int64_t *p, int64_t v)
    int64_t fw_atomic_load(int64_t *p)
    uint64_t fw_rng_next(uint64_t *s)
    uint64_t fw_mix64(uint64_t z)
    double fw_neg_log_sigmoid(double x)
    void fw_prefetch_row(const float *p, int n)
    void *fw_alloc_lines(size_t n)
    void __builtin_prefetch(const void *p)
    int FW_HAVE_REG_PATH
    double fw_hs_path(const float *l1, float *err, float **rows, const uint32_t *path,
                      int64_t len, const float *sig, float scale, float alpha, int d,
                      int want_loss)
    double fw_ns_set(const float *l1, float *err, float **rows, int n, const float *sig,
                     float scale, float alpha, int d, int want_loss)

cdef extern from "vecmath.h":
    # one definition of the sigmoid table's range and size, shared with the C loops
    enum:
        MAX_EXP "FW_MAX_EXP"
        EXP_TABLE_SIZE "FW_EXP_TABLE_SIZE"

#: The sigmoid table the kernels expect: EXP_TABLE_SIZE entries over [-MAX_EXP, MAX_EXP].
SIGMOID_TABLE_RANGE = (MAX_EXP, EXP_TABLE_SIZE)

cdef enum:
    # Negative samples come from their own random stream, drawn DRAW_AHEAD draws before
    # use (the alias-table entry is prefetched then) and resolved to a word RESOLVE_AHEAD
    # draws before use (its output row is prefetched then). The sequence of noise words
    # is the same whatever these distances are: they only hide memory latency.
    DRAW_AHEAD = 15
    RESOLVE_AHEAD = 6
    # Huffman nodes at index vocab_size - 1 - HS_CACHED_NODES or above (the root is
    # vocab_size - 2) are on the paths of almost every word and stay in cache: their rows
    # are not prefetched, which spent an instruction per cache line and filled the queue
    # of outstanding fetches (CBOW/HS: 8-17% faster without them, 1 and 2 workers).
    HS_CACHED_NODES = 1024
    # The reproducible mode's private rows live in pages of PAGE_ROWS rows (never moved).
    PAGE_BITS = 6
    PAGE_ROWS = 64
    PAGE_MASK = 63

# Table index = (f + MAX_EXP) * SIGMOID_SCALE, in float32. The C tool writes this scale as
# integer arithmetic (1000 / 6 / 2 = 83), which misaligns the lookup with the table's grid
# by up to 0.07; the exact 1000 / 12 keeps the C tool's range and table, aligned.
cdef float SIGMOID_SCALE = <float>EXP_TABLE_SIZE / (2 * MAX_EXP)

#: Sentences longer than this many kept words are trained in consecutive pieces.
MAX_SENTENCE = 10000
#: Words a thread reads between two updates of the shared progress counter.
PROGRESS_EVERY = 10000
cdef int C_MAX_SENTENCE = 10000
cdef int64_t C_PROGRESS_EVERY = 10000
#: Trained centre words between two merges of a thread's hot-row copies (Worker.use_hot_rows).
HOT_MERGE_EVERY = 1000
#: Mixed into a job's seed to start its noise stream (independent of the main stream).
NOISE_STREAM_KEY = 0x5851F42D4C957F2D
cdef uint64_t NOISE_STREAM = 0x5851F42D4C957F2DULL
#: Whether this variant has the register-resident HS/NS kernels (the AVX-512 variant).
HAVE_REG_PATH = bool(FW_HAVE_REG_PATH)


cdef inline double learning_rate_c(const ScheduleC *s, int64_t done) noexcept nogil:
    if s.total_words <= 0:
        return s.start_alpha
    cdef double a = s.start_alpha - (s.start_alpha - s.end_alpha) * (<double>done / <double>s.total_words)
    return a if a > s.end_alpha else s.end_alpha


def learning_rate(double start_alpha, double end_alpha, int64_t done, int64_t total_words):
    """The schedule: linear from ``start_alpha`` to ``end_alpha`` as ``done`` reaches
    ``total_words``, never below ``end_alpha``."""
    cdef ScheduleC s
    s.start_alpha = start_alpha
    s.end_alpha = end_alpha
    s.total_words = total_words
    return learning_rate_c(&s, done)


cdef inline float sigmoid_lookup(const ModelC *m, float f) noexcept nogil:
    cdef int idx = <int>((f + <float>MAX_EXP) * SIGMOID_SCALE)
    # f + 6 can round up to 12.0 in float32 for f just below 6
    if idx >= EXP_TABLE_SIZE:
        idx = EXP_TABLE_SIZE - 1
    elif idx < 0:
        idx = 0
    return m.t.sigmoid[idx]


cdef inline float *matrix_of(const ModelC *m, int mat) noexcept nogil:
    return m.w.input_vectors if mat == MAT_INPUT else (m.w.output_hs if mat == MAT_HS else m.w.output_ns)


cdef inline float lock_of(const ModelC *m, int32_t row) noexcept nogil:
    """The factor of an input row's update (gensim's ``vectors_lockf``; 0 freezes it)."""
    if m.w.lockf == NULL:
        return 1.0
    return m.w.lockf[row % m.w.lockf_len]


include "_rows.pxi"
include "_noise.pxi"
include "_updates.pxi"
include "_loop.pxi"
include "_objects.pxi"
include "_streams.pxi"
