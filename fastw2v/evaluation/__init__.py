"""Scoring vectors: analogies (3CosAdd and 3CosMul, gensim's rules), the C tool's
compute-accuracy and word-pair similarity (:mod:`.scoring`), with the correlation
statistics they report (:mod:`.statistics`: Spearman, Pearson, p-values)."""
from .scoring import (CToolAccuracy, analogy_objective, compute_accuracy, datasets,
                      evaluate_word_analogies, evaluate_word_pairs)
from .statistics import CorrelationResult, pearson_correlation, rankdata, spearman_correlation

__all__ = ["CorrelationResult", "analogy_objective", "CToolAccuracy", "compute_accuracy", "datasets",
           "evaluate_word_analogies", "evaluate_word_pairs", "pearson_correlation",
           "rankdata", "spearman_correlation"]
