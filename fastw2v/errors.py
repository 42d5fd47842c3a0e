"""Every exception fastw2v raises on purpose.

Each is also an instance of the built-in that code written for gensim catches in the same
situation (``ValueError`` for bad values, ``TypeError`` for a corpus given twice or not at all,
``ZeroDivisionError`` for an empty query,
``EOFError`` for a truncated file, ``pickle.UnpicklingError`` for a damaged gensim
pickle, ``FileNotFoundError`` for a missing file, ``OSError`` for one that cannot be
read, ``UnicodeDecodeError`` for an undecodable word, ``RuntimeError`` for an empty corpus or vocabulary or a distributed job
that cannot finish), so existing ``except`` clauses keep working while fastw2v's message
names the problem.
"""
import pickle


class ParameterError(ValueError):
    """A training parameter is outside its domain."""


class SourceError(ParameterError, TypeError):
    """Both or neither of ``corpus_iterable`` (``sentences``) and ``corpus_file`` were
    given (gensim raises ``TypeError`` here)."""


class CorpusError(ValueError):
    """A corpus cannot be read: missing, unreadable, not UTF-8, empty, or of the wrong type."""


class CorpusNotFoundError(CorpusError, FileNotFoundError):
    """A corpus file or directory does not exist (gensim's readers raise
    ``FileNotFoundError``)."""


class CorpusReadError(CorpusError, OSError):
    """A corpus file cannot be opened or read: not readable, not a regular file, or a
    compressed file that is damaged (gensim's readers raise an ``OSError`` here:
    ``PermissionError``, ``IsADirectoryError``, ``gzip.BadGzipFile``...)."""


class TruncatedCorpusError(CorpusError, EOFError):
    """A compressed corpus file ends before its compressed stream does (gensim's readers
    raise ``EOFError``)."""


class EmptyCorpusError(CorpusError, RuntimeError):
    """The corpus holds no word (gensim gets an empty vocabulary and raises
    ``RuntimeError`` when asked to train)."""


class VocabularyError(ValueError):
    """The vocabulary is empty or a vocabulary file is malformed."""


class FormatError(ValueError):
    """A file is truncated, corrupt, or not in the expected format."""


class TruncatedFileError(FormatError, EOFError):
    """A vector or model file ends before its header said it would (gensim code catches
    ``EOFError`` here)."""


class TruncatedPickleError(TruncatedFileError, pickle.UnpicklingError):
    """A gensim model's pickle ends early (gensim code catches ``EOFError`` or
    ``pickle.UnpicklingError`` here)."""


class CorruptPickleError(FormatError, pickle.UnpicklingError):
    """A gensim model's pickle is damaged (gensim code catches ``pickle.UnpicklingError``
    here)."""


class MissingFileError(FormatError, FileNotFoundError):
    """A file that a saved model needs beside it is missing: a ``.npy``/``.npz`` array
    gensim saved separately (gensim code catches ``FileNotFoundError`` here)."""


class UndecodableError(FormatError, UnicodeDecodeError):
    """A word in a file is not valid in the file's encoding (gensim code catches
    ``UnicodeDecodeError`` here). ``str()`` is fastw2v's message, which names the file
    and the way out (``unicode_errors=``); the codec details stay in the usual attributes
    (``encoding``, ``object``, ``start``, ``end``, ``reason``)."""

    def __init__(self, message: str, encoding: str, obj: bytes, start: int, end: int,
                 reason: str):
        UnicodeDecodeError.__init__(self, encoding, obj, start, end, reason)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        return (type(self), (self.message, self.encoding, self.object, self.start, self.end,
                             self.reason))


class UndecodableCorpusError(CorpusError, UndecodableError):
    """A corpus file's bytes are not UTF-8 (gensim's readers raise ``UnicodeDecodeError``);
    the message names the file, the line and the byte offset."""


class UnsafePickleError(FormatError):
    """A pickled model asks to build something the restricted loader does not allow (a
    crafted file trying to run code); nothing from it was executed."""


class UnsupportedModelError(FormatError):
    """A saved model of a kind fastw2v does not read (gensim 3.x, FastText, Doc2Vec...);
    the message says what the file is and how to convert it."""


class EmptyVocabularyError(VocabularyError, RuntimeError):
    """No word is left after min_count and trimming (gensim raises ``RuntimeError``)."""


class EmptyQueryError(ValueError, ZeroDivisionError):
    """A query has no input (gensim raises ``ZeroDivisionError`` or ``ValueError`` here)."""


class UsageError(ValueError):
    """A command line (``fastw2v ...``) that cannot be run."""


class DistributedTrainingError(RuntimeError):
    """A round could not be completed (a task kept failing after its retries)."""


__all__ = ["ParameterError", "CorpusError", "CorpusNotFoundError", "CorpusReadError",
           "TruncatedCorpusError", "UndecodableCorpusError", "VocabularyError", "FormatError",
           "TruncatedFileError", "TruncatedPickleError", "CorruptPickleError",
           "MissingFileError", "UndecodableError", "UnsafePickleError",
           "UnsupportedModelError", "EmptyVocabularyError", "EmptyQueryError", "UsageError",
           "DistributedTrainingError"]
