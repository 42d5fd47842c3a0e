# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Training kernels, AVX2 + FMA build (x86-64 CPUs since about 2013).

The code is _train.pxi, shared by every variant; setup.py gives each its compiler flags
and :mod:`fastw2v.kernels` imports the best one this CPU runs.
"""
include "_train.pxi"
