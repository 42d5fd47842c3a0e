"""Files: the native format (:mod:`.native`: one header, raw arrays, memory-mappable) and
the word2vec C tool's text and binary formats, GloVe and fastText ``.vec`` included
(:mod:`.word2vec_format`)."""
from ..errors import FormatError, TruncatedFileError, UndecodableError
from .native import (atomic_write, decode_strings, encode_strings, load_native, pack_attrs,
                     save_native, unpack_attrs)
from .word2vec_format import load_word2vec_format, read_word2vec_rows, save_word2vec_format

__all__ = ["FormatError", "TruncatedFileError", "UndecodableError", "atomic_write",
           "decode_strings", "encode_strings", "load_native", "pack_attrs", "save_native",
           "unpack_attrs",
           "load_word2vec_format", "read_word2vec_rows", "save_word2vec_format"]
