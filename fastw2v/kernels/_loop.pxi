# The sentence loop: windows, skip-gram and CBOW over a sentence, and THE loop over a
# job's id stream (included by _train.pxi).


cdef inline int window_bounds(const ModelC *m, WorkerC *w, int i, int n, int *hi) noexcept nogil:
    """The window of centre ``i``: returns its start and sets ``hi`` to its end
    (exclusive), shrunk by a random ``b`` in [0, window) when shrink_windows is on.
    In 64 bits: ``window`` may be any C int, up to 2**31 - 1 (the whole sentence)."""
    cdef int64_t b = <int64_t>(fw_rng_next(&w.rng) % <uint64_t>m.p.window) if m.p.shrink_windows else 0
    cdef int64_t reach = <int64_t>m.p.window - b
    cdef int64_t lo = <int64_t>i - reach
    cdef int64_t end = <int64_t>i + reach + 1
    hi[0] = <int>(end if end < n else n)
    return <int>(lo if lo > 0 else 0)


cdef inline void centre_done(const ModelC *m, RowsT *rows) noexcept nogil:
    """After each centre word: publish this thread's hot-row changes and pick up the
    others' every ``merge_every`` centres, so that no thread works long from a stale
    copy (moves made from stale copies add up at the merge and overshoot). Counted in
    centres, not at sentence ends: a text8-style line is thousands of words long. No row
    pointer is held from one centre to the next, so the copies can go here."""
    if RowsT is SharedRowsC:
        rows.since_merge += 1
        if rows.since_merge >= rows.merge_every:
            hot_rows_merge(m, rows)       # with no hot rows: three empty lists


cdef inline void sg_pair(const ModelC *m, WorkerC *w, RowsT *rows, int32_t word,
                         int32_t context, float alpha, int apply) noexcept nogil:
    """One skip-gram pair: as in the C tool, the context word's input vector predicts the
    centre ``word``, by HS and/or negative sampling. With ``apply`` (one
    objective on the two-pass path) the update pass adds the error to the context's row
    itself; else both objectives add up their errors in neu1e first, as the register
    loops do, and one axpy applies it."""
    cdef float *l1 = row_in(m, rows, context)
    cdef float *neu1e = w.scratch.neu1e
    if apply:
        if m.p.hs:
            hs_update(m, w, rows, word, l1, alpha, 1, lock_of(m, context))
        else:
            ns_update(m, w, rows, word, l1, alpha, 1, lock_of(m, context))
        return
    memset(neu1e, 0, m.p.dim * sizeof(float))
    if m.p.hs:
        hs_update(m, w, rows, word, l1, alpha, 0, 0.0)
    if m.p.negative:
        ns_update(m, w, rows, word, l1, alpha, 0, 0.0)
    fw_axpy(lock_of(m, context), neu1e, l1, m.p.dim)


cdef void train_sentence_sg(const ModelC *m, WorkerC *w, RowsT *rows, const int32_t *sent,
                            int n, float alpha) noexcept nogil:
    cdef int i, j, lo, hi, nc
    cdef int32_t word
    # one objective per pair (HS alone or NS alone) on the two-pass path: see sg_pair
    cdef int apply = not m.p.reg_path and not (m.p.hs and m.p.negative)
    for i in range(n):
        word = sent[i]
        prefetch_next_centre(m, w, rows, sent, i, n)
        lo = window_bounds(m, w, i, n, &hi)
        if m.p.shared_negatives:
            # the fast mode: the window as one batch, HS first, then NS (from the
            # input rows as HS left them)
            nc = window_contexts(m, w, rows, sent, i, lo, hi)
            if m.p.hs:
                sg_hs_window(m, w, rows, word, nc, alpha)
            if m.p.negative:
                sg_shared_negatives(m, w, rows, word, nc, alpha)
            centre_done(m, rows)
            continue
        for j in range(lo, hi):
            if j != i:
                w.stats.loss_examples += 1
                sg_pair(m, w, rows, word, sent[j], alpha, apply)
        centre_done(m, rows)


cdef void train_sentence_cbow(const ModelC *m, WorkerC *w, RowsT *rows, const int32_t *sent,
                              int n, float alpha) noexcept nogil:
    cdef int i, j, lo, hi, cw
    cdef int32_t word
    cdef float *neu1 = w.scratch.neu1
    cdef float *neu1e = w.scratch.neu1e
    cdef float **ctx = w.scratch.ctx_rows
    cdef float *lock = w.scratch.ctx_scale
    cdef int d = m.p.dim
    for i in range(n):
        word = sent[i]
        prefetch_next_centre(m, w, rows, sent, i, n)
        lo = window_bounds(m, w, i, n, &hi)
        cw = 0
        for j in range(lo, hi):
            if j != i:
                ctx[cw] = row_in(m, rows, sent[j])
                lock[cw] = lock_of(m, sent[j])
                cw += 1
        if cw == 0:
            centre_done(m, rows)
            continue
        # the window's sum (or mean), in one pass over the columns
        fw_rows_sum(ctx, cw, <float>(1.0 / cw) if m.p.cbow_mean else 1.0, neu1, d)
        memset(neu1e, 0, d * sizeof(float))
        if m.p.hs:
            hs_update(m, w, rows, word, neu1, alpha, 0, 0.0)
        if m.p.negative:
            ns_update(m, w, rows, word, neu1, alpha, 0, 0.0)
        w.stats.loss_examples += 1
        if not m.p.cbow_mean:
            # as gensim: spread the error of a summed window over its words
            fw_scale(1.0 / cw, neu1e, d)
        # the rows read above (no merge or copy moves a row within one centre word)
        fw_rows_axpy(neu1e, ctx, lock, cw, d)
        centre_done(m, rows)


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
    cdef int64_t pos = start, unreported = 0, done, read_here = 0
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
        hot_rows_merge(m, rows)
