"""Encoding a corpus to the int32 id stream the trainer reads.

The encoded form is one flat ``int32`` array in which every word is its vocabulary index
and :data:`SENTENCE_END` (``-1``) marks a sentence end (words not in the vocabulary are
left out). A sentinel instead of a separate offsets array keeps memory constant per word
and lets worker threads cut the stream anywhere. The per-token work is compiled
(:mod:`fastw2v.corpus._tokenize`: :func:`encode_batch` for token lists,
:class:`ByteEncoder` for a file's checked bytes); :class:`EncodedCorpus` encodes a whole
corpus file once, into a memory-mapped temporary file.
"""
from __future__ import annotations

import os
import tempfile
import weakref
from typing import Optional

import numpy as np

from ._tokenize import ByteCounter, ByteEncoder, encode_batch, map_tokens
from .sources import iter_blocks, iter_file_pieces

#: The id that ends a sentence in the encoded stream.
SENTENCE_END = -1


class EncodedCorpus:
    """A corpus file encoded once to vocabulary ids, stored in a temporary file and mapped.

    Attributes
    ----------
    ids : np.ndarray
        int32 [n_tokens + n_sentences] memory map: ids, ``-1`` after each sentence.
    n_words : int
        Number of in-vocabulary words (entries that are not ``-1``).
    n_sentences : int
        Number of sentences (lines).
    raw_words : int
        Number of tokens in the file, including those not in the vocabulary.
    """

    def __init__(self, source, key_to_index: dict, unicode_errors: str = "strict",
                 tmp_dir: Optional[str] = None):
        fd, self.path = tempfile.mkstemp(prefix="fastw2v-encoded-", suffix=".int32", dir=tmp_dir)
        self._finalizer = weakref.finalize(self, _remove_quietly, self.path)
        end = np.array([SENTENCE_END], dtype=np.int32).tobytes()
        n_sentences = raw = 0
        with os.fdopen(fd, "wb") as out:
            if unicode_errors == "strict":
                # the fast path: tokens split and looked up in C on the checked bytes
                words = [""] * len(key_to_index)
                for word, i in key_to_index.items():
                    words[i] = word
                enc = ByteEncoder(words)
                for head, _, ends_file in iter_blocks(source, unicode_errors):
                    out.write(enc.encode(head).tobytes())
                    if ends_file:
                        out.write(enc.end_file().tobytes())
                raw, n_sentences = enc.raw_tokens, enc.sentences
            else:
                # decoding with replacement can change tokens: split the text in Python
                for tokens, ends in iter_file_pieces(source, unicode_errors):
                    raw += len(tokens)
                    out.write(map_tokens(tokens, key_to_index).tobytes())
                    if ends:
                        out.write(end)
                        n_sentences += 1
        size = os.path.getsize(self.path) // 4
        # every entry is an id or the -1 that ends one of the n_sentences sentences
        self.n_words, self.n_sentences, self.raw_words = size - n_sentences, n_sentences, raw
        self.ids = (np.memmap(self.path, dtype=np.int32, mode="r", shape=(size,))
                    if size else np.zeros(0, dtype=np.int32))

    def close(self) -> None:
        self.ids = None
        self._finalizer()


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


__all__ = ["SENTENCE_END", "ByteCounter", "ByteEncoder", "EncodedCorpus", "encode_batch",
           "map_tokens"]
