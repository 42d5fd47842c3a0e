"""The passes over a corpus: counting it (:func:`learn_counts`), writing a corpus file
with its phrases joined (:func:`write_transformed`), and both as one pass of the word2vec
toolkit's tool (:func:`word2phrase`).

Corpus files are read through :mod:`fastw2v.corpus` (paths, directories, compression,
strictly checked UTF-8) in blocks of bytes cut at whitespace, which the compiled learner
and applier take whole: no Python object is made per token.
"""
from __future__ import annotations

import logging
import math
import os
import time
from typing import Optional

from ..config import check_unicode_errors, is_int, is_real
from ..corpus import corpus_paths, iter_blocks
from ..corpus.compression import by_suffix, write_by_suffix
from ..errors import EmptyCorpusError, ParameterError
from ..io import atomic_write
from . import _phrases
from ._phrases import Applier, KeyTable, Learner
from .params import check_max_vocab_size, check_min_count

logger = logging.getLogger(__name__)


def connector_table(words: frozenset) -> Optional[KeyTable]:
    """The compiled set of connector words (None for none)."""
    if not words:
        return None
    table = KeyTable(False, len(words))
    for w in words:
        table.set(w, 1)
    return table


def block_bytes(raw: bytes, text: str, unicode_errors: str) -> bytes:
    """The bytes the compiled passes read from a block of :func:`iter_blocks`."""
    # with 'replace'/'ignore' the checked bytes are those of the decoded text
    return raw if unicode_errors == "strict" else text.encode("utf-8", "surrogatepass")


def write_transformed(source, output, applier: Applier, unicode_errors: str,
                       what: str) -> dict:
    """Apply ``applier`` to the corpus file ``source`` block by block and write the text
    to ``output`` (compressed by its suffix), atomically."""
    stats = {"bytes_in": 0, "bytes_out": 0, "seconds": 0.0}
    start = time.perf_counter()
    applier.restart()
    before, tokens_before = applier.phrases_formed, applier.tokens_read

    def write(out):
        for raw, text, ends_file in iter_blocks(source, unicode_errors):
            data = applier.apply_bytes(block_bytes(raw, text, unicode_errors))
            if ends_file:
                data += applier.end_file()
            stats["bytes_in"] += len(raw)
            stats["bytes_out"] += len(data)
            out.write(data)
        if applier.tokens_read == tokens_before:
            raise EmptyCorpusError(f"the corpus {os.fspath(source)!r} is empty: no words were "
                                   "found")

    atomic_write(output, write_by_suffix(output, write))
    stats["phrases"] = applier.phrases_formed - before
    stats["seconds"] = time.perf_counter() - start
    logger.info("%s: wrote %s (%i phrases joined, %.1f MB) in %.2fs", what, output,
                stats["phrases"], stats["bytes_out"] / 1e6, stats["seconds"])
    return stats


#: Bytes of English text per distinct unigram or candidate (about 24 on Wikipedia text).
_BYTES_PER_ENTRY = 32
#: How much larger than its file a compressed corpus is assumed to be.
_COMPRESSION_RATIO = 4


def expected_entries(corpus_file) -> int:
    """About how many entries counting ``corpus_file`` makes, from its size: the table is
    made that large at once, instead of growing (and rehashing) many times."""
    total = 0
    for path in corpus_paths(corpus_file):
        try:
            size = os.path.getsize(path)
        except OSError:
            continue
        total += size * (_COMPRESSION_RATIO if by_suffix(path) else 1)
    return total // _BYTES_PER_ENTRY


def learn_counts(sentences=None, corpus_file=None, connector_words=frozenset(),
                 delimiter="_", max_vocab_size=40000000, progress_per=10000,
                 unicode_errors="strict", word2phrase=False, empty_ok=False) -> Learner:
    """Count unigrams and candidate phrases of one corpus (an iterable of token lists, or
    a corpus file or directory, plain or compressed) into a fresh :class:`Learner`;
    ``CorpusError`` if it holds no word, unless ``empty_ok``."""
    expect = expected_entries(corpus_file) if corpus_file is not None else 0
    learner = Learner(connector_table(frozenset(connector_words)), delimiter, max_vocab_size,
                      word2phrase, expect)
    logger.info("collecting all words and their counts")
    if corpus_file is not None:
        blocks = 0
        for raw, text, ends_file in iter_blocks(corpus_file, unicode_errors):
            learner.learn_bytes(block_bytes(raw, text, unicode_errors))
            if ends_file:
                learner.end_file()
            blocks += 1
            if blocks % 64 == 0:
                logger.info("PROGRESS: at sentence #%i, processed %i words and %i word types",
                            learner.sentences, learner.total_words, len(learner.vocab))
    else:
        for number, sentence in enumerate(sentences):
            if number % progress_per == 0:
                logger.info("PROGRESS: at sentence #%i, processed %i words and %i word types",
                            number, learner.total_words, len(learner.vocab))
            learner.learn_sentence(sentence)
    if learner.total_words == 0 and not empty_ok:
        where = f" {os.fspath(corpus_file)!r}" if corpus_file is not None else ""
        raise EmptyCorpusError(f"the corpus{where} is empty: no words were found")
    logger.info("collected %i token types (unigram + bigrams) from a corpus of %i words and "
                "%i sentences", len(learner.vocab), learner.total_words, learner.sentences)
    return learner


def word2phrase(train, output, min_count=5, threshold=100.0, max_vocab_size=350000000,
                unicode_errors="strict", report=None) -> dict:
    """One pass of the word2vec toolkit's ``word2phrase``: count ``train``, then write it
    to ``output`` with the pairs scoring above ``threshold`` joined by ``_``.

    The C tool's rules: no connector words; ``score = (count(ab) - min_count) / count(a)
    / count(b) * train_words`` in float32, where ``train_words`` is the number of words
    of the file (gensim's default scorer multiplies by the vocabulary size instead), and
    only pairs whose three counts reach ``min_count`` qualify; pairs are counted across
    line ends too (the C tool reads one stream), but never joined across them.

    Parameters
    ----------
    report : callable, optional
        ``report(message)`` receives the C tool's progress lines.

    Returns
    -------
    dict
        ``train_words``, ``vocab_size`` (unigrams + pairs), ``phrases`` joined, and the
        timings ``learn_seconds`` and ``apply_seconds``.
    """
    check_min_count(min_count)
    if not is_int(min_count):
        raise ParameterError(f"min_count={min_count!r} is invalid: word2phrase takes an "
                             "integer >= 1")
    if not is_real(threshold) or math.isnan(threshold):
        raise ParameterError(f"threshold={threshold!r} is invalid: must be a number")
    check_max_vocab_size(max_vocab_size)
    check_unicode_errors(unicode_errors)
    say = report or (lambda message: None)
    say(f"Starting training using file {train}")
    start = time.perf_counter()
    learner = learn_counts(corpus_file=train, delimiter="_",
                           max_vocab_size=check_max_vocab_size(max_vocab_size),
                           unicode_errors=unicode_errors, word2phrase=True)
    learn_seconds = time.perf_counter() - start
    say(f"Vocab size (unigrams + bigrams): {len(learner.vocab)}")
    say(f"Words in train file: {learner.total_words}")
    applier = Applier(learner.vocab, None, "_", _phrases.WORD2PHRASE)
    applier.configure(float(threshold), int(min_count), len(learner.vocab),
                      learner.total_words)
    stats = write_transformed(train, output, applier, unicode_errors, "word2phrase")
    say(f"Phrases joined: {stats['phrases']} ({stats['seconds']:.2f}s)")
    return {"train_words": learner.total_words, "vocab_size": len(learner.vocab),
            "phrases": stats["phrases"], "learn_seconds": learn_seconds,
            "apply_seconds": stats["seconds"]}


__all__ = ["block_bytes", "connector_table", "expected_entries", "learn_counts",
           "word2phrase", "write_transformed"]
