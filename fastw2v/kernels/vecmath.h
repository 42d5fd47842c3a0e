/* Inner loops of the fastw2v kernels: dot products and axpys over vector_size floats.
 *
 * Written with GCC/Clang vector extensions (8 floats = one AVX register; the compiler
 * splits them into two SSE/NEON registers where AVX is absent; the AVX-512 variant's
 * main loops take 16 floats at a time) and two independent accumulators, so the loops
 * vectorise without -ffast-math. Loads go through memcpy so rows need no particular
 * alignment, but they run fastest on rows that start on a cache line, which is how the
 * weights are laid out (fastw2v/kernels/layout.py). The summation order is fixed by
 * this code, so a given build gives the same result every run.
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

#define FW_AI_ static inline __attribute__((always_inline))

typedef float fw_v8 __attribute__((vector_size(32)));
typedef float fw_v4 __attribute__((vector_size(16)));

static inline fw_v8 fw_load8(const float *p) { fw_v8 v; memcpy(&v, p, sizeof v); return v; }
static inline void fw_store8(float *p, fw_v8 v) { memcpy(p, &v, sizeof v); }
static inline fw_v8 fw_splat8(float a) { fw_v8 v = {a, a, a, a, a, a, a, a}; return v; }
static inline fw_v4 fw_load4(const float *p) { fw_v4 v; memcpy(&v, p, sizeof v); return v; }
static inline void fw_store4(float *p, fw_v4 v) { memcpy(p, &v, sizeof v); }
static inline fw_v4 fw_splat4(float a) { fw_v4 v = {a, a, a, a}; return v; }

#if defined(__AVX512F__)
/* 16 floats = one AVX-512 register: the main loops of the variant built for it step
 * through 16-float chunks, the others through 8-float ones (then the same tails). */
#define FW_WIDE 1
typedef float fw_v16 __attribute__((vector_size(64)));
static inline fw_v16 fw_load16(const float *p) { fw_v16 v; memcpy(&v, p, sizeof v); return v; }
static inline void fw_store16(float *p, fw_v16 v) { memcpy(p, &v, sizeof v); }
static inline fw_v16 fw_splat16(float a) {
    fw_v16 v = {a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a};
    return v;
}
static inline fw_v8 fw_fold16(fw_v16 v) {
    return __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
           __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
}
#else
#define FW_WIDE 0
#endif

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

/* y += a * x */
static inline void fw_axpy(float a, const float *restrict x, float *restrict y, int n) {
    fw_v8 av = fw_splat8(a);
    int i = 0;
#if FW_WIDE
    fw_v16 aw = fw_splat16(a);
    for (; i + 16 <= n; i += 16) fw_store16(y + i, fw_load16(y + i) + aw * fw_load16(x + i));
#endif
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

/* ---- Rows wanted soon: their cache lines asked for a few at a time ----------------
 * The rows the next set or window will use (its noise words, the next centre's output
 * row, the input row entering the window) are known while the current update pass runs. Asked for all at
 * once, a 300-float row is 19 cache lines and a set of six rows over a hundred: the
 * prefetches fill the core's queue of outstanding misses and the core waits on them
 * (the prefetch loop was the hottest spot of skip-gram/NS at 300). So the update passes
 * below take the list of rows wanted soon and ask for one 64-byte line of each (16
 * floats, the rows are on cache lines) as they reach that column: the fetches spread
 * over the pass, behind its arithmetic. */
FW_AI_ void fw_soon_lines(const float *const *soon, int nsoon, int *next, int upto) {
    for (; *next < upto; *next += 16)
        for (int q = 0; q < nsoon; q++) __builtin_prefetch(soon[q] + *next, 1, 3);
}

/* ---- One input vector against a set of output rows, in two passes -----------------
 * Hierarchical softmax (the nodes of a Huffman path) and negative sampling (the true
 * word and its noise words) train one input vector x against n output rows y[t]. Taken
 * pair by pair, each pair loads x, the error and y[t] and stores the error and y[t]. But
 * when the rows are distinct every score x . y[t] depends only on the old rows (x is not
 * written until the caller applies the error), so the set can be trained as
 *     s[t] = x . y[t]                          (fw_set_scores, old rows)
 *     g[t] = gradient of s[t]                  (the caller)
 *     err += sum_t g[t] y[t],  y[t] += g[t] x  (fw_set_update, old rows on the right)
 * which is the pair-by-pair result bit for bit (the scores are summed in the order the
 * pair-by-pair loop used, and each error element gets g[0] y[0], g[1] y[1], ... added
 * in turn; an A/B training run gives identical vectors). The
 * scores of up to four rows share each chunk of x, and the update keeps x's chunk and the
 * error's in registers while each row's chunk is loaded and stored once: per pair one
 * load and one store instead of three loads and two stores, and no pair waits for the
 * previous pair's score. A row met twice (a noise word drawn twice) must start a new set,
 * since its second score needs the first update. */

/* s[t] = x . y[t] for t < NB <= 4. Each sum: two accumulators over alternate 8-float
 * chunks, folded to 4 floats, plus a 4-float chunk, a horizontal sum, then the last
 * d % 4 products one by one. */
FW_AI_ void fw_scores_nb(const int NB, const float *restrict x, float *const *y, int d,
                         float *s) {
    fw_v8 a0[4], a1[4];
    int i = 0;
    _Pragma("GCC unroll 4")
    for (int t = 0; t < NB; t++) { a0[t] = fw_splat8(0.0f); a1[t] = a0[t]; }
#if FW_WIDE
    if (d >= 32) {
        fw_v16 b0[4], b1[4];
        _Pragma("GCC unroll 4")
        for (int t = 0; t < NB; t++) { b0[t] = fw_splat16(0.0f); b1[t] = b0[t]; }
        for (; i + 32 <= d; i += 32) {
            fw_v16 x0 = fw_load16(x + i), x1 = fw_load16(x + i + 16);
            _Pragma("GCC unroll 4")
            for (int t = 0; t < NB; t++) {
                b0[t] += x0 * fw_load16(y[t] + i);
                b1[t] += x1 * fw_load16(y[t] + i + 16);
            }
        }
        _Pragma("GCC unroll 4")
        for (int t = 0; t < NB; t++) { a0[t] = fw_fold16(b0[t]); a1[t] = fw_fold16(b1[t]); }
    }
#endif
    for (; i + 16 <= d; i += 16) {
        fw_v8 x0 = fw_load8(x + i), x1 = fw_load8(x + i + 8);
        _Pragma("GCC unroll 4")
        for (int t = 0; t < NB; t++) {
            a0[t] += x0 * fw_load8(y[t] + i);
            a1[t] += x1 * fw_load8(y[t] + i + 8);
        }
    }
    for (; i + 8 <= d; i += 8) {
        fw_v8 x0 = fw_load8(x + i);
        _Pragma("GCC unroll 4")
        for (int t = 0; t < NB; t++) a0[t] += x0 * fw_load8(y[t] + i);
    }
    _Pragma("GCC unroll 4")
    for (int t = 0; t < NB; t++) {
        fw_v4 acc = fw_fold8(a0[t] + a1[t]);
        int j = i;
        if (j + 4 <= d) {
            acc += fw_load4(x + j) * fw_load4(y[t] + j);
            j += 4;
        }
        float r = fw_hsum4(acc);
        for (; j < d; j++) r += x[j] * y[t][j];
        s[t] = r;
    }
}

/* s[t] = x . y[t] for t < n */
static inline void fw_set_scores(const float *x, float *const *y, int n, int d, float *s) {
    int t = 0;
    for (; t + 4 <= n; t += 4) fw_scores_nb(4, x, y + t, d, s + t);
    switch (n - t) {
    case 3: fw_scores_nb(3, x, y + t, d, s + t); break;
    case 2: fw_scores_nb(2, x, y + t, d, s + t); break;
    case 1: fw_scores_nb(1, x, y + t, d, s + t); break;
    default: break;
    }
}

/* The update pass. With e = err (0 where err is NULL) + sum_t g[t] y[t] and old y[t]:
 * y[t] += g[t] x for t < n, then err = e, or where APPLY x += xscale * e (skip-gram with
 * one objective: its error goes to x alone, so neither a zeroed error buffer nor a
 * separate axpy pass is needed; the same floats as the two). Rows distinct. */
/* One group of K chunks of W floats (vector type VT; K a constant) at column i, in one
 * walk over the rows: x's and the error's chunks stay in registers while each row's
 * chunks are loaded and stored once; then i moves past the group. */
#define FW_SET_UPDATE_GROUP(VT, W, LD, ST, SPL, K)                                        \
    do {                                                                                   \
        VT sv = SPL(xscale), xv[K], ev[K];                                                 \
        fw_soon_lines(soon, nsoon, &soon_next, i + (K) * (W));                             \
        _Pragma("GCC unroll 4")                                                            \
        for (int k = 0; k < (K); k++) {                                                    \
            xv[k] = LD(x + i + k * (W));                                                   \
            ev[k] = err ? LD(err + i + k * (W)) : SPL(0.0f);                               \
        }                                                                                  \
        for (int t = 0; t < n; t++) {                                                      \
            VT gv = SPL(g[t]);                                                             \
            float *r = y[t] + i;                                                           \
            _Pragma("GCC unroll 4")                                                        \
            for (int k = 0; k < (K); k++) {                                                \
                VT o = LD(r + k * (W));                                                    \
                ev[k] += gv * o;                                                           \
                ST(r + k * (W), o + gv * xv[k]);                                           \
            }                                                                              \
        }                                                                                  \
        _Pragma("GCC unroll 4")                                                            \
        for (int k = 0; k < (K); k++) {                                                    \
            if (APPLY) ST(x + i + k * (W), xv[k] + sv * ev[k]);                            \
            else ST(err + i + k * (W), ev[k]);                                             \
        }                                                                                  \
        i += (K) * (W);                                                                    \
    } while (0)

/* Groups of four chunks while four fit: the error's chunk takes one multiply-add per
 * row, so with one chunk every row would wait for the previous row's (the FMA
 * latency). Then the 1-3 chunks left as one group: each walk loads every row's cache
 * lines afresh, so one walk for them instead of one per chunk. */
#define FW_SET_UPDATE_CHUNKS(VT, W, LD, ST, SPL)                                          \
    while (i + 4 * (W) <= d) FW_SET_UPDATE_GROUP(VT, W, LD, ST, SPL, 4);                   \
    switch ((d - i) / (W)) {                                                               \
    case 3: FW_SET_UPDATE_GROUP(VT, W, LD, ST, SPL, 3); break;                             \
    case 2: FW_SET_UPDATE_GROUP(VT, W, LD, ST, SPL, 2); break;                             \
    case 1: FW_SET_UPDATE_GROUP(VT, W, LD, ST, SPL, 1); break;                             \
    default: break;                                                                        \
    }

FW_AI_ void fw_set_update_core(const int APPLY, float *restrict x, float xscale,
                               float *restrict err, float *const *y, const float *g, int n,
                               int d, const float *const *soon, int nsoon) {
    int i = 0, soon_next = 0;
#if FW_WIDE
    FW_SET_UPDATE_CHUNKS(fw_v16, 16, fw_load16, fw_store16, fw_splat16)
#endif
    FW_SET_UPDATE_CHUNKS(fw_v8, 8, fw_load8, fw_store8, fw_splat8)
    if (i + 4 <= d) FW_SET_UPDATE_GROUP(fw_v4, 4, fw_load4, fw_store4, fw_splat4, 1);
    for (; i < d; i++) {
        float xv = x[i], e = err ? err[i] : 0.0f;
        for (int t = 0; t < n; t++) {
            float o = y[t][i];
            e += g[t] * o;
            y[t][i] = o + g[t] * xv;
        }
        if (APPLY) x[i] = xv + xscale * e;
        else err[i] = e;
    }
    fw_soon_lines(soon, nsoon, &soon_next, d);
}

/* err += sum_t g[t] y[t] and y[t] += g[t] x for t < n (old y[t] in both; rows distinct);
 * meanwhile the lines of soon[0:nsoon] are asked for (fw_soon_lines) */
static inline void fw_set_update(const float *x, float *err, float *const *y, const float *g,
                                 int n, int d, const float *const *soon, int nsoon) {
    fw_set_update_core(0, (float *)x, 0.0f, err, y, g, n, d, soon, nsoon);
}

/* x += xscale * (err + sum_t g[t] y[t]) after y[t] += g[t] x for t < n (err may be NULL:
 * zero; old y[t] and x on the right; rows distinct); soon as in fw_set_update */
static inline void fw_set_update_apply(float *x, float xscale, const float *err,
                                       float *const *y, const float *g, int n, int d,
                                       const float *const *soon, int nsoon) {
    fw_set_update_core(1, x, xscale, (float *)err, y, g, n, d, soon, nsoon);
}

/* out = (y[0] + y[1] + ... + y[n-1]) * scale, summed in that order from 0: the CBOW
 * hidden layer (scale 1 / n for the mean) in one pass, each row's chunk loaded once and
 * the sum kept in registers, where an axpy per row would load and store it every time.
 * The same floats as zeroing out, adding the rows one by one and then scaling. */
static inline void fw_rows_sum(float *const *y, int n, float scale, float *restrict out,
                               int d) {
    int i = 0;
    fw_v8 sv = fw_splat8(scale);
#define FW_ROWS_SUM_CHUNKS(VT, W, LD, ST, SPL)                                            \
    for (; i + 4 * (W) <= d; i += 4 * (W)) {                                               \
        VT a0 = SPL(0.0f), a1 = a0, a2 = a0, a3 = a0;                                      \
        for (int t = 0; t < n; t++) {                                                      \
            const float *r = y[t] + i;                                                     \
            a0 += LD(r);                                                                   \
            a1 += LD(r + (W));                                                             \
            a2 += LD(r + 2 * (W));                                                         \
            a3 += LD(r + 3 * (W));                                                         \
        }                                                                                  \
        ST(out + i, a0 * SPL(scale));                                                      \
        ST(out + i + (W), a1 * SPL(scale));                                                \
        ST(out + i + 2 * (W), a2 * SPL(scale));                                            \
        ST(out + i + 3 * (W), a3 * SPL(scale));                                            \
    }
#if FW_WIDE
    FW_ROWS_SUM_CHUNKS(fw_v16, 16, fw_load16, fw_store16, fw_splat16)
#endif
    FW_ROWS_SUM_CHUNKS(fw_v8, 8, fw_load8, fw_store8, fw_splat8)
#undef FW_ROWS_SUM_CHUNKS
    for (; i + 8 <= d; i += 8) {
        fw_v8 a = fw_splat8(0.0f);
        for (int t = 0; t < n; t++) a += fw_load8(y[t] + i);
        fw_store8(out + i, a * sv);
    }
    for (; i < d; i++) {
        float a = 0.0f;
        for (int t = 0; t < n; t++) a += y[t][i];
        out[i] = a * scale;
    }
}

/* y[t] += a[t] x for t < n, in order: the CBOW window's error spread back over its
 * context rows in one pass over the columns, x's chunk kept in registers while each
 * row's chunk is loaded and stored once (fw_axpy per row reloads x for every row). A
 * word met twice in the window gives the same row twice; its chunk is stored before it
 * is loaded again, so it gets both additions in turn. Every element is the same float
 * as fw_axpy's, which handles the last d % 64 (wide) or d % 32 columns. */
static inline void fw_rows_axpy(const float *restrict x, float *const *y, const float *a,
                                int n, int d) {
    int i = 0;
#define FW_ROWS_AXPY_CHUNKS(VT, W, LD, ST, SPL)                                           \
    for (; i + 4 * (W) <= d; i += 4 * (W)) {                                               \
        VT x0 = LD(x + i), x1 = LD(x + i + (W)), x2 = LD(x + i + 2 * (W)),                 \
           x3 = LD(x + i + 3 * (W));                                                       \
        for (int t = 0; t < n; t++) {                                                      \
            float *r = y[t] + i;                                                           \
            VT at = SPL(a[t]);                                                             \
            ST(r, LD(r) + at * x0);                                                        \
            ST(r + (W), LD(r + (W)) + at * x1);                                            \
            ST(r + 2 * (W), LD(r + 2 * (W)) + at * x2);                                    \
            ST(r + 3 * (W), LD(r + 3 * (W)) + at * x3);                                    \
        }                                                                                  \
    }
#if FW_WIDE
    FW_ROWS_AXPY_CHUNKS(fw_v16, 16, fw_load16, fw_store16, fw_splat16)
#else
    FW_ROWS_AXPY_CHUNKS(fw_v8, 8, fw_load8, fw_store8, fw_splat8)
#endif
#undef FW_ROWS_AXPY_CHUNKS
    if (i < d)
        for (int t = 0; t < n; t++) fw_axpy(a[t], x + i, y[t] + i, d - i);
}

/* ---- The shared-negatives (HogBatch) window as two register-blocked passes ----------
 * A window of nx context rows x[a] (input side) and ny target rows y[t] (output side:
 * the centre word and the noise words, each row once) is trained as
 *     S = X Y^T                       (fw_window_scores: every score, old weights)
 *     G = the gradients of S          (the caller: sigmoid table, labels, alpha)
 *     E = G Y,  Y += G^T X,  X += s E (fw_window_update: one pass over the columns)
 * with each product taken from the weights as they were at the window's start.
 *
 * Every column chunk of the update is independent of the others, so one pass over the
 * columns does all three products: the chunk of each target row is loaded once and kept
 * in registers (old value and new value), each context row's chunk is loaded once, used
 * for the targets' updates and its own error, and stored once. That is about one memory
 * operation (most of them a broadcast of one gradient) per two multiply-adds, against
 * five loads and two stores per three multiply-adds pair by pair. The rows must be
 * distinct (the caller merges repeated words, adding up their gradients), since a row's
 * chunk is stored once from registers.
 *
 * Targets go in blocks of FW_WB (the registers of AVX2: 2 x 6 + 3 of 16); with more, the
 * contexts' errors wait in `err` ([nx, d]) between blocks. */
#define FW_WB 6

typedef float fw_v1;
FW_AI_ fw_v1 fw_load1(const float *p) { return *p; }
FW_AI_ void fw_store1(float *p, fw_v1 v) { *p = v; }
FW_AI_ fw_v1 fw_splat1(float a) { return a; }

/* One chunk of `W` columns at column i, targets y[0:NB]; `first`: no earlier block
 * (errors start at 0), `last`: no later block (the contexts are stored). */
#define FW_DEFINE_WINDOW_CHUNK(NAME, VT, LD, ST, SPL)                                      \
FW_AI_ void NAME(const int NB, int first, int last, int i, float *const *x,                \
                 const float *xscale, int nx, float *const *y, const float *g, int gs,     \
                 float *err, int d) {                                                      \
    VT yo[FW_WB], yn[FW_WB];                                                               \
    _Pragma("GCC unroll 6")                                                                \
    for (int t = 0; t < NB; t++) { yo[t] = LD(y[t] + i); yn[t] = yo[t]; }                  \
    for (int a = 0; a < nx; a++) {                                                         \
        VT xa = LD(x[a] + i);                                                              \
        VT e = first ? SPL(0.0f) : LD(err + (size_t)a * d + i);                            \
        const float *ga = g + a * gs;                                                      \
        _Pragma("GCC unroll 6")                                                            \
        for (int t = 0; t < NB; t++) {                                                     \
            VT gv = SPL(ga[t]);                                                            \
            e += gv * yo[t];                                                               \
            yn[t] += gv * xa;                                                              \
        }                                                                                  \
        if (last) ST(x[a] + i, xa + SPL(xscale[a]) * e);                                   \
        else ST(err + (size_t)a * d + i, e);                                               \
    }                                                                                      \
    _Pragma("GCC unroll 6")                                                                \
    for (int t = 0; t < NB; t++) ST(y[t] + i, yn[t]);                                      \
}
#if FW_WIDE
FW_DEFINE_WINDOW_CHUNK(fw_wchunk16, fw_v16, fw_load16, fw_store16, fw_splat16)
#endif
FW_DEFINE_WINDOW_CHUNK(fw_wchunk8, fw_v8, fw_load8, fw_store8, fw_splat8)
FW_DEFINE_WINDOW_CHUNK(fw_wchunk4, fw_v4, fw_load4, fw_store4, fw_splat4)
FW_DEFINE_WINDOW_CHUNK(fw_wchunk1, fw_v1, fw_load1, fw_store1, fw_splat1)

#define FW_WB_DISPATCH(nb, call)                                                          \
    switch (nb) {                                                                          \
    case 1: { const int NB = 1; call; break; }                                             \
    case 2: { const int NB = 2; call; break; }                                             \
    case 3: { const int NB = 3; call; break; }                                             \
    case 4: { const int NB = 4; call; break; }                                             \
    case 5: { const int NB = 5; call; break; }                                             \
    default: { const int NB = FW_WB; call; break; }                                        \
    }

/* E = G Y, Y += G^T X, X += xscale * E (G is [nx, gs], its rows the contexts; X and Y
 * old values on the right-hand sides). x[] and y[] distinct rows; err: [nx, d] scratch;
 * meanwhile the lines of soon[0:nsoon] are asked for (fw_soon_lines). */
static inline void fw_window_update(float *const *x, const float *xscale, int nx,
                                    float *const *y, int ny, const float *g, int gs,
                                    float *err, int d, const float *const *soon, int nsoon) {
    int i = 0, soon_next = 0;
    if (nx == 0 || ny == 0) {
        fw_soon_lines(soon, nsoon, &soon_next, d);
        return;
    }
    /* every column chunk of W floats (CHUNK: its width's chunk function), block by block */
#define FW_WINDOW_COLUMNS(W, CHUNK)                                                       \
    for (; i + (W) <= d; i += (W)) {                                                       \
        fw_soon_lines(soon, nsoon, &soon_next, i + (W));                                   \
        for (int t = 0; t < ny; t += FW_WB) {                                              \
            int nb = ny - t < FW_WB ? ny - t : FW_WB;                                      \
            FW_WB_DISPATCH(nb, CHUNK(NB, t == 0, t + FW_WB >= ny, i, x, xscale, nx, y + t, \
                                     g + t, gs, err, d))                                   \
        }                                                                                  \
    }
#if FW_WIDE
    FW_WINDOW_COLUMNS(16, fw_wchunk16)
#endif
    FW_WINDOW_COLUMNS(8, fw_wchunk8)
    FW_WINDOW_COLUMNS(4, fw_wchunk4)
    FW_WINDOW_COLUMNS(1, fw_wchunk1)
#undef FW_WINDOW_COLUMNS
    fw_soon_lines(soon, nsoon, &soon_next, d);
}

/* s0[t] = x0 . y[t] (and s1[t] = x1 . y[t] when TWO) for t < NB: two context rows at a
 * time against up to FW_WB targets, so each chunk loaded serves 2 or NB products. */
/* Every W-float chunk from column i (vector type VT): A0[t] += x0 . y[t] and, when
 * TWO, A1[t] += x1 . y[t], chunk-wise. */
#define FW_WSCORES_CHUNKS(VT, W, LD, A0, A1)                                              \
    for (; i + (W) <= d; i += (W)) {                                                       \
        VT a0 = LD(x0 + i), a1 = TWO ? LD(x1 + i) : a0;                                    \
        _Pragma("GCC unroll 6")                                                            \
        for (int t = 0; t < NB; t++) {                                                     \
            VT b = LD(y[t] + i);                                                           \
            A0[t] += a0 * b;                                                               \
            if (TWO) A1[t] += a1 * b;                                                      \
        }                                                                                  \
    }

FW_AI_ void fw_wscores(const int NB, const int TWO, const float *x0, const float *x1,
                       float *const *y, int d, float *s0, float *s1) {
    fw_v8 p0[FW_WB], p1[FW_WB];
    fw_v4 q0[FW_WB], q1[FW_WB];
    int i = 0;
    _Pragma("GCC unroll 6")
    for (int t = 0; t < NB; t++) { p0[t] = fw_splat8(0.0f); p1[t] = p0[t]; }
#if FW_WIDE
    if (d >= 16) {
        fw_v16 w0[FW_WB], w1[FW_WB];
        _Pragma("GCC unroll 6")
        for (int t = 0; t < NB; t++) { w0[t] = fw_splat16(0.0f); w1[t] = w0[t]; }
        FW_WSCORES_CHUNKS(fw_v16, 16, fw_load16, w0, w1)
        _Pragma("GCC unroll 6")
        for (int t = 0; t < NB; t++) { p0[t] = fw_fold16(w0[t]); p1[t] = fw_fold16(w1[t]); }
    }
#endif
    FW_WSCORES_CHUNKS(fw_v8, 8, fw_load8, p0, p1)
    _Pragma("GCC unroll 6")
    for (int t = 0; t < NB; t++) { q0[t] = fw_fold8(p0[t]); q1[t] = fw_fold8(p1[t]); }
    FW_WSCORES_CHUNKS(fw_v4, 4, fw_load4, q0, q1)       /* at most one chunk of 4 */
    _Pragma("GCC unroll 6")
    for (int t = 0; t < NB; t++) {
        float r0 = fw_hsum4(q0[t]), r1 = TWO ? fw_hsum4(q1[t]) : 0.0f;
        for (int k = i; k < d; k++) {
            r0 += x0[k] * y[t][k];
            if (TWO) r1 += x1[k] * y[t][k];
        }
        s0[t] = r0;
        if (TWO) s1[t] = r1;
    }
}

/* s[a * gs + t] = x[a] . y[t] for a < nx, t < ny */
static inline void fw_window_scores(float *const *x, int nx, float *const *y, int ny, int d,
                                    float *s, int gs) {
    for (int a = 0; a < nx; a += 2)
        for (int t = 0; t < ny; t += FW_WB) {
            int nb = ny - t < FW_WB ? ny - t : FW_WB;
            float *s0 = s + a * gs + t;
            if (a + 1 < nx) {
                FW_WB_DISPATCH(nb, fw_wscores(NB, 1, x[a], x[a + 1], y + t, d, s0, s0 + gs))
            } else {
                FW_WB_DISPATCH(nb, fw_wscores(NB, 0, x[a], x[a], y + t, d, s0, s0))
            }
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
 The two-pass path (fw_set_scores / fw_set_update) loads the input vector and the error
 * chunk by chunk in each pass; here they stay in registers and each node costs one load
 * and one store of its own row. Same arithmetic and order of updates as the two-pass
 * path (node k + 1's score is computed before node k's update is stored: the rows of a
 * path are distinct), only the dot products are summed in another order. ------------------------------- */
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
