# Python's view of the kernels: the reproducible mode's merge, Model (one run's
# weights and tables) and Worker (one thread) (included by _train.pxi).


#: The fraction of the way to where a job pulls a row that one use of the row is taken
#: to cover (the learning rate times sigma' times the squared norm of the other side's
#: vector, about 0.4 x 0.025 at the start of training; see apply_private_deltas).
CONTRACTION = 0.01


def apply_private_deltas(Model model, workers, int part=0, int parts=1,
                         double contraction=CONTRACTION):
    """Add the workers' private-row differences (see :meth:`Worker.private_to_deltas`)
    to the shared weights, worker after worker in list order, for the rows ``r`` with
    ``r % parts == part``: threads can share the work without touching the same row,
    and every row still receives its differences in the same order.

    A row that one or two workers touched gets the sum of their differences. A row
    that k > 2 workers touched gets the sum times ``min(1, 2 F / (k f))``, where
    ``f = 1 - (1 - contraction) ** n`` is the share of the way to where its job pulls
    the row that a worker covers in n uses (n: the workers' mean) and
    ``F = 1 - (1 - f) ** k`` the share k workers would cover one after another.
    Every worker trained the row from the same start and saw only its own updates, so
    a frequent word's row (a negative drawn thousands of times in one job) is pulled
    most of the way by every worker, and the plain sum of k such moves overshoots
    k - 1 times: training diverged from 3 workers on. The weight caps the combined
    move at twice what k workers one after another would make, the most that a sum
    of two ever gives (so two workers keep the plain sum), and leaves rows used a few
    times per job summed. ``contraction=0`` gives the plain sum."""
    cdef Worker wk
    cdef PrivateRowsC *pr
    cdef PrivateRowsC *other
    cdef ModelC *m = &model.c
    cdef int64_t s, d = m.p.dim, ld = m.p.ld, uses
    cdef int t, u, k, mat, T
    cdef int32_t row, su
    cdef double weight, f
    cdef list ws = list(workers)
    cdef PrivateRowsC **all_rows
    if parts < 1 or not 0 <= part < parts:
        raise ValueError("need 0 <= part < parts")
    if not 0 <= contraction < 1:
        raise ValueError("need 0 <= contraction < 1")
    for wk in ws:
        if wk.model is not model:
            raise ValueError("worker belongs to another model")
        if wk.c.private.slot_of[0] == NULL:
            raise ValueError("worker does not use private rows")
    T = len(ws)
    all_rows = <PrivateRowsC **>malloc(max(T, 1) * sizeof(PrivateRowsC *))
    if all_rows == NULL:
        raise MemoryError("cannot allocate the merge's worker list")
    for t in range(T):
        wk = ws[t]
        all_rows[t] = &wk.c.private
    with nogil:
        for t in range(T):
            pr = all_rows[t]
            for s in range(pr.n_slots):
                row = pr.slot_row[s]
                if row % parts != part:
                    continue
                mat = pr.slot_matrix[s]
                weight = 1.0
                if T > 2 and contraction > 0:
                    k = 0
                    uses = 0
                    for u in range(T):
                        other = all_rows[u]
                        su = other.slot_of[mat][row]
                        if su >= 0:
                            k += 1
                            uses += other.slot_uses[su]
                    if k > 2:
                        f = 1.0 - pow(1.0 - contraction, <double>uses / k)
                        weight = min(1.0, 2.0 * (1.0 - pow(1.0 - f, k)) / (k * f))
                fw_axpy(<float>weight, private_slot_row(m, pr, s),
                        matrix_of(m, mat) + <int64_t>row * ld, <int>d)
    free(all_rows)


def merge_private_rows(Model model, workers):
    """Fold the workers' private rows into the shared weights, in list order, on the
    calling thread: differences first (for all workers), then their per-row means
    (:func:`apply_private_deltas`), then clearing.
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


cdef float *_rows_ptr(object arr, str name, tuple shape, int64_t *ld) except NULL:
    """The first row of a weight matrix; sets ``ld`` to its row stride in floats. A
    matrix may be C-contiguous or a row-padded view (fastw2v.layout): floats contiguous
    within a row, rows any whole number of floats apart, at least a row long."""
    if not isinstance(arr, np.ndarray) or arr.dtype != np.float32 or not arr.flags.writeable \
            or arr.shape != shape or arr.strides[1] != 4 or arr.strides[0] % 4 \
            or arr.strides[0] < 4 * shape[1]:
        raise ValueError(f"{name} must be a writeable float32 array of shape {shape} with "
                         f"contiguous rows")
    ld[0] = arr.strides[0] // 4
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
        Skip-gram: the fast mode, each window trained as one batch (HogBatch): NS with
        one set of negatives per window, HS against the centre's path.
    lockf : float32 [L] or None
        gensim's ``vectors_lockf``: the update of input row ``r`` is scaled by
        ``lockf[r % L]`` (0.0 freezes the row, 1.0 trains it); None trains every row.
    register_kernels : bool
        Use the register-resident HS/NS loops where this variant has them (AVX-512,
        vector_size <= 128); False runs the portable loops (tests compare the two).
    padded_loops : bool
        Run the loops over vector_size rounded up to 16 floats (:attr:`loop_width`)
        where the matrices' row padding is zero (fastw2v.kernels.layout); False keeps
        them to vector_size (tests compare the two).
    prefetch_soon : bool
        Rows of more than 128 floats that the next set or window needs (noise words, the
        next centre's output row, the input row entering the window) are prefetched a
        cache line at a time during the current update pass (:attr:`prefetches_soon`);
        False prefetches each row whole as soon as it is known (tests and A/B runs
        compare the two: the weights are the same bit for bit).
    """
    cdef ModelC c
    cdef list _keep_alive
    cdef int64_t[::1] _progress

    def __init__(self, input_vectors, output_hs, output_ns, *, int sg, int hs, int negative,
                 int window, int cbow_mean, bint shrink_windows, bint compute_loss,
                 keep_threshold, codes, points, code_offsets, alias_threshold, alias_index,
                 sigmoid, bint shared_negatives=False, bint register_kernels=True, lockf=None,
                 bint padded_loops=True, bint prefetch_soon=True):
        V, d = input_vectors.shape
        if window < 1 or (not hs and negative <= 0) or V < 1 or d < 1:
            raise ValueError("invalid kernel configuration")
        if shared_negatives and not sg:
            raise ValueError("shared_negatives (the batched window) needs skip-gram")
        memset(&self.c, 0, sizeof(ModelC))
        cdef int64_t ld = 0, ld_out = 0
        self.c.w.input_vectors = _rows_ptr(input_vectors, "input_vectors", (V, d), &ld)
        self._keep_alive = [input_vectors]
        self.c.p.vocab_size = V
        self.c.p.dim = d
        self.c.p.ld = ld
        self.c.p.sg, self.c.p.hs, self.c.p.negative = sg, hs, negative
        self.c.p.window, self.c.p.cbow_mean = window, cbow_mean
        self.c.p.shrink_windows, self.c.p.compute_loss = shrink_windows, compute_loss
        self.c.p.shared_negatives = shared_negatives
        if hs:
            self.c.w.output_hs = _rows_ptr(output_hs, "output_hs", (V, d), &ld_out)
            if ld_out != ld:
                raise ValueError("output_hs must have the row stride of input_vectors")
            codes = np.ascontiguousarray(codes, dtype=np.uint8)
            points = np.ascontiguousarray(points, dtype=np.int32)
            code_offsets = np.ascontiguousarray(code_offsets, dtype=np.int64)
            if code_offsets.shape[0] != V + 1 or code_offsets[V] != codes.shape[0] \
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
            self.c.w.output_ns = _rows_ptr(output_ns, "output_ns", (V, d), &ld_out)
            if ld_out != ld:
                raise ValueError("output_ns must have the row stride of input_vectors")
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
        # Loops over vector_size rounded up to 16 floats where the row padding is zero:
        # costs at most 1/16 more products and spares a pass of 4 floats or fewer over
        # every row (vector_size not a multiple of 8; the padding may run on past that
        # width, see fastw2v.kernels.layout; zero_padded_width checks all of it).
        cdef int64_t width16 = (d + 15) // 16 * 16
        if padded_loops and ld >= width16 and (width16 - d) * 16 <= d and d % 8:
            mats = [input_vectors]
            if hs:
                mats.append(output_hs)
            if negative:
                mats.append(output_ns)
            if all(zero_padded_width(a) == ld for a in mats):
                self.c.p.dim = <int>width16
        self.c.p.reg_path = FW_HAVE_REG_PATH and self.c.p.dim <= 128 and register_kernels
        # Rows wanted soon wait for the next update pass (SoonC), with negative sampling
        # (its sets are what filled the queue of outstanding misses). Not for the
        # register loops, which take no list, nor for rows of 8 cache lines or fewer:
        # their fetch does not fill the queue, and fetched at once they have longer to
        # arrive (1 worker, 1.5M words: skip-gram/HS 0.96x and CBOW/HS 0.97x at
        # vector_size 100 with the list; HS alone gained nothing at 200-300 either). A
        # noise word resolved during a set of `negative` draws is used RESOLVE_AHEAD + 1
        # draws later, so in a later set only when negative is at most that; with more,
        # its row is fetched when resolved.
        self.c.p.soon_rows = (prefetch_soon and negative > 0 and not self.c.p.reg_path
                              and self.c.p.dim > 128)
        self.c.p.soon_noise = self.c.p.soon_rows and negative <= RESOLVE_AHEAD + 1
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
        """Whether the kernels sum the objective (``compute_loss``). Set it only while
        no worker trains (between epochs): a callback may switch the loss on or off."""
        return bool(self.c.p.compute_loss)

    @computes_loss.setter
    def computes_loss(self, bint on):
        self.c.p.compute_loss = on

    @property
    def row_stride(self):
        """Floats from one row of the weights (and of every row copy) to the next."""
        return self.c.p.ld

    @property
    def loop_width(self):
        """How many floats of each row the loops run over: vector_size, or vector_size
        rounded up to 16 where the rows' padding is zero (see ``padded_loops``)."""
        return self.c.p.dim

    @property
    def prefetches_soon(self):
        """``(rows, noise)``: whether rows wanted soon are prefetched during the next
        update pass (``prefetch_soon``), and whether the noise words' rows are too."""
        return bool(self.c.p.soon_rows), bool(self.c.p.soon_noise)

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
        # a window holds at most a sentence's other words: however large ``window`` is
        # (any C int), 2 * min(window, C_MAX_SENTENCE) slots hold its contexts
        nctx = 2 * min(<int64_t>model.c.p.window, <int64_t>C_MAX_SENTENCE)
        x.neu1 = <float *>fw_alloc_lines(d * sizeof(float))
        x.neu1e = <float *>fw_alloc_lines(d * sizeof(float))
        x.sentence = <int32_t *>fw_alloc_lines(C_MAX_SENTENCE * sizeof(int32_t))
        # the batched window's input-side errors and scores ([contexts, noise set] for
        # NS, [contexts, path] for HS): only the fast mode uses them
        nbatch = nctx if model.c.p.shared_negatives else 1
        x.ctx_err = <float *>fw_alloc_lines(nbatch * d * sizeof(float))
        x.scores = <float *>fw_alloc_lines(nbatch * max(nt, model.c.t.max_code_len)
                                           * sizeof(float))
        x.targets = <int32_t *>fw_alloc_lines(nt * sizeof(int32_t))
        x.ctx_rows = <float **>fw_alloc_lines(nctx * sizeof(float *))
        x.ctx_words = <int32_t *>fw_alloc_lines(nctx * sizeof(int32_t))
        x.ctx_count = <float *>fw_alloc_lines(nctx * sizeof(float))
        x.ctx_scale = <float *>fw_alloc_lines(nctx * sizeof(float))
        x.target_count = <float *>fw_alloc_lines(nt * sizeof(float))
        x.path_rows = <float **>fw_alloc_lines((max(model.c.t.max_code_len, nt) + 1) * sizeof(float *))
        x.grads = <float *>fw_alloc_lines((max(model.c.t.max_code_len, nt) + 1) * sizeof(float))
        if x.neu1 == NULL or x.neu1e == NULL or x.sentence == NULL or x.ctx_err == NULL \
                or x.scores == NULL or x.targets == NULL or x.path_rows == NULL \
                or x.ctx_rows == NULL or x.ctx_words == NULL or x.ctx_count == NULL \
                or x.ctx_scale == NULL or x.target_count == NULL or x.grads == NULL:
            raise MemoryError(
                f"cannot allocate a training thread's buffers (vector_size={d}, "
                f"negative={model.c.p.negative}, window={model.c.p.window})")
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
        free(x.grads)
        free(x.ctx_rows)
        free(x.ctx_words)
        free(x.ctx_count)
        free(x.ctx_scale)
        free(x.target_count)
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
        free(pr.slot_uses)
        memset(pr, 0, sizeof(PrivateRowsC))
        self.c.reproducible = 0

    cdef void _free_hot(self) noexcept:
        cdef HotSetC *h
        cdef int mat
        for mat in range(3):
            h = &self.c.shared.hot[mat]
            free(h.priv)
            free(h.snap)
            free(h.seen)
            free(h.touched)
            memset(h, 0, sizeof(HotSetC))

    cdef int _alloc_hot(self, int mat, int n, int32_t lo) except -1:
        cdef HotSetC *h = &self.c.shared.hot[mat]
        cdef int64_t ld = self.model.c.p.ld
        h.lo = lo
        if n <= 0:
            return 0
        h.priv = <float *>fw_alloc_lines(n * ld * sizeof(float))
        h.snap = <float *>fw_alloc_lines(n * ld * sizeof(float))
        h.seen = <uint8_t *>fw_alloc_lines(n)
        h.touched = <int32_t *>fw_alloc_lines(n * sizeof(int32_t))
        if h.priv == NULL or h.snap == NULL or h.seen == NULL or h.touched == NULL:
            self._free_hot()
            raise MemoryError("cannot allocate hot-row copies")
        memset(h.seen, 0, n)
        h.n = n
        return 0

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

    def use_hot_rows(self, int words=0, int nodes=0, int outputs=0,
                     int merge_every=HOT_MERGE_EVERY):
        """Lock-free mode with several workers: keep the rows that every thread writes all
        the time in per-thread copies, so that cores do not fight over their cache lines:

        - ``words``: the input rows of words ``0 .. words - 1``;
        - ``nodes``: the Huffman nodes nearest the root (the highest node ids), which
          every word's path crosses (none without hierarchical softmax);
        - ``outputs``: the negative-sampling output rows of words ``0 .. outputs - 1``
          (none without negative sampling).

        Words are numbered by falling frequency in a sorted vocabulary, so the first
        ones are the most frequent contexts and noise words. A copy is taken when the
        row is first touched after a merge; the change of every copied row is added to
        the shared row after every ``merge_every`` trained centre words and at each
        job's end. ``use_hot_rows()`` turns it off."""
        cdef ModelC *m = &self.model.c
        cdef int64_t V = m.p.vocab_size
        if merge_every < 1:
            raise ValueError(f"merge_every must be >= 1, got {merge_every}")
        if words < 0 or nodes < 0 or outputs < 0:
            raise ValueError("hot row counts must be >= 0")
        self._free_hot()
        self.c.shared.merge_every = merge_every
        nodes = min(nodes, V - 1) if m.w.output_hs != NULL else 0
        self._alloc_hot(MAT_INPUT, min(words, V), 0)
        self._alloc_hot(MAT_HS, nodes, <int32_t>(V - 1 - nodes))
        self._alloc_hot(MAT_NS, min(outputs, V) if m.w.output_ns != NULL else 0, 0)

    @property
    def hot_rows(self):
        """``(words, nodes, outputs)``: the rows this worker keeps in per-thread copies
        (see :meth:`use_hot_rows`)."""
        cdef SharedRowsC *sh = &self.c.shared
        return (sh.hot[MAT_INPUT].n, sh.hot[MAT_HS].n, sh.hot[MAT_NS].n)

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
        cdef int64_t s, k, d = m.p.dim, ld = m.p.ld
        cdef float *priv
        cdef float *shared
        with nogil:
            for s in range(pr.n_slots):
                priv = private_slot_row(m, pr, s)
                shared = matrix_of(m, pr.slot_matrix[s]) + <int64_t>pr.slot_row[s] * ld
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

    def private_rows(self):
        """``(matrix, row, uses)`` of each row held privately since the last merge, as
        int64 arrays in the order first touched: matrix 0 is the input vectors, 1 the
        hierarchical-softmax nodes, 2 the negative-sampling outputs; ``uses`` counts the
        times the job asked for the row (:func:`apply_private_deltas` weighs by it)."""
        cdef PrivateRowsC *pr = &self.c.private
        cdef int64_t s, n = pr.n_slots
        out = np.empty((3, n), dtype=np.int64)
        cdef int64_t[:, ::1] o = out
        for s in range(n):
            o[0, s] = pr.slot_matrix[s]
            o[1, s] = pr.slot_row[s]
            o[2, s] = pr.slot_uses[s]
        return out[0], out[1], out[2]

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
        self.c.soon.n = 0
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
