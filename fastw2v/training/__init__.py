"""Running the kernels: worker threads and their schedules (:mod:`.trainer`, and the
reproducible rounds of :mod:`.rounds`), progress reporting and callbacks."""
from .callbacks import CallbackAny2Vec, EarlyStopping, EvaluationCallback

__all__ = ["CallbackAny2Vec", "EarlyStopping", "EvaluationCallback"]
