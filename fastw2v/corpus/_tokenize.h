/* Corpus-file encoding without Python objects: split UTF-8 bytes into tokens exactly as
 * Python's str.split() does, and map each token to its vocabulary id through an
 * open-addressing hash table over the words' UTF-8 bytes.
 *
 * Used by corpus.EncodedCorpus for strictly decoded files (the bytes were checked to be
 * valid UTF-8 first, so a word's bytes in the file equal its str's UTF-8 encoding).
 * Python's split is the reference: on str it creates one object and one dict look-up per
 * token; here a token costs a hash over its bytes and usually one probe.
 */
#ifndef FASTW2V_TOKENIZE_H
#define FASTW2V_TOKENIZE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Make the byte buffer *buf (of *cap bytes) hold at least `need` bytes, doubling its
 * size (from `first` when empty); the buffers of word pools and output grow this way.
 * 0, or -1 when out of memory (the buffer is then unchanged). */
static inline int fw_reserve_bytes(void **buf, int64_t *cap, int64_t need, int64_t first) {
    if (need <= *cap) return 0;
    int64_t c = *cap > 0 ? 2 * *cap : first;
    while (c < need) c *= 2;
    void *grown = realloc(*buf, (size_t)c);
    if (!grown) return -1;
    *buf = grown;
    *cap = c;
    return 0;
}

typedef struct {
    uint64_t mask;            /* slots - 1 (slots is a power of two, >= 2 x words) */
    int32_t *slot_word;       /* [slots] word id, or -1 for an empty slot */
    uint64_t *word_hash;      /* [words] */
    int64_t *word_off;        /* [words + 1] word i is pool[word_off[i]:word_off[i + 1]] */
    const char *pool;
} fw_vocab_table;

/* FNV-1a over the bytes, then a final mix so that the low bits used for the slot index
 * depend on every byte. */
static inline uint64_t fw_fnv_step(uint64_t h, uint8_t b) { return (h ^ b) * 0x100000001B3ULL; }
static inline uint64_t fw_hash_finish(uint64_t h) {
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    return h;
}
#define FW_FNV_START 0xCBF29CE484222325ULL

static inline uint64_t fw_hash_bytes(const uint8_t *p, int64_t n) {
    uint64_t h = FW_FNV_START;
    for (int64_t i = 0; i < n; i++) h = fw_fnv_step(h, p[i]);
    return fw_hash_finish(h);
}

/* Id of the token p[0:n], or -1. */
static inline int32_t fw_table_find(const fw_vocab_table *t, const uint8_t *p, int64_t n,
                                    uint64_t h) {
    uint64_t s = h & t->mask;
    for (;;) {
        int32_t w = t->slot_word[s];
        if (w < 0) return -1;
        if (t->word_hash[w] == h && t->word_off[w + 1] - t->word_off[w] == n &&
            memcmp(t->pool + t->word_off[w], p, (size_t)n) == 0)
            return w;
        s = (s + 1) & t->mask;
    }
}

/* Length of the whitespace character (as str.isspace() defines it) starting at p, or 0.
 * ASCII: \t \n \v \f \r, the separators 0x1C-0x1F, and space. Beyond ASCII, in UTF-8:
 * U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000. */
static inline int fw_space_len(const uint8_t *p, const uint8_t *end) {
    uint8_t c = p[0];
    if (c < 0x80) return (c == 0x20 || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F));
    if (c == 0xC2) return (end - p >= 2 && (p[1] == 0x85 || p[1] == 0xA0)) ? 2 : 0;
    if (c < 0xE1 || c > 0xE3 || end - p < 3) return 0;
    if (c == 0xE1) return (p[1] == 0x9A && p[2] == 0x80) ? 3 : 0;
    if (c == 0xE3) return (p[1] == 0x80 && p[2] == 0x80) ? 3 : 0;
    if (p[1] == 0x80)
        return ((p[2] >= 0x80 && p[2] <= 0x8A) || p[2] == 0xA8 || p[2] == 0xA9 || p[2] == 0xAF) ? 3 : 0;
    if (p[1] == 0x81) return p[2] == 0x9F ? 3 : 0;
    return 0;
}

/* The next token or newline of p[0:end]: returns 1 for a token (*start, *len and its
 * *hash set), 2 for '\n', 0 at the end. Other whitespace is skipped. */
static inline int fw_next_token(const uint8_t **pp, const uint8_t *end, const uint8_t **start,
                                int64_t *len, uint64_t *hash) {
    const uint8_t *p = *pp;
    while (p < end) {
        int sp = fw_space_len(p, end);
        if (!sp) break;
        if (*p == '\n') {
            *pp = p + 1;
            return 2;
        }
        p += sp;
    }
    if (p >= end) {
        *pp = p;
        return 0;
    }
    const uint8_t *s = p;
    uint64_t h = FW_FNV_START;
    while (p < end && !fw_space_len(p, end)) {
        h = fw_fnv_step(h, *p);
        p++;
    }
    *start = s;
    *len = p - s;
    *hash = fw_hash_finish(h);
    *pp = p;
    return 1;
}

/* Encode data[0:n] (which must not cut a token or a UTF-8 sequence at either end) into
 * `out`: the ids of tokens found in the table, -1 at each '\n'. `out` needs room for
 * n + 1 entries. Adds to *raw the number of tokens (found or not) and to *lines the
 * number of '\n'; *open_line tells whether a token was seen since the last '\n' (it
 * carries across calls). Returns the number of entries written. */
static int64_t fw_encode_bytes(const fw_vocab_table *t, const uint8_t *data, int64_t n,
                               int32_t *out, int64_t *raw, int64_t *lines, int *open_line) {
    const uint8_t *p = data, *end = data + n, *start = NULL;
    int64_t m = 0, len = 0;
    uint64_t h = 0;
    int kind;
    while ((kind = fw_next_token(&p, end, &start, &len, &h)) != 0) {
        if (kind == 2) {
            out[m++] = -1;
            (*lines)++;
            *open_line = 0;
            continue;
        }
        int32_t w = fw_table_find(t, start, len, h);
        if (w >= 0) out[m++] = w;
        (*raw)++;
        *open_line = 1;
    }
    return m;
}

/* ---- Counting: a table that grows as new words appear (ids in first-seen order). ---- */
typedef struct {
    fw_vocab_table t;
    int64_t *counts;
    int64_t n_words, cap_words, slots;
    char *pool;               /* t.pool points here */
    int64_t pool_len, pool_cap;
} fw_counter;

static void fw_counter_free(fw_counter *c) {
    free(c->t.slot_word);
    free(c->t.word_hash);
    free(c->t.word_off);
    free(c->counts);
    free(c->pool);
    memset(c, 0, sizeof *c);
}

/* 0, or -1 when out of memory (the counter is then freed). */
static int fw_counter_init(fw_counter *c) {
    memset(c, 0, sizeof *c);
    c->slots = 1 << 16;
    c->cap_words = 1 << 14;
    c->pool_cap = 1 << 18;
    c->t.mask = (uint64_t)c->slots - 1;
    c->t.slot_word = (int32_t *)malloc(c->slots * sizeof(int32_t));
    c->t.word_hash = (uint64_t *)malloc(c->cap_words * sizeof(uint64_t));
    c->t.word_off = (int64_t *)malloc((c->cap_words + 1) * sizeof(int64_t));
    c->counts = (int64_t *)malloc(c->cap_words * sizeof(int64_t));
    c->pool = (char *)malloc(c->pool_cap);
    if (!c->t.slot_word || !c->t.word_hash || !c->t.word_off || !c->counts || !c->pool) {
        fw_counter_free(c);
        return -1;
    }
    memset(c->t.slot_word, 0xFF, c->slots * sizeof(int32_t));
    c->t.word_off[0] = 0;
    c->t.pool = c->pool;
    return 0;
}

/* Empty the counter, keeping its memory (for the next block). */
static void fw_counter_clear(fw_counter *c) {
    memset(c->t.slot_word, 0xFF, c->slots * sizeof(int32_t));
    c->n_words = 0;
    c->pool_len = 0;
}

/* Add `count` occurrences of the word p[0:len] (hash h); a new word gets the next id.
 * 0, or -1 when out of memory. */
static int fw_counter_add_n(fw_counter *c, const uint8_t *p, int64_t len, uint64_t h,
                            int64_t count) {
    int32_t w = fw_table_find(&c->t, p, len, h);
    if (w >= 0) {
        c->counts[w] += count;
        return 0;
    }
    if (c->n_words >= INT32_MAX - 1) return -1;
    if (c->n_words + 1 > c->cap_words) {
        int64_t cap = 2 * c->cap_words;
        uint64_t *wh = (uint64_t *)realloc(c->t.word_hash, cap * sizeof(uint64_t));
        if (!wh) return -1;
        c->t.word_hash = wh;
        int64_t *wo = (int64_t *)realloc(c->t.word_off, (cap + 1) * sizeof(int64_t));
        if (!wo) return -1;
        c->t.word_off = wo;
        int64_t *cn = (int64_t *)realloc(c->counts, cap * sizeof(int64_t));
        if (!cn) return -1;
        c->counts = cn;
        c->cap_words = cap;
    }
    {
        void *pool = c->pool;
        if (fw_reserve_bytes(&pool, &c->pool_cap, c->pool_len + len, 1 << 18) < 0) return -1;
        c->pool = (char *)pool;
        c->t.pool = c->pool;
    }
    if (2 * (c->n_words + 1) > c->slots) {
        int64_t slots = 2 * c->slots;
        int32_t *sw = (int32_t *)malloc(slots * sizeof(int32_t));
        if (!sw) return -1;
        memset(sw, 0xFF, slots * sizeof(int32_t));
        free(c->t.slot_word);
        c->t.slot_word = sw;
        c->t.mask = (uint64_t)slots - 1;
        c->slots = slots;
        for (int64_t i = 0; i < c->n_words; i++) {
            uint64_t s = c->t.word_hash[i] & c->t.mask;
            while (sw[s] >= 0) s = (s + 1) & c->t.mask;
            sw[s] = (int32_t)i;
        }
    }
    w = (int32_t)c->n_words++;
    memcpy(c->pool + c->pool_len, p, (size_t)len);
    c->pool_len += len;
    c->t.word_off[w + 1] = c->pool_len;
    c->t.word_hash[w] = h;
    c->counts[w] = count;
    uint64_t s = h & c->t.mask;
    while (c->t.slot_word[s] >= 0) s = (s + 1) & c->t.mask;
    c->t.slot_word[s] = w;
    return 0;
}

static int fw_counter_add(fw_counter *c, const uint8_t *p, int64_t len, uint64_t h) {
    return fw_counter_add_n(c, p, len, h, 1);
}

/* Add the counts of `src` to `dst`, src's words in src's first-seen order: merging the
 * counters of consecutive blocks in block order gives the counter of the blocks read in
 * one pass (the same ids, first-seen order and counts). 0, or -1 when out of memory. */
static int fw_counter_merge(fw_counter *dst, const fw_counter *src) {
    for (int64_t i = 0; i < src->n_words; i++) {
        int64_t off = src->t.word_off[i];
        if (fw_counter_add_n(dst, (const uint8_t *)src->pool + off, src->t.word_off[i + 1] - off,
                             src->t.word_hash[i], src->counts[i]) < 0)
            return -1;
    }
    return 0;
}

/* ---- gensim's sentence count of a corpus file: LineSentence's sentences. ----
 * A line with tokens is one sentence per started FW_LINE_SENTENCE_WORDS tokens (gensim's
 * max_sentence_length); a line without tokens is none. The line ends are kept as
 * (first line, sentences after it, open line), so that the counts of consecutive blocks
 * counted apart compose exactly (fw_lines_merge). A line end is a '\n' or a file's end. */
#define FW_LINE_SENTENCE_WORDS 10000
typedef struct {
    int64_t sentences;        /* of the lines ended after the first one */
    int64_t head;             /* tokens of the first line ended (when first_ended) */
    int64_t line;             /* tokens since the last line end (or since the start) */
    int first_ended;
} fw_lines;

static inline int64_t fw_line_sentences(int64_t tokens) {
    return (tokens + FW_LINE_SENTENCE_WORDS - 1) / FW_LINE_SENTENCE_WORDS;
}

static inline void fw_lines_end(fw_lines *l) {
    if (l->first_ended) {
        l->sentences += fw_line_sentences(l->line);
    } else {
        l->head = l->line;
        l->first_ended = 1;
    }
    l->line = 0;
}

/* dst followed by src (counted from a fresh fw_lines) */
static inline void fw_lines_merge(fw_lines *dst, const fw_lines *src) {
    if (!src->first_ended) {
        dst->line += src->line;
        return;
    }
    dst->line += src->head;
    fw_lines_end(dst);
    dst->sentences += src->sentences;
    dst->line = src->line;
}

/* The sentences of the lines ended so far. */
static inline int64_t fw_lines_total(const fw_lines *l) {
    return l->sentences + (l->first_ended ? fw_line_sentences(l->head) : 0);
}

/* Count the tokens of data[0:n] (same cutting rules as fw_encode_bytes) and their line
 * ends into *lines. 0, or -1 when out of memory. */
static int fw_count_bytes(fw_counter *c, const uint8_t *data, int64_t n, int64_t *raw,
                          fw_lines *lines) {
    const uint8_t *p = data, *end = data + n, *start = NULL;
    int64_t len = 0;
    uint64_t h = 0;
    int kind;
    while ((kind = fw_next_token(&p, end, &start, &len, &h)) != 0) {
        if (kind == 2) {
            fw_lines_end(lines);
            continue;
        }
        if (fw_counter_add(c, start, len, h) < 0) return -1;
        (*raw)++;
        lines->line++;
    }
    return 0;
}

#endif
