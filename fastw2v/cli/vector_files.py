"""Vector files on the command line: which format a file is in (from its name, or from
its content, compressed or not) and reading or writing :class:`fastw2v.KeyedVectors`
in any of them: ``bin`` (word2vec binary), ``txt`` (word2vec text, also ``.vec``),
``glove`` (text without header) and ``fw2v`` (fastw2v native, whole models too); files
saved by gensim 4 (``gensim``: a model's or a KeyedVectors' pickle) are read too."""
from __future__ import annotations

import os
from typing import Optional

from ..corpus.compression import DECOMPRESSION_ERRORS, sniff, strip_suffix
from ..io.gensim_pickle import is_gensim_pickle

VECTOR_FORMATS = ("bin", "txt", "glove", "fw2v")


def format_of(path: str, given: Optional[str] = None) -> Optional[str]:
    """``bin``, ``txt`` or ``fw2v`` from the file name (``.bin``; ``.txt``/``.vec``;
    ``.fw2v``, compression suffixes ignored), ``given`` if set, else None."""
    if given:
        return given
    ext = os.path.splitext(strip_suffix(path).lower())[1]
    return {".bin": "bin", ".txt": "txt", ".vec": "txt", ".fw2v": "fw2v",
            ".model": "fw2v", ".kv": "fw2v"}.get(ext)


def _head(path: str, n: int = 1 << 16) -> bytes:
    """The first ``n`` bytes of a file, decompressed if its first bytes say it is
    compressed (:data:`fastw2v.corpus.compression.COMPRESSIONS`)."""
    compression = sniff(path)
    if compression is None:
        with open(path, "rb") as fh:
            return fh.read(n)
    try:
        with compression.open(path, "rb") as fh:
            return fh.read(n)
    except DECOMPRESSION_ERRORS as exc:
        raise ValueError(f"{path}: corrupt compressed file ({exc})") from None


def sniff_format(path: str) -> str:
    """The format of an existing vector file, from its content (the C tool writes text
    or binary whatever the name): ``gensim``, ``fw2v``, ``bin``, ``txt`` or ``glove``."""
    if is_gensim_pickle(path):
        return "gensim"
    head = _head(path)
    if head.startswith(b"FASTW2V\0"):
        return "fw2v"
    first, _, rest = head.partition(b"\n")
    parts = first.split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return "glove"
    row = rest.split(b"\n", 1)[0].split()
    try:
        if len(row) == int(parts[1]) + 1:
            [float(x) for x in row[1:]]
            return "txt"
    except ValueError:
        pass
    return "bin"


def load_vectors(path, fmt: Optional[str] = None, unicode_errors: str = "strict"):
    """A :class:`fastw2v.KeyedVectors` from a vector or model file of any format
    (``fmt``, else recognised from the content); ``unicode_errors`` says what to do with
    words of a word2vec or GloVe file that are not UTF-8 (native files hold valid
    UTF-8)."""
    from ..vectors.keyedvectors import KeyedVectors
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file")
    fmt = fmt or sniff_format(path)
    if fmt in ("fw2v", "gensim") and is_gensim_pickle(path):
        # gensim's .model/.kv pickles, read without running code from them
        return KeyedVectors.load(path)
    if fmt == "fw2v":
        # a vector file, or a whole model's (KeyedVectors.load reads only its wv)
        return KeyedVectors.load(path, mmap="r")
    return KeyedVectors.load_word2vec_format(path, binary=(fmt == "bin"),
                                             no_header=(fmt == "glove"),
                                             unicode_errors=unicode_errors)


def save_vectors(kv, path, fmt: Optional[str] = None) -> None:
    """Write ``kv`` as ``bin``/``txt``/``glove``/``fw2v`` (from the name if not given;
    word2vec text when the name does not say)."""
    fmt = format_of(path, fmt) or "txt"
    if fmt == "fw2v":
        kv.save(path)
    else:
        kv.save_word2vec_format(path, binary=(fmt == "bin"), write_header=(fmt != "glove"))


__all__ = ["VECTOR_FORMATS", "format_of", "load_vectors", "save_vectors", "sniff_format"]
