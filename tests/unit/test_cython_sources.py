"""The Cython sources compile without a Cython warning.

Every extension is compiled with ``wraparound=False``, where a negative index is
undefined behaviour. Cython warns about it and the build goes on; the resulting module
then behaves according to the NumPy it meets at run time. One such index
(``code_offsets[-1]`` in the kernel model's table check) worked with NumPy 2.4 and broke
every hierarchical-softmax model with NumPy 2.5.2 ("index -27117 is out of bounds",
seen on the 16-core benchmark machine). The build's own output is quiet, so the check
lives here: each ``.pyx`` is translated to C in a temporary folder and Cython must print
nothing.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "fastw2v"
# _train.pxi is shared by the kernel variants: one of them covers it.
SOURCES = sorted(p for p in PACKAGE.rglob("*.pyx")
                 if not p.name.startswith("_train_") or p.name == "_train_portable.pyx")


def test_sources_found():
    names = {p.name for p in SOURCES}
    assert {"_train_portable.pyx", "_tokenize.pyx", "_binary.pyx", "_text.pyx", "_keys.pyx"} <= names


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_cython_prints_no_warning(source, tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "cython", "-3", "-I", str(source.parent), str(source),
         "-o", str(tmp_path / "out.c")],
        capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "out.c").stat().st_size > 0
    printed = (out.stdout + out.stderr).strip()
    assert printed == "", f"Cython warned while translating {source.name}:\n{printed}"


def test_the_check_sees_a_negative_index(tmp_path):
    """The check can fail: a source with the NumPy 2.5 pattern makes Cython warn."""
    src = tmp_path / "neg.pyx"
    src.write_text("# cython: wraparound=False\ndef last(a):\n    return a[-1]\n")
    out = subprocess.run([sys.executable, "-m", "cython", "-3", str(src)],
                         capture_output=True, text=True, timeout=60)
    assert "negative indices" in out.stdout + out.stderr
