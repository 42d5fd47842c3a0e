"""Build script for the compiled modules.

* ``fastw2v.corpus._tokenize``: the byte tokenizer and id encoder (portable flags).
* ``fastw2v.vectors._keys``: keys packed into arrays, the vocabulary of loaded vectors.
* ``fastw2v.kernels._cpu``: which SIMD variants the running CPU supports (portable).
* ``fastw2v.kernels._train_<variant>``: the training kernels, one module per instruction
  set, all from ``_train.pxi``; ``fastw2v.kernels`` imports the best one at run time.
  On x86-64: ``portable`` (baseline x86-64), ``avx2`` (AVX2 + FMA) and ``avx512``; on
  other architectures ``portable`` only (NEON is part of aarch64's baseline).

So ``pip wheel .`` makes a wheel that runs on any machine of its architecture. Build
switches (environment variables):

* ``FASTW2V_NATIVE=1`` also builds a ``-march=native`` variant, used only when
  ``FASTW2V_FORCE_SIMD=native`` (the baseline ``benchmarks/bench_simd.py`` compares with).
* ``FASTW2V_DEBUG_FLAGS="-O1 -g -fsanitize=address,undefined"`` replaces the optimisation
  flags (sanitizer builds, ``scripts/sanitize.sh``).
"""
import os
import platform

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

X86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686")
BASE_FLAGS = os.environ.get("FASTW2V_DEBUG_FLAGS", "").split() or ["-O3", "-fno-strict-aliasing"]

# Instruction-set flags of each kernel variant. PREFETCHW (-mprfchw) is on every CPU with
# AVX2 or AVX-512 (older Intel cores execute it as a no-op).
VARIANT_FLAGS = {"portable": []}
if X86:
    VARIANT_FLAGS["portable"] = ["-Wno-psabi"]   # 8-float vectors in static inline helpers only
    VARIANT_FLAGS["avx2"] = ["-mavx2", "-mfma", "-mprfchw"]
    VARIANT_FLAGS["avx512"] = ["-mavx512f", "-mavx512vl", "-mavx512bw", "-mavx512dq",
                               "-mavx2", "-mfma", "-mprfchw"]
if os.environ.get("FASTW2V_NATIVE", "0") not in ("", "0"):
    VARIANT_FLAGS["native"] = ["-march=native"] if X86 else ["-mcpu=native"]

MACROS = [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]


def extension(name, source, include, flags=()):
    return Extension(name, [source], include_dirs=[numpy.get_include(), include],
                     extra_compile_args=BASE_FLAGS + list(flags), define_macros=MACROS)


extensions = [
    extension("fastw2v._tables", "fastw2v/_tables.pyx", "fastw2v"),
    extension("fastw2v.corpus._tokenize", "fastw2v/corpus/_tokenize.pyx", "fastw2v/corpus"),
    extension("fastw2v.phrases._phrases", "fastw2v/phrases/_phrases.pyx", "fastw2v/phrases"),
    extension("fastw2v.io._binary", "fastw2v/io/_binary.pyx", "fastw2v/io"),
    extension("fastw2v.io._text", "fastw2v/io/_text.pyx", "fastw2v/io"),
    extension("fastw2v.io._pickle_scan", "fastw2v/io/_pickle_scan.pyx", "fastw2v/io"),
    extension("fastw2v.vectors._keys", "fastw2v/vectors/_keys.pyx", "fastw2v/vectors"),
    extension("fastw2v.kernels._cpu", "fastw2v/kernels/_cpu.pyx", "fastw2v/kernels"),
] + [
    extension(f"fastw2v.kernels._train_{variant}", f"fastw2v/kernels/_train_{variant}.pyx",
              "fastw2v/kernels", flags)
    for variant, flags in VARIANT_FLAGS.items()
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives={
            "language_level": 3,
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    )
)
