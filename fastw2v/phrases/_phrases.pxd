# Declarations of the phrase engine in C (see _phrases.h): the key table, the learner
# and the applier.
from libc.stdint cimport int64_t, uint8_t, uint64_t

cdef extern from "_phrases.h" nogil:
    ctypedef struct fwp_entry:
        int64_t value
        int64_t off
    ctypedef struct fwp_table:
        uint64_t mask
        fwp_entry *entries
        int64_t n
        int64_t cap
        uint8_t *pool
        int64_t pool_len
        int64_t pool_cap
    ctypedef struct fwp_pending:
        int has_start

    uint64_t fwp_hash(const uint8_t *p, int64_t n)
    int fwp_init(fwp_table *t, int64_t expect)
    void fwp_free(fwp_table *t)
    int64_t fwp_key_len(const fwp_table *t, int64_t i)
    const uint8_t *fwp_key(const fwp_table *t, int64_t i)
    double fwp_get_score(const fwp_table *t, int64_t i)
    void fwp_set_score(fwp_table *t, int64_t i, double d)
    int64_t fwp_find(const fwp_table *t, const uint8_t *p, int64_t n, uint64_t h)
    int64_t fwp_insert(fwp_table *t, const uint8_t *p, int64_t n, uint64_t h, int64_t value)
    int64_t fwp_add(fwp_table *t, const uint8_t *p, int64_t n, uint64_t h, int64_t inc)
    int fwp_prune(fwp_table *t, int64_t keep_min)
    void fwp_pending_free(fwp_pending *q)

    ctypedef struct fwp_learner:
        fwp_table *vocab
        const fwp_table *connectors
        const uint8_t *delim
        int64_t dlen
        int64_t max_vocab_size
        int64_t min_reduce
        int prune_at_or_below
        int across_lines
        int64_t total_words
        int64_t sentences
        int64_t prunings
    void fwp_learner_free_buffers(fwp_learner *L)
    int fwp_plan_token(fwp_learner *L, const uint8_t *p, int64_t n, uint64_t h)
    int fwp_plan_end_sentence(fwp_learner *L)
    int fwp_run_ops(fwp_learner *L)
    int fwp_learn_bytes(fwp_learner *L, const uint8_t *data, int64_t n, int *open_line)

    enum:
        FWP_FROZEN
        FWP_DEFAULT
        FWP_NPMI
        FWP_WORD2PHRASE
        FWP_CALLBACK
        FWP_OUT_BYTES
        FWP_OUT_SPANS
    ctypedef double (*fwp_score_cb)(void *ctx, int64_t a, int64_t b, int64_t ab, int *err)
    ctypedef struct fwp_scorer:
        int kind
        double threshold
        double min_count
        double len_vocab
        double corpus_word_count
        fwp_score_cb cb
        void *cb_ctx
    int fwp_judge_counts(const fwp_scorer *s, int64_t a, int64_t b, int64_t ab,
                         double *score, int *err)

    ctypedef struct fwp_applier:
        fwp_scorer s
        const fwp_table *table
        const fwp_table *connectors
        const uint8_t *delim
        int64_t dlen
        int out_mode
        uint8_t *out
        int64_t out_len
        int line_open
        int64_t *span
        double *score
        int64_t n_out
        int64_t index
        int64_t phrases
        int64_t tokens
        int err
        fwp_pending q
    void fwp_applier_free_buffers(fwp_applier *A)
    void fwp_applier_restart(fwp_applier *A)
    int fwp_apply_token(fwp_applier *A, const uint8_t *p, int64_t n, uint64_t h)
    int fwp_apply_end_sentence(fwp_applier *A)
    int fwp_apply_bytes(fwp_applier *A, const uint8_t *data, int64_t n, int *open_line)

    int fwp_export_counts(const fwp_table *t, int64_t i, const uint8_t *d, int64_t dlen,
                          int64_t *a, int64_t *b)
    int fwp_export(const fwp_table *counts, const fwp_scorer *s, const uint8_t *d,
                   int64_t dlen, fwp_table *out)
