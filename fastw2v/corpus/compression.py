"""The one table of compressed-file formats fastw2v reads and writes: gzip, bzip2 and xz.

Every place that meets a compressed file goes through :data:`COMPRESSIONS`: corpus
files are chosen by suffix (:func:`by_suffix`; ``.lzma`` files read through the xz
entry, whose reader also takes the legacy LZMA format), word-vector files by their
first bytes (:func:`by_magic`, :func:`sniff`), since the C tool and gensim name them
freely, and written files by suffix again. A format added here is known to all of them.
"""
from __future__ import annotations

import bz2
import gzip
import lzma
import os
import zlib
from typing import BinaryIO, Callable, NamedTuple, Optional, Tuple

#: What a decompressor raises on a damaged or truncated stream (gzip's ``BadGzipFile``
#: and bzip2's are ``OSError``; truncation is ``EOFError``).
DECOMPRESSION_ERRORS = (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error)


class Compression(NamedTuple):
    """One compressed format: how to recognise it and how to read and write it.

    Attributes
    ----------
    name : str
        ``"gzip"``, ``"bzip2"`` or ``"xz"``.
    suffixes : tuple of str
        Lower-case file-name suffixes, with the dot.
    magic : bytes
        The bytes every such file starts with.
    open : callable
        ``open(path, mode)``: a binary stream over the uncompressed bytes.
    wrap_writer : callable
        ``wrap_writer(fileobj)``: a binary stream that compresses into ``fileobj``
        (which stays open when the stream is closed).
    decompress : callable
        ``decompress(data)``: the uncompressed bytes of a whole file's ``data``.
    """

    name: str
    suffixes: Tuple[str, ...]
    magic: bytes
    open: Callable[..., BinaryIO]
    wrap_writer: Callable[[BinaryIO], BinaryIO]
    decompress: Callable[[bytes], bytes]


def _gzip_writer(fh: BinaryIO) -> BinaryIO:
    # mtime=0: the same vectors give the same file bytes
    return gzip.GzipFile(fileobj=fh, mode="wb", mtime=0)


COMPRESSIONS: Tuple[Compression, ...] = (
    Compression("gzip", (".gz",), b"\x1f\x8b", gzip.open, _gzip_writer, gzip.decompress),
    Compression("bzip2", (".bz2",), b"BZh", bz2.open, lambda fh: bz2.BZ2File(fh, "wb"),
                bz2.decompress),
    Compression("xz", (".xz", ".lzma"), b"\xfd7zXZ\x00", lzma.open,
                lambda fh: lzma.LZMAFile(fh, "wb"), lzma.decompress),
)

#: Bytes to read from the start of a file to recognise any format of the table.
MAGIC_LENGTH = max(len(c.magic) for c in COMPRESSIONS)


def by_suffix(path) -> Optional[Compression]:
    """The format ``path``'s suffix names (case ignored), or ``None`` for a plain file."""
    name = os.fspath(path).lower()
    for compression in COMPRESSIONS:
        if name.endswith(compression.suffixes):
            return compression
    return None


def by_magic(head: bytes) -> Optional[Compression]:
    """The format whose magic bytes ``head`` (a file's first bytes) starts with, or ``None``."""
    for compression in COMPRESSIONS:
        if head.startswith(compression.magic):
            return compression
    return None


def sniff(path) -> Optional[Compression]:
    """The format of the existing file ``path``, from its first bytes; ``None`` if plain."""
    with open(path, "rb") as fh:
        return by_magic(fh.read(MAGIC_LENGTH))


def strip_suffix(path) -> str:
    """``path`` without a compression suffix (``vectors.txt.gz`` -> ``vectors.txt``)."""
    name = os.fspath(path)
    compression = by_suffix(name)
    if compression is None:
        return name
    suffix = next(s for s in compression.suffixes if name.lower().endswith(s))
    return name[: -len(suffix)]


def open_by_suffix(path) -> BinaryIO:
    """A binary reader of ``path``, decompressing if its suffix names a format."""
    compression = by_suffix(path)
    return open(path, "rb") if compression is None else compression.open(path, "rb")


def open_by_magic(path) -> BinaryIO:
    """A binary reader of ``path``, decompressing if its first bytes name a format."""
    compression = sniff(path)
    return open(path, "rb") if compression is None else compression.open(path, "rb")


__all__ = ["COMPRESSIONS", "Compression", "DECOMPRESSION_ERRORS", "MAGIC_LENGTH", "by_magic",
           "by_suffix", "open_by_magic", "open_by_suffix", "sniff", "strip_suffix"]
