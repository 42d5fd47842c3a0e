/* Phrase detection on UTF-8 bytes: a table of byte keys (unigrams and joined phrases)
 * with int64 counts or float64 scores, and the two passes over a sentence's tokens:
 * learning (counting unigrams and candidate phrases) and applying (joining the phrases
 * left to right). Tokens come either from corpus bytes (split by fw_next_token, the
 * corpus reader's str.split()-exact tokenizer) or from Python strings' UTF-8 buffers.
 *
 * Keys are hashed (fwp_hash) over their bytes, whether they are one token or several
 * joined by the delimiter: gensim keys its vocabulary by the joined string, so a token
 * "new_york" and the pair "new" "york" share one entry, and the table must do the same
 * to give the same counts.
 */
#ifndef FASTW2V_PHRASES_H
#define FASTW2V_PHRASES_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* the corpus reader's tokenizer and hash; its counting and encoding functions are not
 * used here */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#endif
#include "../corpus/_tokenize.h"
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

/* Hash of a key's bytes, eight at a time. Keys are mostly a few words joined, and every
 * candidate's key is hashed once per word read, so this is on the hot path; the corpus
 * reader's byte-at-a-time FNV would cost a dependent multiplication per byte. Only the
 * table uses it (hashes are never saved: a loaded table hashes its keys again). */
static inline uint64_t fwp_hash(const uint8_t *p, int64_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ULL;
        h ^= h >> 31;
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t w = 0;
        for (int64_t i = 0; i < n; i++) w |= (uint64_t)p[i] << (8 * i);
        h = (h ^ w) * 0x94D049BB133111EBULL;
        h ^= h >> 29;
    }
    return fw_hash_finish(h);
}

/* ---------------------------------------------------------------------- the table -- */

typedef struct {
    uint32_t id1;             /* entry id + 1; 0 marks an empty slot */
    uint32_t tag;             /* the key hash's upper 32 bits: most misses stop here */
} fwp_slot;

/* A key's first bytes are kept in its entry too: most keys (a word, a pair of short
 * words) fit, and then a lookup reads the slot and the entry, two cache lines, instead of
 * also the key in the pool. */
#define FWP_HEAD 12

typedef struct {
    int64_t value;            /* a count, or a score's bits (fwp_get_score) */
    int64_t off;              /* the key is pool[off : off + len] */
    uint32_t len;
    uint8_t head[FWP_HEAD];   /* the key's first min(len, FWP_HEAD) bytes */
} fwp_entry;                  /* 32 bytes: two to a cache line */

typedef struct {
    fwp_slot *slots;
    uint64_t mask;            /* slots - 1; slots is a power of two */
    fwp_entry *entries;       /* in insertion order, which pruning keeps */
    int64_t n, cap;
    uint8_t *pool;
    int64_t pool_len, pool_cap;
} fwp_table;

static inline int64_t fwp_key_len(const fwp_table *t, int64_t i) {
    return t->entries[i].len;
}

/* Is entry e's key p[0:n]? */
static inline int fwp_key_equal(const fwp_table *t, const fwp_entry *e, const uint8_t *p,
                                int64_t n) {
    if ((int64_t)e->len != n) return 0;
    if (n <= FWP_HEAD) return memcmp(e->head, p, (size_t)n) == 0;
    return memcmp(e->head, p, FWP_HEAD) == 0 &&
           memcmp(t->pool + e->off + FWP_HEAD, p + FWP_HEAD, (size_t)(n - FWP_HEAD)) == 0;
}

static inline const uint8_t *fwp_key(const fwp_table *t, int64_t i) {
    return t->pool + t->entries[i].off;
}

static inline double fwp_get_score(const fwp_table *t, int64_t i) {
    double d;
    memcpy(&d, &t->entries[i].value, sizeof d);
    return d;
}

static inline void fwp_set_score(fwp_table *t, int64_t i, double d) {
    memcpy(&t->entries[i].value, &d, sizeof d);
}

static void fwp_free(fwp_table *t) {
    free(t->slots);
    free(t->entries);
    free(t->pool);
    memset(t, 0, sizeof *t);
}

/* Put every entry into a fresh slot array of `nslots` (a power of two). 0, or -1 when
 * out of memory (the table is then unchanged). */
static int fwp_rebuild_slots(fwp_table *t, uint64_t nslots) {
    fwp_slot *s = (fwp_slot *)calloc(nslots, sizeof(fwp_slot));
    if (!s) return -1;
    uint64_t mask = nslots - 1;
    for (int64_t i = 0; i < t->n; i++) {
        /* hashes are not stored: the keys are read in order, which is cheap */
        uint64_t h = fwp_hash(t->pool + t->entries[i].off, t->entries[i].len), k = h & mask;
        while (s[k].id1) k = (k + 1) & mask;
        s[k].id1 = (uint32_t)(i + 1);
        s[k].tag = (uint32_t)(h >> 32);
    }
    free(t->slots);
    t->slots = s;
    t->mask = mask;
    return 0;
}

/* 0, or -1 when out of memory. `expect`: entries to make room for. */
static int fwp_init(fwp_table *t, int64_t expect) {
    memset(t, 0, sizeof *t);
    uint64_t nslots = 1 << 10;
    while ((double)nslots * 0.7 < (double)expect) nslots <<= 1;
    t->cap = expect > 256 ? expect : 256;
    t->pool_cap = 8 * t->cap;
    t->entries = (fwp_entry *)malloc(t->cap * sizeof(fwp_entry));
    t->pool = (uint8_t *)malloc(t->pool_cap);
    if (!t->entries || !t->pool || fwp_rebuild_slots(t, nslots) < 0) {
        fwp_free(t);
        return -1;
    }
    return 0;
}

/* Id of the key p[0:n] with hash h, or -1. */
static inline int64_t fwp_find(const fwp_table *t, const uint8_t *p, int64_t n, uint64_t h) {
    uint64_t k = h & t->mask;
    uint32_t tag = (uint32_t)(h >> 32);
    for (;;) {
        fwp_slot s = t->slots[k];
        if (!s.id1) return -1;
        if (s.tag == tag) {
            int64_t i = (int64_t)s.id1 - 1;
            if (fwp_key_equal(t, &t->entries[i], p, n)) return i;
        }
        k = (k + 1) & t->mask;
    }
}

/* Append the key p[0:n] (not in the table) with `value`; its id, or -1 when out of
 * memory or full. */
static int64_t fwp_insert(fwp_table *t, const uint8_t *p, int64_t n, uint64_t h, int64_t value) {
    if (t->n >= (int64_t)UINT32_MAX - 1 || n > (int64_t)UINT32_MAX) return -1;
    if ((double)(t->n + 1) > 0.7 * (double)(t->mask + 1)) {
        if (fwp_rebuild_slots(t, 2 * (t->mask + 1)) < 0) return -1;
    }
    if (t->n + 1 > t->cap) {
        int64_t cap = 2 * t->cap;
        fwp_entry *e = (fwp_entry *)realloc(t->entries, cap * sizeof(fwp_entry));
        if (!e) return -1;
        t->entries = e;
        t->cap = cap;
    }
    {
        void *pool = t->pool;
        if (fw_reserve_bytes(&pool, &t->pool_cap, t->pool_len + n, 4096) < 0) return -1;
        t->pool = (uint8_t *)pool;
    }
    int64_t i = t->n++;
    if (n) memcpy(t->pool + t->pool_len, p, (size_t)n);
    t->entries[i].off = t->pool_len;
    t->entries[i].len = (uint32_t)n;
    memset(t->entries[i].head, 0, FWP_HEAD);
    if (n) memcpy(t->entries[i].head, p, (size_t)(n < FWP_HEAD ? n : FWP_HEAD));
    t->entries[i].value = value;
    t->pool_len += n;
    uint64_t k = h & t->mask;
    while (t->slots[k].id1) k = (k + 1) & t->mask;
    t->slots[k].id1 = (uint32_t)(i + 1);
    t->slots[k].tag = (uint32_t)(h >> 32);
    return i;
}

/* Add `inc` to the count of p[0:n] (inserting it at `inc`); its id, or -1 when out of memory. */
static inline int64_t fwp_add(fwp_table *t, const uint8_t *p, int64_t n, uint64_t h, int64_t inc) {
    int64_t i = fwp_find(t, p, n, h);
    if (i >= 0) {
        t->entries[i].value += inc;
        return i;
    }
    return fwp_insert(t, p, n, h, inc);
}

/* Drop every entry whose count is below `keep_min`, keeping the others in their order,
 * and release the memory the table no longer needs. 0, or -1 when out of memory. */
static int fwp_prune(fwp_table *t, int64_t keep_min) {
    int64_t m = 0, pos = 0;
    for (int64_t i = 0; i < t->n; i++) {
        if (t->entries[i].value < keep_min) continue;
        int64_t len = fwp_key_len(t, i), off = t->entries[i].off;
        /* keys move only towards the pool's start, and in order, so memmove is safe */
        if (len) memmove(t->pool + pos, t->pool + off, (size_t)len);
        t->entries[m] = t->entries[i];
        t->entries[m].off = pos;
        pos += len;
        m++;
    }
    t->n = m;
    t->pool_len = pos;
    uint64_t nslots = 1 << 10;
    while ((double)nslots * 0.7 < (double)(m + 1)) nslots <<= 1;
    /* shrink the arrays too, so that pruning bounds the memory held, not only the count */
    int64_t cap = m > 256 ? m + m / 4 : 256, pool_cap = pos > 4096 ? pos + pos / 4 : 4096;
    if (cap < t->cap) {
        fwp_entry *e = (fwp_entry *)realloc(t->entries, cap * sizeof(fwp_entry));
        if (e) {
            t->entries = e;
            t->cap = cap;
        }
    }
    if (pool_cap < t->pool_cap) {
        uint8_t *np_ = (uint8_t *)realloc(t->pool, pool_cap);
        if (np_) {
            t->pool = np_;
            t->pool_cap = pool_cap;
        }
    }
    return fwp_rebuild_slots(t, nslots);
}

/* ------------------------------------------------------- the candidate being built -- */

/* The start of a candidate phrase and the connector words after it, joined by the
 * delimiter in `buf` (so the candidate's key is buf + delimiter + the next word), with
 * each token's place in `buf` to write them out one by one when no phrase forms. */
typedef struct {
    uint8_t *buf;
    int64_t len, cap;
    int64_t *starts, *ends;   /* token k is buf[starts[k]:ends[k]] */
    int64_t n_tok, tok_cap;
    uint64_t start_hash;      /* fwp_hash of token 0 */
    int64_t first_index;      /* token 0's position in its sentence (span output) */
    int has_start;
} fwp_pending;

static void fwp_pending_free(fwp_pending *q) {
    free(q->buf);
    free(q->starts);
    free(q->ends);
    memset(q, 0, sizeof *q);
}

static int fwp_reserve_bytes(fwp_pending *q, int64_t extra) {
    if (q->len + extra <= q->cap) return 0;
    int64_t cap = q->cap ? 2 * q->cap : 256;
    while (cap < q->len + extra) cap *= 2;
    uint8_t *b = (uint8_t *)realloc(q->buf, cap);
    if (!b) return -1;
    q->buf = b;
    q->cap = cap;
    return 0;
}

static int fwp_push_token(fwp_pending *q, const uint8_t *delim, int64_t dlen,
                          const uint8_t *p, int64_t n) {
    if (q->n_tok + 1 > q->tok_cap) {
        int64_t cap = q->tok_cap ? 2 * q->tok_cap : 16;
        int64_t *s = (int64_t *)realloc(q->starts, cap * sizeof(int64_t));
        if (!s) return -1;
        q->starts = s;
        int64_t *e = (int64_t *)realloc(q->ends, cap * sizeof(int64_t));
        if (!e) return -1;
        q->ends = e;
        q->tok_cap = cap;
    }
    if (fwp_reserve_bytes(q, dlen + n) < 0) return -1;
    if (q->n_tok) {
        memcpy(q->buf + q->len, delim, (size_t)dlen);
        q->len += dlen;
    }
    q->starts[q->n_tok] = q->len;
    if (n) memcpy(q->buf + q->len, p, (size_t)n);
    q->len += n;
    q->ends[q->n_tok++] = q->len;
    return 0;
}

/* The candidate restarts at token p[0:n]. */
static inline int fwp_restart(fwp_pending *q, const uint8_t *delim, int64_t dlen,
                              const uint8_t *p, int64_t n, uint64_t h, int64_t index) {
    q->len = 0;
    q->n_tok = 0;
    q->has_start = 1;
    q->start_hash = h;
    q->first_index = index;
    return fwp_push_token(q, delim, dlen, p, n);
}

/* Hash of the candidate's key (buf + delimiter + p[0:n]), left in buf[0:len + dlen + n]
 * without changing len: the caller reads the key there. -1 when out of memory. */
static inline int fwp_candidate_key(fwp_pending *q, const uint8_t *delim, int64_t dlen,
                                    const uint8_t *p, int64_t n, uint64_t *h) {
    if (fwp_reserve_bytes(q, dlen + n) < 0) return -1;
    memcpy(q->buf + q->len, delim, (size_t)dlen);
    if (n) memcpy(q->buf + q->len + dlen, p, (size_t)n);
    *h = fwp_hash(q->buf, q->len + dlen + n);
    return 0;
}

static inline int fwp_is_connector(const fwp_table *connectors, const uint8_t *p, int64_t n,
                                   uint64_t h) {
    return connectors && connectors->n && fwp_find(connectors, p, n, h) >= 0;
}

/* ------------------------------------------------------------------------ learning -- */

/* Counting is planned ahead in batches of steps (fwp_op), so that the table's memory for
 * a step is fetched while earlier steps run: the table is far larger than the caches,
 * and a lookup that waits for its slot, entry and key in turn spends most of its time
 * waiting. What is counted does not depend on the table, only on the tokens, so the plan
 * is exact; only pruning, when it happens, waits for the steps before it. */
enum { FWP_OP_COUNT = 0, FWP_OP_COUNT_LAST = 1, FWP_OP_END = 2 };

typedef struct {
    const uint8_t *p;         /* the key's bytes, or NULL: keys[off : off + n] */
    int64_t off, n;
    uint64_t h;
    int kind;                 /* FWP_OP_COUNT_LAST: a token's last count (pruning may follow) */
} fwp_op;

#define FWP_BATCH 1024        /* steps planned before they run */
#define FWP_AHEAD 16           /* steps between fetching a slot, its entry, its key, counting */

#if defined(__GNUC__) || defined(__clang__)
#define FWP_PREFETCH(addr) __builtin_prefetch((const void *)(addr), 1, 3)
#else
#define FWP_PREFETCH(addr) ((void)0)
#endif

typedef struct {
    fwp_table *vocab;                /* counts of unigrams and candidate phrases */
    const fwp_table *connectors;     /* NULL: none */
    const uint8_t *delim;
    int64_t dlen;
    int64_t max_vocab_size;
    int64_t min_reduce;              /* the next pruning drops counts below this (gensim) */
    int prune_at_or_below;           /* the C tool: drop counts <= min_reduce instead */
    int across_lines;                /* the C tool: a line's end does not end a candidate */
    int64_t total_words, sentences, prunings;
    fwp_pending q;
    fwp_op *ops;                     /* the planned steps */
    int64_t n_ops, ops_cap;
    uint8_t *keys;                   /* the planned candidates' keys */
    int64_t keys_len, keys_cap;
} fwp_learner;

static void fwp_learner_free_buffers(fwp_learner *L) {
    fwp_pending_free(&L->q);
    free(L->ops);
    free(L->keys);
    L->ops = NULL;
    L->keys = NULL;
    L->n_ops = L->ops_cap = L->keys_len = L->keys_cap = 0;
}

static int fwp_learner_prune(fwp_learner *L) {
    if (fwp_prune(L->vocab, L->min_reduce + (L->prune_at_or_below ? 1 : 0)) < 0) return -1;
    L->min_reduce++;
    L->prunings++;
    return 0;
}

static int fwp_plan_reserve(fwp_learner *L, int64_t ops, int64_t bytes) {
    if (L->n_ops + ops > L->ops_cap) {
        int64_t cap = L->ops_cap ? 2 * L->ops_cap : FWP_BATCH + 64;
        while (cap < L->n_ops + ops) cap *= 2;
        fwp_op *o = (fwp_op *)realloc(L->ops, cap * sizeof(fwp_op));
        if (!o) return -1;
        L->ops = o;
        L->ops_cap = cap;
    }
    if (L->keys_len + bytes > L->keys_cap) {
        int64_t cap = L->keys_cap ? 2 * L->keys_cap : 1 << 16;
        while (cap < L->keys_len + bytes) cap *= 2;
        uint8_t *k = (uint8_t *)realloc(L->keys, cap);
        if (!k) return -1;
        L->keys = k;
        L->keys_cap = cap;
    }
    return 0;
}

/* Plan the counts of one token (p[0:n] must stay valid until fwp_run_ops): a token that
 * is not a connector word counts as a unigram and, after the previous such token of its
 * sentence and the connector words between them, as a candidate. 0, or -1 when out of
 * memory. */
static int fwp_plan_token(fwp_learner *L, const uint8_t *p, int64_t n, uint64_t h) {
    fwp_pending *q = &L->q;
    L->total_words++;
    if (fwp_is_connector(L->connectors, p, n, h)) {
        if (q->has_start) return fwp_push_token(q, L->delim, L->dlen, p, n);
        return 0;
    }
    int64_t key_len = q->has_start ? q->len + L->dlen + n : 0;
    if (fwp_plan_reserve(L, 2, key_len) < 0) return -1;
    fwp_op *o = L->ops + L->n_ops++;
    o->p = p;
    o->n = n;
    o->h = h;
    o->kind = q->has_start ? FWP_OP_COUNT : FWP_OP_COUNT_LAST;
    if (q->has_start) {
        uint8_t *k = L->keys + L->keys_len;
        memcpy(k, q->buf, (size_t)q->len);
        memcpy(k + q->len, L->delim, (size_t)L->dlen);
        if (n) memcpy(k + q->len + L->dlen, p, (size_t)n);
        o = L->ops + L->n_ops++;
        o->p = NULL;
        o->off = L->keys_len;
        o->n = key_len;
        o->h = fwp_hash(k, key_len);
        o->kind = FWP_OP_COUNT_LAST;
        L->keys_len += key_len;
    }
    return fwp_restart(q, L->delim, L->dlen, p, n, h, 0);
}

/* Plan a sentence's end: the next token starts afresh (unless counting as the C tool). */
static int fwp_plan_end_sentence(fwp_learner *L) {
    if (!L->across_lines) {
        L->q.has_start = 0;
        L->q.n_tok = 0;
        L->q.len = 0;
    }
    if (fwp_plan_reserve(L, 1, 0) < 0) return -1;
    fwp_op *o = L->ops + L->n_ops++;
    o->p = NULL;
    o->n = 0;
    o->h = 0;
    o->kind = FWP_OP_END;
    return 0;
}

static inline int fwp_run_op(fwp_learner *L, const fwp_op *o) {
    fwp_table *t = L->vocab;
    if (o->kind == FWP_OP_END) {
        /* gensim prunes after a sentence when the table holds more than max_vocab_size */
        L->sentences++;
        if (!L->across_lines && t->n > L->max_vocab_size) return fwp_learner_prune(L);
        return 0;
    }
    if (fwp_add(t, o->p ? o->p : L->keys + o->off, o->n, o->h, 1) < 0) return -1;
    if (o->kind == FWP_OP_COUNT_LAST) {
        /* a sentence (line) of unbounded length must not grow the table without bound
         * either: inside one, prune at twice the limit (the C tool, which reads one
         * stream, checks after every word against the limit itself) */
        int64_t limit = L->across_lines ? L->max_vocab_size
                        : (L->max_vocab_size > INT64_MAX / 2 ? INT64_MAX : 2 * L->max_vocab_size);
        if (t->n > limit) return fwp_learner_prune(L);
    }
    return 0;
}

/* Run the planned steps in order, fetching each step's slot, then its entry, then its
 * key FWP_AHEAD steps before the next stage needs them. The fetches are only hints: a
 * step that ran before (an insertion, a pruning) may have moved what a later step
 * fetched, which costs time, never correctness. 0, or -1 when out of memory. */
static int fwp_run_ops(fwp_learner *L) {
    const int64_t m = L->n_ops, D = FWP_AHEAD;
    const fwp_op *ops = L->ops;
    for (int64_t j = 0; j < m + 3 * D; j++) {
        fwp_table *t = L->vocab;
        if (j < m && ops[j].kind != FWP_OP_END) FWP_PREFETCH(&t->slots[ops[j].h & t->mask]);
        int64_t a = j - D, b = j - 2 * D, c = j - 3 * D;
        if (a >= 0 && a < m && ops[a].kind != FWP_OP_END) {
            fwp_slot s = t->slots[ops[a].h & t->mask];
            if (s.id1) FWP_PREFETCH(&t->entries[s.id1 - 1]);
        }
        if (b >= 0 && b < m && ops[b].kind != FWP_OP_END) {
            fwp_slot s = t->slots[ops[b].h & t->mask];
            if (s.id1 && s.tag == (uint32_t)(ops[b].h >> 32) &&
                t->entries[s.id1 - 1].len > FWP_HEAD)
                FWP_PREFETCH(t->pool + t->entries[s.id1 - 1].off + FWP_HEAD);
        }
        if (c >= 0 && fwp_run_op(L, ops + c) < 0) return -1;
    }
    L->n_ops = 0;
    L->keys_len = 0;
    return 0;
}

/* Count the tokens of data[0:n] (whole tokens, valid UTF-8), '\n' ending a sentence.
 * *open_line tells whether the current line has a token (it carries across calls).
 * 0, or -1 when out of memory. */
static int fwp_learn_bytes(fwp_learner *L, const uint8_t *data, int64_t n, int *open_line) {
    const uint8_t *p = data, *end = data + n, *start = NULL;
    int64_t len = 0;
    uint64_t h = 0;
    int kind;
    while ((kind = fw_next_token(&p, end, &start, &len, &h)) != 0) {
        if (kind == 2) {
            *open_line = 0;
            if (fwp_plan_end_sentence(L) < 0) return -1;
        } else {
            *open_line = 1;
            if (fwp_plan_token(L, start, len, fwp_hash(start, len)) < 0) return -1;
        }
        if (L->n_ops >= FWP_BATCH && fwp_run_ops(L) < 0) return -1;
    }
    return fwp_run_ops(L);
}

/* ------------------------------------------------------------------------- scoring -- */

enum {
    FWP_FROZEN = 0,      /* the table holds scores of the exported phrases */
    FWP_DEFAULT = 1,     /* gensim's original_scorer over counts */
    FWP_NPMI = 2,        /* gensim's npmi_scorer over counts */
    FWP_WORD2PHRASE = 3, /* word2phrase.c's score over counts, in float32 */
    FWP_CALLBACK = 4     /* a Python scorer over counts */
};

typedef double (*fwp_score_cb)(void *ctx, int64_t a, int64_t b, int64_t ab, int *err);

typedef struct {
    int kind;
    double threshold;
    double min_count;
    double len_vocab;            /* gensim's len(vocab) */
    double corpus_word_count;    /* words counted, connectors included */
    fwp_score_cb cb;             /* FWP_CALLBACK */
    void *cb_ctx;
} fwp_scorer;

/* gensim's original_scorer: (ab - min_count) / (a * b) * len_vocab, in double as Python
 * computes it (the product of the counts is exact in Python; here in int64, exact for
 * counts below 3e9). */
static inline double fwp_score_default(const fwp_scorer *s, int64_t a, int64_t b, int64_t ab) {
    int64_t denom = a * b;
    if (denom == 0) return -INFINITY;
    return ((double)ab - s->min_count) / (double)denom * s->len_vocab;
}

static inline double fwp_score_npmi(const fwp_scorer *s, int64_t a, int64_t b, int64_t ab) {
    if ((double)ab < s->min_count) return -INFINITY;
    double pa = (double)a / s->corpus_word_count, pb = (double)b / s->corpus_word_count;
    double pab = (double)ab / s->corpus_word_count;
    double r = pab / (pa * pb);
    if (!(r > 0.0) || !(pab > 0.0)) return -INFINITY;   /* Python: log() of <= 0 */
    return log(r) / -log(pab);
}

/* word2phrase.c: every count at least min_count (the tool drops smaller entries), then
 * (pab - min_count) / pa / pb * train_words in float32; 0 when not a candidate. */
static inline float fwp_score_word2phrase(const fwp_scorer *s, int64_t a, int64_t b, int64_t ab) {
    int64_t mc = (int64_t)s->min_count;
    if (a < mc || b < mc || ab < mc) return 0.0f;
    return (float)(ab - mc) / (float)a / (float)b * (float)s->corpus_word_count;
}

/* Score of a candidate from its counts (a, b, ab all found, > 0): 1 and *score set if it
 * is a phrase. */
static inline int fwp_judge_counts(const fwp_scorer *s, int64_t a, int64_t b, int64_t ab,
                                   double *score, int *err) {
    double sc;
    switch (s->kind) {
    case FWP_DEFAULT:
        sc = fwp_score_default(s, a, b, ab);
        break;
    case FWP_NPMI:
        sc = fwp_score_npmi(s, a, b, ab);
        break;
    case FWP_WORD2PHRASE: {
        float f = fwp_score_word2phrase(s, a, b, ab);
        *score = (double)f;
        return f > (float)s->threshold;
    }
    default:
        sc = s->cb(s->cb_ctx, a, b, ab, err);
        if (*err) return 0;
    }
    *score = sc;
    return !(sc <= s->threshold);    /* gensim rejects `score <= threshold` (NaN passes) */
}

/* ------------------------------------------------------------------------ applying -- */

enum { FWP_OUT_BYTES = 0, FWP_OUT_SPANS = 1 };

typedef struct {
    fwp_scorer s;
    const fwp_table *table;          /* counts (scored on the fly) or exported scores */
    const fwp_table *connectors;
    const uint8_t *delim;
    int64_t dlen;
    int out_mode;
    /* FWP_OUT_BYTES: the text, tokens separated by one space, lines by '\n' */
    uint8_t *out;
    int64_t out_len, out_cap;
    int line_open;
    /* FWP_OUT_SPANS: output token k is input tokens span[2k]..span[2k+1] (inclusive),
     * a phrase when they differ, with score[k] */
    int64_t *span;
    double *score;
    int64_t n_out, out_tok_cap;
    int64_t index;                   /* the next input token's position in its sentence */
    int64_t phrases;                 /* phrases formed */
    int64_t tokens;                  /* tokens read */
    int err;                         /* set by a failing callback */
    fwp_pending q;
} fwp_applier;

static void fwp_applier_free_buffers(fwp_applier *A) {
    free(A->out);
    free(A->span);
    free(A->score);
    fwp_pending_free(&A->q);
    A->out = NULL;
    A->span = NULL;
    A->score = NULL;
    A->out_len = A->out_cap = A->n_out = A->out_tok_cap = 0;
}

/* Forget a sentence or text left half-applied (an error or an exception stopped it):
 * the next token starts a new sentence, with no output pending. Buffers are kept. */
static void fwp_applier_restart(fwp_applier *A) {
    A->q.len = 0;
    A->q.n_tok = 0;
    A->q.has_start = 0;
    A->index = 0;
    A->n_out = 0;
    A->out_len = 0;
    A->line_open = 0;
    A->err = 0;
}

static int fwp_out_reserve(fwp_applier *A, int64_t extra) {
    void *out = A->out;
    if (fw_reserve_bytes(&out, &A->out_cap, A->out_len + extra, 1 << 16) < 0) return -1;
    A->out = (uint8_t *)out;
    return 0;
}

static int fwp_emit_bytes(fwp_applier *A, const uint8_t *p, int64_t n) {
    if (fwp_out_reserve(A, n + 1) < 0) return -1;
    if (A->line_open) A->out[A->out_len++] = ' ';
    if (n) memcpy(A->out + A->out_len, p, (size_t)n);
    A->out_len += n;
    A->line_open = 1;
    return 0;
}

static int fwp_emit_span(fwp_applier *A, int64_t first, int64_t last, double score) {
    if (A->n_out + 1 > A->out_tok_cap) {
        int64_t cap = A->out_tok_cap ? 2 * A->out_tok_cap : 64;
        int64_t *s = (int64_t *)realloc(A->span, 2 * cap * sizeof(int64_t));
        if (!s) return -1;
        A->span = s;
        double *d = (double *)realloc(A->score, cap * sizeof(double));
        if (!d) return -1;
        A->score = d;
        A->out_tok_cap = cap;
    }
    A->span[2 * A->n_out] = first;
    A->span[2 * A->n_out + 1] = last;
    A->score[A->n_out++] = score;
    return 0;
}

/* Write the pending tokens out one by one (no phrase formed) and forget them. */
static int fwp_flush_pending(fwp_applier *A) {
    fwp_pending *q = &A->q;
    if (!q->has_start) return 0;
    for (int64_t k = 0; k < q->n_tok; k++) {
        int rc = A->out_mode == FWP_OUT_BYTES
                     ? fwp_emit_bytes(A, q->buf + q->starts[k], q->ends[k] - q->starts[k])
                     : fwp_emit_span(A, q->first_index + k, q->first_index + k, NAN);
        if (rc < 0) return -1;
    }
    q->has_start = 0;
    q->n_tok = 0;
    q->len = 0;
    return 0;
}

/* Is buf + delimiter + p[0:n] (key hash kh) a phrase? */
static inline int fwp_judge(fwp_applier *A, const uint8_t *p, int64_t n, uint64_t h,
                            int64_t key_len, uint64_t kh, double *score) {
    const fwp_table *t = A->table;
    if (A->s.kind == FWP_FROZEN) {
        int64_t i = fwp_find(t, A->q.buf, key_len, kh);
        if (i < 0) return 0;
        *score = fwp_get_score(t, i);
        return *score > A->s.threshold;
    }
    int64_t ia = fwp_find(t, A->q.buf, A->q.ends[0] - A->q.starts[0], A->q.start_hash);
    if (ia < 0 || t->entries[ia].value <= 0) return 0;
    int64_t ib = fwp_find(t, p, n, h);
    if (ib < 0 || t->entries[ib].value <= 0) return 0;
    int64_t iab = fwp_find(t, A->q.buf, key_len, kh);
    if (iab < 0 || t->entries[iab].value <= 0) return 0;
    return fwp_judge_counts(&A->s, t->entries[ia].value, t->entries[ib].value,
                            t->entries[iab].value, score, &A->err);
}

/* Apply to one token (gensim's analyze_sentence, one step). 0, or -1 when out of
 * memory or when the callback failed (A->err). */
static int fwp_apply_token(fwp_applier *A, const uint8_t *p, int64_t n, uint64_t h) {
    fwp_pending *q = &A->q;
    int64_t index = A->index++;
    A->tokens++;
    if (fwp_is_connector(A->connectors, p, n, h)) {
        if (q->has_start) return fwp_push_token(q, A->delim, A->dlen, p, n);
        return A->out_mode == FWP_OUT_BYTES ? fwp_emit_bytes(A, p, n)
                                            : fwp_emit_span(A, index, index, NAN);
    }
    if (q->has_start) {
        uint64_t kh;
        double score = NAN;
        if (fwp_candidate_key(q, A->delim, A->dlen, p, n, &kh) < 0) return -1;
        int64_t key_len = q->len + A->dlen + n;
        int is_phrase = fwp_judge(A, p, n, h, key_len, kh, &score);
        if (A->err) return -1;
        if (is_phrase) {
            int rc;
            if (A->out_mode == FWP_OUT_BYTES) {
                rc = fwp_emit_bytes(A, q->buf, key_len);
            } else {
                rc = fwp_emit_span(A, q->first_index, index, score);
            }
            if (rc < 0) return -1;
            A->phrases++;
            q->has_start = 0;
            q->n_tok = 0;
            q->len = 0;
            return 0;
        }
        if (fwp_flush_pending(A) < 0) return -1;
    }
    /* gensim tests the start token for truth: an empty one is dropped, not a start */
    if (n == 0) return 0;
    return fwp_restart(q, A->delim, A->dlen, p, n, h, index);
}

static int fwp_apply_end_sentence(fwp_applier *A) {
    if (fwp_flush_pending(A) < 0) return -1;
    A->index = 0;
    if (A->out_mode == FWP_OUT_BYTES) {
        if (fwp_out_reserve(A, 1) < 0) return -1;
        A->out[A->out_len++] = '\n';
        A->line_open = 0;
    }
    return 0;
}

/* Apply to the tokens of data[0:n] (whole tokens, valid UTF-8), '\n' ending a sentence;
 * the result is appended to A->out. *open_line: as in fwp_learn_bytes. */
static int fwp_apply_bytes(fwp_applier *A, const uint8_t *data, int64_t n, int *open_line) {
    const uint8_t *p = data, *end = data + n, *start = NULL;
    int64_t len = 0;
    uint64_t h = 0;
    int kind;
    while ((kind = fw_next_token(&p, end, &start, &len, &h)) != 0) {
        if (kind == 2) {
            *open_line = 0;
            if (fwp_apply_end_sentence(A) < 0) return -1;
            continue;
        }
        *open_line = 1;
        if (fwp_apply_token(A, start, len, fwp_hash(start, len)) < 0) return -1;
    }
    return 0;
}

/* ----------------------------------------------------------------------- exporting -- */

/* gensim's export_phrases splits a key with str.split(delimiter): the first part ends
 * at the first occurrence, and the last part starts after the last occurrence found by
 * scanning left to right without overlaps. 0 when the key holds no delimiter. */
static inline int fwp_split_ends(const uint8_t *k, int64_t n, const uint8_t *d, int64_t dlen,
                                 int64_t *first_end, int64_t *last_start) {
    int found = 0;
    int64_t i = 0;
    while (i + dlen <= n) {
        if (k[i] == d[0] && memcmp(k + i, d, (size_t)dlen) == 0) {
            if (!found) *first_end = i;
            found = 1;
            i += dlen;
            *last_start = i;
        } else {
            i++;
        }
    }
    return found;
}

/* For entry i of the count table: 1 and the counts of its first and last part if it is
 * a candidate phrase gensim's export_phrases would score (both parts counted). */
static inline int fwp_export_counts(const fwp_table *t, int64_t i, const uint8_t *d, int64_t dlen,
                                    int64_t *a, int64_t *b) {
    const uint8_t *k = fwp_key(t, i);
    int64_t n = fwp_key_len(t, i), fe = 0, ls = 0;
    if (!fwp_split_ends(k, n, d, dlen, &fe, &ls)) return 0;
    int64_t ia = fwp_find(t, k, fe, fwp_hash(k, fe));
    if (ia < 0 || t->entries[ia].value <= 0) return 0;
    int64_t ib = fwp_find(t, k + ls, n - ls, fwp_hash(k + ls, n - ls));
    if (ib < 0 || t->entries[ib].value <= 0) return 0;
    *a = t->entries[ia].value;
    *b = t->entries[ib].value;
    return 1;
}

/* Every phrase of `counts` scoring above the threshold (built-in scorers), appended to
 * `out` (a score table) in the count table's order. The entries are taken in batches:
 * the slots of all their parts are fetched first, then looked up. 0, or -1 when out of
 * memory. */
#define FWP_EXPORT_BATCH 64
static int fwp_export(const fwp_table *counts, const fwp_scorer *s, const uint8_t *d,
                      int64_t dlen, fwp_table *out) {
    int err = 0;
    int64_t fe[FWP_EXPORT_BATCH], ls[FWP_EXPORT_BATCH];
    uint64_t ha[FWP_EXPORT_BATCH], hb[FWP_EXPORT_BATCH];
    int split[FWP_EXPORT_BATCH];
    for (int64_t i0 = 0; i0 < counts->n; i0 += FWP_EXPORT_BATCH) {
        int64_t m = counts->n - i0 < FWP_EXPORT_BATCH ? counts->n - i0 : FWP_EXPORT_BATCH;
        for (int64_t k = 0; k < m; k++) {
            const uint8_t *key = fwp_key(counts, i0 + k);
            int64_t n = fwp_key_len(counts, i0 + k);
            split[k] = counts->entries[i0 + k].value > 0 &&
                       fwp_split_ends(key, n, d, dlen, &fe[k], &ls[k]);
            if (!split[k]) continue;
            ha[k] = fwp_hash(key, fe[k]);
            hb[k] = fwp_hash(key + ls[k], n - ls[k]);
            FWP_PREFETCH(&counts->slots[ha[k] & counts->mask]);
            FWP_PREFETCH(&counts->slots[hb[k] & counts->mask]);
        }
        for (int64_t k = 0; k < m; k++) {
            if (!split[k]) continue;
            fwp_slot sa = counts->slots[ha[k] & counts->mask];
            fwp_slot sb = counts->slots[hb[k] & counts->mask];
            if (sa.id1) FWP_PREFETCH(&counts->entries[sa.id1 - 1]);
            if (sb.id1) FWP_PREFETCH(&counts->entries[sb.id1 - 1]);
        }
        for (int64_t k = 0; k < m; k++) {
            if (!split[k]) continue;
            int64_t i = i0 + k, n = fwp_key_len(counts, i), ab = counts->entries[i].value;
            const uint8_t *key = fwp_key(counts, i);
            int64_t ia = fwp_find(counts, key, fe[k], ha[k]);
            if (ia < 0 || counts->entries[ia].value <= 0) continue;
            int64_t ib = fwp_find(counts, key + ls[k], n - ls[k], hb[k]);
            if (ib < 0 || counts->entries[ib].value <= 0) continue;
            double score;
            if (!fwp_judge_counts(s, counts->entries[ia].value, counts->entries[ib].value, ab,
                                  &score, &err))
                continue;
            int64_t j = fwp_insert(out, key, n, fwp_hash(key, n), 0);
            if (j < 0) return -1;
            fwp_set_score(out, j, score);
        }
    }
    return 0;
}

#endif
