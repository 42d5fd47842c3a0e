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
import io
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


class TrailingDataError(OSError):
    """Bytes after the last compressed stream of a file that are neither another stream
    nor zero padding: a damaged or mis-joined file, whose rest would be lost unread."""


def _next_stream(data: bytes, magic: bytes, name: str) -> bytes:
    """What follows a finished stream, checked: ``b""`` at the end (zero padding, which
    gzip also allows, counts as the end), else the next stream's bytes; raises
    :class:`TrailingDataError` where they do not start as a ``name`` stream does.
    (The standard library's bzip2 and xz readers silently ignore such bytes; its gzip
    reader refuses them, and now all three do.)"""
    rest = data.lstrip(b"\0")
    if rest and not rest.startswith(magic[: len(rest)]):
        raise TrailingDataError(f"data after the end of the {name} stream is not another "
                                f"{name} stream (trailing garbage: {rest[:16]!r})")
    return rest


def _strict_decompress(factory: Callable, magic: bytes, name: str) -> Callable[[bytes], bytes]:
    """``decompress(data)`` for a whole file of one or more ``name`` streams."""
    def decompress(data: bytes) -> bytes:
        out = []
        while True:
            dec = factory()
            out.append(dec.decompress(data))
            if not dec.eof:
                raise EOFError("Compressed data ended before the end-of-stream marker was "
                               "reached")
            data = _next_stream(dec.unused_data, magic, name)
            if not data:
                return b"".join(out)
    return decompress


class _StrictReader(io.RawIOBase):
    """The uncompressed bytes of a file of one or more ``name`` streams, read as they
    are needed (at most ``len(b)`` bytes decompressed per call), refusing trailing bytes
    that are not another stream (:func:`_next_stream`)."""

    _CHUNK = 1 << 16

    def __init__(self, path, factory: Callable, magic: bytes, name: str):
        self._fh = open(path, "rb")
        self.name = os.fspath(path)
        self._factory, self._magic, self._format = factory, magic, name
        self._dec = factory()
        self._pending = b""             # raw bytes not yet given to a decompressor

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        want = len(b)
        while want:
            if self._dec.eof:
                rest = self._dec.unused_data + self._pending
                self._pending = b""
                while not rest.lstrip(b"\0"):
                    rest = self._fh.read(self._CHUNK)
                    if not rest:
                        return 0
                rest = _next_stream(rest, self._magic, self._format)
                self._dec, self._pending = self._factory(), rest
            data = b""
            if self._dec.needs_input:
                data, self._pending = self._pending or self._fh.read(self._CHUNK), b""
                if not data:
                    raise EOFError("Compressed file ended before the end-of-stream marker "
                                   "was reached")
            out = self._dec.decompress(data, max_length=want)
            if out:
                b[: len(out)] = out
                return len(out)
        return 0

    def close(self) -> None:
        if not self.closed:
            self._fh.close()
        super().close()


def _strict_open(factory: Callable, magic: bytes, name: str) -> Callable[..., BinaryIO]:
    def open_(path, mode: str = "rb") -> BinaryIO:
        if mode != "rb":
            raise ValueError(f"mode={mode!r}: only 'rb' reads a {name} file")
        return io.BufferedReader(_StrictReader(path, factory, magic, name), 1 << 16)
    return open_


def _strict(name: str, suffixes: Tuple[str, ...], magic: bytes, factory: Callable,
            wrap_writer: Callable[[BinaryIO], BinaryIO]) -> Compression:
    """The table entry of a format read by the strict reader (:class:`_StrictReader`)."""
    return Compression(name, suffixes, magic, _strict_open(factory, magic, name), wrap_writer,
                       _strict_decompress(factory, magic, name))


def _gzip_writer(fh: BinaryIO) -> BinaryIO:
    # mtime=0: the same vectors give the same file bytes
    return gzip.GzipFile(fileobj=fh, mode="wb", mtime=0)


COMPRESSIONS: Tuple[Compression, ...] = (
    Compression("gzip", (".gz",), b"\x1f\x8b", gzip.open, _gzip_writer, gzip.decompress),
    _strict("bzip2", (".bz2",), b"BZh", bz2.BZ2Decompressor,
            lambda fh: bz2.BZ2File(fh, "wb")),
    _strict("xz", (".xz", ".lzma"), b"\xfd7zXZ\x00", lzma.LZMADecompressor,
            lambda fh: lzma.LZMAFile(fh, "wb")),
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


def write_by_suffix(path, write: Callable[[BinaryIO], None]) -> Callable[[BinaryIO], None]:
    """``write`` (a function writing to a binary file) made to compress what it writes
    when ``path``'s suffix names a format; ``write`` itself for a plain name. The
    compressor is closed (its end written) once ``write`` returns; if ``write`` raises,
    that error is the one that propagates."""
    compression = by_suffix(path)
    if compression is None:
        return write

    def compressed(fh: BinaryIO) -> None:
        out = compression.wrap_writer(fh)
        try:
            write(out)
        except BaseException:
            try:
                out.close()
            except Exception:       # the first error says what went wrong
                pass
            raise
        out.close()

    return compressed


def open_by_suffix(path) -> BinaryIO:
    """A binary reader of ``path``, decompressing if its suffix names a format."""
    compression = by_suffix(path)
    return open(path, "rb") if compression is None else compression.open(path, "rb")


def open_by_magic(path) -> BinaryIO:
    """A binary reader of ``path``, decompressing if its first bytes name a format."""
    compression = sniff(path)
    return open(path, "rb") if compression is None else compression.open(path, "rb")


__all__ = ["COMPRESSIONS", "Compression", "DECOMPRESSION_ERRORS", "TrailingDataError", "MAGIC_LENGTH", "by_magic",
           "by_suffix", "open_by_magic", "open_by_suffix", "sniff", "strip_suffix",
           "write_by_suffix"]
