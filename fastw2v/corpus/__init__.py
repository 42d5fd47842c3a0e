"""Sentence sources: text files (plain or compressed), directories, and their encoding to ids.

A corpus file is whitespace-separated tokens, one sentence per line, UTF-8. Lines may be
of any length (text8 is a single 100 MB line): files are read in blocks of bytes cut at
whitespace, so no line is ever held whole and no word is silently dropped.

The encoded form used by the trainer is one flat ``int32`` array in which every word is
its vocabulary index and ``-1`` marks a sentence end (words not in the vocabulary are left
out). A sentinel instead of a separate offsets array keeps memory constant per word and
lets worker threads cut the stream anywhere.
"""
from __future__ import annotations

import bz2
import gzip
import itertools
import lzma
import os
import zlib
from typing import Iterator, List, Optional, Tuple

import numpy as np

from ._tokenize import ByteCounter, ByteEncoder, encode_batch, map_tokens
from ..errors import CorpusError

SENTENCE_END = -1

_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open, ".lzma": lzma.open}
_BLOCK_BYTES = 1 << 20
_ASCII_SPACE = (b"\n", b" ", b"\t", b"\r", b"\x0b", b"\x0c")
UNICODE_ERRORS = ("strict", "replace", "ignore")


def _check_errors(unicode_errors: str) -> None:
    if unicode_errors not in UNICODE_ERRORS:
        raise ValueError(
            f"unicode_errors={unicode_errors!r} is invalid: use one of {', '.join(UNICODE_ERRORS)}"
        )


def corpus_paths(source) -> List[str]:
    """The files making up ``source``: one file, or every regular file in a directory (sorted)."""
    path = os.fspath(source)
    if os.path.isdir(path):
        files = sorted(
            os.path.join(path, name) for name in os.listdir(path)
            if not name.startswith(".") and os.path.isfile(os.path.join(path, name))
        )
        if not files:
            raise CorpusError(f"corpus directory {path!r} contains no files")
        return files
    if not os.path.exists(path):
        raise CorpusError(f"corpus file {path!r} does not exist")
    if not os.path.isfile(path):
        raise CorpusError(f"corpus path {path!r} is not a regular file or directory")
    if not os.access(path, os.R_OK):
        raise CorpusError(f"corpus file {path!r} is not readable (permission denied)")
    return [path]


def _open_binary(path: str):
    opener = _OPENERS.get(os.path.splitext(path)[1].lower(), open)
    try:
        return opener(path, "rb")
    except OSError as exc:
        raise CorpusError(f"cannot open corpus file {path!r}: {exc}") from exc


def _decode(data: bytes, path: str, offset: int, line_no: int, unicode_errors: str) -> str:
    try:
        return data.decode("utf-8", unicode_errors)
    except UnicodeDecodeError as exc:
        bad = offset + exc.start
        line = line_no + data.count(b"\n", 0, exc.start)
        raise CorpusError(
            f"{path}: line {line} (byte offset {bad}) is not valid UTF-8 "
            f"(byte {data[exc.start:exc.start + 1]!r}); pass unicode_errors='replace' or "
            f"'ignore' to read such a file anyway"
        ) from None


def _iter_blocks(source, unicode_errors: str) -> Iterator[Tuple[bytes, str, bool]]:
    """Yield ``(raw, text, ends_file)`` blocks of a corpus file or directory, in order:
    ``raw`` bytes cut at whitespace (or at the end of a file), ``text`` their decoding
    (which checks them), ``ends_file`` true for each file's last block."""
    _check_errors(unicode_errors)
    for path in corpus_paths(source):
        with _open_binary(path) as fh:
            leftover = b""
            offset = 0          # byte offset of `leftover`'s first byte in the file
            line_no = 1
            while True:
                try:
                    block = fh.read(_BLOCK_BYTES)
                except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
                    raise CorpusError(f"cannot read corpus file {path!r}: {exc}") from exc
                data = leftover + block
                if block:
                    cut = max(data.rfind(c) for c in _ASCII_SPACE)
                    if cut < 0:          # one token longer than the block: keep reading
                        leftover = data
                        continue
                    head, leftover = data[: cut + 1], data[cut + 1:]
                else:
                    head, leftover = data, b""
                text = _decode(head, path, offset, line_no, unicode_errors)
                offset += len(head)
                line_no += head.count(b"\n")
                yield head, text, not block
                if not block:
                    break


def iter_file_pieces(source, unicode_errors: str = "strict") -> Iterator[Tuple[List[str], bool]]:
    """Yield ``(tokens, ends_sentence)`` pieces of a corpus file or directory, in order.

    A line shorter than the block size comes out as one piece with ``ends_sentence=True``;
    a longer line comes out as several pieces, the last one ending the sentence. Each file
    ends a sentence at its end even without a final newline.
    """
    open_line = False          # a piece of the current line went out without its end
    for _, text, ends_file in _iter_blocks(source, unicode_errors):
        lines = text.split("\n")
        for line in lines[:-1]:
            yield line.split(), True
            open_line = False
        tail = lines[-1].split()
        if tail or (ends_file and open_line):
            yield tail, ends_file
            open_line = not ends_file


def iter_file_sentences(source, unicode_errors: str = "strict",
                        max_sentence_length: Optional[int] = None) -> Iterator[List[str]]:
    """Yield the sentences (token lists) of a corpus file, one per line.

    With ``max_sentence_length`` set, longer lines are yielded as consecutive pieces of at
    most that many tokens (nothing is dropped).
    """
    current: List[str] = []
    for tokens, ends in iter_file_pieces(source, unicode_errors):
        current.extend(tokens)
        if max_sentence_length:
            while len(current) > max_sentence_length:
                yield current[:max_sentence_length]
                current = current[max_sentence_length:]
        if ends:
            if current:
                yield current
            current = []
    if current:
        yield current


class LineSentence:
    """Iterate over a text file (plain, .gz, .bz2 or .xz) or a directory of them:
    one sentence per line, tokens separated by whitespace (gensim's ``LineSentence``).

    Unlike gensim's, lines longer than ``max_sentence_length`` are split into
    consecutive pieces rather than truncated, and non-UTF-8 bytes raise
    :class:`CorpusError` unless ``unicode_errors`` says otherwise.
    """

    def __init__(self, source, max_sentence_length: int = 10000, limit: Optional[int] = None,
                 unicode_errors: str = "strict"):
        corpus_paths(source)          # fail now, not in the middle of training
        _check_errors(unicode_errors)
        self.source = source
        self.max_sentence_length = max_sentence_length
        self.limit = limit
        self.unicode_errors = unicode_errors

    def __iter__(self) -> Iterator[List[str]]:
        it = iter_file_sentences(self.source, self.unicode_errors, self.max_sentence_length)
        return itertools.islice(it, self.limit) if self.limit is not None else it


class Text8Corpus(LineSentence):
    """A text8-style file (one huge line) yielded as sentences of ``max_sentence_length`` words."""

    def __init__(self, fname, max_sentence_length: int = 1000, unicode_errors: str = "strict"):
        super().__init__(fname, max_sentence_length=max_sentence_length,
                         unicode_errors=unicode_errors)


def check_iterable(sentences) -> None:
    """Raise ``TypeError`` unless ``sentences`` can be iterated more than once."""
    if sentences is None:
        raise TypeError("sentences is None: pass an iterable of token lists or use corpus_file=")
    if isinstance(sentences, (str, bytes)):
        raise TypeError(
            "sentences is a single string; pass an iterable of token lists such as "
            "[['first', 'sentence'], ['second', 'one']], or a path as corpus_file="
        )
    if not hasattr(sentences, "__iter__"):
        raise TypeError(f"sentences must be an iterable of token lists, not {type(sentences).__name__}")
    if iter(sentences) is sentences:
        raise TypeError(
            "sentences is an iterator (e.g. a generator), which can be read only once, but "
            "training reads the corpus once per epoch plus once for the vocabulary; pass a "
            "list or an object whose __iter__ restarts the corpus (e.g. fastw2v.LineSentence)"
        )


def check_sentence(sentence, index: int) -> None:
    """Raise ``TypeError`` for a sentence that is not a list/tuple of tokens."""
    if isinstance(sentence, (str, bytes)):
        raise TypeError(
            f"sentence {index} is a {type(sentence).__name__}, not a list of tokens "
            f"(got {sentence[:40]!r}); split it into words first"
        )
    if not isinstance(sentence, (list, tuple)):
        raise TypeError(
            f"sentence {index} is a {type(sentence).__name__}, not a list of str tokens"
        )


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
        import tempfile
        import weakref

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
                for head, _, ends_file in _iter_blocks(source, unicode_errors):
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
