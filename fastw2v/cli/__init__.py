"""The ``fastw2v`` command: gensim-style subcommands (:mod:`.commands`) and the word2vec
C tool's flags (:mod:`.ctool`), parsed and dispatched by :mod:`.app`."""
from .app import main

__all__ = ["main"]
