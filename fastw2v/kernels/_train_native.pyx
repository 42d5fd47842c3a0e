# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Training kernels, -march=native build, made only with FASTW2V_NATIVE=1 and chosen only by FASTW2V_FORCE_SIMD=native: the baseline the dispatched build is benchmarked against.

The code is _train.pxi, shared by every variant; setup.py gives each its compiler flags
and :mod:`fastw2v.kernels` imports the best one this CPU runs.
"""
include "_train.pxi"
