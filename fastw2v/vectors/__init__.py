"""Trained vectors and queries over them: :class:`KeyedVectors` (gensim 4's names and
answers) and the output space of a negative-sampling model."""
from ..errors import EmptyQueryError
from ._keys import PackedKeys
from .keyedvectors import KeyedVectors
from .output_space import OutputSpaceMixin

__all__ = ["KeyedVectors", "OutputSpaceMixin", "EmptyQueryError", "PackedKeys"]
