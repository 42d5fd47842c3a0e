"""fastw2v: word2vec (skip-gram / CBOW, hierarchical softmax / negative sampling) trained by
nogil Cython kernels on worker threads, with gensim 4's API."""
from . import datasets
from .config import MAX_WORDS_IN_BATCH, TrainConfig
from .corpus import BrownCorpus, LineSentence, PathLineSentences, Text8Corpus
from .errors import (CorpusError, CorpusNotFoundError, CorpusReadError, CorruptPickleError,
                     DistributedTrainingError, TruncatedCorpusError, UndecodableCorpusError,
                     EmptyCorpusError, EmptyQueryError, EmptyVocabularyError, FormatError,
                     MissingFileError, ParameterError, SourceError, TruncatedFileError,
                     TruncatedPickleError, UndecodableError, UnsafePickleError,
                     UnsupportedModelError, UsageError, VocabularyError)
from .evaluation import compute_accuracy, evaluate_word_analogies, evaluate_word_pairs
from .model import Word2Vec
from .phrases import ENGLISH_CONNECTOR_WORDS, FrozenPhrases, Phraser, Phrases
from .training import CallbackAny2Vec, EarlyStopping, EvaluationCallback
from .vectors import KeyedVectors
from .vocab import RULE_DEFAULT, RULE_DISCARD, RULE_KEEP, Vocab, VocabBuilder

__version__ = "0.1.0"

#: gensim's module-level names that code imports from ``gensim.models.word2vec`` and
#: ``gensim.models.keyedvectors``: ``FAST_VERSION`` > -1 says the compiled routines are
#: there (always, here: 1, gensim's value for its float32 path); ``MAX_WORDS_IN_BATCH``
#: (from config) is gensim's default ``batch_words``; ``Word2VecKeyedVectors`` is gensim
#: 3's name of ``KeyedVectors``, an alias in gensim 4.
FAST_VERSION = 1
Word2VecKeyedVectors = KeyedVectors


def show_config(file=None) -> dict:
    """Print what this installation runs, and return it as a dict: the version, the
    kernels' SIMD variant in use, the variants compiled in that this CPU can run, and
    the Python and NumPy versions. ``FASTW2V_FORCE_SIMD`` changes the variant."""
    import platform
    import sys

    import numpy

    from . import kernels

    info = {
        "fastw2v": __version__,
        "simd_variant": kernels.SIMD_VARIANT,
        "simd_available": kernels.available_variants(),
        "register_kernels": bool(kernels.REGISTER_KERNELS),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
    }
    out = sys.stdout if file is None else file
    for key, value in info.items():
        if isinstance(value, list):
            value = ", ".join(value)
        print(f"{key + ':':<18}{value}", file=out)
    return info


__all__ = [
    "Word2Vec", "KeyedVectors", "BrownCorpus", "LineSentence", "PathLineSentences", "Text8Corpus",
    "TrainConfig", "Vocab", "VocabBuilder", "ParameterError", "CorpusError",
    "VocabularyError", "FormatError", "EmptyQueryError", "EmptyVocabularyError",
    "EmptyCorpusError", "SourceError", "TruncatedFileError", "TruncatedPickleError",
    "CorruptPickleError", "MissingFileError", "UndecodableError", "UnsafePickleError",
    "UnsupportedModelError", "UsageError", "DistributedTrainingError", "CorpusNotFoundError",
    "CorpusReadError", "TruncatedCorpusError", "UndecodableCorpusError",
    "RULE_DEFAULT", "RULE_DISCARD", "RULE_KEEP", "__version__",
    "CallbackAny2Vec", "EvaluationCallback", "EarlyStopping",
    "evaluate_word_analogies", "evaluate_word_pairs", "compute_accuracy", "datasets",
    "show_config", "Phrases", "FrozenPhrases", "Phraser", "ENGLISH_CONNECTOR_WORDS",
    "FAST_VERSION", "MAX_WORDS_IN_BATCH", "Word2VecKeyedVectors",
]
