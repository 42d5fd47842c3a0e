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
    #include <cpuid.h>
    #include <string.h>
    /* The CPU family of an AMD processor (leaf 1: base family, plus the extended
     * family where the base is 0xF: 0x19 for Zen 3 and Zen 4, 0x1A for Zen 5), or 0. */
    static int fw_cpu_amd_family(void) {
        unsigned a, b, c, d;
        char vendor[13];
        if (!__get_cpuid(0, &a, &b, &c, &d)) return 0;
        memcpy(vendor, &b, 4); memcpy(vendor + 4, &d, 4); memcpy(vendor + 8, &c, 4);
        vendor[12] = 0;
        if (strcmp(vendor, "AuthenticAMD") != 0 || !__get_cpuid(1, &a, &b, &c, &d)) return 0;
        unsigned family = (a >> 8) & 0xF;
        return (int)(family == 0xF ? family + ((a >> 20) & 0xFF) : family);
    }
    #else
    #define FW_X86 0
    static int fw_cpu_avx2(void) { return 0; }
    static int fw_cpu_avx512(void) { return 0; }
    static int fw_cpu_amd_family(void) { return 0; }
    #endif
    """
    int FW_X86
    int fw_cpu_avx2()
    int fw_cpu_avx512()
    int fw_cpu_amd_family()


def runnable_variants():
    """The kernel variants this CPU can run, best first (``"portable"`` always last)."""
    out = []
    if fw_cpu_avx512():
        out.append("avx512")
    if fw_cpu_avx2():
        out.append("avx2")
    out.append("portable")
    return out


def amd_family():
    """The CPU family of an AMD x86 processor (``0x19``: Zen 3 and Zen 4; ``0x1A``: Zen 5),
    or 0 for any other CPU."""
    return fw_cpu_amd_family()
