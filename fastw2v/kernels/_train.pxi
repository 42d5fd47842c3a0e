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

cnp.import_array()

cdef extern from "vecmath.h" nogil:
    float fw_dot(const float *a, const float *b, int n)
    void fw_axpy(float a, const float *x, float *y, int n)
    void fw_scale(float a, float *y, int n)
    void fw_pair_update(float g, float *err, float *out, const float *inp, int n)
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
    NOISE_RING = 16
    PAGE_BITS = 6
    PAGE_ROWS = 64
    PAGE_MASK = 63
    DRAW_AHEAD = 15
    RESOLVE_AHEAD = 6

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
#: Trained words between two merges of a thread's hot-row copies (Worker.use_hot_rows).
HOT_MERGE_EVERY = 1000
#: Mixed into a job's seed to start its noise stream (independent of the main stream).
NOISE_STREAM_KEY = 0x5851F42D4C957F2D
cdef uint64_t NOISE_STREAM = 0x5851F42D4C957F2DULL
#: Whether this build has the register-resident HS/NS kernels (AVX-512 builds).
HAVE_REG_PATH = bool(FW_HAVE_REG_PATH)
#: Tests set this (before building a Model) to run the portable HS/NS loops instead.
_PORTABLE_LOOPS = False


ctypedef struct ModelC:
    float *input_vectors          # [V, d]
    float *output_hs              # [V, d] inner-node vectors, or NULL
    float *output_ns              # [V, d] output word vectors, or NULL
    int vocab_size
    int dim
    int sg, hs, negative, cbow_mean, window, shrink_windows, compute_loss
    const uint64_t *keep_threshold    # [V] keep if 32 random bits < threshold; NULL: keep all
    const uint32_t *path          # Huffman paths (CSR): (inner node << 1) | code bit, one
                                  # array so that a path costs one cache miss, not two
    const int64_t *code_offsets   # [V + 1]: word w's path is path[code_offsets[w]:...[w + 1]]
    int64_t max_code_len          # longest path
    int reg_path                  # use fw_hs_path / fw_ns_set (AVX-512 build, dim <= 128)
    const uint64_t *alias             # [V] noise alias table, packed: (alias << 32) | threshold
    int shared_negatives          # sg + NS: one set of negatives per centre word (HogBatch)
    const float *sigmoid          # [EXP_TABLE_SIZE]
    double start_alpha
    double end_alpha
    int64_t total_words           # progress at which alpha reaches end_alpha
    int64_t *progress             # shared counter


ctypedef struct WorkerC:
    char pad_front[64]            # keep other threads' data off this struct's cache lines
    uint64_t rng                  # windows and down-sampling
    uint64_t noise_rng            # negative samples (a stream of its own, drawn ahead)
    uint64_t noise_raw[NOISE_RING]    # raw draws t+RESOLVE_AHEAD+1 .. t+DRAW_AHEAD
    int32_t noise_word[NOISE_RING]    # resolved words t .. t+RESOLVE_AHEAD
    int64_t noise_t               # index of the next noise word to hand out
    float *ctx_err                # [2 * window, d] shared-negative mode: input-side errors
    float *scores                 # [2 * window, negative + 1] shared-negative mode
    int32_t *targets              # [negative + 1]
    # reproducible mode: rows this thread writes live in private copies until a merge
    int private_rows
    int32_t *slot_of[3]           # [V] per matrix (input, hs, ns): slot of a row, or -1
    float **pages                 # slot s is pages[s >> PAGE_BITS] + (s & PAGE_MASK) * d
    int64_t n_pages
    int32_t *slot_row             # [slot capacity] row of each slot
    uint8_t *slot_matrix          # [slot capacity] matrix of each slot
    int64_t n_slots, slot_cap
    int out_of_memory
    int64_t progress_base         # schedule position of this job's start (reproducible)
    int schedule_threads          # alpha = f(progress_base + threads * words read here)
    # hot rows (lock-free mode, several workers): rows that every thread writes all the
    # time (frequent words, the Huffman nodes nearest the root) are updated in private
    # copies, taken when a row is first touched after a merge; their change is added to
    # the shared rows at the first sentence end after every hot_merge_every trained words
    int hot_n[3]
    int32_t hot_lo[3]
    float *hot_priv[3]            # [hot_n, d] this thread's copies
    float *hot_snap[3]            # [hot_n, d] the shared rows when the copies were taken
    uint8_t *hot_seen[3]          # [hot_n] 1 once copied since the last merge
    int32_t *hot_list[3]          # [hot_n] the rows copied since the last merge
    int hot_count[3]
    int64_t hot_merge_every
    float **path_rows             # [max(max_code_len, negative + 1)] rows of the Huffman
                                  # path or negative-sampling targets being trained (reg_path)
    float *neu1                   # [d] CBOW hidden layer
    float *neu1e                  # [d] accumulated error for the input side
    int32_t *sentence             # [MAX_SENTENCE] kept words of the current sentence
    double loss                   # sum of objective values (float64)
    int64_t loss_examples         # (input, output word) examples counted in `loss`
    int64_t words_read            # in-vocabulary words read
    int64_t words_trained         # words kept after down-sampling
    char pad_back[64]             # (the counters above are written for every pair)


cdef inline double learning_rate_c(const ModelC *m, int64_t done) noexcept nogil:
    if m.total_words <= 0:
        return m.start_alpha
    cdef double a = m.start_alpha - (m.start_alpha - m.end_alpha) * (<double>done / <double>m.total_words)
    return a if a > m.end_alpha else m.end_alpha


def learning_rate(double start_alpha, double end_alpha, int64_t done, int64_t total_words):
    """The schedule: linear from ``start_alpha`` to ``end_alpha`` as ``done`` reaches
    ``total_words``, never below ``end_alpha``."""
    cdef ModelC m
    m.start_alpha = start_alpha
    m.end_alpha = end_alpha
    m.total_words = total_words
    return learning_rate_c(&m, done)


cdef inline float sigmoid_lookup(const ModelC *m, float f) noexcept nogil:
    cdef int idx = <int>((f + <float>MAX_EXP) * SIGMOID_SCALE)
    # f + 6 can round up to 12.0 in float32 for f just below 6
    if idx >= EXP_TABLE_SIZE:
        idx = EXP_TABLE_SIZE - 1
    elif idx < 0:
        idx = 0
    return m.sigmoid[idx]


cdef inline float *_matrix(const ModelC *m, int mat) noexcept nogil:
    return m.input_vectors if mat == 0 else (m.output_hs if mat == 1 else m.output_ns)


cdef float *private_row(const ModelC *m, WorkerC *w, int mat, float *base,
                        int32_t row) noexcept nogil:
    """This thread's copy of ``row`` of matrix ``mat``, copied on first touch.

    Slots live in fixed pages (never moved, so pointers stay valid while a job runs).
    If memory runs out the shared row is returned and ``out_of_memory`` set; the caller
    raises MemoryError after the job.
    """
    cdef int32_t s = w.slot_of[mat][row]
    cdef int64_t page
    cdef float *dst
    cdef void *grown
    if s >= 0:
        return w.pages[s >> PAGE_BITS] + <int64_t>(s & PAGE_MASK) * m.dim
    s = <int32_t>w.n_slots
    page = s >> PAGE_BITS
    if s >= w.slot_cap:
        grown = realloc(w.slot_row, 2 * (w.slot_cap + PAGE_ROWS) * sizeof(int32_t))
        if grown == NULL:
            w.out_of_memory = 1
            return base + <int64_t>row * m.dim
        w.slot_row = <int32_t *>grown
        grown = realloc(w.slot_matrix, 2 * (w.slot_cap + PAGE_ROWS) * sizeof(uint8_t))
        if grown == NULL:
            w.out_of_memory = 1
            return base + <int64_t>row * m.dim
        w.slot_matrix = <uint8_t *>grown
        w.slot_cap = 2 * (w.slot_cap + PAGE_ROWS)
    if page >= w.n_pages:
        grown = realloc(w.pages, 2 * (w.n_pages + 1) * sizeof(float *))
        if grown == NULL:
            w.out_of_memory = 1
            return base + <int64_t>row * m.dim
        w.pages = <float **>grown
        memset(w.pages + w.n_pages, 0, (w.n_pages + 2) * sizeof(float *))
        w.n_pages = 2 * (w.n_pages + 1)
    if w.pages[page] == NULL:
        w.pages[page] = <float *>fw_alloc_lines(PAGE_ROWS * m.dim * sizeof(float))
        if w.pages[page] == NULL:
            w.out_of_memory = 1
            return base + <int64_t>row * m.dim
    dst = w.pages[page] + <int64_t>(s & PAGE_MASK) * m.dim
    memcpy(dst, base + <int64_t>row * m.dim, m.dim * sizeof(float))
    w.slot_of[mat][row] = s
    w.slot_row[s] = row
    w.slot_matrix[s] = <uint8_t>mat
    w.n_slots += 1
    return dst


cdef void hot_row_take(const ModelC *m, WorkerC *w, int mat, const float *base,
                       uint32_t k) noexcept nogil:
    """First touch of hot row ``k`` since the last merge: copy the shared row (it has the
    other threads' merged changes) to this thread's copy and its snapshot."""
    cdef int64_t nbytes = m.dim * sizeof(float)
    memcpy(w.hot_snap[mat] + <int64_t>k * m.dim, base + (w.hot_lo[mat] + <int64_t>k) * m.dim, nbytes)
    memcpy(w.hot_priv[mat] + <int64_t>k * m.dim, w.hot_snap[mat] + <int64_t>k * m.dim, nbytes)
    w.hot_seen[mat][k] = 1
    w.hot_list[mat][w.hot_count[mat]] = <int32_t>k
    w.hot_count[mat] += 1


cdef inline float *shared_or_hot(const ModelC *m, WorkerC *w, int mat, float *base,
                                 int32_t row) noexcept nogil:
    cdef uint32_t k = <uint32_t>(row - w.hot_lo[mat])
    if k < <uint32_t>w.hot_n[mat]:
        if not w.hot_seen[mat][k]:
            hot_row_take(m, w, mat, base, k)
        return w.hot_priv[mat] + <int64_t>k * m.dim
    return base + <int64_t>row * m.dim


cdef inline float *row_in(const ModelC *m, WorkerC *w, int32_t row) noexcept nogil:
    if w.private_rows:
        return private_row(m, w, 0, m.input_vectors, row)
    return shared_or_hot(m, w, 0, m.input_vectors, row)


cdef inline float *row_hs(const ModelC *m, WorkerC *w, int32_t row) noexcept nogil:
    if w.private_rows:
        return private_row(m, w, 1, m.output_hs, row)
    return shared_or_hot(m, w, 1, m.output_hs, row)


cdef inline float *row_ns(const ModelC *m, WorkerC *w, int32_t row) noexcept nogil:
    if w.private_rows:
        return private_row(m, w, 2, m.output_ns, row)
    return shared_or_hot(m, w, 2, m.output_ns, row)


cdef void hot_rows_merge(const ModelC *m, WorkerC *w) noexcept nogil:
    """Add the change of each hot row copied since the last merge to the shared row, and
    forget the copies (the next touch takes a fresh one): at the first sentence end after
    every ``hot_merge_every`` trained words, and at a job's end. Only rows touched in the
    interval cost anything, so the hot set can be large."""
    cdef int mat, j
    cdef int64_t k, i, d = m.dim
    cdef float *shared
    cdef float *priv
    cdef float *snap
    for mat in range(3):
        for j in range(w.hot_count[mat]):
            k = w.hot_list[mat][j]
            shared = _matrix(m, mat) + (w.hot_lo[mat] + k) * d
            priv = w.hot_priv[mat] + k * d
            snap = w.hot_snap[mat] + k * d
            for i in range(d):
                shared[i] += priv[i] - snap[i]
            w.hot_seen[mat][k] = 0
        w.hot_count[mat] = 0


cdef inline int32_t resolve_noise(const ModelC *m, uint64_t r) noexcept nogil:
    """Alias method: column from the high 32 bits, accept it if the low 32 bits fall under
    its threshold, else take its alias."""
    cdef uint64_t col = ((r >> 32) * <uint64_t>m.vocab_size) >> 32
    cdef uint64_t e = m.alias[col]
    if (r & 0xFFFFFFFFULL) < (e & 0xFFFFFFFFULL):
        return <int32_t>col
    return <int32_t>(e >> 32)


cdef inline void prefetch_alias(const ModelC *m, uint64_t r) noexcept nogil:
    __builtin_prefetch(m.alias + (((r >> 32) * <uint64_t>m.vocab_size) >> 32))


cdef void noise_start(const ModelC *m, WorkerC *w, uint64_t seed) noexcept nogil:
    """Seed the noise stream and fill the look-ahead ring."""
    cdef int64_t t
    cdef uint64_t r
    w.noise_rng = fw_mix64(seed ^ NOISE_STREAM)
    w.noise_t = 0
    if m.output_ns == NULL:
        return
    for t in range(DRAW_AHEAD + 1):
        r = fw_rng_next(&w.noise_rng)
        if t <= RESOLVE_AHEAD:
            w.noise_word[t] = resolve_noise(m, r)
            fw_prefetch_row(m.output_ns + <int64_t>w.noise_word[t] * m.dim, m.dim)
        else:
            w.noise_raw[t % NOISE_RING] = r
            prefetch_alias(m, r)


cdef inline int32_t next_noise(const ModelC *m, WorkerC *w) noexcept nogil:
    """The next word of the noise stream; draws and prefetches further ahead."""
    cdef int64_t t = w.noise_t
    cdef int32_t word = w.noise_word[t % NOISE_RING]
    cdef int32_t ahead
    cdef uint64_t r = w.noise_raw[(t + RESOLVE_AHEAD + 1) % NOISE_RING]
    ahead = resolve_noise(m, r)
    w.noise_word[(t + RESOLVE_AHEAD + 1) % NOISE_RING] = ahead
    prefetch_row_for(m, w, 2, m.output_ns, ahead)
    r = fw_rng_next(&w.noise_rng)
    w.noise_raw[(t + DRAW_AHEAD + 1) % NOISE_RING] = r
    prefetch_alias(m, r)
    if w.private_rows:
        # the row map entry of the column drawn (its word, unless the alias is taken)
        __builtin_prefetch(w.slot_of[2] + (((r >> 32) * <uint64_t>m.vocab_size) >> 32))
    w.noise_t = t + 1
    return word


cdef inline void prefetch_row_for(const ModelC *m, WorkerC *w, int mat, const float *base,
                                  int32_t row) noexcept nogil:
    """Prefetch the copy of ``row`` that this worker will read: its private copy in
    reproducible mode once it has one, its hot copy once taken, else the shared row."""
    cdef int32_t s
    cdef uint32_t k = <uint32_t>(row - w.hot_lo[mat])
    if k < <uint32_t>w.hot_n[mat] and w.hot_seen[mat][k]:
        fw_prefetch_row(w.hot_priv[mat] + <int64_t>k * m.dim, m.dim)
        return
    if w.private_rows:
        s = w.slot_of[mat][row]
        if s >= 0:
            fw_prefetch_row(w.pages[s >> PAGE_BITS] + <int64_t>(s & PAGE_MASK) * m.dim, m.dim)
            return
    fw_prefetch_row(base + <int64_t>row * m.dim, m.dim)


cdef inline void prefetch_next_centre(const ModelC *m, WorkerC *w, const int32_t *sent,
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
        if m.output_ns != NULL:
            prefetch_row_for(m, w, 2, m.output_ns, nxt)
        if m.output_hs != NULL:
            for k in range(m.code_offsets[nxt], m.code_offsets[nxt + 1]):
                prefetch_row_for(m, w, 1, m.output_hs, <int32_t>(m.path[k] >> 1))
            if i + 2 < n:
                kbeg = m.code_offsets[sent[i + 2]]
                __builtin_prefetch(&m.path[kbeg])
                __builtin_prefetch(&m.path[m.code_offsets[sent[i + 2] + 1] - 1])
                if i + 3 < n:
                    __builtin_prefetch(&m.code_offsets[sent[i + 3]])
    if i + m.window + 1 < n:
        prefetch_row_for(m, w, 0, m.input_vectors, sent[i + m.window + 1])


cdef inline void hs_update(const ModelC *m, WorkerC *w, int32_t word, const float *l1,
                           float alpha) noexcept nogil:
    """Hierarchical softmax: one binary logistic step per inner node on word's path.

    Software-pipelined: node k+1's score is computed before node k's update is applied.
    The nodes of a path are distinct rows and ``l1`` is not written here, so the result is
    the same as the plain loop, but the dot product's latency overlaps the update.
    """
    cdef int64_t k, kbeg = m.code_offsets[word], kend = m.code_offsets[word + 1]
    cdef float f, f_next = 0, g
    cdef int code
    cdef uint32_t node
    cdef float *l2
    if kbeg == kend:
        return
    if m.reg_path:
        for k in range(kbeg, kend):
            w.path_rows[k - kbeg] = row_hs(m, w, <int32_t>(m.path[k] >> 1))
        w.loss += fw_hs_path(l1, w.neu1e, w.path_rows, m.path + kbeg, kend - kbeg,
                             m.sigmoid, SIGMOID_SCALE, alpha, m.dim, m.compute_loss)
        return
    f = fw_dot(l1, row_hs(m, w, <int32_t>(m.path[kbeg] >> 1)), m.dim)
    for k in range(kbeg, kend):
        node = m.path[k]
        l2 = row_hs(m, w, <int32_t>(node >> 1))
        if k + 1 < kend:
            f_next = fw_dot(l1, row_hs(m, w, <int32_t>(m.path[k + 1] >> 1)), m.dim)
        code = node & 1
        if m.compute_loss:
            # target label is 1 - code: loss = -log sigmoid((1 - 2 code) * f)
            w.loss += fw_neg_log_sigmoid((1 - 2 * code) * <double>f)
        if -MAX_EXP < f < MAX_EXP:
            g = (1 - code - sigmoid_lookup(m, f)) * alpha
            fw_pair_update(g, w.neu1e, l2, l1, m.dim)
        f = f_next


cdef inline float ns_gradient(const ModelC *m, float f, float label, float alpha) noexcept nogil:
    """(label - sigmoid(f)) * alpha, saturating outside [-MAX_EXP, MAX_EXP] as the C tool."""
    if f > MAX_EXP:
        return (label - 1.0) * alpha
    elif f < -MAX_EXP:
        return label * alpha
    return (label - sigmoid_lookup(m, f)) * alpha


cdef inline void ns_update(const ModelC *m, WorkerC *w, int32_t word, const float *l1,
                           float alpha) noexcept nogil:
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
    if m.reg_path:
        w.path_rows[0] = row_ns(m, w, word)
        n_rows = 1
        while drawn < m.negative:
            cand = next_noise(m, w)
            drawn += 1
            if cand != word:
                w.path_rows[n_rows] = row_ns(m, w, cand)
                n_rows += 1
        w.loss += fw_ns_set(l1, w.neu1e, w.path_rows, n_rows, m.sigmoid, SIGMOID_SCALE,
                            alpha, m.dim, m.compute_loss)
        return
    f = fw_dot(l1, row_ns(m, w, word), m.dim)
    while True:
        nxt = -1
        while drawn < m.negative:
            cand = next_noise(m, w)
            drawn += 1
            if cand != word:
                nxt = cand
                break
        if nxt >= 0 and nxt != target:
            f_next = fw_dot(l1, row_ns(m, w, nxt), m.dim)
        l2 = row_ns(m, w, target)
        if m.compute_loss:
            w.loss += fw_neg_log_sigmoid(f if label > 0 else -f)
        fw_pair_update(ns_gradient(m, f, label, alpha), w.neu1e, l2, l1, m.dim)
        if nxt < 0:
            return
        if nxt == target:
            f_next = fw_dot(l1, l2, m.dim)
        target = nxt
        f = f_next
        label = 0.0


cdef void sg_shared_negatives(const ModelC *m, WorkerC *w, const int32_t *sent, int i,
                              int lo, int hi, float alpha) noexcept nogil:
    """Skip-gram, negative sampling, one set of negatives for the whole window of centre
    ``i`` (the "HogBatch" scheme of Ji et al., pWord2Vec): every context word of the
    window is scored against the same ``1 + negative`` output rows, all scores are taken
    from the weights as they were at the start of the window, then outputs and inputs
    are updated. Rows are loaded once per window instead of once per pair.
    """
    cdef int a, t, nc = 0, nt = 0, d = m.dim
    cdef int32_t word = sent[i], target
    cdef float f, g
    cdef float *l2
    cdef float *err
    cdef float *sc
    w.targets[nt] = word
    nt += 1
    for t in range(m.negative):
        target = next_noise(m, w)
        if target != word:
            w.targets[nt] = target
            nt += 1
    # scores -> gradients, and the input-side errors (with the outputs' old values)
    for a in range(lo, hi):
        if a == i:
            continue
        sc = w.scores + nc * (m.negative + 1)
        err = w.ctx_err + nc * d
        memset(err, 0, d * sizeof(float))
        for t in range(nt):
            l2 = row_ns(m, w, w.targets[t])
            f = fw_dot(row_in(m, w, sent[a]), l2, d)
            if m.compute_loss:
                w.loss += fw_neg_log_sigmoid(f if t == 0 else -f)
            g = ns_gradient(m, f, 1.0 if t == 0 else 0.0, alpha)
            sc[t] = g
            fw_axpy(g, l2, err, d)
        nc += 1
    w.loss_examples += nc
    # outputs, with the inputs' old values
    for t in range(nt):
        l2 = row_ns(m, w, w.targets[t])
        nc = 0
        for a in range(lo, hi):
            if a == i:
                continue
            fw_axpy(w.scores[nc * (m.negative + 1) + t], row_in(m, w, sent[a]), l2, d)
            nc += 1
    # inputs
    nc = 0
    for a in range(lo, hi):
        if a == i:
            continue
        fw_axpy(1.0, w.ctx_err + nc * d, row_in(m, w, sent[a]), d)
        nc += 1


cdef void train_sentence_sg(const ModelC *m, WorkerC *w, const int32_t *sent, int n,
                            float alpha) noexcept nogil:
    cdef int i, j, lo, hi, b
    cdef int32_t word
    cdef float *l1
    for i in range(n):
        word = sent[i]
        prefetch_next_centre(m, w, sent, i, n)
        b = <int>(fw_rng_next(&w.rng) % <uint64_t>m.window) if m.shrink_windows else 0
        lo = i - m.window + b
        if lo < 0:
            lo = 0
        hi = i + m.window + 1 - b
        if hi > n:
            hi = n
        if m.shared_negatives:
            if m.hs:
                for j in range(lo, hi):
                    if j != i:
                        l1 = row_in(m, w, sent[j])
                        memset(w.neu1e, 0, m.dim * sizeof(float))
                        hs_update(m, w, word, l1, alpha)
                        fw_axpy(1.0, w.neu1e, l1, m.dim)
            sg_shared_negatives(m, w, sent, i, lo, hi, alpha)
            continue
        for j in range(lo, hi):
            if j == i:
                continue
            # as in the C tool: the context word's input vector predicts the centre word
            l1 = row_in(m, w, sent[j])
            memset(w.neu1e, 0, m.dim * sizeof(float))
            if m.hs:
                hs_update(m, w, word, l1, alpha)
            if m.negative:
                ns_update(m, w, word, l1, alpha)
            w.loss_examples += 1
            fw_axpy(1.0, w.neu1e, l1, m.dim)


cdef void train_sentence_cbow(const ModelC *m, WorkerC *w, const int32_t *sent, int n,
                              float alpha) noexcept nogil:
    cdef int i, j, lo, hi, b, cw
    cdef int32_t word
    for i in range(n):
        word = sent[i]
        prefetch_next_centre(m, w, sent, i, n)
        b = <int>(fw_rng_next(&w.rng) % <uint64_t>m.window) if m.shrink_windows else 0
        lo = i - m.window + b
        if lo < 0:
            lo = 0
        hi = i + m.window + 1 - b
        if hi > n:
            hi = n
        memset(w.neu1, 0, m.dim * sizeof(float))
        cw = 0
        for j in range(lo, hi):
            if j != i:
                fw_axpy(1.0, row_in(m, w, sent[j]), w.neu1, m.dim)
                cw += 1
        if cw == 0:
            continue
        if m.cbow_mean:
            fw_scale(1.0 / cw, w.neu1, m.dim)
        memset(w.neu1e, 0, m.dim * sizeof(float))
        if m.hs:
            hs_update(m, w, word, w.neu1, alpha)
        if m.negative:
            ns_update(m, w, word, w.neu1, alpha)
        w.loss_examples += 1
        if not m.cbow_mean:
            # as gensim: spread the error of a summed window over its words
            fw_scale(1.0 / cw, w.neu1e, m.dim)
        for j in range(lo, hi):
            if j != i:
                fw_axpy(1.0, w.neu1e, row_in(m, w, sent[j]), m.dim)


cdef void train_range(const ModelC *m, WorkerC *w, const int32_t *ids, int64_t start,
                      int64_t end) noexcept nogil:
    """THE loop: read ids[start:end], down-sample, cut sentences, train each."""
    cdef int64_t pos = start, unreported = 0, done, read_here = 0, since_merge = 0
    cdef int32_t wid
    cdef int n
    cdef bint ends
    cdef double alpha
    # reproducible mode: the schedule position must not depend on other threads' timing,
    # so it is this job's start position plus this thread's own reading, times the
    # number of threads reading alongside it
    if w.private_rows:
        alpha = learning_rate_c(m, w.progress_base)
    else:
        alpha = learning_rate_c(m, fw_atomic_load(m.progress))
    while pos < end:
        n = 0
        ends = False
        while pos < end and n < C_MAX_SENTENCE:
            wid = ids[pos]
            pos += 1
            if wid < 0:
                ends = True
                break
            unreported += 1
            if m.keep_threshold != NULL and (fw_rng_next(&w.rng) & 0xFFFFFFFFULL) >= m.keep_threshold[wid]:
                continue
            w.sentence[n] = wid
            n += 1
        if n > 1:
            if m.sg:
                train_sentence_sg(m, w, w.sentence, n, <float>alpha)
            else:
                train_sentence_cbow(m, w, w.sentence, n, <float>alpha)
        w.words_trained += n
        since_merge += n
        if since_merge >= w.hot_merge_every and (w.hot_n[0] or w.hot_n[1] or w.hot_n[2]):
            # hot rows: publish this thread's changes and pick up the others' often, so
            # that no thread works long from a stale copy (a copy that lags behind other
            # threads' steps would make them overshoot where gradients are large)
            hot_rows_merge(m, w)
            since_merge = 0
        if unreported >= C_PROGRESS_EVERY:
            w.words_read += unreported
            read_here += unreported
            done = fw_atomic_add(m.progress, unreported)
            unreported = 0
            if w.private_rows:
                alpha = learning_rate_c(m, w.progress_base + read_here * w.schedule_threads)
            else:
                alpha = learning_rate_c(m, done)
    if unreported:
        w.words_read += unreported
        fw_atomic_add(m.progress, unreported)


def apply_private_deltas(Model model, workers, int part=0, int parts=1):
    """Add the workers' private-row differences (see :meth:`Worker.private_to_deltas`)
    to the shared weights, worker after worker in list order, for the rows ``r`` with
    ``r % parts == part``: threads can share the work without touching the same row,
    and every row still receives its differences in the same order."""
    cdef Worker wk
    cdef WorkerC *w
    cdef ModelC *m = &model.c
    cdef int64_t s, d = m.dim
    cdef float *priv
    cdef list ws = list(workers)
    if parts < 1 or not 0 <= part < parts:
        raise ValueError("need 0 <= part < parts")
    for wk in ws:
        if wk.model is not model:
            raise ValueError("worker belongs to another model")
    for wk in ws:
        w = &wk.c
        with nogil:
            for s in range(w.n_slots):
                if w.slot_row[s] % parts != part:
                    continue
                priv = w.pages[s >> PAGE_BITS] + (s & PAGE_MASK) * d
                fw_axpy(1.0, priv, _matrix(m, w.slot_matrix[s]) + <int64_t>w.slot_row[s] * d, <int>d)


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
    """
    cdef ModelC c
    cdef list _keep_alive
    cdef int64_t[::1] _progress

    def __init__(self, input_vectors, output_hs, output_ns, *, int sg, int hs, int negative,
                 int window, int cbow_mean, bint shrink_windows, bint compute_loss,
                 keep_threshold, codes, points, code_offsets, alias_threshold, alias_index,
                 sigmoid, bint shared_negatives=False):
        V, d = input_vectors.shape
        if window < 1 or (not hs and negative <= 0) or V < 1 or d < 1:
            raise ValueError("invalid kernel configuration")
        if shared_negatives and not (sg and negative > 0):
            raise ValueError("shared_negatives needs skip-gram with negative sampling")
        memset(&self.c, 0, sizeof(ModelC))
        self.c.input_vectors = _f32_ptr(input_vectors, "input_vectors", (V, d))
        self._keep_alive = [input_vectors]
        self.c.vocab_size = V
        self.c.dim = d
        self.c.sg, self.c.hs, self.c.negative = sg, hs, negative
        self.c.window, self.c.cbow_mean = window, cbow_mean
        self.c.shrink_windows, self.c.compute_loss = shrink_windows, compute_loss
        self.c.shared_negatives = shared_negatives
        if hs:
            self.c.output_hs = _f32_ptr(output_hs, "output_hs", (V, d))
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
            self.c.path = <const uint32_t *>cnp.PyArray_DATA(path)
            self.c.code_offsets = <const int64_t *>cnp.PyArray_DATA(code_offsets)
            self.c.max_code_len = int(np.diff(code_offsets).max()) if V else 0
            self._keep_alive += [output_hs, path, code_offsets]
        if negative:
            self.c.output_ns = _f32_ptr(output_ns, "output_ns", (V, d))
            packed = pack_alias(alias_threshold, alias_index)
            if packed.shape[0] != V:
                raise ValueError("noise table does not match the vocabulary")
            self.c.alias = <const uint64_t *>cnp.PyArray_DATA(packed)
            self._keep_alive += [output_ns, packed]
        if keep_threshold is not None:
            keep_threshold = np.ascontiguousarray(keep_threshold, dtype=np.uint64)
            if keep_threshold.shape[0] != V:
                raise ValueError("keep_threshold does not match the vocabulary")
            self.c.keep_threshold = <const uint64_t *>cnp.PyArray_DATA(keep_threshold)
            self._keep_alive.append(keep_threshold)
        self.c.reg_path = FW_HAVE_REG_PATH and d <= 128 and not _PORTABLE_LOOPS
        sigmoid = np.ascontiguousarray(sigmoid, dtype=np.float32)
        if sigmoid.shape[0] != EXP_TABLE_SIZE:
            raise ValueError("sigmoid table must have 1000 entries")
        self.c.sigmoid = <const float *>cnp.PyArray_DATA(sigmoid)
        self._keep_alive.append(sigmoid)
        self._progress = np.zeros(1, dtype=np.int64)
        self.c.progress = &self._progress[0]
        self.set_schedule(0.025, 0.0001, 0)

    def set_schedule(self, double start_alpha, double end_alpha, int64_t total_words,
                     int64_t progress=0):
        """Start a new schedule: alpha goes from start to end as progress reaches total."""
        self.c.start_alpha = start_alpha
        self.c.end_alpha = end_alpha
        self.c.total_words = total_words
        self._progress[0] = progress

    @property
    def vocab_size(self):
        return self.c.vocab_size

    @property
    def progress(self):
        """Words read so far under the current schedule (all threads)."""
        return int(self._progress[0])

    @property
    def alpha(self):
        """The learning rate at the current progress."""
        return learning_rate_c(&self.c, self._progress[0])


cdef class Worker:
    """One training thread's private state: RNG, scratch vectors, loss and counters."""
    cdef WorkerC c
    cdef Model model

    def __cinit__(self, Model model):
        self.model = model
        memset(&self.c, 0, sizeof(WorkerC))
        d = model.c.dim
        self.c.neu1 = <float *>fw_alloc_lines(d * sizeof(float))
        self.c.neu1e = <float *>fw_alloc_lines(d * sizeof(float))
        self.c.sentence = <int32_t *>fw_alloc_lines(C_MAX_SENTENCE * sizeof(int32_t))
        nt = model.c.negative + 1
        self.c.ctx_err = <float *>fw_alloc_lines(2 * model.c.window * d * sizeof(float))
        self.c.scores = <float *>fw_alloc_lines(2 * model.c.window * nt * sizeof(float))
        self.c.targets = <int32_t *>fw_alloc_lines(nt * sizeof(int32_t))
        self.c.path_rows = <float **>fw_alloc_lines((max(model.c.max_code_len, nt) + 1) * sizeof(float *))
        if self.c.neu1 == NULL or self.c.neu1e == NULL or self.c.sentence == NULL \
                or self.c.ctx_err == NULL or self.c.scores == NULL or self.c.targets == NULL \
                or self.c.path_rows == NULL:
            raise MemoryError("cannot allocate worker buffers")

    def __dealloc__(self):
        free(self.c.neu1)
        free(self.c.neu1e)
        free(self.c.sentence)
        free(self.c.ctx_err)
        free(self.c.scores)
        free(self.c.targets)
        free(self.c.path_rows)
        self._free_private()
        self._free_hot()

    cdef void _free_private(self) noexcept:
        cdef int64_t i
        for i in range(3):
            free(self.c.slot_of[i])
            self.c.slot_of[i] = NULL
        for i in range(self.c.n_pages):
            free(self.c.pages[i])
        free(self.c.pages)
        free(self.c.slot_row)
        free(self.c.slot_matrix)
        self.c.pages = NULL
        self.c.slot_row = NULL
        self.c.slot_matrix = NULL
        self.c.n_pages = self.c.n_slots = self.c.slot_cap = 0
        self.c.private_rows = 0

    def use_private_rows(self, bint on):
        """Reproducible mode: write updates to private copies of the rows this worker
        touches (it reads its own updates, not other threads'), to be folded into the
        shared weights by :func:`merge_private_rows` at a synchronisation point."""
        cdef int i
        cdef int64_t V = self.model.c.vocab_size
        self._free_private()
        self._free_hot()
        if not on:
            return
        for i in range(3):
            self.c.slot_of[i] = <int32_t *>malloc(V * sizeof(int32_t))
            if self.c.slot_of[i] == NULL:
                self._free_private()
                raise MemoryError("cannot allocate the reproducible mode's row maps")
            memset(self.c.slot_of[i], 0xFF, V * sizeof(int32_t))      # all -1
        self.c.private_rows = 1

    def use_hot_nodes(self, int n_nodes, int merge_every=HOT_MERGE_EVERY):
        """Lock-free mode with several workers: keep the ``n_nodes`` Huffman nodes
        nearest the root in per-thread copies (see :meth:`use_hot_rows`)."""
        self.use_hot_rows(0, n_nodes, 0, merge_every)

    def use_hot_rows(self, int n_words, int n_nodes, n_output=None,
                     int merge_every=HOT_MERGE_EVERY):
        """Lock-free mode with several workers: keep the input rows of the ``n_words``
        most frequent words, the negative-sampling output rows of the ``n_output`` most
        frequent (default ``n_words``) and the ``n_nodes`` Huffman nodes nearest the root
        (the highest node ids) in private copies. A copy is taken when the row is first
        touched after a merge; the change of every copied row is added to the shared row
        at the first sentence end after each ``merge_every`` trained words and at each
        job's end. These rows are written by every thread all the time; sharing them live
        makes the cores fight over their cache lines, which cost more than half of the
        second core in the HS modes. Other threads see a hot row's updates at those
        merges instead of at once.
        ``use_hot_rows(0, 0)`` turns it off."""
        cdef ModelC *m = &self.model.c
        cdef int mat
        cdef int V = m.vocab_size
        if merge_every < 1:
            raise ValueError(f"merge_every must be >= 1, got {merge_every}")
        n_out = n_words if n_output is None else int(n_output)
        self._free_hot()
        n_words = max(0, min(n_words, V))
        n_nodes = max(0, min(n_nodes, V - 1))
        n_out = max(0, min(n_out, V))
        self.c.hot_n[0] = n_words
        self.c.hot_lo[0] = 0
        self.c.hot_n[1] = n_nodes if m.output_hs != NULL else 0
        self.c.hot_lo[1] = V - 1 - n_nodes
        self.c.hot_n[2] = n_out if m.output_ns != NULL else 0
        self.c.hot_lo[2] = 0
        self.c.hot_merge_every = merge_every
        for mat in range(3):
            if self.c.hot_n[mat]:
                self.c.hot_priv[mat] = <float *>fw_alloc_lines(self.c.hot_n[mat] * m.dim * sizeof(float))
                self.c.hot_snap[mat] = <float *>fw_alloc_lines(self.c.hot_n[mat] * m.dim * sizeof(float))
                self.c.hot_seen[mat] = <uint8_t *>fw_alloc_lines(self.c.hot_n[mat])
                self.c.hot_list[mat] = <int32_t *>fw_alloc_lines(self.c.hot_n[mat] * sizeof(int32_t))
                if self.c.hot_priv[mat] == NULL or self.c.hot_snap[mat] == NULL \
                        or self.c.hot_seen[mat] == NULL or self.c.hot_list[mat] == NULL:
                    self._free_hot()
                    raise MemoryError("cannot allocate hot-row copies")
                memset(self.c.hot_seen[mat], 0, self.c.hot_n[mat])
                self.c.hot_count[mat] = 0

    cdef void _free_hot(self) noexcept:
        cdef int mat
        for mat in range(3):
            free(self.c.hot_priv[mat])
            free(self.c.hot_snap[mat])
            free(self.c.hot_seen[mat])
            free(self.c.hot_list[mat])
            self.c.hot_priv[mat] = NULL
            self.c.hot_snap[mat] = NULL
            self.c.hot_seen[mat] = NULL
            self.c.hot_list[mat] = NULL
            self.c.hot_n[mat] = 0
            self.c.hot_count[mat] = 0

    def set_job_schedule(self, int64_t progress_base, int threads):
        """Reproducible mode: this job starts at schedule position ``progress_base``
        and ``threads`` threads read alongside it."""
        self.c.progress_base = progress_base
        self.c.schedule_threads = threads

    def private_to_deltas(self):
        """Turn each private row into its difference from the shared row. Call once the
        job is trained and before any thread writes the shared weights."""
        cdef WorkerC *w = &self.c
        cdef ModelC *m = &self.model.c
        cdef int64_t s, k, d = m.dim
        cdef float *priv
        cdef float *shared
        with nogil:
            for s in range(w.n_slots):
                priv = w.pages[s >> PAGE_BITS] + (s & PAGE_MASK) * d
                shared = _matrix(m, w.slot_matrix[s]) + <int64_t>w.slot_row[s] * d
                for k in range(d):
                    priv[k] -= shared[k]

    def clear_private(self):
        """Forget the private rows (after they were applied)."""
        cdef WorkerC *w = &self.c
        cdef int64_t s
        with nogil:
            for s in range(w.n_slots):
                w.slot_of[w.slot_matrix[s]][w.slot_row[s]] = -1
            w.n_slots = 0

    @property
    def private_row_count(self):
        """Rows held privately since the last merge."""
        return int(self.c.n_slots)

    def train(self, const int32_t[::1] ids, int64_t start, int64_t end, uint64_t seed):
        """Train on ``ids[start:end]`` without the GIL, with a random stream from ``seed``.

        Returns the number of in-vocabulary words read.
        """
        if start < 0 or end > ids.shape[0] or start > end:
            raise IndexError(f"range [{start}, {end}) outside ids of length {ids.shape[0]}")
        cdef int64_t before = self.c.words_read
        cdef const int32_t *p = &ids[0] if ids.shape[0] else NULL
        cdef int64_t i, bad = -1, V = self.model.c.vocab_size
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
        noise_start(&self.model.c, &self.c, seed)
        if start < end:
            with nogil:
                train_range(&self.model.c, &self.c, p, start, end)
                hot_rows_merge(&self.model.c, &self.c)
        if self.c.out_of_memory:
            self.c.out_of_memory = 0
            raise MemoryError("out of memory for the reproducible mode's private rows")
        return self.c.words_read - before

    def take_stats(self):
        """Return and reset ``(loss, loss_examples, words_read, words_trained)``."""
        out = (self.c.loss, self.c.loss_examples, self.c.words_read, self.c.words_trained)
        self.c.loss = 0.0
        self.c.loss_examples = 0
        self.c.words_read = 0
        self.c.words_trained = 0
        return out


def draw_noise_samples(alias_threshold, alias_index, int64_t n, uint64_t seed):
    """The first ``n`` words of a job's noise stream for ``seed``, drawn exactly as the
    kernels draw them (through the look-ahead ring), for tests."""
    cdef ModelC m
    cdef WorkerC w
    memset(&m, 0, sizeof(ModelC))
    packed = pack_alias(alias_threshold, alias_index)
    cdef float dummy[8]
    m.vocab_size = packed.shape[0]
    m.alias = <const uint64_t *>cnp.PyArray_DATA(packed)
    m.output_ns = dummy          # prefetch addresses only: row 0 stands in for all
    m.dim = 0
    memset(&w, 0, sizeof(WorkerC))
    out = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] o = out
    cdef int64_t i
    with nogil:
        noise_start(&m, &w, seed)
        for i in range(n):
            o[i] = next_noise(&m, &w)
    return out


def random_stream(uint64_t seed, int64_t n):
    """The first ``n`` numbers of a worker's random stream for ``seed`` (for tests)."""
    out = np.empty(n, dtype=np.uint64)
    cdef uint64_t[::1] o = out
    cdef uint64_t rng = fw_mix64(seed)
    cdef int64_t i
    for i in range(n):
        o[i] = fw_rng_next(&rng)
    return out
