"""The word2vec C tool's command line, accepted by ``fastw2v`` unchanged.

``word2vec -train text8 -output vectors.bin -cbow 0 -size 200 -window 5 -negative 5
-hs 0 -sample 1e-4 -threads 12 -binary 1 -iter 15`` becomes ``fastw2v -train text8 ...``
(or ``fastw2v train -train text8 ...``). The C tool's defaults apply where they differ
from gensim's: CBOW, alpha 0.05 for CBOW and 0.025 for skip-gram decaying to
alpha * 1e-4, 12 threads, text output unless ``-binary 1``.

The spellings of gensim's ``word2vec_standalone`` script are accepted too: an
underscore for the dash (``-min_count``), ``-flag=value``, and its ``-accuracy FILE``
(analogy accuracy on FILE after training). ``-unicode-errors strict|replace|ignore`` is
fastw2v's own flag for corpora that are not clean UTF-8.
"""
from __future__ import annotations

import argparse
import os
import re
from typing import Dict, List, Sequence, Tuple

import numpy as np

from ..corpus import UNICODE_ERRORS, corpus_paths, open_corpus_file
from ..corpus.compression import write_by_suffix
from ..errors import UsageError
from ..io import atomic_write
from ..vocab import C_SENTENCE_END, write_word_counts

#: flag -> (attribute, type, default); defaults are the C tool's
_SPEC: Dict[str, Tuple[str, type, object]] = {
    "-train": ("corpus", str, None),
    "-output": ("output", str, None),
    "-size": ("vector_size", int, 100),
    "-window": ("window", int, 5),
    "-sample": ("sample", float, 1e-3),
    "-hs": ("hs", int, 0),
    "-negative": ("negative", int, 5),
    "-threads": ("workers", int, 12),
    "-iter": ("epochs", int, 5),
    "-min-count": ("min_count", int, 5),
    "-alpha": ("alpha", float, None),
    "-classes": ("classes", int, 0),
    "-debug": ("debug", int, 2),
    "-binary": ("binary", int, 0),
    "-save-vocab": ("save_vocab", str, None),
    "-read-vocab": ("read_vocab", str, None),
    "-cbow": ("cbow", int, 1),
    "-accuracy": ("accuracy", str, None),
    "-unicode-errors": ("unicode_errors", str, "strict"),
}
C_FLAGS = frozenset(_SPEC)


def c_flag(arg: str):
    """The flag of :data:`C_FLAGS` that ``arg`` spells (``-min_count``, ``-size=200`` and
    ``-min-count`` all give ``-min-count``), or None."""
    if not arg.startswith("-") or arg.startswith("--"):
        return None
    flag = arg.split("=", 1)[0].replace("_", "-")
    return flag if flag in _SPEC else None

C_USAGE = ("fastw2v -train FILE -output FILE [-size N] [-window N] [-sample X] [-hs 0|1] "
           "[-negative N] [-threads N] [-iter N] [-min-count N] [-alpha X] [-binary 0|1] "
           "[-cbow 0|1] [-classes K] [-save-vocab FILE] [-read-vocab FILE] [-debug N] "
           "[-accuracy FILE] [-unicode-errors strict|replace|ignore]")

C_HELP = """\
The word2vec C tool's flags are accepted unchanged, with the C tool's defaults:
  fastw2v -train FILE -output FILE [-size 100] [-window 5] [-sample 1e-3] [-hs 0]
          [-negative 5] [-threads 12] [-iter 5] [-min-count 5] [-alpha A]
          [-binary 0] [-cbow 1] [-classes 0] [-save-vocab FILE] [-read-vocab FILE]
          [-debug 2] [-accuracy FILE] [-unicode-errors strict]
  (also after 'train'). Where the C tool's defaults differ from the options above:
  -cbow 1 (CBOW), -alpha 0.05 for CBOW / 0.025 for skip-gram (decaying to alpha*1e-4),
  -threads 12, and the output is word2vec text unless -binary 1 (a .fw2v output writes
  the whole fastw2v model). The files are the C tool's: a '</s>' row first, text values
  printed as its '%lf ' does; -classes K writes 'word class' lines (its k-means, 10
  rounds) instead of vectors. Without -output only the vocabulary is built (and
  written with -save-vocab, '</s>' first), as in the C tool. As in the C tool, the
  first of a flag given twice counts and the lines 'Starting training using file',
  'Vocab size' and 'Words in train file' go to standard output (-debug 0: the first
  only; standard error where -output is standard output); fastw2v's own messages and,
  on a terminal, a progress bar go to standard error.
  The spellings of gensim's word2vec_standalone script work too: -min_count (an
  underscore for any dash), -size=200, and -accuracy FILE (analogy accuracy on FILE
  after training). -unicode-errors replace|ignore reads a corpus (and a -read-vocab
  file) that is not clean UTF-8 (default strict: stop at the first bad byte)."""


#: gensim's parameter names in the library's messages -> the C tool's flags
_FLAG_OF = {attr: flag for flag, (attr, _, _) in _SPEC.items()
            if attr in ("vector_size", "window", "sample", "hs", "negative", "workers",
                        "epochs", "min_count", "alpha")}
_NAMED = re.compile(r"(?<![\w./\\-])(" + "|".join(sorted(_FLAG_OF, key=len, reverse=True)) +
                    r")(=| must\b| > | >= |(?=[,;)]|$))")


def in_c_terms(message: str) -> str:
    """A library message in the C tool's terms: ``vector_size=-5 is invalid: vector_size
    must be ...`` becomes ``-size -5 is invalid: -size must be ...``."""
    def flag(m):
        sep = m.group(2)
        return _FLAG_OF[m.group(1)] + (" " if sep == "=" else sep)
    message = _NAMED.sub(flag, message)
    return re.sub(r"\blower (min_count)\b", "lower -min-count", message)


#: the spelling of a flag's number (ASCII: re's [0-9], not \d)
_NUMBER = {int: re.compile(r"[+-]?[0-9]+"),
           float: re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")}


def parse_c_args(argv: List[str]) -> argparse.Namespace:
    """The C tool's ``-flag value`` pairs as the namespace ``fastw2v train`` uses."""
    values: Dict[str, object] = {}
    given: Dict[str, str] = {}
    notes: List[str] = []
    i = 0
    while i < len(argv):
        flag = c_flag(argv[i])
        if flag is None:
            raise UsageError(f"unknown word2vec flag {argv[i]!r} (known: "
                             f"{' '.join(sorted(_SPEC))})")
        if "=" in argv[i]:                    # -size=200, as argparse allows
            raw = argv[i].split("=", 1)[1]
            i += 1
        elif i + 1 < len(argv):
            raw = argv[i + 1]
            i += 2
        else:
            raise UsageError(f"{flag} needs a value")
        attr, kind, _ = _SPEC[flag]
        try:
            # ASCII digits only: Python's int() and float() also take '1_0', spaces and
            # other scripts' digits, which the C tool's atoi/atof read otherwise
            if kind in _NUMBER and not _NUMBER[kind].fullmatch(raw):
                raise ValueError(raw)
            value = kind(raw)
        except ValueError:
            raise UsageError(f"{flag} {raw!r}: expected {'an integer' if kind is int else 'a number'}"
                             ) from None
        if attr in values:
            # the C tool looks a flag up from the start: its first value counts
            notes.append(f"{flag} given again ({raw}): the first value ({given[attr]}) is "
                         "used, as in the C tool")
            continue
        values[attr], given[attr] = value, raw
    args = {attr: values.get(attr, default) for attr, _, default in _SPEC.values()}
    if not args["corpus"]:
        raise UsageError("-train FILE is required")
    if args["classes"] < 0:
        raise UsageError(f"-classes must be >= 0 (0: write vectors), got {args['classes']}")
    if args["classes"] and args["output"] and _is_fw2v(args["output"]):
        raise UsageError("-classes writes 'word class' lines, not a .fw2v model: name the "
                         "output otherwise")
    for name in ("cbow", "hs", "binary"):
        args[name] = int(args[name] != 0)       # any other integer is "on", as in the C tool
    if args["unicode_errors"] not in UNICODE_ERRORS:
        raise UsageError(f"-unicode-errors must be one of {', '.join(UNICODE_ERRORS)}, got "
                         f"{args['unicode_errors']!r}")
    sg = 0 if args["cbow"] else 1
    alpha = args["alpha"] if args["alpha"] is not None else (0.05 if not sg else 0.025)
    out = args["output"]
    fw2v = bool(out) and _is_fw2v(out)
    return argparse.Namespace(
        corpus=args["corpus"], output=out,
        format="fw2v" if fw2v else ("bin" if args["binary"] else "txt"),
        binary=bool(args["binary"]), vector_size=args["vector_size"], window=args["window"],
        min_count=args["min_count"], sample=args["sample"], sg=sg, hs=args["hs"],
        negative=args["negative"], epochs=args["epochs"], alpha=alpha,
        min_alpha=alpha * 1e-4, workers=args["workers"], seed=1, ns_exponent=0.75,
        cbow_mean=1, max_vocab_size=None, max_final_vocab=None, compute_loss=False,
        progress=False if args["debug"] == 0 else None, verbose=args["debug"] > 0,
        shared_negatives=False, reproducible=False, save_vocab=args["save_vocab"],
        read_vocab=args["read_vocab"], accuracy=args["accuracy"],
        unicode_errors=args["unicode_errors"], classes=args["classes"],
        debug=args["debug"], c_notes=notes, c_tool=True)


def _is_fw2v(path: str) -> bool:
    return os.path.splitext(path.lower())[1] == ".fw2v"


# -- the C tool's files ----------------------------------------------------------------
def sentence_end_row(size: int) -> np.ndarray:
    """The vector the C tool writes for ``</s>``: its first input row as initialised and
    never trained (a sentence end is no word in its windows). Its generator: a 64-bit
    linear congruential sequence (multiplier 25214903917, increment 11) from 1, each value
    ``r`` giving ``((r & 0xFFFF) / 65536 - 0.5) / size``; so the row is the C tool's, bit
    for bit, for the same size."""
    r = 1
    out = np.empty(size, dtype=np.float64)
    for b in range(size):
        r = (r * 25214903917 + 11) & 0xFFFFFFFFFFFFFFFF
        out[b] = ((r & 0xFFFF) / 65536.0 - 0.5) / size      # in double, as the C tool
    return out.astype(np.float32)


def sentence_ends(corpus) -> int:
    """The count the C tool gives ``</s>``: the line breaks of the corpus (a file or a
    directory of files), empty lines included. Counted in a pass of its own: the model's
    ``corpus_count`` is gensim's, which counts neither empty lines nor line breaks."""
    breaks = 0
    for path in corpus_paths(corpus):
        with open_corpus_file(path) as fh:
            while True:
                block = fh.read(1 << 20)
                if not block:
                    break
                breaks += block.count(b"\n")
    return breaks


def write_vocab_file(path, words: Sequence[str], counts, ends: int) -> None:
    """The C tool's ``-save-vocab`` file: ``</s>`` and its count first, then ``word
    count`` lines. A corpus word spelled ``</s>`` adds its count to that line, as the C
    tool counts it (its reader takes the token for a sentence end)."""
    words, counts = list(words), [int(c) for c in counts]
    if C_SENTENCE_END in words:
        j = words.index(C_SENTENCE_END)
        ends += counts.pop(j)
        words.pop(j)
    atomic_write(path, lambda fh: write_word_counts(fh, [C_SENTENCE_END] + words,
                                                    [ends] + counts))


def write_classes_file(path, words: Sequence[str], classes: np.ndarray) -> None:
    """The C tool's ``-classes`` output: a ``word class`` line per word, in vocabulary
    order (compressed for a name ending in ``.gz``, ``.bz2`` or ``.xz``, as vectors are)."""
    def write(out):
        for lo in range(0, len(words), 4096):
            out.write("".join(f"{w} {int(c)}\n" for w, c in zip(words[lo:lo + 4096],
                                                                classes[lo:lo + 4096])
                              ).encode("utf-8"))
    atomic_write(path, write_by_suffix(path, write))
