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

import mmap
import os
import tempfile
import weakref
from functools import partial
from typing import Optional, Tuple

import numpy as np

from ._tokenize import (LINE_SENTENCE_WORDS, MAX_BATCH_WORDS, ByteCounter, ByteEncoder,
                        encode_batch, line_sentences, map_tokens)
from .sources import iter_file_pieces, run_in_file_order

#: The id that ends a sentence in the encoded stream.
SENTENCE_END = -1
_END = np.array([SENTENCE_END], dtype=np.int32)
_END.flags.writeable = False


class EncodedCorpus:
    """A corpus file encoded once to vocabulary ids, stored in a temporary file and mapped.

    The mapped pages that a reader has touched count in this process's resident memory
    until :meth:`release` drops them (they stay in the page cache, so reading them
    again costs no disk read): the trainer releases each part of the stream once its
    jobs are done, so a 17M-word corpus does not hold 68 MB beside the weights.

    Attributes
    ----------
    ids : np.ndarray
        int32 [n_tokens + n_sentences], read-only, on the mapped file: ids, ``-1``
        after each sentence.
    n_words : int
        Number of in-vocabulary words (entries that are not ``-1``).
    n_sentences : int
        Number of sentences (lines).
    raw_words : int
        Number of tokens in the file, including those not in the vocabulary.
    """

    def __init__(self, source, key_to_index: dict, unicode_errors: str = "strict",
                 tmp_dir: Optional[str] = None, threads: int = 1):
        fd, self.path = tempfile.mkstemp(prefix="fastw2v-encoded-", suffix=".int32", dir=tmp_dir)
        self._finalizer = weakref.finalize(self, _remove_quietly, self.path)
        # imported here: fastw2v.io reads corpora (compression) and so imports this package
        from ..io.native import write_through
        totals = [0, 0]                 # raw tokens, sentences

        def write(out):
            if unicode_errors == "strict":
                # the fast path: tokens split and looked up in C on the checked bytes
                totals[:] = _encode_blocks(source, key_to_index, out, threads)
            else:
                # decoding with replacement can change tokens: split the text in Python
                for tokens, ends in iter_file_pieces(source, unicode_errors):
                    totals[0] += len(tokens)
                    out.write(map_tokens(tokens, key_to_index).tobytes())
                    if ends:
                        out.write(_END)
                        totals[1] += 1

        try:
            # a full disk (ENOSPC comes with no file name) names this file and the way out
            write_through(os.fdopen(fd, "wb"), self.path, write,
                          note=" while writing the encoded corpus (4 bytes per word) to its "
                               "temporary file; set TMPDIR to a folder with more room")
        except BaseException:
            self._finalizer()           # the temporary file goes now, not when collected
            raise
        raw, n_sentences = totals
        size = os.path.getsize(self.path) // 4
        # every entry is an id or the -1 that ends one of the n_sentences sentences
        self.n_words, self.n_sentences, self.raw_words = size - n_sentences, n_sentences, raw
        self._map = None
        if size:
            with open(self.path, "rb") as fh:
                self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            self.ids = np.frombuffer(self._map, dtype=np.int32, count=size)
        else:
            self.ids = np.zeros(0, dtype=np.int32)

    def release(self, start: int, end: int) -> None:
        """Drop the pages of entries ``[start, end)`` from this process's memory: every
        page from the one holding ``start`` (shared with the entries before it, if any)
        up to the last whole page before ``end`` (a page shared with the entries after
        ``end`` is kept). A later read maps them again from the page cache, so this is
        safe while other threads read the stream, only slower for them. Does nothing
        where the platform cannot (no ``MADV_DONTNEED``) or refuses (an ``OSError``)."""
        mapped = self._map
        if mapped is None or not _CAN_RELEASE:
            return
        page, size = mmap.PAGESIZE, len(mapped)
        lo = max(0, start) * 4 // page * page
        hi = min(end * 4, size)
        hi = hi if hi == size else hi // page * page
        if hi > lo:
            try:
                mapped.madvise(mmap.MADV_DONTNEED, lo, hi - lo)
            except OSError:             # memory only: training goes on without it
                pass

    def close(self) -> None:
        # the map itself closes when the last array on it goes (a job may hold one)
        self.ids = self._map = None
        self._finalizer()


#: Whether :meth:`EncodedCorpus.release` can hand pages back on this platform.
_CAN_RELEASE = hasattr(mmap, "MADV_DONTNEED") and hasattr(mmap.mmap, "madvise")


def _encode_blocks(source, key_to_index: dict, out, threads: int) -> Tuple[int, int]:
    """Write the ids of a strictly decoded corpus to ``out``; return ``(raw tokens,
    sentences)``. Blocks are read, checked and written in order by this thread, and
    encoded by ``threads`` threads at once (:func:`run_in_file_order`;
    :meth:`ByteEncoder.encode_block` releases the GIL): on a 17M-word file one thread's
    encoding was about a tenth of a 1-epoch ``train()`` at vector_size 300, and with
    many workers it would be the serial part of every ``train()`` on a new file.

    Each block in flight holds its text (1 MB, and up to twice that where a line's tail
    carries over) and a buffer of 4 bytes per byte of it for the ids, of which the pages
    written count in memory: about 4 bytes per token. The buffer is allocated here, on
    the ordering thread, so that it is reused from block to block instead of left behind
    in the encoding threads' malloc arenas."""
    words = [""] * len(key_to_index)
    for word, i in key_to_index.items():
        words[i] = word
    enc = ByteEncoder(words)

    def start(head: bytes):
        return partial(enc.encode_block, head, np.empty(len(head) + 1, dtype=np.int32))

    def finish(result, ends_file: bool) -> None:
        ids, *totals = result
        out.write(ids)
        enc.add_totals(*totals)
        if ends_file:
            out.write(enc.end_file())

    run_in_file_order(source, threads, start, finish, "fastw2v-encode")
    return enc.raw_tokens, enc.sentences


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


__all__ = ["LINE_SENTENCE_WORDS", "MAX_BATCH_WORDS", "SENTENCE_END", "ByteCounter", "ByteEncoder", "EncodedCorpus", "encode_batch", "line_sentences",
           "map_tokens"]
