# The noise stream of negative sampling: alias-table draws, resolved and prefetched
# ahead of use (included by _train.pxi).


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
            fw_prefetch_row(m.w.output_ns + <int64_t>nz.word[t] * m.p.ld, m.p.dim)
        else:
            nz.raw[t % NOISE_RING] = r
            prefetch_alias(m, r)


cdef inline int32_t next_noise(const ModelC *m, NoiseC *nz, SoonC *soon, RowsT *rows) noexcept nogil:
    """The next word of the noise stream; draws and prefetches further ahead (the rows of
    words resolved now during the next update pass where ``soon`` is given)."""
    cdef int64_t t = nz.t
    cdef int32_t word = nz.word[t % NOISE_RING]
    cdef int32_t ahead
    cdef uint64_t r = nz.raw[(t + RESOLVE_AHEAD + 1) % NOISE_RING]
    ahead = resolve_noise(m, r)
    nz.word[(t + RESOLVE_AHEAD + 1) % NOISE_RING] = ahead
    prefetch_row_soon(m, soon if m.p.soon_noise else NULL, rows, MAT_NS, m.w.output_ns, ahead)
    r = fw_rng_next(&nz.rng)
    nz.raw[(t + DRAW_AHEAD + 1) % NOISE_RING] = r
    prefetch_alias(m, r)
    if RowsT is PrivateRowsC:
        # the row map entry of the column drawn (its word, unless the alias is taken)
        __builtin_prefetch(rows.slot_of[MAT_NS] + (((r >> 32) * <uint64_t>m.p.vocab_size) >> 32))
    nz.t = t + 1
    return word
