"""Corpora: where sentences come from and how they become the trainer's id stream.

* :mod:`.compression` -- the one table of compressed formats (suffixes and magic bytes).
* :mod:`.sources` -- corpus files and directories read as checked byte blocks, their
  sentences (:class:`LineSentence`, :class:`Text8Corpus`), checks on in-memory corpora.
* :mod:`.encode` -- encoding to the flat int32 id stream (:class:`EncodedCorpus`,
  :func:`encode_batch`), with the compiled tokenizer (``_tokenize``).

This module only re-exports their public names.
"""
from ..errors import CorpusError
from .compression import COMPRESSIONS, Compression
from .encode import (LINE_SENTENCE_WORDS, MAX_BATCH_WORDS, SENTENCE_END, ByteCounter, ByteEncoder, EncodedCorpus, encode_batch,
                     line_sentences, map_tokens)
from .sources import (BLOCK_BYTES, UNICODE_ERRORS, BrownCorpus, LineSentence, PathLineSentences,
                      Text8Corpus, block_threads, check_iterable, check_sentence,
                      check_unicode_errors, corpus_paths, is_file_object, iter_blocks,
                      iter_file_pieces, iter_file_sentences, open_corpus_file,
                      run_in_file_order, usable_cpus)

__all__ = ["BLOCK_BYTES", "COMPRESSIONS", "LINE_SENTENCE_WORDS", "MAX_BATCH_WORDS", "SENTENCE_END", "UNICODE_ERRORS", "ByteCounter",
           "ByteEncoder", "BrownCorpus", "Compression", "CorpusError", "EncodedCorpus", "LineSentence",
           "PathLineSentences", "Text8Corpus", "is_file_object", "check_iterable", "check_sentence", "check_unicode_errors",
           "corpus_paths", "encode_batch", "iter_blocks", "iter_file_pieces",
           "iter_file_sentences", "line_sentences", "map_tokens", "open_corpus_file", "block_threads",
           "run_in_file_order", "usable_cpus"]
