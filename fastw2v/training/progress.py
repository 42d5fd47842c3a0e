"""Progress display for vocabulary building and training.

``progress=None`` (the default) shows a bar only when standard error is a terminal, so
scripts, notebooks' logs and CI stay quiet, as gensim users expect; ``progress=True``
forces it, ``progress=False`` silences it. The bar is drawn by ``tqdm`` when it is
installed (``pip install fastw2v[progress]``), otherwise by a small built-in line
printer on standard error. Log messages go through the ``fastw2v`` logger either way.
"""
from __future__ import annotations

import sys
import time
from typing import Optional

#: Seconds between two redraws of the built-in line printer.
LINE_INTERVAL = 0.5


def progress_enabled(progress) -> bool:
    """Resolve the ``progress`` argument (None means: on if stderr is a terminal)."""
    if progress is None:
        try:
            return bool(sys.stderr.isatty())
        except (AttributeError, ValueError):
            return False
    if isinstance(progress, str):
        if progress not in ("tqdm", "plain"):
            raise ValueError(f"progress={progress!r} is invalid: use True, False, None, "
                             "'tqdm' or 'plain'")
        return True
    if not isinstance(progress, (bool, int)):
        raise ValueError(f"progress={progress!r} is invalid: use True, False, None, "
                         "'tqdm' or 'plain'")
    return bool(progress)


def _human(n: float) -> str:
    for unit in ("", "k", "M", "G", "T"):
        if abs(n) < 1000:
            return f"{n:.0f}{unit}" if unit == "" else f"{n:.1f}{unit}"
        n /= 1000.0
    return f"{n:.1f}P"


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def loss_shown(loss) -> bool:
    """Whether a mean ``loss`` is one to show. Without ``compute_loss`` the kernels still
    count their examples but add nothing to the sum, so the epoch's mean loss reads exactly
    0; a computed one is a mean of ``-log sigmoid(x)`` terms, each above 0 (and NaN when
    the training diverged, which is shown)."""
    return loss != 0


class Progress:
    """A progress display of words done out of ``total`` (``None``: unknown).

    Call :meth:`update` with the absolute number of words done and optional figures
    (``alpha``, ``loss``, any name=value) shown next to the rate; :meth:`close` at the end.
    A figure that is None is not shown, nor a ``loss`` of exactly 0 (see
    :func:`loss_shown`).
    """

    def __init__(self, desc: str, total: Optional[int] = None, backend: str = "auto",
                 stream=None):
        self.desc = desc
        self.total = total
        self.stream = sys.stderr if stream is None else stream
        self.start = time.perf_counter()
        self.done = 0
        self.fields: dict = {}
        self._bar = None
        self._last_draw = 0.0
        self._width = 0
        if backend in ("auto", "tqdm"):
            try:
                from tqdm.auto import tqdm
            except ImportError:
                if backend == "tqdm":
                    raise ImportError("progress='tqdm' needs tqdm: pip install tqdm") from None
            else:
                self._bar = tqdm(total=total, desc=desc, unit="word", unit_scale=True,
                                 dynamic_ncols=True, file=self.stream, leave=True)

    def rate(self) -> float:
        """Words per second of wall-clock time since the start."""
        return self.done / max(time.perf_counter() - self.start, 1e-9)

    def update(self, done: int, **fields) -> None:
        done = int(done)
        fields = {k: v for k, v in fields.items()
                  if v is not None and (k != "loss" or loss_shown(v))}
        self.fields.update(fields)
        if self._bar is not None:
            self._bar.update(max(0, done - self.done))
            self.done = done
            if fields:
                self._bar.set_postfix(self._format_fields(), refresh=False)
            return
        self.done = done
        now = time.perf_counter()
        if now - self._last_draw >= LINE_INTERVAL:
            self._draw()
            self._last_draw = now

    def _format_fields(self) -> dict:
        out = {}
        for k, v in self.fields.items():
            if k == "alpha":
                out[k] = f"{v:.6f}"
            elif isinstance(v, float):
                out[k] = f"{v:.4f}"
            else:
                out[k] = str(v)
        return out

    def line(self) -> str:
        """The built-in printer's current line."""
        elapsed = time.perf_counter() - self.start
        rate = self.rate()
        parts = [self.desc + ":"]
        if self.total:
            frac = min(self.done / self.total, 1.0)
            parts.append(f"{100 * frac:5.1f}% {_human(self.done)}/{_human(self.total)} words")
        else:
            parts.append(f"{_human(self.done)} words")
        parts.append(f"{_human(rate)} words/s")
        parts.extend(f"{k} {v}" for k, v in self._format_fields().items())
        if self.total and rate > 0 and self.done < self.total:
            parts.append(f"ETA {_clock((self.total - self.done) / rate)}")
        else:
            parts.append(f"elapsed {_clock(elapsed)}")
        return ", ".join([" ".join(parts[:2])] + parts[2:])

    def _draw(self, end: str = "") -> None:
        if self._width is None:              # closed
            return
        text = self.line()
        pad = max(0, self._width - len(text))
        self._width = len(text)
        try:
            self.stream.write("\r" + text + " " * pad + end)
            self.stream.flush()
        except (OSError, ValueError):        # a closed or broken stream must not stop training
            pass

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
            self._width = None
            return
        if self._width is not None:
            self._draw(end="\n")
            self._width = None


class NoProgress:
    """Does nothing (``progress=False``)."""

    done = 0

    def update(self, done, **fields) -> None:
        self.done = done

    def close(self) -> None:
        pass


def make_progress(progress, desc: str, total: Optional[int] = None):
    """A :class:`Progress` if ``progress`` resolves to on, else a :class:`NoProgress`."""
    if not progress_enabled(progress):
        return NoProgress()
    backend = {"plain": "plain", "tqdm": "tqdm"}.get(progress, "auto") \
        if isinstance(progress, str) else "auto"
    return Progress(desc, total, backend)
