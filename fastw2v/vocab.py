"""Vocabulary: counting words (:class:`VocabBuilder`), the frozen result (:class:`Vocab`),
and the one reader and writer of ``word count`` vocabulary files
(:func:`read_word_counts`, :func:`write_word_counts`), used by models and by the
word2vec formats' ``fvocab``.

Counting follows the C tool: with ``max_vocab_size`` set, whenever the number of distinct
words exceeds it, every word whose count is <= ``min_reduce`` is dropped and
``min_reduce`` grows by one (so counts of pruned words are lost, as in the C tool).
The final vocabulary is sorted by descending count, and words with equal counts are
ordered as gensim 4 orders them: the one seen last in the corpus comes first (gensim
sorts with ``lexsort((-first_seen_index, -count))``). So ``index_to_key`` is gensim's, word
for word, and the order depends only on the corpus (never on ``PYTHONHASHSEED``). The C
tool keeps equal counts in first-seen order instead; only the order of ties differs.
"""
from __future__ import annotations

import numbers
import os
import re
from collections import Counter
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from .corpus import (ByteCounter, block_threads, check_sentence, iter_blocks,
                     iter_file_pieces, line_sentences, run_in_file_order)
from .errors import EmptyCorpusError, EmptyVocabularyError, VocabularyError


class Vocab:
    """A frozen vocabulary: words sorted by descending count (except after
    :func:`extend_vocab`, which appends new words after the existing ones).

    Attributes
    ----------
    words : list of str
        Index to word, most frequent first.
    counts : np.ndarray
        int64 [V] corpus counts, non-increasing.
    index : dict
        Word to index.
    total_words : int
        Tokens counted in the corpus, including words later dropped.
    n_sentences : int
        Sentences counted in the corpus.
    """

    def __init__(self, words: Sequence[str], counts, total_words: Optional[int] = None,
                 n_sentences: int = 0, require_sorted: bool = True):
        counts = np.asarray(counts, dtype=np.int64)
        if len(words) != len(counts):
            raise ValueError(f"{len(words)} words but {len(counts)} counts")
        if require_sorted and len(counts) and (np.any(counts[1:] > counts[:-1])):
            raise ValueError("Vocab counts must be sorted in descending order")
        if len(counts) and counts.min() < 0:
            raise ValueError("Vocab counts must be >= 0")
        self.words: List[str] = list(words)
        self.counts = counts
        self.counts.flags.writeable = False
        self.index: Dict[str, int] = {w: i for i, w in enumerate(self.words)}
        if len(self.index) != len(self.words):
            raise ValueError("Vocab words must be unique")
        self.total_words = int(self.counts.sum()) if total_words is None else int(total_words)
        self.n_sentences = int(n_sentences)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word) -> bool:
        return word in self.index

    @property
    def retained_words(self) -> int:
        """Number of corpus tokens that are in this vocabulary (sum of counts)."""
        return int(self.counts.sum())

    def keep_probabilities(self, sample: float) -> np.ndarray:
        """Probability of keeping each word under frequent-word down-sampling (float64 [V]).

        The C tool's formula ``(sqrt(f / (sample*T)) + 1) * (sample*T) / f`` with ``f`` the
        word's count and ``T`` the retained total, capped at 1; all ones if ``sample == 0``.
        """
        if sample <= 0 or len(self) == 0:
            return np.ones(len(self), dtype=np.float64)
        threshold = sample * self.retained_words
        f = self.counts.astype(np.float64)
        return np.minimum((np.sqrt(f / threshold) + 1.0) * threshold / f, 1.0)

    def save(self, path) -> None:
        """Write the C tool's vocabulary format: one ``word count`` line per word.

        Raises ``ValueError`` (before writing anything) for a word that the format cannot
        hold: empty, or containing ASCII whitespace (possible with ``sentences=`` lists).
        """
        for word in self.words:
            check_vocab_word(word)
        with open(path, "wb") as fh:
            write_word_counts(fh, self.words, self.counts.tolist())


class VocabBuilder:
    """Count words from token lists or text files, then :meth:`finalize` into a :class:`Vocab`."""

    def __init__(self, max_vocab_size: Optional[int] = None, trim_rule=None):
        self.max_vocab_size = max_vocab_size
        #: consulted while pruning (``max_vocab_size``), as gensim does: a word the rule
        #: keeps survives pruning, one it discards is pruned whatever its count
        self.trim_rule = trim_rule
        self.counter: Counter = Counter()
        #: the counter's order is a ranking to keep among equal counts (a vocabulary
        #: file's order, as the C tool keeps it), not the order words were first seen
        self.ranked = False
        self.total_words = 0
        self.n_sentences = 0
        self.min_reduce = 1
        self._live = None           # the C counter of a file being counted

    def _maybe_prune(self) -> None:
        if self.max_vocab_size is not None and len(self.counter) > self.max_vocab_size:
            # _keep(w, c, limit + 1) is "count > limit" (the C tool) unless trim_rule decides
            limit, rule = self.min_reduce, self.trim_rule
            self.counter = Counter({w: c for w, c in self.counter.items()
                                    if _keep(w, c, limit + 1, rule)})
            self.min_reduce += 1

    def add_tokens(self, tokens: List[str], ends_sentence: bool = True) -> None:
        self.counter.update(tokens)
        self.total_words += len(tokens)
        self.n_sentences += bool(ends_sentence)
        self._maybe_prune()

    def add_sentences(self, sentences: Iterable, progress=None,
                      progress_per: int = 10000) -> "VocabBuilder":
        """Count token lists. ``progress(builder)`` (optional) is called every
        ``progress_per`` sentences."""
        for i, sentence in enumerate(sentences):
            check_sentence(sentence, i)
            self.add_tokens(sentence)
            if progress is not None and i % progress_per == 0:
                progress(self)
        return self

    @property
    def distinct(self) -> int:
        """Distinct words counted so far (for progress reports)."""
        return self._live.distinct if self._live is not None else len(self.counter)

    def add_file(self, source, unicode_errors: str = "strict", progress=None,
                 progress_per: int = 10000, threads: int = 1) -> "VocabBuilder":
        """Count a text file (or directory of them); ``progress`` as in :meth:`add_sentences`
        (called once per block of the file in the fast path).

        Strictly decoded files without ``max_vocab_size`` pruning are counted in C on the
        checked bytes (:class:`fastw2v.corpus.ByteCounter`, 4-5x faster), by ``threads``
        threads at once; otherwise token lists are counted in Python.
        """
        if unicode_errors == "strict" and self.max_vocab_size is None:
            return self._add_file_bytes(source, progress, threads)
        line = 0            # tokens of the line being read
        for i, (tokens, ends) in enumerate(iter_file_pieces(source, unicode_errors)):
            # a file's lines count as gensim's LineSentence yields them (the C pass's
            # ByteCounter.sentences): long ones as several sentences, empty ones as none
            line += len(tokens)
            self.add_tokens(tokens, False)
            if ends:
                self.n_sentences += line_sentences(line)
                line = 0
            if progress is not None and i % progress_per == 0:
                progress(self)
        return self

    def _add_file_bytes(self, source, progress, threads: int) -> "VocabBuilder":
        """The C pass. With several threads each block is counted by a counter of its own
        on a worker thread, and the blocks' counters are merged into the file's in file
        order (:meth:`ByteCounter.merge`): the same words, order and counts as one pass.
        At most ``threads + 1`` blocks are in flight (threads: no more than the usable
        CPUs), and their counters are reused from block to block: made afresh for each,
        their tables churned the heap and left 1-4 MB more resident while training."""
        counter = ByteCounter()
        base_words, base_sentences = self.total_words, self.n_sentences
        self._live = counter
        threads = block_threads(threads)

        def counted(ends_file: bool) -> None:
            if ends_file:
                counter.end_file()
            self.total_words = base_words + counter.raw_tokens
            self.n_sentences = base_sentences + counter.sentences
            if progress is not None:
                progress(self)
        spare: List[ByteCounter] = []       # block counters merged, emptied, used again

        def start(head: bytes):
            block = spare.pop() if spare else ByteCounter()

            def count():                       # on a counting thread, without the GIL
                block.count(head)
                return block
            return count

        def finish(block: ByteCounter, ends_file: bool) -> None:
            counter.merge(block)
            block.clear()
            spare.append(block)
            counted(ends_file)
        try:
            if threads <= 1:
                for head, _, ends_file in iter_blocks(source, "strict"):
                    counter.count(head)
                    counted(ends_file)
            else:
                run_in_file_order(source, threads, start, finish, "fastw2v-count")
        except BaseException:
            self.total_words, self.n_sentences = base_words, base_sentences
            raise
        finally:
            self._live = None
        words, counts = counter.items()
        self.counter.update(dict(zip(words, counts.tolist())))
        return self

    def finalize(self, min_count: int = 5, max_final_vocab: Optional[int] = None,
                 trim_rule=None, sorted_vocab: bool = True) -> Vocab:
        """Apply ``min_count`` (and ``trim_rule``), then keep the ``max_final_vocab`` most
        frequent words; raise :class:`EmptyVocabularyError` if nothing is left.

        ``sorted_vocab=False`` (gensim's ``sorted_vocab=0``) keeps the words in the
        order they were first seen instead of by descending count."""
        items = self.retained_items(min_count, max_final_vocab, trim_rule)
        if not sorted_vocab:
            kept = {w for w, _ in items}
            items = [(w, c) for w, c in self.counter.items() if w in kept]
        return Vocab([w for w, _ in items], [c for _, c in items], self.total_words,
                     self.n_sentences, require_sorted=sorted_vocab)

    def retained_items(self, min_count: int = 5, max_final_vocab: Optional[int] = None,
                       trim_rule=None) -> List[Tuple[str, int]]:
        """The ``(word, count)`` pairs :meth:`finalize` keeps, most frequent first (equal
        counts last-seen first, as gensim; in the given order if :attr:`ranked`), without
        building a :class:`Vocab`; the same errors."""
        _check_tokens(self.counter)
        if self.total_words == 0:
            raise EmptyCorpusError("the corpus is empty: no words were found")
        items = [(w, c) for w, c in self.counter.items() if _keep(w, c, min_count, trim_rule)]
        # the Counter is in first-seen order; reversing it before a stable sort puts the
        # word seen last first among equal counts, as gensim's sort does
        if not self.ranked:
            items.reverse()
        items.sort(key=lambda wc: -wc[1])
        if max_final_vocab is not None:
            items = items[:max_final_vocab]
        if not items and not self.counter:
            raise EmptyVocabularyError(
                f"no word is left in the vocabulary: max_vocab_size={self.max_vocab_size} "
                "pruned every word while counting; raise max_vocab_size")
        if not items:
            most = self.counter.most_common(1)[0][1]
            raise EmptyVocabularyError(
                f"no word is left in the vocabulary: min_count={min_count} but the most "
                f"frequent of the corpus's {len(self.counter)} distinct words occurs only "
                f"{most} time(s); lower min_count or use a larger corpus"
            )
        return items


def extend_vocab(old: Vocab, builder: VocabBuilder, min_count: int = 5,
                 trim_rule=None) -> Vocab:
    """``old`` grown by a newly counted corpus (``build_vocab(update=True)``).

    Existing words keep their index; their counts get the new corpus's counts added.
    Words new to the vocabulary that pass ``min_count`` (and ``trim_rule``) on the new
    corpus's counts are appended after them in the order the new corpus first shows them,
    not by count, as gensim appends them. The result is therefore not sorted by count.
    """
    _check_tokens(builder.counter)
    if builder.total_words == 0:
        raise EmptyCorpusError("the corpus is empty: no words were found")
    counts = old.counts.copy()
    index = old.index
    new_items = []
    for w, c in builder.counter.items():
        i = index.get(w)
        if i is not None:
            counts[i] += c
        elif _keep(w, c, min_count, trim_rule):
            new_items.append((w, c))
    words = old.words + [w for w, _ in new_items]
    counts = np.concatenate([counts, np.array([c for _, c in new_items], dtype=np.int64)])
    return Vocab(words, counts, old.total_words + builder.total_words,
                 old.n_sentences + builder.n_sentences, require_sorted=False)


def update_min_count(counts, max_final_vocab: int) -> int:
    """The ``min_count`` that ``max_final_vocab`` implies for a vocabulary update, by
    gensim's rule: one more than the count at rank ``max_final_vocab`` (from 0) of the new
    corpus's counts, most frequent first, or 1 when it has no more words than that."""
    ranked = sorted(counts, reverse=True)
    return int(ranked[max_final_vocab]) + 1 if max_final_vocab < len(ranked) else 1


def retained_in(vocab: Vocab, builder: VocabBuilder) -> int:
    """Tokens of the corpus counted by ``builder`` that are in ``vocab``."""
    index = vocab.index
    return int(sum(c for w, c in builder.counter.items() if w in index))


#: gensim's padding word (``null_word=1``): only ever an input, never in a corpus
NULL_WORD = "\0"


def with_null_word(vocab: Vocab, by_count: bool = False) -> Vocab:
    """``vocab`` with gensim's null word (count 1) added, unless it is there already: at
    the end, or with ``by_count`` where gensim's sort puts it (gensim adds it last, then
    sorts, so it comes first among the words counted once)."""
    if NULL_WORD in vocab:
        return vocab
    at = len(vocab)
    if by_count:
        at = int(np.searchsorted(-vocab.counts, -1, side="left"))
    return Vocab(vocab.words[:at] + [NULL_WORD] + vocab.words[at:],
                 np.insert(vocab.counts, at, 1), vocab.total_words, vocab.n_sentences,
                 require_sorted=False)


def vocab_report(n_distinct: int, kept_counts, sample: float) -> Dict[str, int]:
    """gensim's ``prepare_vocab`` report for a vocabulary keeping ``kept_counts`` of
    ``n_distinct`` counted words: ``drop_unique``, ``retain_total``,
    ``downsample_unique``, ``downsample_total`` (the corpus words expected to survive
    down-sampling, by :meth:`Vocab.keep_probabilities`'s formula) and
    ``num_retained_words``."""
    counts = np.asarray(kept_counts, dtype=np.float64)
    retain_total = int(counts.sum())
    keep = np.ones(len(counts))
    if sample > 0 and retain_total > 0:
        threshold = sample * retain_total
        positive = counts > 0
        keep[positive] = np.minimum(
            (np.sqrt(counts[positive] / threshold) + 1.0) * threshold / counts[positive], 1.0)
    return {"drop_unique": int(n_distinct - len(counts)), "retain_total": retain_total,
            "downsample_unique": int(np.count_nonzero(keep < 1.0)),
            "downsample_total": int((keep * counts).sum()),
            "num_retained_words": int(len(counts))}


#: What a ``trim_rule(word, count, min_count)`` returns: gensim's numbers
#: (``gensim.utils.RULE_DEFAULT`` and co.), so a rule written for gensim, or returning
#: gensim's constants, means the same here.
RULE_DEFAULT, RULE_DISCARD, RULE_KEEP = 0, 1, 2


def _check_tokens(counter) -> None:
    """``TypeError`` naming the first token that is not a ``str`` (``None`` included)."""
    for w in counter:
        if not isinstance(w, str):
            raise TypeError(f"tokens must be str, but the corpus contains {w!r} of type "
                            f"{type(w).__name__}; convert tokens to str first")


def keep_vocab_item(word, count, min_count, trim_rule=None) -> bool:
    """Whether ``word`` (seen ``count`` times) stays in the vocabulary: ``trim_rule``'s
    verdict (gensim's ``RULE_KEEP``/``RULE_DISCARD``), else ``count >= min_count``
    (gensim's ``utils.keep_vocab_item``)."""
    return _keep(word, count, min_count, trim_rule)


def _keep(word, count, min_count, trim_rule) -> bool:
    if trim_rule is not None:
        verdict = trim_rule(word, count, min_count)
        if verdict == RULE_DISCARD:
            return False
        if verdict == RULE_KEEP:
            return True
    return count >= min_count


# -- ``word count`` files ------------------------------------------------------------------
#: The C tool's sentence-end token, the first entry of its vocabulary files (and the first
#: row of its vector files).
C_SENTENCE_END = "</s>"
_COUNT = re.compile(rb"-?[0-9]+")
#: the largest count (and total) a vocabulary holds: counts are int64
MAX_COUNT = 2**63 - 1


def check_vocab_word(word: str) -> bytes:
    """``word`` as it is written in a ``word count`` file (UTF-8); ``ValueError`` for a word
    the format cannot hold: empty, or containing ASCII whitespace (lines are split on it)."""
    raw = word.encode("utf-8", "surrogateescape")
    if raw.split() != [raw]:
        raise ValueError(f"word {word!r} cannot be written to a vocabulary file "
                         "(empty, or contains whitespace)")
    return raw


def write_word_counts(fh, words: Sequence[str], counts) -> None:
    """Write ``word count`` lines (the C tool's ``-save-vocab`` format) to the binary file
    ``fh``. Every word is checked (:func:`check_vocab_word`) before anything is written."""
    encoded = [check_vocab_word(w) for w in words]
    counts = [int(c) for c in counts]
    if len(counts) != len(encoded):
        raise ValueError(f"{len(encoded)} words but {len(counts)} counts")
    fh.write(b"".join(b"%s %d\n" % (w, c) for w, c in zip(encoded, counts)))


def read_word_counts(path, skip_sentence_end: bool = True, decode=None) -> Dict[str, int]:
    """Read a vocabulary file: one ``word count`` line per word (the C tool's
    ``-save-vocab`` format, also gensim's ``fvocab``), blank lines ignored.

    Each line must be a word and a count of ASCII digits, separated by whitespace; every
    word appears once (compared as bytes). Words are UTF-8 unless ``decode(raw, line_no)``
    is given, which turns a word's bytes into ``str`` (the vector readers decode with the
    vector file's ``encoding`` and ``unicode_errors``; two words that decode alike keep
    the first count). The C tool's ``</s>`` entry (its sentence-end token) is skipped
    unless ``skip_sentence_end=False`` (vector files of the C tool hold a ``</s>`` row,
    whose count it is).

    Raises
    ------
    VocabularyError
        The file does not exist, has no entries, or a line is malformed (the message
        names the file and line): not two fields, a count that is not an integer or is
        negative, a word that is not UTF-8 (without ``decode``), or a word seen before.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise VocabularyError(f"vocabulary file {path!r} does not exist")
    counts: Dict[str, int] = {}
    first_line: Dict[bytes, int] = {}
    with open(path, "rb") as fh:
        for line_no, raw in enumerate(fh, 1):
            parts = raw.split()
            if not parts:
                continue
            if len(parts) != 2:
                raise VocabularyError(
                    f"{path}: line {line_no}: expected 'word count', got {raw[:80]!r}")
            try:
                word = parts[0].decode("utf-8") if decode is None else None
                if not _COUNT.fullmatch(parts[1]):
                    raise ValueError
                count = int(parts[1])
            except (UnicodeDecodeError, ValueError):
                what = "a UTF-8 word" if decode is None else "a word"
                raise VocabularyError(
                    f"{path}: line {line_no}: expected {what} and an integer count, "
                    f"got {raw[:80]!r}") from None
            if count < 0:
                raise VocabularyError(f"{path}: line {line_no}: negative count {count}")
            if count > MAX_COUNT:
                raise VocabularyError(f"{path}: line {line_no}: count {count} is more than "
                                      f"{MAX_COUNT} (int64)")
            if word is None:
                word = decode(parts[0], line_no)
            if parts[0] in first_line:
                raise VocabularyError(f"{path}: line {line_no}: word {word!r} is listed "
                                      f"again (first on line {first_line[parts[0]]})")
            first_line[parts[0]] = line_no
            if skip_sentence_end and word == C_SENTENCE_END:
                continue
            counts.setdefault(word, count)
    if not counts:
        raise VocabularyError(f"vocabulary file {path!r} has no entries")
    return counts


def read_vocab_counts(path, unicode_errors: str = "strict") -> Dict[str, int]:
    """The counts of a vocabulary file for training: :func:`read_word_counts` without the
    C tool's ``</s>`` entry (fastw2v ends sentences without a token). Its words are read
    as a corpus is (``unicode_errors``): a file that the C tool saved from a corpus that
    is not UTF-8 reads with ``"replace"`` or ``"ignore"`` (a word that ``"ignore"`` leaves
    empty is dropped; two that decode alike keep the first count)."""
    if unicode_errors == "strict":
        return read_word_counts(path, skip_sentence_end=True)
    counts = read_word_counts(path, skip_sentence_end=True,
                              decode=lambda raw, _: raw.decode("utf-8", unicode_errors))
    counts.pop("", None)
    if not counts:
        raise VocabularyError(f"vocabulary file {os.fspath(path)!r} has no entries")
    return counts


def builder_from_counts(word_counts: Dict[str, int], ranked: bool = False) -> VocabBuilder:
    """A :class:`VocabBuilder` pre-filled with known counts. Their order counts as the
    order words were first seen (gensim's ``build_vocab_from_freq``), or with ``ranked``
    as a ranking that equal counts keep (a vocabulary file read back, as the C tool's
    ``-read-vocab`` keeps its order)."""
    b = VocabBuilder()
    b.counter = Counter(dict(word_counts))
    for word, count in b.counter.items():
        # whole numbers, also as floats (3.0), as gensim stores them in an int array
        if not isinstance(count, numbers.Real) or isinstance(count, bool) \
                or not 0 <= count <= MAX_COUNT or count != int(count):
            raise VocabularyError(f"the count of {word!r} is {count!r}: counts must be "
                                  f"whole numbers from 0 to {MAX_COUNT}")
        b.counter[word] = int(count)
    b.ranked = bool(ranked)
    b.total_words = int(sum(b.counter.values()))
    if b.total_words > MAX_COUNT:
        raise VocabularyError(f"the counts add up to {b.total_words}, more than "
                              f"{MAX_COUNT} words (int64)")
    return b
