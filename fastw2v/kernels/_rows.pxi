# Row policies (included by _train.pxi): row_in / row_hs / row_ns give the copy of a
# weight row that a thread reads and writes. The policy (RowsT) is a compile-time
# parameter: every function that takes ``RowsT *rows`` is compiled once per policy, and
# Worker.train picks the specialisation once per job.

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
        pr.slot_uses[s] += pr.slot_uses[s] < 0x7FFFFFFF
        return pr.pages[s >> PAGE_BITS] + <int64_t>(s & PAGE_MASK) * m.p.ld
    s = <int32_t>pr.n_slots
    page = s >> PAGE_BITS
    if s >= pr.slot_cap:
        grown = realloc(pr.slot_row, 2 * (pr.slot_cap + PAGE_ROWS) * sizeof(int32_t))
        if grown == NULL:
            pr.out_of_memory = 1
            return base + <int64_t>row * m.p.ld
        pr.slot_row = <int32_t *>grown
        grown = realloc(pr.slot_matrix, 2 * (pr.slot_cap + PAGE_ROWS) * sizeof(uint8_t))
        if grown == NULL:
            pr.out_of_memory = 1
            return base + <int64_t>row * m.p.ld
        pr.slot_matrix = <uint8_t *>grown
        grown = realloc(pr.slot_uses, 2 * (pr.slot_cap + PAGE_ROWS) * sizeof(int32_t))
        if grown == NULL:
            pr.out_of_memory = 1
            return base + <int64_t>row * m.p.ld
        pr.slot_uses = <int32_t *>grown
        pr.slot_cap = 2 * (pr.slot_cap + PAGE_ROWS)
    if page >= pr.n_pages:
        grown = realloc(pr.pages, 2 * (pr.n_pages + 1) * sizeof(float *))
        if grown == NULL:
            pr.out_of_memory = 1
            return base + <int64_t>row * m.p.ld
        pr.pages = <float **>grown
        memset(pr.pages + pr.n_pages, 0, (pr.n_pages + 2) * sizeof(float *))
        pr.n_pages = 2 * (pr.n_pages + 1)
    if pr.pages[page] == NULL:
        pr.pages[page] = <float *>fw_alloc_lines(PAGE_ROWS * m.p.ld * sizeof(float))
        if pr.pages[page] == NULL:
            pr.out_of_memory = 1
            return base + <int64_t>row * m.p.ld
    dst = pr.pages[page] + <int64_t>(s & PAGE_MASK) * m.p.ld
    memcpy(dst, base + <int64_t>row * m.p.ld, m.p.dim * sizeof(float))
    pr.slot_of[mat][row] = s
    pr.slot_row[s] = row
    pr.slot_matrix[s] = <uint8_t>mat
    pr.slot_uses[s] = 1
    pr.n_slots += 1
    return dst


cdef inline float *private_slot_row(const ModelC *m, const PrivateRowsC *pr, int64_t s) noexcept nogil:
    return pr.pages[s >> PAGE_BITS] + (s & PAGE_MASK) * m.p.ld


cdef void hot_take(const ModelC *m, HotSetC *h, const float *base, uint32_t k) noexcept nogil:
    """First touch of hot row ``k`` since the last merge: copy the shared row (it has the
    other threads' merged changes) to this thread's copy and its snapshot."""
    cdef int64_t nbytes = m.p.dim * sizeof(float)
    memcpy(h.snap + <int64_t>k * m.p.ld, base + (h.lo + <int64_t>k) * m.p.ld, nbytes)
    memcpy(h.priv + <int64_t>k * m.p.ld, h.snap + <int64_t>k * m.p.ld, nbytes)
    h.seen[k] = 1
    h.touched[h.count] = <int32_t>k
    h.count += 1


cdef void hot_rows_merge(const ModelC *m, SharedRowsC *sh) noexcept nogil:
    """Add the change of each hot row copied since the last merge to the shared row, and
    forget the copies (the next touch takes a fresh one): after every ``merge_every``
    trained centre words, and at a job's end. Only rows touched in the
    interval cost anything."""
    cdef int j, mat
    cdef int64_t k, i, d = m.p.dim, ld = m.p.ld
    cdef HotSetC *h
    cdef float *shared
    cdef float *priv
    cdef float *snap
    for mat in range(3):
        h = &sh.hot[mat]
        for j in range(h.count):
            k = h.touched[j]
            shared = matrix_of(m, mat) + (h.lo + k) * ld
            priv = h.priv + k * ld
            snap = h.snap + k * ld
            for i in range(d):
                shared[i] += priv[i] - snap[i]
            h.seen[k] = 0
        h.count = 0
    sh.since_merge = 0


cdef inline float *hot_or_shared(const ModelC *m, HotSetC *h, float *base,
                                 int32_t row) noexcept nogil:
    """This thread's copy of ``row`` if it is hot, else the shared row."""
    cdef uint32_t k = <uint32_t>(row - h.lo)
    if k < <uint32_t>h.n:
        if not h.seen[k]:
            hot_take(m, h, base, k)
        return h.priv + <int64_t>k * m.p.ld
    return base + <int64_t>row * m.p.ld


cdef inline float *row_in(const ModelC *m, RowsT *rows, int32_t row) noexcept nogil:
    if RowsT is PrivateRowsC:
        return private_row(m, rows, MAT_INPUT, m.w.input_vectors, row)
    else:
        return hot_or_shared(m, &rows.hot[MAT_INPUT], m.w.input_vectors, row)


cdef inline float *row_hs(const ModelC *m, RowsT *rows, int32_t row) noexcept nogil:
    if RowsT is PrivateRowsC:
        return private_row(m, rows, MAT_HS, m.w.output_hs, row)
    else:
        return hot_or_shared(m, &rows.hot[MAT_HS], m.w.output_hs, row)


cdef inline float *row_ns(const ModelC *m, RowsT *rows, int32_t row) noexcept nogil:
    if RowsT is PrivateRowsC:
        return private_row(m, rows, MAT_NS, m.w.output_ns, row)
    else:
        return hot_or_shared(m, &rows.hot[MAT_NS], m.w.output_ns, row)


cdef inline const float *row_addr_for(const ModelC *m, RowsT *rows, int mat, const float *base,
                                      int32_t row) noexcept nogil:
    """Where this thread would read ``row`` now: its private copy once it has one
    (reproducible mode), its hot copy once taken, else the shared row. Takes no copy."""
    cdef int32_t s
    cdef uint32_t k
    cdef HotSetC *h
    if RowsT is PrivateRowsC:
        s = rows.slot_of[mat][row]
        if s >= 0:
            return private_slot_row(m, rows, s)
    else:
        h = &rows.hot[mat]
        k = <uint32_t>(row - h.lo)
        if k < <uint32_t>h.n and h.seen[k]:
            return h.priv + <int64_t>k * m.p.ld
    return base + <int64_t>row * m.p.ld


cdef inline void prefetch_row_for(const ModelC *m, RowsT *rows, int mat, const float *base,
                                  int32_t row) noexcept nogil:
    """Prefetch the copy of ``row`` that this thread will read, now."""
    fw_prefetch_row(row_addr_for(m, rows, mat, base, row), m.p.dim)


cdef inline int soon_taken(WorkerC *w) noexcept nogil:
    """How many rows the worker's list holds, emptying it: for the update pass that takes
    them (``w.soon.rows`` stays valid until the next row is listed)."""
    cdef int n = w.soon.n
    w.soon.n = 0
    return n


cdef inline void prefetch_row_soon(const ModelC *m, SoonC *soon, RowsT *rows, int mat,
                                   const float *base, int32_t row) noexcept nogil:
    """Prefetch ``row`` during the next update pass (``soon``: the worker's list, see
    SoonC), or now when there is no list or it is full. The address is taken now: a copy
    taken in between (a hot row's first touch, a private slot) is made from the shared row,
    which is what gets fetched."""
    if soon == NULL or soon.n >= SOON_MAX:
        prefetch_row_for(m, rows, mat, base, row)
        return
    soon.rows[soon.n] = row_addr_for(m, rows, mat, base, row)
    soon.n += 1
