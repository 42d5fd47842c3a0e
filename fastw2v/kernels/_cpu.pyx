# cython: language_level=3
"""Which SIMD variants of the training kernels this CPU (and its OS) can run.

Compiled for any CPU of its architecture (no instruction-set flags), so it is always
safe to import; :mod:`fastw2v.kernels` asks it before importing a variant.
"""

cdef extern from *:
    """
    #if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    #define FW_X86 1
    /* __builtin_cpu_supports also checks that the OS saves the wide registers (XCR0). */
    static int fw_cpu_avx2(void) {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    static int fw_cpu_avx512(void) {
        __builtin_cpu_init();
        return fw_cpu_avx2() && __builtin_cpu_supports("avx512f")
            && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw")
            && __builtin_cpu_supports("avx512dq");
    }
    #else
    #define FW_X86 0
    static int fw_cpu_avx2(void) { return 0; }
    static int fw_cpu_avx512(void) { return 0; }
    #endif
    """
    int FW_X86
    int fw_cpu_avx2()
    int fw_cpu_avx512()


def runnable_variants():
    """The kernel variants this CPU can run, best first (``"portable"`` always last)."""
    out = []
    if fw_cpu_avx512():
        out.append("avx512")
    if fw_cpu_avx2():
        out.append("avx2")
    out.append("portable")
    return out
