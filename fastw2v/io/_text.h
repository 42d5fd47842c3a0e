/* The word2vec text reader's C part: where the values of a row are, and their values.
 *
 * Where: fw_scanner keeps a bitmap of the separator bytes (what bytes.split() splits on:
 * ' ', \t \n \v \f \r) of 64 bytes at a time (SSE2 on x86-64, plain 64-bit arithmetic
 * elsewhere), so that finding the next value and its end is a bit scan: the only chain
 * from one value to the next. Each value is then read knowing its length.
 *
 * Values: fw_parse_token() reads the plain decimal grammar that Python's float() (and so
 * NumPy's conversion of bytes to float) accepts,
 *
 *     [+-] ( digits [ '.' [digits] ] | '.' digits ) [ ('e'|'E') [+-] digits ]
 *
 * and computes the correctly rounded double itself only where that takes one exact IEEE
 * operation (Clinger's fast path): a significand of at most 19 digits whose integer value
 * w is at most 2^53, times or divided by an exactly representable power of ten (10^0 ..
 * 10^22); also w * 10^k * 10^22 while w * 10^k is an integer of at most 2^53. Everything
 * else is reported to the caller, which asks CPython's own parser (locale-independent,
 * correctly rounded): so every value is the double that float() gives.
 */
#ifndef FASTW2V_TEXT_H
#define FASTW2V_TEXT_H

#include <float.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* The exact fast path needs double arithmetic done in double (not x87 extended). */
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
#define FW_EXACT_DOUBLE_OPS 1
#else
#define FW_EXACT_DOUBLE_OPS 0
#endif

enum {
    FW_OK = 0,        /* *value is the correctly rounded double */
    FW_INEXACT = 1,   /* plain decimal grammar, but outside the exact fast path */
    FW_GRAMMAR = 2    /* not plain decimal (inf, nan, '_', garbage): *stop is where it broke */
};

/* The bytes that bytes.split() splits on (and bytes.rstrip() strips): ' ', \t \n \v \f \r. */
static inline int fw_is_space(unsigned char c) {
    return c == 32 || (unsigned)(c - 9) < 5u;
}

static const uint64_t fw_pow10_int[16] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
    100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL,
    10000000000000ULL, 100000000000000ULL, 1000000000000000ULL
};

#define FW_TWO53 (1ULL << 53)

/* ---- eight digits at a time (SWAR: plain 64-bit integer arithmetic, any CPU) ---- */

/* 8 bytes from p as a little-endian integer: byte i of the result is p[i] */
static inline uint64_t fw_load8(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* 0x80 in each byte of v that is not an ASCII digit, 0 in the others (no carries cross
 * bytes: each step keeps every byte below 0x100) */
static inline uint64_t fw_nondigits(uint64_t v) {
    uint64_t high = (v & 0xF0F0F0F0F0F0F0F0ULL) ^ 0x3030303030303030ULL;  /* not 0x3_ */
    uint64_t low = ((v & 0x0F0F0F0F0F0F0F0FULL) + 0x0606060606060606ULL)
                   & 0xF0F0F0F0F0F0F0F0ULL;                               /* _A .. _F */
    uint64_t bad = high | low;
    return (bad | ((bad & 0x7F7F7F7F7F7F7F7FULL) + 0x7F7F7F7F7F7F7F7FULL))
           & 0x8080808080808080ULL;
}

/* index of the lowest set bit of m (m != 0) */
static inline int fw_ctz64(uint64_t m) {
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_ctzll(m);
#else
    int k = 0;
    while (!(m & 1)) {
        m >>= 1;
        k++;
    }
    return k;
#endif
}

/* The number written by 8 digit bytes (ASCII digits or zero bytes) in x: byte 0 first */
static inline uint64_t fw_eight_digits(uint64_t x) {
    x &= 0x0F0F0F0F0F0F0F0FULL;                /* digit values (no borrow, unlike - '0') */
    /* pairs: byte 2i becomes 10 * digit(2i) + digit(2i + 1) (at most 99: no carry) */
    x = x * 10 + (x >> 8);
    /* pairs P0 (byte 0) and P2 (byte 4) times 10^6 and 10^2, P1 (byte 2) and P3 (byte 6)
     * times 10^4 and 1: each product lands in the upper 32 bits, the lower 32 bits hold
     * P0 * 100 + P1 < 2^32 (no carry into them) */
    return (((x & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32)))
            + (((x >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >> 32;
}

/* The number written by the first k (0..8) bytes of x, which hold digit values 0..9
 * (ASCII digits minus '0'; bytes from k on are ignored). */
static inline uint64_t fw_digits_value(uint64_t x, int k) {
    /* the k digits last, 8 - k zeros (leading zeros) first; no digit at all for k = 0
     * (no branch: k varies from value to value, a branch would be mispredicted) */
    return fw_eight_digits((x << ((64 - 8 * k) & 63)) & (0 - (uint64_t)(k != 0)));
}

#define FW_ZEROS 0x3030303030303030ULL

/* v with its sign bit set where neg is 1 (no branch) */
static inline double fw_signed(double v, int neg) {
    uint64_t bits;
    memcpy(&bits, &v, 8);
    bits |= (uint64_t)neg << 63;
    memcpy(&v, &bits, 8);
    return v;
}

/* A value read but not yet converted: the conversion is left to a separate loop over a
 * whole run of values, where the divisions of successive values overlap instead of each
 * waiting behind the tokenizing of the next one.
 *
 * scale <= 44: the value is w * 10^(scale - 22), w = bits without bit 63 (w <= 2^53),
 * negative where bit 63 is set; fw_value_double computes it as w * fw_mul[scale] /
 * fw_div[scale], one of the two factors 1: one correctly rounded operation and one exact
 * one, so the correctly rounded double. scale == FW_SCALE_DONE: bits are the double's. */
typedef struct {
    uint64_t bits;
    int scale;
} fw_value;

#define FW_SCALE_DONE 45

static const double fw_mul[45] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

static const double fw_div[45] = {
    1e22, 1e21, 1e20, 1e19, 1e18, 1e17, 1e16, 1e15, 1e14, 1e13, 1e12, 1e11,
    1e10, 1e9, 1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 1e2, 1e1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
};

static inline void fw_set_double(fw_value *x, double v) {
    memcpy(&x->bits, &v, 8);
    x->scale = FW_SCALE_DONE;
}

/* w * 10^dexp (negated where neg) as a fw_value where Clinger's fast path gives it
 * correctly rounded in one exact operation: FW_OK, or FW_INEXACT where only a correctly
 * rounding parser computes it */
static inline int fw_make(uint64_t w, int dexp, int neg, fw_value *out) {
    if (w == 0) {                          /* all digits zero: +-0 whatever the exponent */
        fw_set_double(out, neg ? -0.0 : 0.0);
        return FW_OK;
    }
    if (w > FW_TWO53 || !FW_EXACT_DOUBLE_OPS)
        return FW_INEXACT;
    if (dexp >= -22 && dexp <= 22) {       /* (w <= 2^53: exact as a double) */
        out->bits = w | ((uint64_t)neg << 63);
        out->scale = dexp + 22;
        return FW_OK;
    }
    if (dexp > 22 && dexp <= 22 + 15 && w <= FW_TWO53 / fw_pow10_int[dexp - 22]) {
        /* w * 10^(dexp - 22) is an integer of at most 2^53: one rounding, times 1e22 */
        fw_set_double(out, fw_signed((double)(w * fw_pow10_int[dexp - 22]) * 1e22, neg));
        return FW_OK;
    }
    return FW_INEXACT;
}

/* the double of a fw_value that fw_make or fw_set_double made */
static inline double fw_value_double(fw_value x) {
    double v;
    if (x.scale == FW_SCALE_DONE) {
        memcpy(&v, &x.bits, 8);
        return v;
    }
    /* (w <= 2^53: the int64 conversion is exact) */
    v = (double)(int64_t)(x.bits & ~(1ULL << 63)) * fw_mul[x.scale] / fw_div[x.scale];
    return fw_signed(v, (int)(x.bits >> 63));
}

/* The general reader (any length, near the end of the bytes too): reads from s while
 * the grammar goes on; *stop is where it stopped (see fw_parse_token). */
static int fw_parse_decimal_general(const unsigned char *s, const unsigned char *end,
                                    const unsigned char **stop, fw_value *value) {
    int neg = 0, sig = 0, digits = 0, dexp = 0, many = 0;
    uint64_t w = 0;
    unsigned d;
    if (s < end && (*s == '-' || *s == '+')) {
        neg = (*s == '-');
        s++;
    }
    /* integer part: leading zeros are not significant digits */
    while (s < end && (d = (unsigned)(*s - '0')) < 10u) {
        if (sig < 19) {
            w = w * 10u + d;
            sig += (w != 0);
        } else {
            many = 1;
        }
        digits++;
        s++;
    }
    if (s < end && *s == '.') {
        s++;
        while (s < end && (d = (unsigned)(*s - '0')) < 10u) {
            if (sig < 19) {
                w = w * 10u + d;
                sig += (w != 0);
                dexp--;
            } else {
                many = 1;
            }
            digits++;
            s++;
        }
    }
    if (digits == 0) {
        *stop = s;
        return FW_GRAMMAR;
    }
    if (s < end && (*s | 0x20) == 'e') {
        int eneg = 0, edigits = 0;
        long ex = 0;
        s++;
        if (s < end && (*s == '-' || *s == '+')) {
            eneg = (*s == '-');
            s++;
        }
        while (s < end && (d = (unsigned)(*s - '0')) < 10u) {
            if (ex < 100000)
                ex = ex * 10 + (long)d;
            edigits++;
            s++;
        }
        if (edigits == 0) {
            *stop = s;
            return FW_GRAMMAR;
        }
        dexp += (int)(eneg ? -ex : ex);
    }
    *stop = s;
    if (s < end && !fw_is_space(*s))
        return FW_GRAMMAR;
    if (many)                              /* (w != 0: it has 19 significant digits) */
        return FW_INEXACT;
    return fw_make(w, dexp, neg, value);
}

/* 8-bit mask of the 0x80 flags of the 8 bytes (bit i: byte i): the flags moved to bits
 * 8i, then one multiplication gathers bit 8i at bit 56 + i (the partial products land on
 * distinct bits, so nothing carries) */
static inline unsigned fw_compress8(uint64_t flags) {
    return (unsigned)((((flags >> 7) * 0x0102040810204080ULL)) >> 56);
}

/* The value of the first k (0..16) digits of the 16 digit values in lo (bytes 0..7) and
 * hi (bytes 8..15). */
static inline uint64_t fw_digits16(uint64_t lo, uint64_t hi, int k) {
    int ka = k < 8 ? k : 8, kb = k - ka;
    return fw_digits_value(lo, ka) * fw_pow10_int[kb] + fw_digits_value(hi, kb);
}

/* 16-bit mask of the bytes of t[0 .. 16) that are not ASCII digits (bit i: byte i) */
static inline unsigned fw_nondigits16(const unsigned char *t) {
#if defined(__SSE2__)
    __m128i v = _mm_loadu_si128((const __m128i *)t);
    __m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
    __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);   /* d <= 9 */
    return ~(unsigned)_mm_movemask_epi8(digit) & 0xFFFFu;
#else
    return fw_compress8(fw_nondigits(fw_load8(t)))
           | fw_compress8(fw_nondigits(fw_load8(t + 8))) << 8;
#endif
}

#if defined(__SSE2__)
/* The value of the 16 digit values (bytes, 0..9) of r: byte 0 is the most significant.
 * Pairs, then groups of 4, then of 8 digits, by multiply-adds of 16-bit lanes (every
 * intermediate fits its lane: 99, 9999, 99999999). */
static inline uint64_t fw_sixteen_digits_sse2(__m128i r) {
    const __m128i zero = _mm_setzero_si128();
    __m128i pairs = _mm_packs_epi32(
        _mm_madd_epi16(_mm_unpacklo_epi8(r, zero), _mm_setr_epi16(10, 1, 10, 1, 10, 1, 10, 1)),
        _mm_madd_epi16(_mm_unpackhi_epi8(r, zero), _mm_setr_epi16(10, 1, 10, 1, 10, 1, 10, 1)));
    __m128i fours = _mm_madd_epi16(pairs, _mm_setr_epi16(100, 1, 100, 1, 100, 1, 100, 1));
    __m128i eights = _mm_madd_epi16(_mm_packs_epi32(fours, fours),
                                    _mm_setr_epi16(10000, 1, 10000, 1, 10000, 1, 10000, 1));
    uint64_t high = (uint32_t)_mm_cvtsi128_si32(eights);
    uint64_t low = (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(eights, 4));
    return high * 100000000ULL + low;
}
#endif

/* The value of the token s[0 .. len) (len >= 1; no separator in it; the bytes are
 * begin .. end). FW_OK: *value is the correctly rounded double; FW_INEXACT: a plain
 * decimal outside the exact fast path; FW_GRAMMAR: not a plain decimal.
 *
 * A token of at most 16 bytes after an optional sign, digits with at most one '.', is
 * read at once, with no branch on the digits themselves (a loop per digit mispredicts
 * its exit at every value):
 *
 * - SSE2: the 16 bytes that end with the token (it is right-aligned: the weight of each
 *   position is fixed), bytes before it zeroed, the digits before the point moved up one
 *   byte over the point, then 16 digits converted by multiply-adds;
 * - elsewhere: the point cut out of the 16 bytes from the token on (128-bit shifts), the
 *   digits moved to the top and converted 8 at a time.
 *
 * Any other token goes to fw_parse_decimal_general, which gives the same result for the
 * tokens both read. */
static inline int fw_read_token(const unsigned char *s, size_t len, const unsigned char *begin,
                                const unsigned char *end, fw_value *value) {
    const unsigned char *stop;
    int kind;
    int neg = (s[0] == '-');
    int sign = neg | (s[0] == '+');
    const unsigned char *t = s + sign;
    int L = (int)len - sign;
#if defined(__SSE2__)
    (void)end;
    if (L >= 1 && L <= 16 && t + L - begin >= 16) {
        const __m128i iota = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        const unsigned char *w0 = t + L - 16;            /* the token ends at byte 15 */
        __m128i x = _mm_loadu_si128((const __m128i *)w0);
        __m128i mine = _mm_cmpgt_epi8(iota, _mm_set1_epi8((char)(15 - L)));
        __m128i d = _mm_sub_epi8(x, _mm_set1_epi8('0'));
        __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);  /* d <= 9 */
        unsigned nd = (unsigned)_mm_movemask_epi8(_mm_andnot_si128(digit, mine));
        int k2 = 0;
        d = _mm_and_si128(d, _mm_and_si128(mine, digit));   /* digit values, others 0 */
        if (nd != 0) {                                      /* one '.' (or not plain) */
            int P = fw_ctz64(nd);
            __m128i after;
            if ((nd & (nd - 1)) != 0 || w0[P] != '.' || L < 2)
                goto general;
            k2 = 15 - P;
            after = _mm_cmpgt_epi8(iota, _mm_set1_epi8((char)P));
            d = _mm_or_si128(_mm_and_si128(after, d), _mm_andnot_si128(after, _mm_slli_si128(d, 1)));
        }
        return fw_make(fw_sixteen_digits_sse2(d), -k2, neg, value);
    }
#else
    (void)begin;
    if (L >= 1 && L <= 16 && end - t >= 16) {
        unsigned nd = fw_nondigits16(t) & ((1u << L) - 1);
        int point, D;
        if (nd == 0) {
            point = L;                                  /* digits only */
            D = L;
        } else if ((nd & (nd - 1)) == 0 && L >= 2 && t[fw_ctz64(nd)] == '.') {
            point = fw_ctz64(nd);
            D = L - 1;
        } else {
            goto general;
        }
        {
#if defined(__SIZEOF_INT128__)
            unsigned __int128 x = (unsigned __int128)fw_load8(t)
                                  | (unsigned __int128)fw_load8(t + 8) << 64;
            /* cut the point out, if any (bytes after it move down one), then the D
             * digits to the top: bytes 16 - D .. 15 (the bytes after them fall out).
             * Without a point nothing is cut: point = 16 would shift by 128 bits */
            if (D < L) {
                unsigned __int128 below = ((unsigned __int128)1 << (8 * point)) - 1;
                x = (x & below) | ((x >> 8) & ~below);
            }
            x <<= 8 * (16 - D);
            return fw_make(fw_eight_digits((uint64_t)x) * 100000000ULL
                            + fw_eight_digits((uint64_t)(x >> 64)),
                            point - L + (D < L), neg, value);
#else
            int k2 = D - point;
            const unsigned char *f = t + point + 1;
            uint64_t w;
            if (end - f < 16)
                goto general;
            w = fw_digits16(fw_load8(t) - FW_ZEROS, fw_load8(t + 8) - FW_ZEROS, point)
                * fw_pow10_int[k2]
                + fw_digits16(fw_load8(f) - FW_ZEROS, fw_load8(f + 8) - FW_ZEROS, k2);
            return fw_make(w, -k2, neg, value);
#endif
        }
    }
#endif
general:
    kind = fw_parse_decimal_general(s, s + len, &stop, value);
    if (kind != FW_GRAMMAR && stop != s + len)      /* (a separator ends the token) */
        kind = FW_GRAMMAR;
    return kind;
}

/* fw_read_token with the double computed at once (*value is set where FW_OK) */
static inline int fw_parse_token(const unsigned char *s, size_t len, const unsigned char *begin,
                                 const unsigned char *end, double *value) {
    fw_value x;
    int kind = fw_read_token(s, len, begin, end, &x);
    if (kind == FW_OK)
        *value = fw_value_double(x);
    return kind;
}


/* ---- where the values are: a bitmap of the separators of 64 bytes at a time ---- */

#if defined(__SSE2__)
/* bit i: p[i] separates values (' ', \t \n \v \f \r), for 16 bytes */
static inline uint64_t fw_separators16(const unsigned char *p) {
    __m128i v = _mm_loadu_si128((const __m128i *)p);
    __m128i space = _mm_cmpeq_epi8(v, _mm_set1_epi8(' '));
    __m128i d = _mm_sub_epi8(v, _mm_set1_epi8(9));
    __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(4)), d);  /* d <= 4 */
    return (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_or_si128(space, control));
}

static inline uint64_t fw_separators64(const unsigned char *p) {
    return fw_separators16(p) | fw_separators16(p + 16) << 16
           | fw_separators16(p + 32) << 32 | fw_separators16(p + 48) << 48;
}
#else
/* 0x80 in each byte of v that separates values */
static inline uint64_t fw_separators8(uint64_t v) {
    const uint64_t L7 = 0x7F7F7F7F7F7F7F7FULL, H = 0x8080808080808080ULL;
    uint64_t x = v ^ 0x2020202020202020ULL;                       /* 0 where ' ' */
    uint64_t space = ~(((x & L7) + L7) | x) & H;
    uint64_t low = v & L7;                                        /* (no carry: < 0x80) */
    uint64_t ge9 = (low + 0x7777777777777777ULL) & H;             /* >= 9 */
    uint64_t ge14 = (low + 0x7272727272727272ULL) & H;            /* >= 14 */
    return space | (ge9 & ~ge14 & ~v & H);
}

static inline uint64_t fw_separators64(const unsigned char *p) {
    uint64_t bits = 0;
    int i;
    for (i = 0; i < 8; i++)
        bits |= (uint64_t)fw_compress8(fw_separators8(fw_load8(p + 8 * i))) << (8 * i);
    return bits;
}
#endif

typedef struct {
    const unsigned char *end;   /* end of the bytes */
    const unsigned char *blk;   /* the block of (up to) 64 bytes that sep describes */
    uint64_t sep;               /* bit i: blk[i] separates values, or lies at or after end */
} fw_scanner;

static inline void fw_scan_block(fw_scanner *sc, const unsigned char *blk) {
    sc->blk = blk;
    if (sc->end - blk >= 64) {
        sc->sep = fw_separators64(blk);
    } else {
        uint64_t bits = ~0ULL;
        int i, n = (int)(sc->end - blk);
        for (i = 0; i < n; i++)
            if (!fw_is_space(blk[i]))
                bits &= ~(1ULL << i);
        sc->sep = bits;
    }
}

static inline void fw_scan_init(fw_scanner *sc, const unsigned char *at,
                                const unsigned char *end) {
    sc->end = end;
    fw_scan_block(sc, at);
}

/* The first byte at or after p (p >= the current block) that is not a separator, or
 * end. */
static inline const unsigned char *fw_skip_separators(fw_scanner *sc, const unsigned char *p) {
    for (;;) {
        size_t off = (size_t)(p - sc->blk);
        if (off < 64) {
            uint64_t m = ~sc->sep & (~0ULL << off);
            if (m)
                return sc->blk + fw_ctz64(m);
            p = sc->blk + 64;              /* none in this block: on from the next one */
        }
        if (p >= sc->end)
            return sc->end;
        fw_scan_block(sc, p);
    }
}

/* The first separator at or after p (p >= the current block), or end. */
static inline const unsigned char *fw_next_separator(fw_scanner *sc, const unsigned char *p) {
    for (;;) {
        size_t off = (size_t)(p - sc->blk);
        if (off < 64) {
            uint64_t m = sc->sep & (~0ULL << off);
            if (m) {
                const unsigned char *q = sc->blk + fw_ctz64(m);
                return q < sc->end ? q : sc->end;
            }
            p = sc->blk + 64;              /* a token longer than the rest of the block */
        }
        if (p >= sc->end)
            return sc->end;
        fw_scan_block(sc, p);
    }
}

#endif
