# The kernels' own random streams, exposed for the tests' NumPy twin (included by
# _train.pxi).


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
            o[i] = next_noise(&m, &nz, NULL, &none)
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
