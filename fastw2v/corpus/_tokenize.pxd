# The C tokenizer's declarations (see _tokenize.h): the word table, the counter, and
# the two passes over UTF-8 bytes.
from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t

cdef extern from "_tokenize.h" nogil:
    ctypedef struct fw_vocab_table:
        int64_t *word_off
    ctypedef struct fw_counter:
        fw_vocab_table t
        int64_t *counts
        const char *pool
        int64_t n_words
    uint64_t fw_hash_bytes(const uint8_t *p, int64_t n)
    int fw_counter_init(fw_counter *c)
    void fw_counter_free(fw_counter *c)
    int fw_counter_add(fw_counter *c, const uint8_t *p, int64_t len, uint64_t h)
    int fw_counter_merge(fw_counter *dst, const fw_counter *src)
    void fw_counter_clear(fw_counter *c)
    int64_t fw_encode_bytes(const fw_vocab_table *t, const uint8_t *data, int64_t n,
                            int32_t *out, int64_t *raw, int64_t *lines, int *open_line)
    ctypedef struct fw_lines:
        int64_t sentences
        int64_t head
        int64_t line
        int first_ended
    int FW_LINE_SENTENCE_WORDS
    int64_t fw_line_sentences(int64_t tokens)
    void fw_lines_end(fw_lines *l)
    void fw_lines_merge(fw_lines *dst, const fw_lines *src)
    int64_t fw_lines_total(const fw_lines *l)
    int fw_count_bytes(fw_counter *c, const uint8_t *data, int64_t n, int64_t *raw,
                       fw_lines *lines)
