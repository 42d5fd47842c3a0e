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
#include <string.h>

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

/* Insert word w (its bytes, offsets and hash already stored); returns 0, or 1 if an
 * equal word is already present (the earlier id is kept). */
static inline int fw_table_insert(fw_vocab_table *t, int32_t w) {
    const uint8_t *p = (const uint8_t *)t->pool + t->word_off[w];
    int64_t n = t->word_off[w + 1] - t->word_off[w];
    if (fw_table_find(t, p, n, t->word_hash[w]) >= 0) return 1;
    uint64_t s = t->word_hash[w] & t->mask;
    while (t->slot_word[s] >= 0) s = (s + 1) & t->mask;
    t->slot_word[s] = w;
    return 0;
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

/* Encode data[0:n] (which must not cut a token or a UTF-8 sequence at either end) into
 * `out`: the ids of tokens found in the table, -1 at each '\n'. `out` needs room for
 * n + 1 entries. Adds to *raw the number of tokens (found or not) and to *lines the
 * number of '\n'; *open_line tells whether a token was seen since the last '\n' (it
 * carries across calls). Returns the number of entries written. */
static int64_t fw_encode_bytes(const fw_vocab_table *t, const uint8_t *data, int64_t n,
                               int32_t *out, int64_t *raw, int64_t *lines, int *open_line) {
    const uint8_t *p = data, *end = data + n;
    int64_t m = 0, tokens = 0, newlines = 0;
    int open = *open_line;
    while (p < end) {
        int sp = fw_space_len(p, end);
        if (sp) {
            if (*p == '\n') {
                out[m++] = -1;
                newlines++;
                open = 0;
            }
            p += sp;
            continue;
        }
        const uint8_t *start = p;
        uint64_t h = FW_FNV_START;
        while (p < end && !fw_space_len(p, end)) {
            h = fw_fnv_step(h, *p);
            p++;
        }
        int32_t w = fw_table_find(t, start, p - start, fw_hash_finish(h));
        if (w >= 0) out[m++] = w;
        tokens++;
        open = 1;
    }
    *raw += tokens;
    *lines += newlines;
    *open_line = open;
    return m;
}

#endif
