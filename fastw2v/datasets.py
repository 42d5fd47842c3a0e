"""Paths of the evaluation sets and the text sample shipped inside the package, so that
evaluation works offline::

    from fastw2v import datasets
    model.wv.evaluate_word_analogies(datasets.questions_words)
    model.wv.evaluate_word_pairs(datasets.wordsim353)

Provenance and licences: ``fastw2v/data/README.md``.
"""
from __future__ import annotations

import os
from typing import Dict

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")

#: Google's analogy set (19,544 questions, 14 sections; the first 5 are "semantic").
questions_words = os.path.join(DATA_DIR, "questions-words.txt")
#: WordSim-353, tab-separated ``word1 word2 score`` lines.
wordsim353 = os.path.join(DATA_DIR, "wordsim353.tsv")
#: SimLex-999, tab-separated ``word1 word2 score`` lines.
simlex999 = os.path.join(DATA_DIR, "simlex999.txt")
#: 1.5M words of English Wikipedia (xz-compressed, one article per line, text8-style
#: cleaning); a ``corpus_file`` for quick experiments.
wiki_sample = os.path.join(DATA_DIR, "wiki_sample.txt.xz")


def paths() -> Dict[str, str]:
    """Every shipped file by name: ``questions-words``, ``wordsim353``, ``simlex999``,
    ``wiki-sample``."""
    return {"questions-words": questions_words, "wordsim353": wordsim353,
            "simlex999": simlex999, "wiki-sample": wiki_sample}


def evaluation_sets() -> Dict[str, str]:
    """The shipped evaluation sets by name: ``questions-words`` (analogies),
    ``wordsim353`` and ``simlex999`` (word pairs)."""
    return {"questions-words": questions_words, **word_pairs()}


def word_pairs() -> Dict[str, str]:
    """The shipped word-pair similarity sets by name."""
    return {"wordsim353": wordsim353, "simlex999": simlex999}
