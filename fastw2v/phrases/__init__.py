"""Phrase detection (multi-word expressions such as ``new_york``), gensim 4's API on
compiled counting and applying.

* :mod:`.model` -- :class:`Phrases`, :class:`FrozenPhrases` (alias :class:`Phraser`),
  the scorers, :data:`ENGLISH_CONNECTOR_WORDS`, and :func:`word2phrase` (one pass of
  the word2vec toolkit's tool).
* ``_phrases`` -- the compiled half: the key table, counting and applying on UTF-8
  bytes (``_phrases.h``).

This module only re-exports their public names.
"""
from .model import (ENGLISH_CONNECTOR_WORDS, FrozenPhrases, PhraseVocab, Phraser, Phrases,
                    learn_counts, npmi_scorer, original_scorer, word2phrase)

__all__ = ["ENGLISH_CONNECTOR_WORDS", "FrozenPhrases", "PhraseVocab", "Phraser", "Phrases",
           "learn_counts", "npmi_scorer", "original_scorer", "word2phrase"]
