"""Every exception fastw2v raises on purpose.

Each is also an instance of the built-in that code written for gensim catches in the same
situation (``ValueError`` for bad values, ``ZeroDivisionError`` for an empty query,
``RuntimeError`` for a distributed job that cannot finish), so existing ``except``
clauses keep working while fastw2v's message names the problem.
"""


class ParameterError(ValueError):
    """A training parameter is outside its domain."""


class CorpusError(ValueError):
    """A corpus cannot be read: missing, unreadable, not UTF-8, empty, or of the wrong type."""


class VocabularyError(ValueError):
    """The vocabulary is empty or a vocabulary file is malformed."""


class FormatError(ValueError):
    """A file is truncated, corrupt, or not in the expected format."""


class EmptyQueryError(ValueError, ZeroDivisionError):
    """A query has no input (gensim raises ``ZeroDivisionError`` or ``ValueError`` here)."""


class UsageError(ValueError):
    """A command line (``fastw2v ...``) that cannot be run."""


class DistributedTrainingError(RuntimeError):
    """A round could not be completed (a task kept failing after its retries)."""


__all__ = ["ParameterError", "CorpusError", "VocabularyError", "FormatError",
           "EmptyQueryError", "UsageError", "DistributedTrainingError"]
