# The structs the nogil training code sees, one per concern. They are filled once per
# job from Python (fastw2v.kernels.Model / Worker) while the GIL is held; the sentence
# loop reads nothing else.
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t

cdef enum:
    # Negative samples are drawn ahead through a ring of this many entries.
    NOISE_RING = 16
    # Rows that can wait for the next update pass to be prefetched (SoonC).
    SOON_MAX = 64
    # The weight matrices, as numbered in the reproducible mode's row maps.
    MAT_INPUT = 0
    MAT_HS = 1
    MAT_NS = 2


# ---- one training run (shared by all threads, read-only but for the weights) ----------

ctypedef struct ParamsC:
    int vocab_size
    int dim                       # floats per row that the loops run over: vector_size,
                                  # or ld where every matrix's padding is zero (Model)
    int64_t ld                    # row stride of the weights and of every row copy, in
                                  # floats (>= dim; the matrices' layout, see Model)
    int sg, hs, negative, cbow_mean, window, shrink_windows, compute_loss
    int shared_negatives          # sg: each window one batch (HogBatch; NS: one set of
                                  # negatives per centre word, HS: the centre's path)
    int reg_path                  # use fw_hs_path / fw_ns_set (AVX-512 variant, dim <= 128)
    int soon_rows                 # rows wanted soon wait in WorkerC.soon for the next
                                  # update pass (negative sampling, dim > 128, not
                                  # reg_path: see Model)
    int soon_noise                # and so do the noise words' rows (soon_rows, and every
                                  # word resolved during a set is used in a later set)

ctypedef struct WeightsC:
    # Shared by every thread without locks (Hogwild!, as the C tool and gensim).
    float *input_vectors          # [V, d], rows ld floats apart
    float *output_hs              # [V, d] inner-node vectors, or NULL
    float *output_ns              # [V, d] output word vectors, or NULL
    const float *lockf            # [lockf_len] gensim's vectors_lockf: an input row's update
    int64_t lockf_len             # is scaled by lockf[row % lockf_len]; NULL: all 1

ctypedef struct TablesC:
    const uint64_t *keep_threshold    # [V] keep if 32 random bits < threshold; NULL: keep all
    const uint32_t *path          # Huffman paths (CSR): (inner node << 1) | code bit, one
                                  # array so that a path costs one cache miss, not two
    const int64_t *code_offsets   # [V + 1]: word w's path is path[code_offsets[w]:...[w + 1]]
    int64_t max_code_len          # longest path
    const uint64_t *alias         # [V] noise alias table, packed: (alias << 32) | threshold
    const float *sigmoid          # [EXP_TABLE_SIZE]

ctypedef struct ScheduleC:
    double start_alpha
    double end_alpha
    int64_t total_words           # progress at which alpha reaches end_alpha
    int64_t *progress             # shared counter (relaxed atomics)

ctypedef struct ModelC:
    ParamsC p
    WeightsC w
    TablesC t
    ScheduleC s


# ---- one thread ------------------------------------------------------------------------

ctypedef struct NoiseC:
    # Negative samples: a random stream of their own, drawn ahead so that the alias entry
    # and then the output row are in cache when the word is used.
    uint64_t rng
    uint64_t raw[NOISE_RING]      # raw draws t+RESOLVE_AHEAD+1 .. t+DRAW_AHEAD
    int32_t word[NOISE_RING]      # resolved words t .. t+RESOLVE_AHEAD
    int64_t t                     # index of the next noise word to hand out

ctypedef struct SoonC:
    # Rows the next set or window will use, prefetched a cache line at a time by the next
    # update pass (vecmath.h, fw_soon_lines) instead of all at once when they become
    # known; when full, a row is prefetched at once, as before.
    const float *rows[SOON_MAX]
    int n

ctypedef struct ScratchC:
    float *neu1                   # [d] CBOW hidden layer
    float *neu1e                  # [d] accumulated error for the input side
    int32_t *sentence             # [MAX_SENTENCE] kept words of the current sentence
    float *ctx_err                # [2 * window, d] shared-negative mode: input-side errors
    float *scores                 # [2 * window, max(negative + 1, max_code_len)] shared-
                                  # negative mode: the window's scores, then gradients
    int32_t *targets              # [negative + 1] the words of the NS set being trained;
                                  # shared-negative mode: the distinct targets
    float *target_count           # [negative + 1] and how often each was drawn
    float **ctx_rows              # [2 * window] CBOW: the window's input rows; shared-
                                  # negative mode: the distinct contexts'
    int32_t *ctx_words            # [2 * window] input rows, their words,
    float *ctx_count              # [2 * window] how often each is in the window
    float *ctx_scale              # [2 * window] and their lockf factors (CBOW too)
    float **path_rows             # [max(max_code_len, negative + 1)] rows of the Huffman
                                  # path or negative-sampling targets being trained
    float *grads                  # [max(max_code_len, negative + 1)] their scores, then
                                  # their gradients

# Row policy of the lock-free mode: every row is shared, except the hot rows of each
# matrix (rows lo .. lo + n - 1: the most frequent words' input and output rows, and the
# Huffman nodes nearest the root), which every thread writes so often that cores would
# fight over their cache lines. A thread works on its own copy of a hot row, taken at
# first touch; the copy's change is added to the shared row after each merge_every
# trained centre words, and at a job's end.
ctypedef struct HotSetC:
    int n                         # hot rows: lo .. lo + n - 1
    int32_t lo
    float *priv                   # [n, d] this thread's copies
    float *snap                   # [n, d] the shared rows when the copies were taken
    uint8_t *seen                 # [n] 1 once copied since the last merge
    int32_t *touched              # [n] the rows copied since the last merge
    int count

ctypedef struct SharedRowsC:
    HotSetC hot[3]                # per matrix (MAT_*)
    int64_t merge_every
    int64_t since_merge           # centre words trained since the last merge

# Row policy of the reproducible mode: every row this thread writes lives in a private
# copy until merge_private_rows folds the copies in, in a fixed order.
ctypedef struct PrivateRowsC:
    int32_t *slot_of[3]           # [V] per matrix (MAT_*): slot of a row, or -1
    float **pages                 # slot s is pages[s >> PAGE_BITS] + (s & PAGE_MASK) * d
    int64_t n_pages
    int32_t *slot_row             # [slot capacity] row of each slot
    uint8_t *slot_matrix          # [slot capacity] matrix of each slot
    int32_t *slot_uses            # [slot capacity] times the job asked for the slot's row
    int64_t n_slots, slot_cap
    int out_of_memory
    int64_t progress_base         # schedule position of this job's start
    int schedule_threads          # alpha = f(progress_base + threads * words read here)

ctypedef struct StatsC:
    double loss                   # sum of objective values (float64)
    int64_t loss_examples         # (input, output word) examples counted in `loss`
    int64_t words_read            # in-vocabulary words read
    int64_t words_trained         # words kept after down-sampling

ctypedef struct WorkerC:
    char pad_front[64]            # keep other threads' data off this struct's cache lines
    uint64_t rng                  # windows and down-sampling
    NoiseC noise
    SoonC soon
    ScratchC scratch
    int reproducible              # which row policy train() runs: private (1) or shared
    SharedRowsC shared
    PrivateRowsC private
    StatsC stats
    char pad_back[64]             # (the counters above are written for every pair)

# The row policy is a compile-time choice: the sentence loop is specialised for each, so
# no row access asks which mode it is in.
ctypedef fused RowsT:
    SharedRowsC
    PrivateRowsC
