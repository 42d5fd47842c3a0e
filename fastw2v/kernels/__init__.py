"""The training kernels, in the SIMD variant this CPU runs best.

The kernel code (``_train.pxi``) is compiled once per instruction set into its own
extension module: ``_train_avx512``, ``_train_avx2`` and ``_train_portable`` on x86-64,
``_train_portable`` elsewhere. Each is a whole compiled copy of the sentence loop, so the
vector maths is inlined into it with that variant's instructions and the hot loop makes
no indirect calls. At import the best variant the CPU (and its OS) supports is chosen;
``FASTW2V_FORCE_SIMD=<variant>`` overrides the choice (``portable`` runs anywhere; a
variant this CPU cannot run raises ``ImportError`` instead of crashing later).

A wheel therefore runs on any machine of its architecture at that machine's best speed.
"""
from __future__ import annotations

import importlib
import importlib.util
import os

from . import layout  # noqa: F401  (kernels.layout: the weights' layout)
from ._cpu import amd_family, runnable_variants

#: Every variant the package may contain, best first.
VARIANTS = ("native", "avx512", "avx2", "portable")


def _compiled(name: str) -> bool:
    return importlib.util.find_spec(f"{__name__}._train_{name}") is not None


def available_variants() -> list:
    """The variants compiled into this installation that this CPU can run, best first."""
    runnable = runnable_variants()
    return [v for v in runnable if _compiled(v)]


def _choose() -> str:
    forced = os.environ.get("FASTW2V_FORCE_SIMD", "").strip().lower()
    if forced:
        if forced not in VARIANTS:
            raise ImportError(f"FASTW2V_FORCE_SIMD={forced!r} is not a kernel variant: use one "
                              f"of {', '.join(VARIANTS)}")
        if forced != "native" and forced not in runnable_variants():
            raise ImportError(f"FASTW2V_FORCE_SIMD={forced!r}: this CPU cannot run the "
                              f"{forced} kernels (it runs {', '.join(runnable_variants())})")
        if not _compiled(forced):
            raise ImportError(f"FASTW2V_FORCE_SIMD={forced!r}: this installation has no "
                              f"{forced} kernels (it has {', '.join(available_variants())})")
        return forced
    choices = available_variants()
    if not choices:
        raise ImportError("fastw2v was installed without compiled kernels; reinstall it")
    return choices[0]


#: The variant in use: ``"avx512"``, ``"avx2"``, ``"portable"`` (or ``"native"``).
SIMD_VARIANT = _choose()
#: The module holding the chosen variant (tests compare variants through it).
impl = importlib.import_module(f"{__name__}._train_{SIMD_VARIANT}")

Model = impl.Model
Worker = impl.Worker
learning_rate = impl.learning_rate
merge_private_rows = impl.merge_private_rows
apply_private_deltas = impl.apply_private_deltas
pack_alias = impl.pack_alias
draw_noise_samples = impl.draw_noise_samples
random_stream = impl.random_stream
SIGMOID_TABLE_RANGE = impl.SIGMOID_TABLE_RANGE
MAX_SENTENCE = impl.MAX_SENTENCE
PROGRESS_EVERY = impl.PROGRESS_EVERY
NOISE_STREAM_KEY = impl.NOISE_STREAM_KEY
HAVE_REG_PATH = impl.HAVE_REG_PATH

#: AMD's family 0x19 with AVX-512 is Zen 4, whose 512-bit operations take two passes
#: through 256-bit units: there the register-resident loops trained slower than the
#: AVX2 kernels (one worker at vector_size 100: skip-gram/HS at 0.69x, CBOW/HS 0.88x,
#: skip-gram/NS 0.93x), and the 16-float loops of the rest of the variant did not.
_REGISTER_KERNELS_SLOW = (0x19,)


def _register_kernels() -> bool:
    forced = os.environ.get("FASTW2V_REGISTER_KERNELS", "").strip()
    if forced:
        if forced not in ("0", "1"):
            raise ImportError(f"FASTW2V_REGISTER_KERNELS={forced!r}: use 1 (on) or 0 (off)")
        return HAVE_REG_PATH and forced == "1"
    return HAVE_REG_PATH and amd_family() not in _REGISTER_KERNELS_SLOW


#: Whether models use the variant's register-resident loops (AVX-512, vector_size <=
#: 128): where the variant has them, unless this CPU runs them slower (Zen 4).
#: ``FASTW2V_REGISTER_KERNELS=0`` or ``1`` overrides the choice.
REGISTER_KERNELS = _register_kernels()

__all__ = ["Model", "Worker", "learning_rate", "merge_private_rows", "apply_private_deltas",
           "pack_alias", "draw_noise_samples", "random_stream", "SIGMOID_TABLE_RANGE",
           "MAX_SENTENCE", "PROGRESS_EVERY", "NOISE_STREAM_KEY", "HAVE_REG_PATH",
           "REGISTER_KERNELS",
           "SIMD_VARIANT", "VARIANTS", "available_variants"]
