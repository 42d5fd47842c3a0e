"""fastw2v: word2vec (skip-gram / CBOW, hierarchical softmax / negative sampling) trained by
nogil Cython kernels on worker threads, with gensim 4's API."""
from .callbacks import CallbackAny2Vec, EarlyStopping, EvaluationCallback
from .config import ParameterError, TrainConfig
from .corpus import CorpusError, LineSentence, Text8Corpus
from . import datasets
from .evaluation import compute_accuracy, evaluate_word_analogies, evaluate_word_pairs
from .io import FormatError
from .keyedvectors import EmptyQueryError, KeyedVectors
from .model import Word2Vec
from .vocab import RULE_DEFAULT, RULE_DISCARD, RULE_KEEP, Vocab, VocabBuilder, VocabularyError

__version__ = "0.1.0"

__all__ = [
    "Word2Vec", "KeyedVectors", "LineSentence", "Text8Corpus", "TrainConfig", "Vocab",
    "VocabBuilder", "ParameterError", "CorpusError", "VocabularyError", "FormatError",
    "EmptyQueryError",
    "RULE_DEFAULT", "RULE_DISCARD", "RULE_KEEP", "__version__",
    "CallbackAny2Vec", "EvaluationCallback", "EarlyStopping",
    "evaluate_word_analogies", "evaluate_word_pairs", "compute_accuracy", "datasets",
]
