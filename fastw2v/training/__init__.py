"""Running the kernels. One thread runner (:mod:`.runner`: start, join, Ctrl-C, errors)
under two schedules (:mod:`.trainer`, lock-free; :mod:`.rounds`, reproducible); one
``train()`` call around them (:mod:`.session`: jobs, epochs, learning rate, history,
callbacks, progress); progress display (:mod:`.progress`) and callbacks
(:mod:`.callbacks`)."""
from .callbacks import CallbackAny2Vec, EarlyStopping, EvaluationCallback

__all__ = ["CallbackAny2Vec", "EarlyStopping", "EvaluationCallback"]
