"""Phrase detection (multi-word expressions such as ``new_york``): gensim 4's API on
compiled counting and applying.

* :mod:`.model` -- :class:`Phrases`, :class:`FrozenPhrases` (alias :class:`Phraser`):
  learning, applying, saving and loading.
* :mod:`.scoring` -- the scorers and :data:`ENGLISH_CONNECTOR_WORDS`.
* :mod:`.params` -- the checks on every parameter.
* :mod:`.passes` -- the passes over a corpus: counting, writing a transformed corpus
  file, and :func:`word2phrase` (one pass of the word2vec toolkit's tool).
* :mod:`.gensim_format` -- reading the phrase models gensim saved (restricted unpickling).
* ``_phrases`` -- the compiled half: the key table, counting and applying on UTF-8
  bytes (``_phrases.h``).

This module only re-exports their public names.
"""
from .model import FrozenPhrases, PhraseVocab, Phraser, Phrases
from .passes import learn_counts, word2phrase
from .scoring import ENGLISH_CONNECTOR_WORDS, npmi_scorer, original_scorer

__all__ = ["ENGLISH_CONNECTOR_WORDS", "FrozenPhrases", "PhraseVocab", "Phraser", "Phrases",
           "learn_counts", "npmi_scorer", "original_scorer", "word2phrase"]
