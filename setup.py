"""Build script for the Cython extension.

By default the kernels are compiled for the CPU doing the build (``-march=native``):
fastw2v is normally built from source on the machine that trains, and AVX2/FMA is
worth 2x in the dot/axpy loops. Set ``FASTW2V_PORTABLE=1`` to build a binary that runs
on any x86-64 (or other) CPU, e.g. for wheels or shared clusters with mixed CPUs.
"""
import os
import platform

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

compile_args = ["-O3", "-fno-strict-aliasing"]
if os.environ.get("FASTW2V_PORTABLE", "0") in ("", "0") and platform.machine() in (
    "x86_64", "AMD64", "aarch64", "arm64"
):
    compile_args.append("-march=native" if platform.machine() in ("x86_64", "AMD64") else "-mcpu=native")
if os.environ.get("FASTW2V_DEBUG_FLAGS"):
    # e.g. FASTW2V_DEBUG_FLAGS="-O1 -g -fsanitize=address,undefined" for sanitizer builds
    compile_args = os.environ["FASTW2V_DEBUG_FLAGS"].split()

extensions = [
    Extension(
        "fastw2v._kernels",
        ["fastw2v/_kernels.pyx"],
        include_dirs=[numpy.get_include(), "fastw2v"],
        extra_compile_args=compile_args,
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    )
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
