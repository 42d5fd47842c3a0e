"""Sentence sources: corpus files and directories read as checked blocks of bytes,
their sentences (:class:`LineSentence`, :class:`PathLineSentences`,
:class:`Text8Corpus`), and the checks on
in-memory corpora (iterables of token lists).

A corpus file is whitespace-separated tokens, one sentence per line, UTF-8, plain or
compressed (by suffix: :mod:`fastw2v.corpus.compression`). Lines may be of any length
(text8 is a single 100 MB line): files are read in blocks of bytes cut at whitespace, so
no line is ever held whole and no word is silently dropped.
"""
from __future__ import annotations

import os
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO, Callable, Iterator, List, Optional, Tuple

from ..errors import (CorpusError, CorpusNotFoundError, CorpusReadError, TruncatedCorpusError,
                      UndecodableCorpusError)
from .compression import DECOMPRESSION_ERRORS, open_by_suffix

#: Bytes read from a corpus file at a time (each block is then cut at whitespace).
BLOCK_BYTES = 1 << 20
_ASCII_SPACE = (b"\n", b" ", b"\t", b"\r", b"\x0b", b"\x0c")
_ASCII_SPACE_TEXT = tuple(c.decode() for c in _ASCII_SPACE)
#: The accepted ``unicode_errors`` values.
UNICODE_ERRORS = ("strict", "replace", "ignore")


def check_unicode_errors(unicode_errors: str) -> None:
    """Raise ``ValueError`` unless ``unicode_errors`` is one of :data:`UNICODE_ERRORS`."""
    if unicode_errors not in UNICODE_ERRORS:
        raise ValueError(
            f"unicode_errors={unicode_errors!r} is invalid: use one of {', '.join(UNICODE_ERRORS)}"
        )


def _missing(path: str, what: str = "corpus file") -> CorpusNotFoundError:
    return CorpusNotFoundError(f"{what} {path!r} does not exist")


def corpus_path(source) -> str:
    """``source`` (a str or ``os.PathLike``) as a path, ``~`` expanded as gensim's
    readers (through smart_open) expand it. A ``file://`` URL is its path; other URLs are
    refused here (a distributed job reads them: :mod:`fastw2v.distributed`)."""
    path = os.fspath(source)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if path.startswith("file://"):
        path = path[len("file://"):]
    elif "://" in path and not os.path.exists(path):
        raise CorpusError(f"corpus {path!r} is a URL: fastw2v reads local files (a Dask "
                          f"job reads URLs: fastw2v.distributed)")
    return os.path.expanduser(path)


def corpus_paths(source) -> List[str]:
    """The files making up ``source``: one file, or every regular file in a directory (sorted)."""
    path = corpus_path(source)
    if os.path.isdir(path):
        files = sorted(
            os.path.join(path, name) for name in os.listdir(path)
            if not name.startswith(".") and os.path.isfile(os.path.join(path, name))
        )
        if not files:
            raise CorpusError(f"corpus directory {path!r} contains no files")
        return files
    if not os.path.exists(path):
        raise _missing(path)
    if not os.path.isfile(path):
        raise CorpusReadError(f"corpus path {path!r} is not a regular file or directory")
    if not os.access(path, os.R_OK):
        raise CorpusReadError(f"corpus file {path!r} is not readable (permission denied)")
    return [path]


def open_corpus_file(path: str) -> BinaryIO:
    """A binary reader of one corpus file, decompressed by its suffix; ``CorpusError`` if
    it cannot be opened."""
    try:
        return open_by_suffix(path)
    except OSError as exc:
        raise CorpusReadError(f"cannot open corpus file {path!r}: {exc}") from exc


def _decode(data: bytes, path: str, offset: int, line_no: int, unicode_errors: str) -> str:
    try:
        return data.decode("utf-8", unicode_errors)
    except UnicodeDecodeError as exc:
        bad = offset + exc.start
        line = line_no + data.count(b"\n", 0, exc.start)
        raise UndecodableCorpusError(
            f"{path}: line {line} (byte offset {bad}) is not valid UTF-8 "
            f"(byte {data[exc.start:exc.start + 1]!r}); pass unicode_errors='replace' or "
            f"'ignore' to read such a file anyway", exc.encoding, exc.object, exc.start,
            exc.end, exc.reason) from None


def is_file_object(source) -> bool:
    """An already-open file (anything with ``read`` and ``seek``), as gensim's
    ``LineSentence`` accepts: plain, ``gzip``/``bz2``/``lzma`` file objects, ``io``
    streams, binary or text."""
    return hasattr(source, "read") and hasattr(source, "seek")


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def block_threads(workers: int) -> int:
    """Threads for a pass over a file's blocks: one per worker, but no more than the
    usable CPUs (more would only hold more blocks in memory at once)."""
    return max(1, min(int(workers), usable_cpus()))


def _read_error(exc: BaseException, name: str) -> CorpusError:
    """The CorpusError for an error reading ``name``: also the built-in it was."""
    message = f"cannot read corpus file {name!r}: {exc}"
    if isinstance(exc, UnicodeDecodeError):      # a text-mode file object's own decoding
        return UndecodableCorpusError(message, exc.encoding, exc.object, exc.start,
                                      exc.end, exc.reason)
    if isinstance(exc, EOFError):
        return TruncatedCorpusError(message)
    return CorpusReadError(message)


def _cut_at_whitespace(fh, name: str):
    """Yield ``(head, ends)`` pieces of an open file, each ending at its last whitespace
    (``ends`` true for the last piece, which ends where the file does). The pieces are
    bytes, or str for a file opened in text mode."""
    # what follows the last whitespace so far, in pieces: a token longer than a block
    # (a file without whitespace) is joined once, when it ends, so reading stays linear
    leftover: list = []
    spaces = None
    while True:
        try:
            block = fh.read(BLOCK_BYTES)
        except DECOMPRESSION_ERRORS as exc:
            raise _read_error(exc, name) from exc
        if spaces is None:
            spaces = _ASCII_SPACE_TEXT if isinstance(block, str) else _ASCII_SPACE
        if not block:
            yield block[:0].join(leftover), True
            return
        cut = max(block.rfind(c) for c in spaces)
        if cut < 0:              # the token goes on past this block: keep reading
            leftover.append(block)
            continue
        leftover.append(block[: cut + 1])
        head, leftover = block[:0].join(leftover), [block[cut + 1:]]
        yield head, False


def _file_blocks(fh, name: str, unicode_errors: str) -> Iterator[Tuple[bytes, str, bool]]:
    """:func:`iter_blocks` of one open file. Bytes are decoded (which checks them); a
    file opened in text mode has decoded its text already, by its own ``encoding`` and
    ``errors``, which may have left lone surrogates (``errors="surrogateescape"``): they
    are kept, as gensim keeps them, and ``raw`` is the text's UTF-8, surrogates passed."""
    offset = 0          # byte offset of the next head in the file
    line_no = 1
    for head, ends in _cut_at_whitespace(fh, name):
        if isinstance(head, str):
            yield head.encode("utf-8", "surrogatepass"), head, ends
            continue
        text = _decode(head, name, offset, line_no, unicode_errors)
        offset += len(head)
        line_no += head.count(b"\n")
        yield head, text, ends


def iter_blocks(source, unicode_errors: str = "strict") -> Iterator[Tuple[bytes, str, bool]]:
    """Yield ``(raw, text, ends_file)`` blocks of a corpus file or directory, in order:
    ``raw`` bytes cut at whitespace (or at the end of a file), ``text`` their decoding
    (which checks them), ``ends_file`` true for each file's last block.

    ``source`` may also be an open file object (:func:`is_file_object`): it is read from
    its start (``seek(0)``), as gensim's ``LineSentence`` does, and left open."""
    check_unicode_errors(unicode_errors)
    if is_file_object(source):
        source.seek(0)
        yield from _file_blocks(source, str(getattr(source, "name", repr(source))),
                                unicode_errors)
        return
    for path in corpus_paths(source):
        with open_corpus_file(path) as fh:
            yield from _file_blocks(fh, path, unicode_errors)


def run_in_file_order(source, threads: int, start: Callable[[bytes], Callable[[], Any]],
                      finish: Callable[[Any, bool], None], name: str) -> None:
    """For each block of ``source`` (:func:`iter_blocks`, strict), in file order:
    ``start(raw)`` gives the work of that block, a function without arguments, run on one
    of ``threads`` threads (:func:`block_threads`; on this one where that is 1), and
    ``finish(its result, ends_file)`` runs on this thread, block after block in file
    order. The passes over a corpus file (the counting and the encoding) are built on
    this: their work releases the GIL, and ``start`` and ``finish`` (which hand out and
    take back what the work writes to) stay on this thread.

    At most ``threads + 1`` blocks are in flight (more did not go faster). On an error no
    more blocks are started, and none is kept alive by the traceback."""
    threads = block_threads(threads)
    if threads <= 1:
        for head, _, ends_file in iter_blocks(source):
            finish(start(head)(), ends_file)
        return
    pending: deque = deque()
    with ThreadPoolExecutor(threads, thread_name_prefix=name) as pool:
        try:
            for head, _, ends_file in iter_blocks(source):
                pending.append((pool.submit(start(head)), ends_file))
                while len(pending) > threads:
                    job, ends = pending.popleft()
                    finish(job.result(), ends)
            while pending:
                job, ends = pending.popleft()
                finish(job.result(), ends)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            pending.clear()


def iter_file_pieces(source, unicode_errors: str = "strict") -> Iterator[Tuple[List[str], bool]]:
    """Yield ``(tokens, ends_sentence)`` pieces of a corpus file or directory, in order.

    A line shorter than the block size comes out as one piece with ``ends_sentence=True``;
    a longer line comes out as several pieces, the last one ending the sentence. Each file
    ends a sentence at its end even without a final newline.
    """
    open_line = False          # a piece of the current line went out without its end
    for _, text, ends_file in iter_blocks(source, unicode_errors):
        lines = text.split("\n")
        for line in lines[:-1]:
            yield line.split(), True
            open_line = False
        tail = lines[-1].split()
        if tail or (ends_file and open_line):
            yield tail, ends_file
            open_line = not ends_file


def iter_file_sentences(source, unicode_errors: str = "strict",
                        max_sentence_length: Optional[int] = None,
                        limit: Optional[int] = None) -> Iterator[List[str]]:
    """Yield the sentences (token lists) of a corpus file, one per line.

    With ``max_sentence_length`` set, longer lines are yielded as consecutive pieces of at
    most that many tokens (nothing is dropped). With ``limit`` set, only the first
    ``limit`` lines are read (gensim's ``LineSentence(limit=)``: lines, not pieces).
    """
    if limit is not None and limit <= 0:
        return
    current: List[str] = []
    lines = 0
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
            lines += 1
            if limit is not None and lines >= limit:
                return
    if current:
        yield current


def check_max_sentence_length(n) -> None:
    """``ValueError`` unless ``n`` is None or an integer >= 1 (a negative one would cut
    lines into empty pieces for ever)."""
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"max_sentence_length={n!r} is invalid: must be an integer >= 1")


def check_limit(limit) -> None:
    """``ValueError`` unless ``limit`` is None or an integer >= 0 (gensim's readers raise
    it through ``itertools.islice`` when they first read)."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or limit < 0):
        raise ValueError(f"limit={limit!r} is invalid: must be None or an integer >= 0")


class LineSentence:
    """Iterate over a text file (plain, .gz, .bz2 or .xz), a directory of them, or an
    open file object: one sentence per line, tokens separated by whitespace (gensim's
    ``LineSentence``).

    As in gensim, lines longer than ``max_sentence_length`` come out as consecutive
    pieces, ``limit`` reads only that many lines, and a file object (anything with
    ``read`` and ``seek``: ``open(path, "rb")``, ``gzip.open(path)``, ``bz2.open(path)``,
    ``io.BytesIO``...) is read from its start each time the corpus is iterated. Lines
    are read in blocks, so memory does not grow with a line; bytes that are not UTF-8
    raise :class:`CorpusError` unless ``unicode_errors`` says otherwise.
    """

    def __init__(self, source, max_sentence_length: int = 10000, limit: Optional[int] = None,
                 unicode_errors: str = "strict"):
        if not is_file_object(source):
            corpus_paths(source)          # fail now, not in the middle of training
        check_unicode_errors(unicode_errors)
        check_max_sentence_length(max_sentence_length)
        check_limit(limit)
        self.source = source
        self.max_sentence_length = max_sentence_length
        self.limit = limit
        self.unicode_errors = unicode_errors

    def __iter__(self) -> Iterator[List[str]]:
        return iter_file_sentences(self.source, self.unicode_errors, self.max_sentence_length,
                                   self.limit)


class PathLineSentences:
    """Every file of a directory, in sorted file-name order, read as
    :class:`LineSentence` reads one (gensim's ``PathLineSentences``); a path to one file
    reads that file.

    As gensim's: every regular file of the directory is read (hidden ones too; it does
    not recurse into subdirectories), each decompressed by its suffix (.gz, .bz2, .xz);
    ``limit`` reads the first ``limit`` lines of each file; ``max_sentence_length``
    splits longer lines into pieces. A path that is neither a file nor a directory
    raises :class:`CorpusError` (a ``ValueError``, as gensim raises).

    Attributes
    ----------
    input_files : list of str
        The files read, in order.
    """

    def __init__(self, source, max_sentence_length: int = 10000, limit: Optional[int] = None,
                 unicode_errors: str = "strict"):
        check_unicode_errors(unicode_errors)
        check_max_sentence_length(max_sentence_length)
        check_limit(limit)
        path = corpus_path(source)
        if os.path.isfile(path):
            self.input_files = [path]
        elif os.path.isdir(path):
            self.input_files = sorted(
                os.path.join(path, name) for name in os.listdir(path)
                if os.path.isfile(os.path.join(path, name)))
        else:
            if not os.path.exists(path):
                raise _missing(path, "PathLineSentences: path")
            raise CorpusReadError(f"PathLineSentences: {path!r} is neither a file nor a "
                                  "directory")
        self.source = source
        self.max_sentence_length = max_sentence_length
        self.limit = limit
        self.unicode_errors = unicode_errors

    def __iter__(self) -> Iterator[List[str]]:
        for path in self.input_files:
            yield from iter_file_sentences(path, self.unicode_errors,
                                           self.max_sentence_length, self.limit)


class BrownCorpus:
    """The Brown corpus as NLTK ships it (gensim's ``BrownCorpus``): every file of a
    directory, one sentence per line of ``word/TAG`` tokens, each yielded as
    ``word/TA`` (the word lower-cased, the tag's first two characters) where those two
    characters are letters; other tokens (punctuation, tokens without exactly one
    ``/``) are dropped, and so are lines left empty.

    The files are read in sorted name order (gensim's order is the directory's, which
    the file system decides), hidden ones too, subdirectories not.
    """

    def __init__(self, dirname, unicode_errors: str = "strict"):
        check_unicode_errors(unicode_errors)
        path = corpus_path(dirname)
        if not os.path.isdir(path):
            if not os.path.exists(path):
                raise _missing(path, "BrownCorpus: directory")
            raise CorpusReadError(f"BrownCorpus: {path!r} is not a directory")
        self.dirname = dirname
        self.unicode_errors = unicode_errors

    def __iter__(self) -> Iterator[List[str]]:
        path = corpus_path(self.dirname)
        for name in sorted(os.listdir(path)):
            fname = os.path.join(path, name)
            if not os.path.isfile(fname):
                continue
            for tokens in iter_file_sentences(fname, self.unicode_errors):
                words = []
                for token in tokens:
                    parts = token.split("/")
                    if len(parts) == 2 and parts[1][:2].isalpha():
                        words.append(f"{parts[0].lower()}/{parts[1][:2]}")
                if words:
                    yield words


class Text8Corpus:
    """A text8-style file (one huge line) as sentences of ``max_sentence_length`` words
    (gensim's ``Text8Corpus``, with its default of 10,000).

    As gensim's, line ends do not end sentences: the file is one stream of
    whitespace-separated tokens, cut every ``max_sentence_length`` tokens (the last
    sentence may be shorter). It is read in blocks, never a line at a time.
    """

    def __init__(self, fname, max_sentence_length: int = 10000, unicode_errors: str = "strict"):
        corpus_paths(fname)
        check_unicode_errors(unicode_errors)
        if max_sentence_length is None:
            raise ValueError("max_sentence_length=None is invalid for Text8Corpus: its "
                             "sentences are cut every max_sentence_length words")
        check_max_sentence_length(max_sentence_length)
        self.fname = fname
        self.max_sentence_length = max_sentence_length
        self.unicode_errors = unicode_errors

    def __iter__(self) -> Iterator[List[str]]:
        n = self.max_sentence_length
        current: List[str] = []
        for tokens, _ in iter_file_pieces(self.fname, self.unicode_errors):
            current.extend(tokens)
            if len(current) >= n:
                cut = len(current) - len(current) % n
                for i in range(0, cut, n):
                    yield current[i:i + n]
                current = current[cut:]
        if current:
            yield current


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


__all__ = ["BLOCK_BYTES", "UNICODE_ERRORS", "BrownCorpus", "LineSentence", "PathLineSentences", "Text8Corpus",
           "check_iterable", "check_limit", "check_sentence", "check_unicode_errors", "corpus_paths",
           "is_file_object", "iter_blocks", "iter_file_pieces", "iter_file_sentences",
           "block_threads", "corpus_path", "open_corpus_file", "run_in_file_order", "usable_cpus"]
