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
# instruction set; fastw2v.kernels picks one at import.
import numpy as np
cimport numpy as cnp
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy, memset

from fastw2v.kernels.types cimport *

cnp.import_array()

cdef extern from "vecmath.h" nogil:
    float fw_dot(const float *a, const float *b, int n)
    void fw_axpy(float a, const float *x, float *y, int n)
    void fw_scale(float a, float *y, int n)
    void fw_pair_update(float g, float *err, float *out, const float *inp, int n)
    void fw_dot_many(const float *x, float **y, int n, int d, float *out)
    void fw_combine(float *err, const float *g, float **y, int n, int d)
    void fw_accumulate(float *y, const float *g, int stride, float **x, int n, int d)
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
#: Trained words between two merges of a thread's hot-node copies (Worker.use_hot_nodes).
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


# ---- row policies ----------------------------------------------------------------------
# row_in / row_hs / row_ns give the row a thread reads and writes. The policy (RowsT) is
# a compile-time parameter: every function below that takes ``RowsT *rows`` is compiled
# once per policy, and Worker.train picks the specialisation once per job.

cdef float *private_row(const ModelC *m, PrivateRowsC *pr, int mat, float *base,
                        int32_t row) noexcept nogil:
    """This thread's copy of ``row`` of matrix ``mat``, copied on first touch.

    Slots live in fixed pages (never moved, so pointers stay valid while a job runs).
    If memory runs out the shared row is returned and ``out_of_memory`` set; the caller
    raises MemoryError after the job.
    """
    cdef int32_t s = pr.slot_of[mat][row]
    cdef int64_t page
    cdef float *dst
    cdef void *grown
    if s >= 0:
        return pr.pages[s >> PAGE_BITS] + <int64_t>(s & PAGE_MASK) * m.p.dim
    s = <int32_t>pr.n_slots
    page = s >> PAGE_BITS
    if s >= pr.slot_cap:
        grown = realloc(pr.slot_row, 2 * (pr.slot_cap + PAGE_ROWS) * sizeof(int32_t))
        if grown == NULL:
            pr.out_of_memory = 1
            return base + <int64_t>row * m.p.dim
        pr.slot_row = <int32_t *>grown
        grown = realloc(pr.slot_matrix, 2 * (pr.slot_cap + PAGE_ROWS) * sizeof(uint8_t))
        if grown == NULL:
            pr.out_of_memory = 1
            return base + <int64_t>row * m.p.dim
        pr.slot_matrix = <uint8_t *>grown
        pr.slot_cap = 2 * (pr.slot_cap + PAGE_ROWS)
    if page >= pr.n_pages:
        grown = realloc(pr.pages, 2 * (pr.n_pages + 1) * sizeof(float *))
        if grown == NULL:
            pr.out_of_memory = 1
            return base + <int64_t>row * m.p.dim
        pr.pages = <float **>grown
        memset(pr.pages + pr.n_pages, 0, (pr.n_pages + 2) * sizeof(float *))
        pr.n_pages = 2 * (pr.n_pages + 1)
    if pr.pages[page] == NULL:
        pr.pages[page] = <float *>fw_alloc_lines(PAGE_ROWS * m.p.dim * sizeof(float))
        if pr.pages[page] == NULL:
            pr.out_of_memory = 1
            return base + <int64_t>row * m.p.dim
    dst = pr.pages[page] + <int64_t>(s & PAGE_MASK) * m.p.dim
    memcpy(dst, base + <int64_t>row * m.p.dim, m.p.dim * sizeof(float))
    pr.slot_of[mat][row] = s
    pr.slot_row[s] = row
    pr.slot_matrix[s] = <uint8_t>mat
    pr.n_slots += 1
    return dst


cdef inline float *private_slot_row(const ModelC *m, const PrivateRowsC *pr, int64_t s) noexcept nogil:
    return pr.pages[s >> PAGE_BITS] + (s & PAGE_MASK) * m.p.dim


cdef void hot_node_take(const ModelC *m, SharedRowsC *sh, uint32_t k) noexcept nogil:
    """First touch of hot node ``k`` since the last merge: copy the shared row (it has the
    other threads' merged changes) to this thread's copy and its snapshot."""
    cdef int64_t nbytes = m.p.dim * sizeof(float)
    memcpy(sh.snap + <int64_t>k * m.p.dim, m.w.output_hs + (sh.lo + <int64_t>k) * m.p.dim, nbytes)
    memcpy(sh.priv + <int64_t>k * m.p.dim, sh.snap + <int64_t>k * m.p.dim, nbytes)
    sh.seen[k] = 1
    sh.touched[sh.count] = <int32_t>k
    sh.count += 1


cdef void hot_nodes_merge(const ModelC *m, SharedRowsC *sh) noexcept nogil:
    """Add the change of each hot node copied since the last merge to the shared row, and
    forget the copies (the next touch takes a fresh one): at the first sentence end after
    every ``merge_every`` trained words, and at a job's end. Only rows touched in the
    interval cost anything."""
    cdef int j
    cdef int64_t k, i, d = m.p.dim
    cdef float *shared
    cdef float *priv
    cdef float *snap
    for j in range(sh.count):
        k = sh.touched[j]
        shared = m.w.output_hs + (sh.lo + k) * d
        priv = sh.priv + k * d
        snap = sh.snap + k * d
        for i in range(d):
            shared[i] += priv[i] - snap[i]
        sh.seen[k] = 0
    sh.count = 0


cdef inline float *row_in(const ModelC *m, RowsT *rows, int32_t row) noexcept nogil:
    if RowsT is PrivateRowsC:
        return private_row(m, rows, MAT_INPUT, m.w.input_vectors, row)
    else:
        return m.w.input_vectors + <int64_t>row * m.p.dim


cdef inline float *row_hs(const ModelC *m, RowsT *rows, int32_t row) noexcept nogil:
    cdef uint32_t k
    if RowsT is PrivateRowsC:
        return private_row(m, rows, MAT_HS, m.w.output_hs, row)
    else:
        k = <uint32_t>(row - rows.lo)
        if k < <uint32_t>rows.n:
            if not rows.seen[k]:
                hot_node_take(m, rows, k)
            return rows.priv + <int64_t>k * m.p.dim
        return m.w.output_hs + <int64_t>row * m.p.dim


cdef inline float *row_ns(const ModelC *m, RowsT *rows, int32_t row) noexcept nogil:
    if RowsT is PrivateRowsC:
        return private_row(m, rows, MAT_NS, m.w.output_ns, row)
    else:
        return m.w.output_ns + <int64_t>row * m.p.dim


cdef inline void prefetch_row_for(const ModelC *m, RowsT *rows, int mat, const float *base,
                                  int32_t row) noexcept nogil:
    """Prefetch the copy of ``row`` that this thread will read: its private copy once it
    has one (reproducible mode), its hot copy once taken, else the shared row."""
    cdef int32_t s
    cdef uint32_t k
    if RowsT is PrivateRowsC:
        s = rows.slot_of[mat][row]
        if s >= 0:
            fw_prefetch_row(private_slot_row(m, rows, s), m.p.dim)
            return
    else:
        if mat == MAT_HS:
            k = <uint32_t>(row - rows.lo)
            if k < <uint32_t>rows.n and rows.seen[k]:
                fw_prefetch_row(rows.priv + <int64_t>k * m.p.dim, m.p.dim)
                return
    fw_prefetch_row(base + <int64_t>row * m.p.dim, m.p.dim)


# ---- negative samples ------------------------------------------------------------------

cdef inline int32_t resolve_noise(const ModelC *m, uint64_t r) noexcept nogil:
    """Alias method: column from the high 32 bits, accept it if the low 32 bits fall under
    its threshold, else take its alias."""
    cdef uint64_t col = ((r >> 32) * <uint64_t>m.p.vocab_size) >> 32
    cdef uint64_t e = m.t.alias[col]
    if (r & 0xFFFFFFFFULL) < (e & 0xFFFFFFFFULL):
        return <int32_t>col
    return <int32_t>(e >> 32)


cdef inline void prefetch_alias(const ModelC *m, uint64_t r) noexcept nogil:
    __builtin_prefetch(m.t.alias + (((r >> 32) * <uint64_t>m.p.vocab_size) >> 32))


cdef void noise_start(const ModelC *m, NoiseC *nz, uint64_t seed) noexcept nogil:
    """Seed the noise stream and fill the look-ahead ring."""
    cdef int64_t t
    cdef uint64_t r
    nz.rng = fw_mix64(seed ^ NOISE_STREAM)
    nz.t = 0
    if m.w.output_ns == NULL:
        return
    for t in range(DRAW_AHEAD + 1):
        r = fw_rng_next(&nz.rng)
        if t <= RESOLVE_AHEAD:
            nz.word[t] = resolve_noise(m, r)
            fw_prefetch_row(m.w.output_ns + <int64_t>nz.word[t] * m.p.dim, m.p.dim)
        else:
            nz.raw[t % NOISE_RING] = r
            prefetch_alias(m, r)


cdef inline int32_t next_noise(const ModelC *m, NoiseC *nz, RowsT *rows) noexcept nogil:
    """The next word of the noise stream; draws and prefetches further ahead."""
    cdef int64_t t = nz.t
    cdef int32_t word = nz.word[t % NOISE_RING]
    cdef int32_t ahead
    cdef uint64_t r = nz.raw[(t + RESOLVE_AHEAD + 1) % NOISE_RING]
    ahead = resolve_noise(m, r)
    nz.word[(t + RESOLVE_AHEAD + 1) % NOISE_RING] = ahead
    prefetch_row_for(m, rows, MAT_NS, m.w.output_ns, ahead)
    r = fw_rng_next(&nz.rng)
    nz.raw[(t + DRAW_AHEAD + 1) % NOISE_RING] = r
    prefetch_alias(m, r)
    if RowsT is PrivateRowsC:
        # the row map entry of the column drawn (its word, unless the alias is taken)
        __builtin_prefetch(rows.slot_of[MAT_NS] + (((r >> 32) * <uint64_t>m.p.vocab_size) >> 32))
    nz.t = t + 1
    return word


# ---- the four updates --------------------------------------------------------------------

cdef inline void prefetch_next_centre(const ModelC *m, RowsT *rows, const int32_t *sent,
                                      int i, int n) noexcept nogil:
    """While centre ``i`` trains, fetch what centre ``i + 1`` will need: its output row
    (NS), its Huffman path's rows (HS), and the input row entering the window.

    HS needs a chain of three dependent loads (path offset, path, node rows), so it is
    pipelined over three centres: the offset of centre ``i + 3``, the path of ``i + 2``
    (its offset fetched one centre ago) and the rows of ``i + 1`` (its path fetched one
    centre ago). Without this the path look-ups missed cache on every centre word.
    """
    cdef int64_t k, kbeg
    cdef int32_t nxt
    if i + 1 < n:
        nxt = sent[i + 1]
        if m.w.output_ns != NULL:
            prefetch_row_for(m, rows, MAT_NS, m.w.output_ns, nxt)
        if m.w.output_hs != NULL:
            for k in range(m.t.code_offsets[nxt], m.t.code_offsets[nxt + 1]):
                prefetch_row_for(m, rows, MAT_HS, m.w.output_hs, <int32_t>(m.t.path[k] >> 1))
            if i + 2 < n:
                kbeg = m.t.code_offsets[sent[i + 2]]
                __builtin_prefetch(&m.t.path[kbeg])
                __builtin_prefetch(&m.t.path[m.t.code_offsets[sent[i + 2] + 1] - 1])
                if i + 3 < n:
                    __builtin_prefetch(&m.t.code_offsets[sent[i + 3]])
    if i + m.p.window + 1 < n:
        prefetch_row_for(m, rows, MAT_INPUT, m.w.input_vectors, sent[i + m.p.window + 1])


cdef inline void hs_update(const ModelC *m, WorkerC *w, RowsT *rows, int32_t word,
                           const float *l1, float alpha) noexcept nogil:
    """Hierarchical softmax: one binary logistic step per inner node on word's path.

    Software-pipelined: node k+1's score is computed before node k's update is applied.
    The nodes of a path are distinct rows and ``l1`` is not written here, so the result is
    the same as the plain loop, but the dot product's latency overlaps the update.
    """
    cdef int64_t k, kbeg = m.t.code_offsets[word], kend = m.t.code_offsets[word + 1]
    cdef float f, f_next = 0, g
    cdef int code
    cdef uint32_t node
    cdef float *l2
    cdef int d = m.p.dim
    if kbeg == kend:
        return
    if m.p.reg_path:
        for k in range(kbeg, kend):
            w.scratch.path_rows[k - kbeg] = row_hs(m, rows, <int32_t>(m.t.path[k] >> 1))
        w.stats.loss += fw_hs_path(l1, w.scratch.neu1e, w.scratch.path_rows, m.t.path + kbeg,
                                   kend - kbeg, m.t.sigmoid, SIGMOID_SCALE, alpha, d,
                                   m.p.compute_loss)
        return
    f = fw_dot(l1, row_hs(m, rows, <int32_t>(m.t.path[kbeg] >> 1)), d)
    for k in range(kbeg, kend):
        node = m.t.path[k]
        l2 = row_hs(m, rows, <int32_t>(node >> 1))
        if k + 1 < kend:
            f_next = fw_dot(l1, row_hs(m, rows, <int32_t>(m.t.path[k + 1] >> 1)), d)
        code = node & 1
        if m.p.compute_loss:
            # target label is 1 - code: loss = -log sigmoid((1 - 2 code) * f)
            w.stats.loss += fw_neg_log_sigmoid((1 - 2 * code) * <double>f)
        if -MAX_EXP < f < MAX_EXP:
            g = (1 - code - sigmoid_lookup(m, f)) * alpha
            fw_pair_update(g, w.scratch.neu1e, l2, l1, d)
        f = f_next


cdef inline float ns_gradient(const ModelC *m, float f, float label, float alpha) noexcept nogil:
    """(label - sigmoid(f)) * alpha, saturating outside [-MAX_EXP, MAX_EXP] as the C tool."""
    if f > MAX_EXP:
        return (label - 1.0) * alpha
    elif f < -MAX_EXP:
        return label * alpha
    return (label - sigmoid_lookup(m, f)) * alpha


cdef inline void ns_update(const ModelC *m, WorkerC *w, RowsT *rows, int32_t word,
                           const float *l1, float alpha) noexcept nogil:
    """Negative sampling: the true word with label 1, `negative` noise words with label 0
    (noise words equal to the true word are skipped, as in the C tool).

    Software-pipelined as :func:`hs_update`: the next target's score is computed before
    this target's update, and computed again in the rare case that both are one row.
    """
    cdef int drawn = 0
    cdef int32_t target = word, nxt, cand
    cdef float f, f_next = 0, label = 1.0
    cdef float *l2
    cdef int n_rows
    cdef int d = m.p.dim
    if m.p.reg_path:
        w.scratch.path_rows[0] = row_ns(m, rows, word)
        n_rows = 1
        while drawn < m.p.negative:
            cand = next_noise(m, &w.noise, rows)
            drawn += 1
            if cand != word:
                w.scratch.path_rows[n_rows] = row_ns(m, rows, cand)
                n_rows += 1
        w.stats.loss += fw_ns_set(l1, w.scratch.neu1e, w.scratch.path_rows, n_rows,
                                  m.t.sigmoid, SIGMOID_SCALE, alpha, d, m.p.compute_loss)
        return
    f = fw_dot(l1, row_ns(m, rows, word), d)
    while True:
        nxt = -1
        while drawn < m.p.negative:
            cand = next_noise(m, &w.noise, rows)
            drawn += 1
            if cand != word:
                nxt = cand
                break
        if nxt >= 0 and nxt != target:
            f_next = fw_dot(l1, row_ns(m, rows, nxt), d)
        l2 = row_ns(m, rows, target)
        if m.p.compute_loss:
            w.stats.loss += fw_neg_log_sigmoid(f if label > 0 else -f)
        fw_pair_update(ns_gradient(m, f, label, alpha), w.scratch.neu1e, l2, l1, d)
        if nxt < 0:
            return
        if nxt == target:
            f_next = fw_dot(l1, l2, d)
        target = nxt
        f = f_next
        label = 0.0


cdef void sg_shared_negatives(const ModelC *m, WorkerC *w, RowsT *rows, const int32_t *sent,
                              int i, int lo, int hi, float alpha) noexcept nogil:
    """Skip-gram, negative sampling, one set of negatives for the whole window of centre
    ``i`` (the "HogBatch" scheme of Ji et al., pWord2Vec): every context word of the
    window is scored against the same ``1 + negative`` output rows, all scores are taken
    from the weights as they were at the start of the window, then outputs and inputs
    are updated. With C contexts (rows X) and K targets (rows Y) that is three small
    dense products: G = f(X Y^T), then E = G Y (the inputs' errors), Y += G^T X, and
    X += E; each row is loaded once per window, not once per pair.
    """
    cdef int a, t, nc = 0, nt = 0, d = m.p.dim, stride = m.p.negative + 1
    cdef int32_t word = sent[i], target
    cdef float f
    cdef float *sc
    cdef ScratchC *x = &w.scratch
    cdef float **ys = x.path_rows          # the targets' output rows
    cdef float **xs = x.ctx_rows           # the contexts' input rows
    x.targets[nt] = word
    ys[nt] = row_ns(m, rows, word)
    nt += 1
    for t in range(m.p.negative):
        target = next_noise(m, &w.noise, rows)
        if target != word:
            x.targets[nt] = target
            ys[nt] = row_ns(m, rows, target)
            nt += 1
    for a in range(lo, hi):
        if a != i:
            x.ctx_words[nc] = sent[a]
            xs[nc] = row_in(m, rows, sent[a])
            nc += 1
    # scores -> gradients, and the input-side errors (with the outputs' old values)
    for a in range(nc):
        sc = x.scores + a * stride
        fw_dot_many(xs[a], ys, nt, d, sc)
        for t in range(nt):
            f = sc[t]
            if m.p.compute_loss:
                w.stats.loss += fw_neg_log_sigmoid(f if t == 0 else -f)
            sc[t] = ns_gradient(m, f, 1.0 if t == 0 else 0.0, alpha)
        fw_combine(x.ctx_err + a * d, sc, ys, nt, d)
    w.stats.loss_examples += nc
    # outputs, with the inputs' old values
    for t in range(nt):
        fw_accumulate(ys[t], x.scores + t, stride, xs, nc, d)
    # inputs
    for a in range(nc):
        fw_axpy(lock_of(m, x.ctx_words[a]), x.ctx_err + a * d, xs[a], d)


# ---- the sentence loop -------------------------------------------------------------------

cdef inline int window_bounds(const ModelC *m, WorkerC *w, int i, int n, int *hi) noexcept nogil:
    """The window of centre ``i``: returns its start and sets ``hi`` to its end
    (exclusive), shrunk by a random ``b`` in [0, window) when shrink_windows is on."""
    cdef int b = <int>(fw_rng_next(&w.rng) % <uint64_t>m.p.window) if m.p.shrink_windows else 0
    cdef int lo = i - m.p.window + b
    hi[0] = i + m.p.window + 1 - b
    if hi[0] > n:
        hi[0] = n
    return lo if lo > 0 else 0


cdef void train_sentence_sg(const ModelC *m, WorkerC *w, RowsT *rows, const int32_t *sent,
                            int n, float alpha) noexcept nogil:
    cdef int i, j, lo, hi
    cdef int32_t word
    cdef float *l1
    cdef float *neu1e = w.scratch.neu1e
    for i in range(n):
        word = sent[i]
        prefetch_next_centre(m, rows, sent, i, n)
        lo = window_bounds(m, w, i, n, &hi)
        if m.p.shared_negatives:
            if m.p.hs:
                for j in range(lo, hi):
                    if j != i:
                        l1 = row_in(m, rows, sent[j])
                        memset(neu1e, 0, m.p.dim * sizeof(float))
                        hs_update(m, w, rows, word, l1, alpha)
                        fw_axpy(lock_of(m, sent[j]), neu1e, l1, m.p.dim)
            sg_shared_negatives(m, w, rows, sent, i, lo, hi, alpha)
            continue
        for j in range(lo, hi):
            if j == i:
                continue
            # as in the C tool: the context word's input vector predicts the centre word
            l1 = row_in(m, rows, sent[j])
            memset(neu1e, 0, m.p.dim * sizeof(float))
            if m.p.hs:
                hs_update(m, w, rows, word, l1, alpha)
            if m.p.negative:
                ns_update(m, w, rows, word, l1, alpha)
            w.stats.loss_examples += 1
            fw_axpy(lock_of(m, sent[j]), neu1e, l1, m.p.dim)


cdef void train_sentence_cbow(const ModelC *m, WorkerC *w, RowsT *rows, const int32_t *sent,
                              int n, float alpha) noexcept nogil:
    cdef int i, j, lo, hi, cw
    cdef int32_t word
    cdef float *neu1 = w.scratch.neu1
    cdef float *neu1e = w.scratch.neu1e
    cdef int d = m.p.dim
    for i in range(n):
        word = sent[i]
        prefetch_next_centre(m, rows, sent, i, n)
        lo = window_bounds(m, w, i, n, &hi)
        memset(neu1, 0, d * sizeof(float))
        cw = 0
        for j in range(lo, hi):
            if j != i:
                fw_axpy(1.0, row_in(m, rows, sent[j]), neu1, d)
                cw += 1
        if cw == 0:
            continue
        if m.p.cbow_mean:
            fw_scale(1.0 / cw, neu1, d)
        memset(neu1e, 0, d * sizeof(float))
        if m.p.hs:
            hs_update(m, w, rows, word, neu1, alpha)
        if m.p.negative:
            ns_update(m, w, rows, word, neu1, alpha)
        w.stats.loss_examples += 1
        if not m.p.cbow_mean:
            # as gensim: spread the error of a summed window over its words
            fw_scale(1.0 / cw, neu1e, d)
        for j in range(lo, hi):
            if j != i:
                fw_axpy(lock_of(m, sent[j]), neu1e, row_in(m, rows, sent[j]), d)


cdef inline double job_alpha(const ModelC *m, RowsT *rows, int64_t shared_done,
                             int64_t read_here) noexcept nogil:
    """The learning rate now. Lock-free mode: from the shared progress counter. The
    reproducible mode's position must not depend on other threads' timing, so it is this
    job's start position plus this thread's own reading, times the number of threads
    reading alongside it."""
    if RowsT is PrivateRowsC:
        return learning_rate_c(&m.s, rows.progress_base + read_here * rows.schedule_threads)
    else:
        return learning_rate_c(&m.s, shared_done)


cdef void train_range(const ModelC *m, WorkerC *w, RowsT *rows, const int32_t *ids,
                      int64_t start, int64_t end) noexcept nogil:
    """THE loop: read ids[start:end], down-sample, cut sentences, train each."""
    cdef int64_t pos = start, unreported = 0, done, read_here = 0, since_merge = 0
    cdef int32_t wid
    cdef int n
    cdef int32_t *sent = w.scratch.sentence
    cdef double alpha = job_alpha(m, rows, fw_atomic_load(m.s.progress), 0)
    while pos < end:
        n = 0
        while pos < end and n < C_MAX_SENTENCE:
            wid = ids[pos]
            pos += 1
            if wid < 0:
                break
            unreported += 1
            if m.t.keep_threshold != NULL and (fw_rng_next(&w.rng) & 0xFFFFFFFFULL) >= m.t.keep_threshold[wid]:
                continue
            sent[n] = wid
            n += 1
        if n > 1:
            if m.p.sg:
                train_sentence_sg(m, w, rows, sent, n, <float>alpha)
            else:
                train_sentence_cbow(m, w, rows, sent, n, <float>alpha)
        w.stats.words_trained += n
        if RowsT is SharedRowsC:
            since_merge += n
            if rows.n and since_merge >= rows.merge_every:
                # publish this thread's node changes and pick up the others' often, so
                # that no thread works long from a stale copy (a copy that lags behind
                # other threads' steps would make them overshoot)
                hot_nodes_merge(m, rows)
                since_merge = 0
        if unreported >= C_PROGRESS_EVERY:
            w.stats.words_read += unreported
            read_here += unreported
            done = fw_atomic_add(m.s.progress, unreported)
            unreported = 0
            alpha = job_alpha(m, rows, done, read_here)
    if unreported:
        w.stats.words_read += unreported
        fw_atomic_add(m.s.progress, unreported)
    if RowsT is SharedRowsC:
        hot_nodes_merge(m, rows)


# ---- the reproducible mode's merge -----------------------------------------------------

def apply_private_deltas(Model model, workers, int part=0, int parts=1):
    """Add the workers' private-row differences (see :meth:`Worker.private_to_deltas`)
    to the shared weights, worker after worker in list order, for the rows ``r`` with
    ``r % parts == part``: threads can share the work without touching the same row,
    and every row still receives its differences in the same order."""
    cdef Worker wk
    cdef PrivateRowsC *pr
    cdef ModelC *m = &model.c
    cdef int64_t s, d = m.p.dim
    cdef list ws = list(workers)
    if parts < 1 or not 0 <= part < parts:
        raise ValueError("need 0 <= part < parts")
    for wk in ws:
        if wk.model is not model:
            raise ValueError("worker belongs to another model")
    for wk in ws:
        pr = &wk.c.private
        with nogil:
            for s in range(pr.n_slots):
                if pr.slot_row[s] % parts != part:
                    continue
                fw_axpy(1.0, private_slot_row(m, pr, s),
                        matrix_of(m, pr.slot_matrix[s]) + <int64_t>pr.slot_row[s] * d, <int>d)


def merge_private_rows(Model model, workers):
    """Fold the workers' private rows into the shared weights, in list order, on the
    calling thread: differences first (for all workers), then additions, then clearing.
    The result depends only on what each worker computed, not on thread timing."""
    cdef Worker wk
    ws = list(workers)
    for wk in ws:
        wk.private_to_deltas()
    apply_private_deltas(model, ws)
    for wk in ws:
        wk.clear_private()


# ---- Python's view: Model (one run's weights and tables) and Worker (one thread) -------

def pack_alias(alias_threshold, alias_index):
    """One uint64 per column, ``(alias << 32) | threshold``: a draw reads one entry (one
    cache line) instead of two arrays. A threshold of 2**32 (always accept) becomes
    ``2**32 - 1`` with the column as its own alias, which keeps every probability exact."""
    thr = np.ascontiguousarray(alias_threshold, dtype=np.uint64)
    idx = np.ascontiguousarray(alias_index, dtype=np.int64)
    V = idx.shape[0]
    if thr.shape != (V,) or V == 0 or idx.min() < 0 or idx.max() >= V or thr.max() > (1 << 32):
        raise ValueError("noise table does not match the vocabulary")
    full = thr >= (1 << 32)
    idx = np.where(full, np.arange(V), idx).astype(np.uint64)
    thr = np.where(full, np.uint64(0xFFFFFFFF), thr)
    return np.ascontiguousarray((idx << np.uint64(32)) | thr, dtype=np.uint64)


cdef float *_f32_ptr(object arr, str name, tuple shape) except NULL:
    if not isinstance(arr, np.ndarray) or arr.dtype != np.float32 or not arr.flags.c_contiguous \
            or not arr.flags.writeable or arr.shape != shape:
        raise ValueError(f"{name} must be a writeable C-contiguous float32 array of shape {shape}")
    return <float *>cnp.PyArray_DATA(arr)


cdef class Model:
    """C view of the weights and tables of one training run (kept alive by references).

    Parameters
    ----------
    input_vectors : float32 [V, d]
    output_hs, output_ns : float32 [V, d] or None (needed when hs=1 / negative>0)
    keep_threshold : uint64 [V] or None (no down-sampling)
    codes, points, code_offsets : Huffman tree in CSR form (tables.HuffmanTree)
    alias_threshold, alias_index : noise alias table (tables.AliasTable)
    sigmoid : float32 [1000]
    shared_negatives : bool
        Skip-gram + NS: one set of negatives per window (HogBatch).
    lockf : float32 [L] or None
        gensim's ``vectors_lockf``: the update of input row ``r`` is scaled by
        ``lockf[r % L]`` (0.0 freezes the row, 1.0 trains it); None trains every row.
    register_kernels : bool
        Use the register-resident HS/NS loops where this variant has them (AVX-512,
        vector_size <= 128); False runs the portable loops (tests compare the two).
    """
    cdef ModelC c
    cdef list _keep_alive
    cdef int64_t[::1] _progress

    def __init__(self, input_vectors, output_hs, output_ns, *, int sg, int hs, int negative,
                 int window, int cbow_mean, bint shrink_windows, bint compute_loss,
                 keep_threshold, codes, points, code_offsets, alias_threshold, alias_index,
                 sigmoid, bint shared_negatives=False, bint register_kernels=True, lockf=None):
        V, d = input_vectors.shape
        if window < 1 or (not hs and negative <= 0) or V < 1 or d < 1:
            raise ValueError("invalid kernel configuration")
        if shared_negatives and not (sg and negative > 0):
            raise ValueError("shared_negatives needs skip-gram with negative sampling")
        memset(&self.c, 0, sizeof(ModelC))
        self.c.w.input_vectors = _f32_ptr(input_vectors, "input_vectors", (V, d))
        self._keep_alive = [input_vectors]
        self.c.p.vocab_size = V
        self.c.p.dim = d
        self.c.p.sg, self.c.p.hs, self.c.p.negative = sg, hs, negative
        self.c.p.window, self.c.p.cbow_mean = window, cbow_mean
        self.c.p.shrink_windows, self.c.p.compute_loss = shrink_windows, compute_loss
        self.c.p.shared_negatives = shared_negatives
        if hs:
            self.c.w.output_hs = _f32_ptr(output_hs, "output_hs", (V, d))
            codes = np.ascontiguousarray(codes, dtype=np.uint8)
            points = np.ascontiguousarray(points, dtype=np.int32)
            code_offsets = np.ascontiguousarray(code_offsets, dtype=np.int64)
            if code_offsets.shape[0] != V + 1 or code_offsets[-1] != codes.shape[0] \
                    or points.shape[0] != codes.shape[0] \
                    or (points.shape[0] and (points.min() < 0 or points.max() >= V)):
                raise ValueError("Huffman tables do not match the vocabulary")
            if codes.shape[0] and codes.max() > 1:
                raise ValueError("Huffman codes must be 0 or 1")
            path = (points.astype(np.uint32) << np.uint32(1)) | codes.astype(np.uint32)
            self.c.t.path = <const uint32_t *>cnp.PyArray_DATA(path)
            self.c.t.code_offsets = <const int64_t *>cnp.PyArray_DATA(code_offsets)
            self.c.t.max_code_len = int(np.diff(code_offsets).max()) if V else 0
            self._keep_alive += [output_hs, path, code_offsets]
        if negative:
            self.c.w.output_ns = _f32_ptr(output_ns, "output_ns", (V, d))
            packed = pack_alias(alias_threshold, alias_index)
            if packed.shape[0] != V:
                raise ValueError("noise table does not match the vocabulary")
            self.c.t.alias = <const uint64_t *>cnp.PyArray_DATA(packed)
            self._keep_alive += [output_ns, packed]
        if keep_threshold is not None:
            keep_threshold = np.ascontiguousarray(keep_threshold, dtype=np.uint64)
            if keep_threshold.shape[0] != V:
                raise ValueError("keep_threshold does not match the vocabulary")
            self.c.t.keep_threshold = <const uint64_t *>cnp.PyArray_DATA(keep_threshold)
            self._keep_alive.append(keep_threshold)
        if lockf is not None:
            lockf = np.ascontiguousarray(lockf, dtype=np.float32)
            if lockf.ndim != 1 or lockf.shape[0] < 1:
                raise ValueError("lockf must be a 1-d array of at least one float")
            self.c.w.lockf = <const float *>cnp.PyArray_DATA(lockf)
            self.c.w.lockf_len = lockf.shape[0]
            self._keep_alive.append(lockf)
        self.c.p.reg_path = FW_HAVE_REG_PATH and d <= 128 and register_kernels
        sigmoid = np.ascontiguousarray(sigmoid, dtype=np.float32)
        if sigmoid.shape[0] != EXP_TABLE_SIZE:
            raise ValueError("sigmoid table must have 1000 entries")
        self.c.t.sigmoid = <const float *>cnp.PyArray_DATA(sigmoid)
        self._keep_alive.append(sigmoid)
        self._progress = np.zeros(1, dtype=np.int64)
        self.c.s.progress = &self._progress[0]
        self.set_schedule(0.025, 0.0001, 0)

    def set_schedule(self, double start_alpha, double end_alpha, int64_t total_words,
                     int64_t progress=0):
        """Start a new schedule: alpha goes from start to end as progress reaches total."""
        self.c.s.start_alpha = start_alpha
        self.c.s.end_alpha = end_alpha
        self.c.s.total_words = total_words
        self._progress[0] = progress

    @property
    def vocab_size(self):
        return self.c.p.vocab_size

    @property
    def computes_loss(self):
        """Whether the kernels sum the objective (``compute_loss``)."""
        return bool(self.c.p.compute_loss)

    @property
    def uses_register_kernels(self):
        """Whether HS/NS run the register-resident loops (AVX-512 variant, d <= 128)."""
        return bool(self.c.p.reg_path)

    @property
    def progress(self):
        """Words read so far under the current schedule (all threads)."""
        return int(self._progress[0])

    @property
    def alpha(self):
        """The learning rate at the current progress."""
        return learning_rate_c(&self.c.s, self._progress[0])


cdef class Worker:
    """One training thread's private state: RNG, scratch vectors, row policy, loss and
    counters (see ``types.pxd``)."""
    cdef WorkerC c
    cdef Model model

    def __cinit__(self, Model model):
        self.model = model
        memset(&self.c, 0, sizeof(WorkerC))
        cdef ScratchC *x = &self.c.scratch
        d = model.c.p.dim
        nt = model.c.p.negative + 1
        x.neu1 = <float *>fw_alloc_lines(d * sizeof(float))
        x.neu1e = <float *>fw_alloc_lines(d * sizeof(float))
        x.sentence = <int32_t *>fw_alloc_lines(C_MAX_SENTENCE * sizeof(int32_t))
        x.ctx_err = <float *>fw_alloc_lines(2 * model.c.p.window * d * sizeof(float))
        x.scores = <float *>fw_alloc_lines(2 * model.c.p.window * nt * sizeof(float))
        x.targets = <int32_t *>fw_alloc_lines(nt * sizeof(int32_t))
        x.ctx_rows = <float **>fw_alloc_lines(2 * model.c.p.window * sizeof(float *))
        x.ctx_words = <int32_t *>fw_alloc_lines(2 * model.c.p.window * sizeof(int32_t))
        x.path_rows = <float **>fw_alloc_lines((max(model.c.t.max_code_len, nt) + 1) * sizeof(float *))
        if x.neu1 == NULL or x.neu1e == NULL or x.sentence == NULL or x.ctx_err == NULL \
                or x.scores == NULL or x.targets == NULL or x.path_rows == NULL \
                or x.ctx_rows == NULL or x.ctx_words == NULL:
            raise MemoryError("cannot allocate worker buffers")
        self.c.shared.merge_every = HOT_MERGE_EVERY

    def __dealloc__(self):
        cdef ScratchC *x = &self.c.scratch
        free(x.neu1)
        free(x.neu1e)
        free(x.sentence)
        free(x.ctx_err)
        free(x.scores)
        free(x.targets)
        free(x.path_rows)
        free(x.ctx_rows)
        free(x.ctx_words)
        self._free_private()
        self._free_hot()

    cdef void _free_private(self) noexcept:
        cdef PrivateRowsC *pr = &self.c.private
        cdef int64_t i
        for i in range(3):
            free(pr.slot_of[i])
        for i in range(pr.n_pages):
            free(pr.pages[i])
        free(pr.pages)
        free(pr.slot_row)
        free(pr.slot_matrix)
        memset(pr, 0, sizeof(PrivateRowsC))
        self.c.reproducible = 0

    cdef void _free_hot(self) noexcept:
        cdef SharedRowsC *sh = &self.c.shared
        free(sh.priv)
        free(sh.snap)
        free(sh.seen)
        free(sh.touched)
        sh.priv = sh.snap = NULL
        sh.seen = NULL
        sh.touched = NULL
        sh.n = sh.count = 0

    def use_private_rows(self, bint on):
        """Reproducible mode: write updates to private copies of the rows this worker
        touches (it reads its own updates, not other threads'), to be folded into the
        shared weights by :func:`merge_private_rows` at a synchronisation point."""
        cdef int i
        cdef int64_t V = self.model.c.p.vocab_size
        cdef PrivateRowsC *pr = &self.c.private
        self._free_private()
        self._free_hot()
        if not on:
            return
        for i in range(3):
            pr.slot_of[i] = <int32_t *>malloc(V * sizeof(int32_t))
            if pr.slot_of[i] == NULL:
                self._free_private()
                raise MemoryError("cannot allocate the reproducible mode's row maps")
            memset(pr.slot_of[i], 0xFF, V * sizeof(int32_t))      # all -1
        self.c.reproducible = 1

    def use_hot_nodes(self, int n_nodes, int merge_every=HOT_MERGE_EVERY):
        """Lock-free mode with several workers: keep the ``n_nodes`` Huffman nodes nearest
        the root (the highest node ids), which every word's path crosses, in per-thread
        copies. A copy is taken when the node is first touched after a merge; the change
        of every copied node is added to the shared row at the first sentence end after
        each ``merge_every`` trained words and at each job's end. Shared live, these rows
        make the cores fight over their cache lines (measured: the HS modes lost more
        than half of the second core). ``use_hot_nodes(0)`` turns it off."""
        cdef ModelC *m = &self.model.c
        cdef SharedRowsC *sh = &self.c.shared
        if merge_every < 1:
            raise ValueError(f"merge_every must be >= 1, got {merge_every}")
        self._free_hot()
        n_nodes = max(0, min(n_nodes, m.p.vocab_size - 1)) if m.w.output_hs != NULL else 0
        sh.merge_every = merge_every
        sh.lo = m.p.vocab_size - 1 - n_nodes
        if n_nodes == 0:
            return
        sh.priv = <float *>fw_alloc_lines(n_nodes * m.p.dim * sizeof(float))
        sh.snap = <float *>fw_alloc_lines(n_nodes * m.p.dim * sizeof(float))
        sh.seen = <uint8_t *>fw_alloc_lines(n_nodes)
        sh.touched = <int32_t *>fw_alloc_lines(n_nodes * sizeof(int32_t))
        if sh.priv == NULL or sh.snap == NULL or sh.seen == NULL or sh.touched == NULL:
            self._free_hot()
            raise MemoryError("cannot allocate hot-node copies")
        memset(sh.seen, 0, n_nodes)
        sh.n = n_nodes

    @property
    def hot_nodes(self):
        """How many Huffman nodes this worker keeps in per-thread copies."""
        return self.c.shared.n

    def set_job_schedule(self, int64_t progress_base, int threads):
        """Reproducible mode: this job starts at schedule position ``progress_base``
        and ``threads`` threads read alongside it."""
        self.c.private.progress_base = progress_base
        self.c.private.schedule_threads = threads

    def private_to_deltas(self):
        """Turn each private row into its difference from the shared row. Call once the
        job is trained and before any thread writes the shared weights."""
        cdef PrivateRowsC *pr = &self.c.private
        cdef ModelC *m = &self.model.c
        cdef int64_t s, k, d = m.p.dim
        cdef float *priv
        cdef float *shared
        with nogil:
            for s in range(pr.n_slots):
                priv = private_slot_row(m, pr, s)
                shared = matrix_of(m, pr.slot_matrix[s]) + <int64_t>pr.slot_row[s] * d
                for k in range(d):
                    priv[k] -= shared[k]

    def clear_private(self):
        """Forget the private rows (after they were applied)."""
        cdef PrivateRowsC *pr = &self.c.private
        cdef int64_t s
        with nogil:
            for s in range(pr.n_slots):
                pr.slot_of[pr.slot_matrix[s]][pr.slot_row[s]] = -1
            pr.n_slots = 0

    @property
    def private_row_count(self):
        """Rows held privately since the last merge."""
        return int(self.c.private.n_slots)

    def train(self, const int32_t[::1] ids, int64_t start, int64_t end, uint64_t seed):
        """Train on ``ids[start:end]`` without the GIL, with a random stream from ``seed``.

        Returns the number of in-vocabulary words read.
        """
        if start < 0 or end > ids.shape[0] or start > end:
            raise IndexError(f"range [{start}, {end}) outside ids of length {ids.shape[0]}")
        cdef int64_t before = self.c.stats.words_read
        cdef const int32_t *p = &ids[0] if ids.shape[0] else NULL
        cdef int64_t i, bad = -1, V = self.model.c.p.vocab_size
        cdef const ModelC *m = &self.model.c
        # ids are checked once per call (cheap next to training) so bad input cannot
        # write outside the weight matrices
        with nogil:
            for i in range(start, end):
                if p[i] >= V or p[i] < -1:
                    bad = i
                    break
        if bad >= 0:
            raise ValueError(f"id {ids[bad]} at position {bad} is outside the vocabulary (0..{V - 1})")
        self.c.rng = fw_mix64(seed)
        noise_start(m, &self.c.noise, seed)
        if start < end:
            # the row policy is chosen here, once per job
            with nogil:
                if self.c.reproducible:
                    train_range(m, &self.c, &self.c.private, p, start, end)
                else:
                    train_range(m, &self.c, &self.c.shared, p, start, end)
        if self.c.private.out_of_memory:
            self.c.private.out_of_memory = 0
            raise MemoryError("out of memory for the reproducible mode's private rows")
        return self.c.stats.words_read - before

    def take_stats(self):
        """Return and reset ``(loss, loss_examples, words_read, words_trained)``."""
        cdef StatsC *st = &self.c.stats
        out = (st.loss, st.loss_examples, st.words_read, st.words_trained)
        memset(st, 0, sizeof(StatsC))
        return out


# ---- the kernels' own streams, exposed for the tests' NumPy twin ---------------------------

def draw_noise_samples(alias_threshold, alias_index, int64_t n, uint64_t seed):
    """The first ``n`` words of a job's noise stream for ``seed``, drawn exactly as the
    kernels draw them (through the look-ahead ring)."""
    cdef ModelC m
    cdef NoiseC nz
    cdef SharedRowsC none
    memset(&m, 0, sizeof(ModelC))
    memset(&none, 0, sizeof(SharedRowsC))
    packed = pack_alias(alias_threshold, alias_index)
    cdef float dummy[8]
    m.p.vocab_size = packed.shape[0]
    m.t.alias = <const uint64_t *>cnp.PyArray_DATA(packed)
    m.w.output_ns = dummy          # prefetch addresses only: row 0 stands in for all
    m.p.dim = 0
    memset(&nz, 0, sizeof(NoiseC))
    out = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] o = out
    cdef int64_t i
    with nogil:
        noise_start(&m, &nz, seed)
        for i in range(n):
            o[i] = next_noise(&m, &nz, &none)
    return out


def random_stream(uint64_t seed, int64_t n):
    """The first ``n`` numbers of a worker's random stream for ``seed``."""
    out = np.empty(n, dtype=np.uint64)
    cdef uint64_t[::1] o = out
    cdef uint64_t rng = fw_mix64(seed)
    cdef int64_t i
    for i in range(n):
        o[i] = fw_rng_next(&rng)
    return out
