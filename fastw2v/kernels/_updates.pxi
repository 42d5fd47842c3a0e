# The updates of one centre word: hierarchical softmax, negative sampling and the
# shared-negatives window (included by _train.pxi).


cdef inline void prefetch_next_centre(const ModelC *m, WorkerC *w, RowsT *rows,
                                      const int32_t *sent, int i, int n) noexcept nogil:
    """While centre ``i`` trains, fetch what centre ``i + 1`` will need: its output row
    (NS), its Huffman path's rows (HS; but for the HS_CACHED_NODES nearest the root),
    and the input row entering the window. Where the model lists rows wanted soon
    (``ParamsC.soon_rows``), the output and input rows are fetched during centre ``i``'s
    first update pass (``WorkerC.soon``); the path's nodes always at once.

    HS needs a chain of three dependent loads (path offset, path, node rows), so it is
    pipelined over three centres: the offset of centre ``i + 3``, the path of ``i + 2``
    (its offset fetched one centre ago) and the rows of ``i + 1`` (its path fetched one
    centre ago). Without this the path look-ups missed cache on every centre word.
    """
    cdef int64_t k, kbeg
    cdef int32_t nxt, node
    cdef int32_t cached_from = m.p.vocab_size - 1 - HS_CACHED_NODES
    cdef SoonC *soon = &w.soon if m.p.soon_rows else NULL
    if i + 1 < n:
        nxt = sent[i + 1]
        if m.w.output_ns != NULL:
            prefetch_row_soon(m, soon, rows, MAT_NS, m.w.output_ns, nxt)
        if m.w.output_hs != NULL:
            for k in range(m.t.code_offsets[nxt], m.t.code_offsets[nxt + 1]):
                node = <int32_t>(m.t.path[k] >> 1)
                if node < cached_from:
                    prefetch_row_for(m, rows, MAT_HS, m.w.output_hs, node)
            if i + 2 < n:
                kbeg = m.t.code_offsets[sent[i + 2]]
                __builtin_prefetch(&m.t.path[kbeg])
                __builtin_prefetch(&m.t.path[m.t.code_offsets[sent[i + 2] + 1] - 1])
                if i + 3 < n:
                    __builtin_prefetch(&m.t.code_offsets[sent[i + 3]])
    if m.p.window < n - i - 1:
        prefetch_row_soon(m, soon, rows, MAT_INPUT, m.w.input_vectors, sent[i + m.p.window + 1])


cdef inline void hs_update(const ModelC *m, WorkerC *w, RowsT *rows, int32_t word,
                           float *l1, float alpha, int apply, float lock) noexcept nogil:
    """Hierarchical softmax: one binary logistic step per inner node on word's path.

    The nodes of a path are distinct rows and ``l1`` is not written until the path is
    done, so every node's score comes from the old rows: all scores first, then one
    update pass over the nodes whose score is inside the sigmoid table
    (``fw_set_update``, vecmath.h), the same result as node by node. The input-side
    error goes to ``neu1e``, or where ``apply`` straight to ``l1`` scaled by ``lock``
    (skip-gram with HS alone: ``neu1e`` is then neither read nor zeroed).
    """
    cdef int64_t k, kbeg = m.t.code_offsets[word], kend = m.t.code_offsets[word + 1]
    cdef float f
    cdef int code, n = <int>(kend - kbeg), nu = 0
    cdef float **ys = w.scratch.path_rows
    cdef float *g = w.scratch.grads
    cdef int d = m.p.dim
    if n == 0:
        return
    for k in range(n):
        ys[k] = row_hs(m, rows, <int32_t>(m.t.path[kbeg + k] >> 1))
    if m.p.reg_path:
        w.stats.loss += fw_hs_path(l1, w.scratch.neu1e, ys, m.t.path + kbeg, n, m.t.sigmoid,
                                   SIGMOID_SCALE, alpha, d, m.p.compute_loss)
        return
    fw_set_scores(l1, ys, n, d, g)
    for k in range(n):
        f = g[k]
        code = m.t.path[kbeg + k] & 1
        if m.p.compute_loss:
            # target label is 1 - code: loss = -log sigmoid((1 - 2 code) * f)
            w.stats.loss += fw_neg_log_sigmoid((1 - 2 * code) * <double>f)
        if -MAX_EXP < f < MAX_EXP:
            g[nu] = (1 - code - sigmoid_lookup(m, f)) * alpha
            ys[nu] = ys[k]
            nu += 1
    if apply:
        fw_set_update_apply(l1, lock, NULL, ys, g, nu, d, w.soon.rows, soon_taken(w))
    else:
        fw_set_update(l1, w.scratch.neu1e, ys, g, nu, d, w.soon.rows, soon_taken(w))


cdef inline float ns_gradient(const ModelC *m, float f, float label, float alpha) noexcept nogil:
    """(label - sigmoid(f)) * alpha, saturating outside [-MAX_EXP, MAX_EXP] as the C tool."""
    if f > MAX_EXP:
        return (label - 1.0) * alpha
    elif f < -MAX_EXP:
        return label * alpha
    return (label - sigmoid_lookup(m, f)) * alpha


cdef inline void ns_gradients(const ModelC *m, WorkerC *w, const float *l1, float **ys,
                              float *g, int n, int first_is_true, float alpha) noexcept nogil:
    """g[t] = the gradient of ``l1`` against the distinct output rows ``ys[0:n]`` (label 1
    for ys[0] when ``first_is_true``, else 0), from their scores."""
    cdef int t
    cdef float f, label
    fw_set_scores(l1, ys, n, m.p.dim, g)
    for t in range(n):
        f = g[t]
        label = 1.0 if t == 0 and first_is_true else 0.0
        if m.p.compute_loss:
            w.stats.loss += fw_neg_log_sigmoid(f if label > 0 else -f)
        g[t] = ns_gradient(m, f, label, alpha)


cdef inline void ns_update(const ModelC *m, WorkerC *w, RowsT *rows, int32_t word,
                           float *l1, float alpha, int apply, float lock) noexcept nogil:
    """Negative sampling: the true word with label 1, `negative` noise words with label 0
    (noise words equal to the true word are skipped, as in the C tool), in order.

    Trained as sets of distinct rows (see :func:`hs_update`, and there ``apply``): a
    noise word already in the current set closes it, so that its second score sees its
    first update, exactly as pair by pair.
    """
    cdef int drawn, u, n = 1, start = 0, err_started = 0
    cdef int32_t cand
    cdef float **ys = w.scratch.path_rows
    cdef float *g = w.scratch.grads
    cdef int32_t *words = w.scratch.targets
    cdef float *neu1e = w.scratch.neu1e
    cdef int d = m.p.dim
    ys[0] = row_ns(m, rows, word)
    words[0] = word
    for drawn in range(m.p.negative):
        cand = next_noise(m, &w.noise, &w.soon, rows)
        if cand == word:
            continue
        if not m.p.reg_path:
            for u in range(start, n):
                if words[u] == cand:
                    # close the set: its error waits in neu1e (zeroed first where apply)
                    if apply and not err_started:
                        memset(neu1e, 0, d * sizeof(float))
                        err_started = 1
                    ns_gradients(m, w, l1, ys + start, g + start, n - start, start == 0, alpha)
                    fw_set_update(l1, neu1e, ys + start, g + start, n - start, d, NULL, 0)
                    start = n
                    break
        words[n] = cand
        ys[n] = row_ns(m, rows, cand)
        n += 1
    if m.p.reg_path:
        w.stats.loss += fw_ns_set(l1, neu1e, ys, n, m.t.sigmoid, SIGMOID_SCALE, alpha, d,
                                  m.p.compute_loss)
        return
    ns_gradients(m, w, l1, ys + start, g + start, n - start, start == 0, alpha)
    if apply:
        fw_set_update_apply(l1, lock, neu1e if err_started else NULL, ys + start, g + start,
                            n - start, d, w.soon.rows, soon_taken(w))
    else:
        fw_set_update(l1, neu1e, ys + start, g + start, n - start, d, w.soon.rows,
                      soon_taken(w))


cdef int window_contexts(const ModelC *m, WorkerC *w, RowsT *rows, const int32_t *sent,
                         int i, int lo, int hi) noexcept nogil:
    """The batched window's inputs: the distinct context words of centre ``i``'s window
    [lo, hi) into the scratch (``ctx_words``, ``ctx_count``: how often each is there,
    ``ctx_scale``: its lockf, ``ctx_rows``: its input row); returns how many. Each
    occurrence counts as one loss example."""
    cdef int a, u, nc = 0
    cdef int32_t cand
    cdef ScratchC *x = &w.scratch
    for a in range(lo, hi):
        if a == i:
            continue
        cand = sent[a]
        w.stats.loss_examples += 1
        for u in range(nc):
            if x.ctx_words[u] == cand:
                x.ctx_count[u] += 1.0
                break
        else:
            x.ctx_words[nc] = cand
            x.ctx_count[nc] = 1.0
            x.ctx_scale[nc] = lock_of(m, cand)
            x.ctx_rows[nc] = row_in(m, rows, cand)
            nc += 1
    return nc


cdef void sg_hs_window(const ModelC *m, WorkerC *w, RowsT *rows, int32_t word, int nc,
                       float alpha) noexcept nogil:
    """Skip-gram, hierarchical softmax, the whole window of a centre ``word`` as one batch
    (the fast mode's HS half): every context pair of a window walks the same path, the
    centre's, so the ``nc`` gathered contexts (:func:`window_contexts`) X and the path's
    nodes Y are trained as S = X Y^T, G = f(S), E = G Y, Y += G^T X, X += E with every
    score from the weights at the window's start: the same rows and targets as pair by
    pair, only the updates of one window do not see each other. The path's rows are
    loaded about twice per window instead of twice per pair. A node's gradient is 0 where
    its score is outside the sigmoid table, as the pair-by-pair step skips it."""
    cdef int64_t kbeg = m.t.code_offsets[word]
    cdef int n = <int>(m.t.code_offsets[word + 1] - kbeg), a, k, code
    cdef float f, times
    cdef float *sc
    cdef ScratchC *x = &w.scratch
    cdef float **ys = x.path_rows
    if n == 0 or nc == 0:
        return
    for k in range(n):
        ys[k] = row_hs(m, rows, <int32_t>(m.t.path[kbeg + k] >> 1))
    fw_window_scores(x.ctx_rows, nc, ys, n, m.p.dim, x.scores, n)
    for a in range(nc):
        sc = x.scores + a * n
        times = x.ctx_count[a]
        for k in range(n):
            f = sc[k]
            code = m.t.path[kbeg + k] & 1
            if m.p.compute_loss:
                w.stats.loss += times * fw_neg_log_sigmoid((1 - 2 * code) * <double>f)
            if -MAX_EXP < f < MAX_EXP:
                sc[k] = times * (1 - code - sigmoid_lookup(m, f)) * alpha
            else:
                sc[k] = 0.0
    fw_window_update(x.ctx_rows, x.ctx_scale, nc, ys, n, x.scores, n, x.ctx_err, m.p.dim,
                     w.soon.rows, soon_taken(w))


cdef void sg_shared_negatives(const ModelC *m, WorkerC *w, RowsT *rows, int32_t word, int nc,
                              float alpha) noexcept nogil:
    """Skip-gram, negative sampling, one set of negatives for the whole window of a centre
    ``word`` (the "HogBatch" scheme of Ji et al., pWord2Vec): every one of the ``nc``
    gathered context words (:func:`window_contexts`) is scored against the same
    ``1 + negative`` output rows, all scores are taken from the weights as they were at
    the start of the window, then outputs and inputs are updated. With contexts X and
    targets Y that is S = X Y^T, G = f(S), then E = G Y, Y += G^T X, X += E, in two
    register-blocked passes (vecmath.h): each row is loaded about twice per window, not
    once per pair and product. The negatives are drawn even for a window with no
    context, so that the noise stream does not depend on the windows.

    The passes need distinct rows, so a word met twice (a noise word drawn twice, a
    context word twice in the window) is one row whose gradients count twice: the same
    sums as training each occurrence in turn from the window's start weights.
    """
    cdef int a, t, u, nt = 0, d = m.p.dim, stride = m.p.negative + 1
    cdef int32_t cand
    cdef float f, label, times
    cdef float *sc
    cdef ScratchC *x = &w.scratch
    cdef float **ys = x.path_rows          # the targets' output rows
    x.targets[0] = word
    x.target_count[0] = 1.0
    ys[0] = row_ns(m, rows, word)
    nt = 1
    for t in range(m.p.negative):
        cand = next_noise(m, &w.noise, &w.soon, rows)
        if cand == word:
            continue
        for u in range(1, nt):
            if x.targets[u] == cand:
                x.target_count[u] += 1.0
                break
        else:
            x.targets[nt] = cand
            x.target_count[nt] = 1.0
            ys[nt] = row_ns(m, rows, cand)
            nt += 1
    if nc == 0:
        return
    fw_window_scores(x.ctx_rows, nc, ys, nt, d, x.scores, stride)
    for a in range(nc):
        sc = x.scores + a * stride
        for t in range(nt):
            f = sc[t]
            label = 1.0 if t == 0 else 0.0
            times = x.ctx_count[a] * x.target_count[t]
            if m.p.compute_loss:
                w.stats.loss += times * fw_neg_log_sigmoid(f if t == 0 else -f)
            sc[t] = times * ns_gradient(m, f, label, alpha)
    fw_window_update(x.ctx_rows, x.ctx_scale, nc, ys, nt, x.scores, stride, x.ctx_err, d,
                     w.soon.rows, soon_taken(w))
