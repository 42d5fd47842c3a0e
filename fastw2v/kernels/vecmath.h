/* Inner loops of the fastw2v kernels: dot products and axpys over vector_size floats.
 *
 * Written with GCC/Clang vector extensions (8 floats = one AVX register; the compiler
 * splits them into two SSE/NEON registers where AVX is absent) and two independent
 * accumulators, so the loops vectorise without -ffast-math. Loads go through memcpy so
 * rows need no particular alignment. The summation order is fixed by this code, so a
 * given build gives the same result every run.
 */
#ifndef FASTW2V_VECMATH_H
#define FASTW2V_VECMATH_H

#include <stdint.h>
#include <string.h>
#include <math.h>
#include <stdlib.h>

/* The sigmoid table: FW_EXP_TABLE_SIZE entries over [-FW_MAX_EXP, FW_MAX_EXP] (the C
 * tool's). The kernels' MAX_EXP and EXP_TABLE_SIZE are these; fastw2v.tables builds it. */
#define FW_MAX_EXP 6
#define FW_EXP_TABLE_SIZE 1000

typedef float fw_v8 __attribute__((vector_size(32)));
typedef float fw_v4 __attribute__((vector_size(16)));

static inline fw_v8 fw_load8(const float *p) { fw_v8 v; memcpy(&v, p, sizeof v); return v; }
static inline void fw_store8(float *p, fw_v8 v) { memcpy(p, &v, sizeof v); }
static inline fw_v8 fw_splat8(float a) { fw_v8 v = {a, a, a, a, a, a, a, a}; return v; }
static inline fw_v4 fw_load4(const float *p) { fw_v4 v; memcpy(&v, p, sizeof v); return v; }
static inline void fw_store4(float *p, fw_v4 v) { memcpy(p, &v, sizeof v); }
static inline fw_v4 fw_splat4(float a) { fw_v4 v = {a, a, a, a}; return v; }

/* Horizontal sums through vector shuffles (a short dependency chain: the score of a
 * pair waits on it before the update can start). */
static inline float fw_hsum4(fw_v4 a) {
    a += __builtin_shufflevector(a, a, 2, 3, 0, 1);
    a += __builtin_shufflevector(a, a, 1, 0, 3, 2);
    return a[0];
}

static inline fw_v4 fw_fold8(fw_v8 v) {
    return __builtin_shufflevector(v, v, 0, 1, 2, 3) + __builtin_shufflevector(v, v, 4, 5, 6, 7);
}

/* sum a[i] * b[i] */
static inline float fw_dot(const float *restrict a, const float *restrict b, int n) {
    fw_v8 acc0 = fw_splat8(0.0f), acc1 = fw_splat8(0.0f);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 += fw_load8(a + i) * fw_load8(b + i);
        acc1 += fw_load8(a + i + 8) * fw_load8(b + i + 8);
    }
    for (; i + 8 <= n; i += 8) acc0 += fw_load8(a + i) * fw_load8(b + i);
    fw_v4 acc = fw_fold8(acc0 + acc1);
    if (i + 4 <= n) {               /* e.g. vector_size=100: 12 x 8 + 4 */
        acc += fw_load4(a + i) * fw_load4(b + i);
        i += 4;
    }
    float s = fw_hsum4(acc);
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

/* y += a * x */
static inline void fw_axpy(float a, const float *restrict x, float *restrict y, int n) {
    fw_v8 av = fw_splat8(a);
    int i = 0;
    for (; i + 8 <= n; i += 8) fw_store8(y + i, fw_load8(y + i) + av * fw_load8(x + i));
    if (i + 4 <= n) {
        fw_store4(y + i, fw_load4(y + i) + fw_splat4(a) * fw_load4(x + i));
        i += 4;
    }
    for (; i < n; i++) y[i] += a * x[i];
}

/* y *= a */
static inline void fw_scale(float a, float *y, int n) {
    for (int i = 0; i < n; i++) y[i] *= a;
}

/* The gradient step of one (input, output) pair, fused into one pass:
 *   err += g * out   (with out's old value)
 *   out += g * in                                                          */
static inline void fw_pair_update(float g, float *restrict err, float *restrict out,
                                  const float *restrict in, int n) {
    fw_v8 gv = fw_splat8(g);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        fw_v8 o = fw_load8(out + i);
        fw_store8(err + i, fw_load8(err + i) + gv * o);
        fw_store8(out + i, o + gv * fw_load8(in + i));
    }
    if (i + 4 <= n) {
        fw_v4 g4 = fw_splat4(g), o = fw_load4(out + i);
        fw_store4(err + i, fw_load4(err + i) + g4 * o);
        fw_store4(out + i, o + g4 * fw_load4(in + i));
        i += 4;
    }
    for (; i < n; i++) {
        float o = out[i];
        err[i] += g * o;
        out[i] = o + g * in[i];
    }
}

/* ---- Small dense products of the shared-negatives (HogBatch) window ----------------
 * A window of C context rows x[a] and K target rows y[t] is trained as three small
 * matrix products. Each loop below loads a chunk of one operand once for all the rows
 * of the other (held in registers), instead of reloading both operands for every
 * (context, target) pair: about one memory operation per multiply-add instead of three.
 * The summation order of each element is the plain loop's (t = 0, 1, ... / a = 0, 1,
 * ...), so the result is that of the pair-by-pair updates. */

/* out[t] = x . y[t] for t < n */
static inline void fw_dot_many(const float *restrict x, float *const *y, int n, int d,
                               float *restrict out) {
    int t = 0;
    for (; t + 4 <= n; t += 4) {
        const float *y0 = y[t], *y1 = y[t + 1], *y2 = y[t + 2], *y3 = y[t + 3];
        fw_v8 a0 = fw_splat8(0.0f), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + 8 <= d; i += 8) {
            fw_v8 xv = fw_load8(x + i);
            a0 += xv * fw_load8(y0 + i);
            a1 += xv * fw_load8(y1 + i);
            a2 += xv * fw_load8(y2 + i);
            a3 += xv * fw_load8(y3 + i);
        }
        fw_v4 b0 = fw_fold8(a0), b1 = fw_fold8(a1), b2 = fw_fold8(a2), b3 = fw_fold8(a3);
        if (i + 4 <= d) {
            fw_v4 xv = fw_load4(x + i);
            b0 += xv * fw_load4(y0 + i);
            b1 += xv * fw_load4(y1 + i);
            b2 += xv * fw_load4(y2 + i);
            b3 += xv * fw_load4(y3 + i);
            i += 4;
        }
        float s0 = fw_hsum4(b0), s1 = fw_hsum4(b1), s2 = fw_hsum4(b2), s3 = fw_hsum4(b3);
        for (; i < d; i++) {
            s0 += x[i] * y0[i];
            s1 += x[i] * y1[i];
            s2 += x[i] * y2[i];
            s3 += x[i] * y3[i];
        }
        out[t] = s0;
        out[t + 1] = s1;
        out[t + 2] = s2;
        out[t + 3] = s3;
    }
    for (; t < n; t++) out[t] = fw_dot(x, y[t], d);
}

/* err = sum over t < n of g[t] * y[t] */
static inline void fw_combine(float *restrict err, const float *restrict g, float *const *y,
                              int n, int d) {
    int i = 0;
    for (; i + 8 <= d; i += 8) {
        fw_v8 acc = fw_splat8(0.0f);
        for (int t = 0; t < n; t++) acc += fw_splat8(g[t]) * fw_load8(y[t] + i);
        fw_store8(err + i, acc);
    }
    for (; i < d; i++) {
        float acc = 0.0f;
        for (int t = 0; t < n; t++) acc += g[t] * y[t][i];
        err[i] = acc;
    }
}

/* y += sum over a < n of g[a * stride] * x[a] (y is none of the x[a]) */
static inline void fw_accumulate(float *restrict y, const float *restrict g, int stride,
                                 float *const *x, int n, int d) {
    int i = 0;
    for (; i + 8 <= d; i += 8) {
        fw_v8 acc = fw_load8(y + i);
        for (int a = 0; a < n; a++) acc += fw_splat8(g[a * stride]) * fw_load8(x[a] + i);
        fw_store8(y + i, acc);
    }
    for (; i < d; i++) {
        float acc = y[i];
        for (int a = 0; a < n; a++) acc += g[a * stride] * x[a][i];
        y[i] = acc;
    }
}

/* A per-thread buffer on cache lines of its own: aligned to 64 bytes and rounded up to
 * whole lines, so no other thread's data shares a line with it (two workers' scratch
 * vectors, malloc'd one after the other, otherwise meet inside a line that both write
 * for every word). Freed with free(). */
static inline void *fw_alloc_lines(size_t n) {
    size_t bytes = (n + 63) & ~(size_t)63;
    return aligned_alloc(64, bytes ? bytes : 64);
}

/* Ask for a row of n floats to be brought into cache, for writing (a hint; never faults).
 * Every row prefetched is updated soon after, so the line is asked for in exclusive
 * state: a row last written by another core then moves once, not once to read it and
 * again to own it (PREFETCHW where the CPU has it, a plain prefetch elsewhere). */
static inline void fw_prefetch_row(const float *p, int n) {
    const char *c = (const char *)p;
    for (int off = 0; off < n * (int)sizeof(float); off += 64) __builtin_prefetch(c + off, 1, 3);
}

/* Shared progress counter: relaxed atomics are enough, it only drives the schedule. */
static inline int64_t fw_atomic_add(int64_t *p, int64_t v) {
    return __atomic_add_fetch(p, v, __ATOMIC_RELAXED);
}
static inline int64_t fw_atomic_load(int64_t *p) {
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* xorshift64* (Vigna): 64-bit state, one multiply per draw; never seeded with 0. */
static inline uint64_t fw_rng_next(uint64_t *s) {
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* splitmix64 finaliser: turns (seed, stream) into a well-mixed non-zero start state. */
static inline uint64_t fw_mix64(uint64_t z) {
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z = z ^ (z >> 31);
    return z ? z : 0x9E3779B97F4A7C15ULL;
}

/* -log(sigmoid(x)), computed stably in double */
static inline double fw_neg_log_sigmoid(double x) {
    return x >= 0 ? log1p(exp(-x)) : -x + log1p(exp(x));
}

/* ---- Hierarchical softmax along one Huffman path, with the input vector and its error
 * held in registers (AVX-512: 32 registers of 16 floats, enough for vector_size <= 128).
 *
 * The portable path (hs_update in _kernels.pyx) reloads the input vector and the error
 * from memory at every node of the path; here each node costs one load and one store of
 * its own row. Same arithmetic and order of updates as the portable path (node k + 1's
 * score is computed before node k's update is stored: the rows of a path are distinct),
 * only the dot products are summed in another order. ------------------------------- */
#if defined(__AVX512F__)
#include <immintrin.h>
#define FW_HAVE_REG_PATH 1
#define FW_AI static inline __attribute__((always_inline))

/* A row of NV 16-float vectors; the last one masked by `tail`. After inlining with a
 * constant NV the arrays below live in registers. */
FW_AI __m512 fw_ld(const float *p, int last, __mmask16 tail) {
    return last ? _mm512_maskz_loadu_ps(tail, p) : _mm512_loadu_ps(p);
}
FW_AI void fw_st(float *p, __m512 v, int last, __mmask16 tail) {
    if (last) _mm512_mask_storeu_ps(p, tail, v);
    else _mm512_storeu_ps(p, v);
}
/* r = row p; returns x . r */
FW_AI float fw_rload_dot(const int NV, __mmask16 tail, const float *p, const __m512 *x,
                         __m512 *r) {
    __m512 acc = _mm512_setzero_ps();
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++) {
        r[v] = fw_ld(p + 16 * v, v == NV - 1, tail);
        acc = _mm512_fmadd_ps(x[v], r[v], acc);
    }
    return _mm512_reduce_add_ps(acc);
}
/* e += g r; row o = r + g x (stored); returns x . (new row) when `redot`. */
FW_AI float fw_rstep(const int NV, __mmask16 tail, float g, const __m512 *x, __m512 *r,
                     __m512 *e, float *o, int redot) {
    __m512 gv = _mm512_set1_ps(g), acc = _mm512_setzero_ps();
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++) {
        e[v] = _mm512_fmadd_ps(gv, r[v], e[v]);
        r[v] = _mm512_fmadd_ps(gv, x[v], r[v]);
        fw_st(o + 16 * v, r[v], v == NV - 1, tail);
        if (redot) acc = _mm512_fmadd_ps(x[v], r[v], acc);
    }
    return redot ? _mm512_reduce_add_ps(acc) : 0.0f;
}
/* x = row l1, e = 0 */
FW_AI void fw_rstart(const int NV, __mmask16 tail, const float *l1, __m512 *x, __m512 *e) {
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++) {
        x[v] = fw_ld(l1 + 16 * v, v == NV - 1, tail);
        e[v] = _mm512_setzero_ps();
    }
}
/* row err += e */
FW_AI void fw_rfinish(const int NV, __mmask16 tail, float *err, const __m512 *e) {
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++)
        fw_st(err + 16 * v, _mm512_add_ps(fw_ld(err + 16 * v, v == NV - 1, tail), e[v]),
              v == NV - 1, tail);
}
FW_AI float fw_sig(const float *sig, float scale, float f) {
    int idx = (int)((f + (float)FW_MAX_EXP) * scale);
    return sig[idx >= FW_EXP_TABLE_SIZE ? FW_EXP_TABLE_SIZE - 1 : (idx < 0 ? 0 : idx)];
}
FW_AI void fw_rcopy(const int NV, __m512 *dst, const __m512 *src) {
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++) dst[v] = src[v];
}

/* Hierarchical softmax along path[0:len] (rows[k] is node k's row, updated in place). */
FW_AI double fw_hs_path_nv(const int NV, __mmask16 tail, const float *l1, float *err,
                           float *const *rows, const uint32_t *path, int64_t len,
                           const float *sig, float scale, float alpha, int want_loss) {
    __m512 x[8], e[8], r[8], rn[8];
    double loss = 0.0;
    fw_rstart(NV, tail, l1, x, e);
    float f = fw_rload_dot(NV, tail, rows[0], x, r), f_next = 0.0f;
    for (int64_t k = 0; k < len; k++) {
        if (k + 1 < len) f_next = fw_rload_dot(NV, tail, rows[k + 1], x, rn);
        int code = (int)(path[k] & 1u);
        if (want_loss) loss += fw_neg_log_sigmoid((1 - 2 * code) * (double)f);
        if (f > -(float)FW_MAX_EXP && f < (float)FW_MAX_EXP)
            fw_rstep(NV, tail, (float)(1 - code - fw_sig(sig, scale, f)) * alpha, x, r, e,
                     rows[k], 0);
        fw_rcopy(NV, r, rn);
        f = f_next;
    }
    fw_rfinish(NV, tail, err, e);
    return loss;
}

/* Negative sampling over one target set: rows[0] is the true word's output row (label
 * 1), rows[1:n] the noise words' (label 0). As in the portable loop, the next target's
 * score is computed before this target's update is stored, and computed again when both
 * are the same row (a noise word drawn twice in a row). */
FW_AI double fw_ns_set_nv(const int NV, __mmask16 tail, const float *l1, float *err,
                          float *const *rows, int n, const float *sig, float scale,
                          float alpha, int want_loss) {
    __m512 x[8], e[8], r[8], rn[8];
    double loss = 0.0;
    fw_rstart(NV, tail, l1, x, e);
    float f = fw_rload_dot(NV, tail, rows[0], x, r), f_next = 0.0f;
    for (int k = 0; k < n; k++) {
        int same = k + 1 < n && rows[k + 1] == rows[k];
        if (k + 1 < n && !same) f_next = fw_rload_dot(NV, tail, rows[k + 1], x, rn);
        float label = k == 0 ? 1.0f : 0.0f, g;
        if (want_loss) loss += fw_neg_log_sigmoid(k == 0 ? (double)f : -(double)f);
        if (f > (float)FW_MAX_EXP) g = (label - 1.0f) * alpha;
        else if (f < -(float)FW_MAX_EXP) g = label * alpha;
        else g = (label - fw_sig(sig, scale, f)) * alpha;
        float again = fw_rstep(NV, tail, g, x, r, e, rows[k], same);
        if (same) {
            f_next = again;          /* r already holds the row as just stored */
        } else {
            fw_rcopy(NV, r, rn);
        }
        f = f_next;
    }
    fw_rfinish(NV, tail, err, e);
    return loss;
}

#define FW_MASK_OF(d) ((__mmask16)(((d) % 16) ? ((1u << ((d) % 16)) - 1u) : 0xFFFFu))
#define FW_DISPATCH_NV(d, call)                                                         \
    switch (((d) + 15) / 16) {                                                          \
    case 1: { const int NV = 1; return call; }                                          \
    case 2: { const int NV = 2; return call; }                                          \
    case 3: { const int NV = 3; return call; }                                          \
    case 4: { const int NV = 4; return call; }                                          \
    case 5: { const int NV = 5; return call; }                                          \
    case 6: { const int NV = 6; return call; }                                          \
    case 7: { const int NV = 7; return call; }                                          \
    default: { const int NV = 8; return call; }                                         \
    }

/* err += the input-side error of the path; rows[k] is node k's row (updated in place).
 * Returns the path's loss when want_loss. Needs 1 <= d <= 128 and len >= 1. */
static double fw_hs_path(const float *l1, float *err, float *const *rows, const uint32_t *path,
                         int64_t len, const float *sig, float scale, float alpha, int d,
                         int want_loss) {
    FW_DISPATCH_NV(d, fw_hs_path_nv(NV, FW_MASK_OF(d), l1, err, rows, path, len, sig, scale,
                                    alpha, want_loss))
}

/* err += the input-side error of the target set; returns its loss when want_loss. Needs
 * 1 <= d <= 128 and n >= 1. */
static double fw_ns_set(const float *l1, float *err, float *const *rows, int n,
                        const float *sig, float scale, float alpha, int d, int want_loss) {
    FW_DISPATCH_NV(d, fw_ns_set_nv(NV, FW_MASK_OF(d), l1, err, rows, n, sig, scale, alpha,
                                   want_loss))
}
#else
#define FW_HAVE_REG_PATH 0
static double fw_hs_path(const float *l1, float *err, float *const *rows, const uint32_t *path,
                         int64_t len, const float *sig, float scale, float alpha, int d,
                         int want_loss) {
    (void)l1; (void)err; (void)rows; (void)path; (void)len; (void)sig; (void)scale;
    (void)alpha; (void)d; (void)want_loss;
    return 0.0;    /* never called: FW_HAVE_REG_PATH is 0 */
}
static double fw_ns_set(const float *l1, float *err, float *const *rows, int n,
                        const float *sig, float scale, float alpha, int d, int want_loss) {
    (void)l1; (void)err; (void)rows; (void)n; (void)sig; (void)scale; (void)alpha; (void)d;
    (void)want_loss;
    return 0.0;    /* never called: FW_HAVE_REG_PATH is 0 */
}
#endif

#endif
