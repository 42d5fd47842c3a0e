"""The ``fastw2v`` command (also ``python -m fastw2v``).

Subcommands: ``train``, ``similar``, ``analogy``, ``evaluate``, ``compare``, ``convert``,
``plot``, ``projector``, ``demo``; ``fastw2v --version`` prints the version and the
kernels' SIMD variant. Progress and messages go to stderr, results to
stdout. Exit status: 0 on success, 1 when the work failed (an unreadable file, a word
not in the vocabulary), 2 for a usage error (with a usage message), 130 on Ctrl-C.

The word2vec C tool's command line is accepted unchanged (``fastw2v -train text8
-output vectors.bin -cbow 0 -size 200 ...``, also after ``train``), with the C tool's
defaults: see :mod:`fastw2v.cli.ctool`. The subcommands themselves are in
:mod:`fastw2v.cli.commands`, the vector-file formats in :mod:`fastw2v.cli.vector_files`.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from typing import List, Optional

from .commands import (cmd_analogy, cmd_compare, cmd_convert, cmd_demo, cmd_evaluate,
                       cmd_plot, cmd_projector, cmd_similar, cmd_train, evaluate_all,
                       neighbour_overlap, say)
from .vector_files import VECTOR_FORMATS, format_of, load_vectors, save_vectors, sniff_format
from .phrases import add_phrase_commands
from .ctool import C_HELP, C_USAGE, UsageError, c_flag, in_c_terms, parse_c_args
from ..corpus import UNICODE_ERRORS

__all__ = ["main", "build_parser", "version_text", "cli_message", "load_vectors",
           "save_vectors", "format_of", "sniff_format", "evaluate_all", "neighbour_overlap"]


# -- the parser ------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    #: subcommand name -> its parser (set by :func:`build_parser` on the top parser)
    commands: Optional[dict] = None

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def version_text() -> str:
    """What ``fastw2v --version`` prints: the version and the kernels' SIMD variant
    (``fastw2v.show_config()`` tells more)."""
    from .. import __version__, kernels
    return f"fastw2v {__version__} (kernels: {kernels.SIMD_VARIANT})"


def _vectors_arg(p, name="vectors") -> None:
    p.add_argument(name, metavar=name.upper(),
                   help="vector or model file: .bin, .txt/.vec, .fw2v (or --format)")


def _unicode_errors_arg(p, what="the vector file's words") -> None:
    p.add_argument("--unicode-errors", choices=UNICODE_ERRORS, default="strict",
                   help=f"what to do with bytes of {what} that are not UTF-8: stop with an "
                   "error, replace them with U+FFFD or ignore them (unicode_errors; "
                   "default strict)")


def _format_arg(p) -> None:
    p.add_argument("--format", choices=VECTOR_FORMATS,
                   help="format of the vector file(s) when the name does not tell it")
    _unicode_errors_arg(p)


def _eval_options(p) -> None:
    p.add_argument("--analogies", metavar="FILE",
                   help="analogy questions (': section' headers, 'a b c d' lines)")
    p.add_argument("--pairs", metavar="FILE", nargs="+", default=[],
                   help="word-pair similarity files (word1<TAB>word2<TAB>score)")
    p.add_argument("--restrict-vocab", type=int, default=300000, metavar="N",
                   help="only the N most frequent words count (default 300000)")
    p.add_argument("--case-sensitive", action="store_true",
                   help="compare words as they are (default: upper-cased, as gensim)")
    p.add_argument("--dummy4unknown", action="store_true",
                   help="count questions/pairs with unknown words as wrong/zero")
    p.add_argument("--cosmul", action="store_true", help="3CosMul instead of 3CosAdd")
    p.add_argument("--c-tool", action="store_true",
                   help="count analogies as the C tool's compute-accuracy")
    p.add_argument("--threshold", type=int, default=30000, metavar="N",
                   help="words read in --c-tool mode (default 30000)")


def _progress_args(p) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--progress", dest="progress", action="store_const", const=True,
                   default=None, help="always draw a progress bar on stderr (default: "
                   "only when stderr is a terminal)")
    g.add_argument("--quiet", "-q", dest="progress", action="store_const", const=False,
                   help="never draw a progress bar (default: a bar only when stderr is a "
                   "terminal)")


def build_parser(prog: str = "fastw2v") -> argparse.ArgumentParser:
    parser = _Parser(prog=prog, description="Train, query, evaluate, compare, convert and "
                     "plot word2vec vectors.", epilog="Start with: fastw2v demo. The C "
                     "tool's command line also works: fastw2v -train FILE -output FILE ... "
                     "(see fastw2v train --help).")
    parser.add_argument("--version", action="version", version=version_text(),
                        help="print the version and the kernels' SIMD variant, and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    parser.commands = sub.choices

    t = sub.add_parser("train", help="train vectors on a corpus",
                       description="Train word2vec on CORPUS (a text file, .gz/.bz2/.xz, or "
                       "a directory of them; one sentence per line) and write OUT. Output "
                       "format by suffix: .bin word2vec binary, .txt/.vec word2vec text, "
                       ".fw2v the whole fastw2v model (Word2Vec.load); other names: text, "
                       "or binary with --binary; --format overrides. Options and defaults "
                       "are gensim's, except --workers (all cores).",
                       epilog=C_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    t.add_argument("corpus", metavar="CORPUS",
                   help="text file (.gz/.bz2/.xz too) or a directory of them, one sentence "
                   "per line (gensim's corpus_file)")
    t.add_argument("-o", "--output", metavar="OUT", help="where to write the vectors or the "
                   "model; its directory must exist (default: none, which needs --save-vocab)")
    t.add_argument("--format", choices=("bin", "txt", "glove", "fw2v"),
                   help="output format (default: from OUT's suffix, else txt)")
    t.add_argument("--binary", action="store_true", help="word2vec binary when OUT's "
                   "suffix does not say (default: off, text)")
    t.add_argument("--vector-size", "--size", type=int, default=100, metavar="N",
                   help="dimensionality of the vectors (vector_size; default 100)")
    t.add_argument("--window", type=int, default=5, metavar="N",
                   help="largest distance between the centre word and a context word "
                   "(window; default 5)")
    t.add_argument("--min-count", type=int, default=5, metavar="N",
                   help="ignore words seen fewer than N times (min_count; default 5)")
    t.add_argument("--sample", type=float, default=1e-3, metavar="X",
                   help="down-sampling threshold for frequent words, 0 for none "
                   "(sample; default 1e-3)")
    t.add_argument("--sg", type=int, choices=(0, 1), default=0,
                   help="1: skip-gram, 0: CBOW (sg; default 0)")
    t.add_argument("--hs", type=int, choices=(0, 1), default=0,
                   help="1: hierarchical softmax (hs; default 0)")
    t.add_argument("--negative", type=int, default=5, metavar="N",
                   help="negative samples per word, 0 for none (negative; default 5)")
    t.add_argument("--ns-exponent", type=float, default=0.75, metavar="X",
                   help="exponent of the noise distribution (ns_exponent; default 0.75)")
    t.add_argument("--cbow-mean", type=int, choices=(0, 1), default=1,
                   help="CBOW: 1 averages the context vectors, 0 sums them "
                   "(cbow_mean; default 1)")
    t.add_argument("--epochs", "--iter", type=int, default=5, metavar="N",
                   help="passes over the corpus (epochs; default 5)")
    t.add_argument("--alpha", type=float, default=0.025, metavar="X",
                   help="initial learning rate (alpha; default 0.025)")
    t.add_argument("--min-alpha", type=float, default=0.0001, metavar="X",
                   help="learning rate at the end, reached linearly (min_alpha; "
                   "default 0.0001)")
    t.add_argument("--workers", "--threads", type=int, default=os.cpu_count() or 1,
                   metavar="N", help="training threads (workers; default: all cores, "
                   "here %(default)s)")
    t.add_argument("--seed", type=int, default=1, metavar="N",
                   help="random seed (seed; default 1)")
    t.add_argument("--max-vocab-size", type=int, default=None, metavar="N",
                   help="prune rare words while counting to keep at most N "
                   "(max_vocab_size; default none)")
    t.add_argument("--max-final-vocab", type=int, default=None, metavar="N",
                   help="keep only the N most frequent words (max_final_vocab; "
                   "default none)")
    t.add_argument("--compute-loss", action="store_true",
                   help="compute the training loss and show it (compute_loss; default off)")
    t.add_argument("--shared-negatives", action="store_true",
                   help="skip-gram: each window trained as one batch (one set of "
                   "negative samples per window), faster (shared_negatives; default off)")
    t.add_argument("--reproducible", action="store_true",
                   help="bit-identical runs for the same seed and workers (reproducible; "
                   "default off)")
    t.add_argument("--save-vocab", metavar="FILE",
                   help="write 'word count' lines (default: none)")
    t.add_argument("--read-vocab", metavar="FILE", help="take the vocabulary from FILE "
                   "instead of counting the corpus (default: none)")
    _unicode_errors_arg(t, "CORPUS")
    _progress_args(t)
    t.set_defaults(func=cmd_train)

    s = sub.add_parser("similar", help="nearest neighbours (the C tool's distance)",
                       description="Nearest neighbours of each WORD by cosine (several words "
                       "in one argument, or on one stdin line, are added up, as the C "
                       "tool's distance). Without WORDs, queries are read from stdin, one "
                       "per line, until EOF or EXIT.")
    _vectors_arg(s)
    s.add_argument("words", nargs="*", metavar="WORD")
    s.add_argument("-n", "--topn", type=int, default=40, help="neighbours shown (default 40)")
    s.add_argument("--tsv", action="store_true", help="'word<TAB>cosine' lines only")
    _format_arg(s)
    s.set_defaults(func=cmd_similar)

    a = sub.add_parser("analogy", help="A is to B as C is to ? (the C tool's word-analogy)",
                       description="Words closest to B - A + C (3CosAdd, or --cosmul). "
                       "Without A B C, triples are read from stdin, one per line, until EOF "
                       "or EXIT.")
    _vectors_arg(a)
    a.add_argument("words", nargs="*", metavar="A B C")
    a.add_argument("-n", "--topn", type=int, default=40, help="answers shown (default 40)")
    a.add_argument("--cosmul", action="store_true", help="3CosMul instead of 3CosAdd")
    a.add_argument("--tsv", action="store_true", help="'word<TAB>score' lines only")
    _format_arg(a)
    a.set_defaults(func=cmd_analogy)

    e = sub.add_parser("evaluate", help="analogy and word-pair scores (gensim's numbers)",
                       description="Analogy accuracy and word-pair correlations, the numbers "
                       "gensim gives on the same vectors. Default sets: the shipped Google "
                       "analogies, WordSim-353 and SimLex-999.")
    _vectors_arg(e)
    _eval_options(e)
    e.add_argument("--json", action="store_true", help="print the scores as JSON")
    _format_arg(e)
    e.set_defaults(func=cmd_evaluate)

    c = sub.add_parser("compare", help="two vector sets side by side",
                       description="Every evaluation score of A and of B, and how far their "
                       "nearest-neighbour lists agree (mean overlap@TOPN over the WORDS most "
                       "frequent shared words, neighbours searched among shared words).")
    _vectors_arg(c, "a")
    _vectors_arg(c, "b")
    _eval_options(c)
    c.add_argument("--words", type=int, default=1000, help="words compared (default 1000)")
    c.add_argument("--topn", type=int, default=10, help="neighbours per word (default 10)")
    c.add_argument("--json", action="store_true", help="print the result as JSON")
    _format_arg(c)
    c.set_defaults(func=cmd_compare)

    v = sub.add_parser("convert", help="convert between vector formats",
                       description="Formats: bin (word2vec binary), txt (word2vec text, also "
                       ".vec), glove (text without header), fw2v (fastw2v native, mmap-able; "
                       "reads whole models too). Chosen by suffix or --from/--to.")
    v.add_argument("input", metavar="IN")
    v.add_argument("output", metavar="OUT")
    v.add_argument("--from", choices=VECTOR_FORMATS, help="format of IN")
    v.add_argument("--to", choices=VECTOR_FORMATS, help="format of OUT")
    v.add_argument("--limit", type=int, help="keep only the first N words")
    _unicode_errors_arg(v, "IN's words")
    v.set_defaults(func=cmd_convert)

    p = sub.add_parser("plot", help="2-D map of words (PNG, SVG, PDF)",
                       description="Project WORDs to 2-D (PCA, or t-SNE with scikit-learn) and "
                       "draw them. Needs matplotlib: pip install 'fastw2v[plot]'.")
    _vectors_arg(p)
    p.add_argument("words", nargs="*", metavar="WORD")
    p.add_argument("-o", "--output", required=True, metavar="FIG",
                   help="picture file; the suffix picks the format (.png, .svg, .pdf)")
    p.add_argument("--method", choices=("pca", "tsne"), default="pca")
    p.add_argument("--group", action="append", metavar="NAME=w1,w2,...",
                   help="words drawn in one colour (repeatable)")
    p.add_argument("--arrow", action="append", metavar="FROM:TO",
                   help="an arrow between two words, e.g. man:woman (repeatable)")
    p.add_argument("--title")
    _format_arg(p)
    p.set_defaults(func=cmd_plot)

    x = sub.add_parser("projector", help="TensorBoard projector files (vectors.tsv, "
                       "metadata.tsv)",
                       description="Write PREFIX_vectors.tsv and PREFIX_metadata.tsv (or "
                       "vectors.tsv and metadata.tsv inside PREFIX when it is a directory) "
                       "for https://projector.tensorflow.org or TensorBoard.")
    _vectors_arg(x)
    x.add_argument("prefix", metavar="PREFIX")
    x.add_argument("--limit", type=int, help="only the N most frequent words")
    _format_arg(x)
    x.set_defaults(func=cmd_projector)

    d = sub.add_parser("demo", help="train on the shipped Wikipedia sample and show "
                       "neighbours and analogies",
                       description="Train skip-gram on the 1.5M-word Wikipedia sample "
                       "shipped in the package (well under a minute on 2 cores) and print "
                       "nearest neighbours and analogies.")
    d.add_argument("--corpus", help="another corpus file instead of the sample (default: "
                   "the sample)")
    d.add_argument("--workers", type=int, default=os.cpu_count() or 2, metavar="N",
                   help="training threads (default: all cores, here %(default)s)")
    d.add_argument("--epochs", type=int, default=5, metavar="N",
                   help="passes over the corpus (default 5)")
    d.add_argument("--sg", type=int, default=1, choices=(0, 1),
                   help="1: skip-gram, 0: CBOW (default 1)")
    d.add_argument("--seed", type=int, default=1, metavar="N",
                   help="random seed (default 1)")
    d.add_argument("-o", "--output", help="also write the vectors (.bin, .txt, .fw2v; "
                   "default: none)")
    _progress_args(d)
    d.set_defaults(func=cmd_demo)
    add_phrase_commands(sub)
    return parser


# the library's advice on undecodable text names its Python argument; a CLI user needs
# the flag (matched on the value list, which both the corpus and vector-file messages give)
_UNICODE_ADVICE = re.compile(r"pass unicode_errors='(\w+)' or '(\w+)'")


def cli_message(message: str, c_tool: bool = False) -> str:
    """An error message of the library in the terms of the command line: the advice to
    pass ``unicode_errors=`` names the ``--unicode-errors`` flag (``-unicode-errors``
    with the C tool's flags)."""
    flag = "-unicode-errors" if c_tool else "--unicode-errors"
    message = _UNICODE_ADVICE.sub(lambda m: f"give {flag} {m.group(1)} or {m.group(2)}",
                                  message)
    return in_c_terms(message) if c_tool else message


def main(argv: Optional[List[str]] = None, prog: str = "fastw2v") -> int:
    """Run the command line; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    c_mode = bool(argv) and (c_flag(argv[0]) is not None or (
        argv[0] == "train" and len(argv) > 1 and c_flag(argv[1]) is not None))
    try:
        if c_mode:
            c_argv = argv[1:] if argv[0] == "train" else argv
            train_parser = _Parser(prog=prog, usage=C_USAGE.replace("fastw2v", prog, 1),
                                   add_help=False)
            try:
                args = parse_c_args(c_argv)
            except UsageError as exc:
                train_parser.error(str(exc))
            return cmd_train(args, train_parser)
        parser = build_parser(prog)
        args, unknown = parser.parse_known_args(argv)
        if unknown:
            # named with the command's own usage (argparse would give the top level's)
            which = parser.commands.get(getattr(args, "command", None), parser)
            which.error(f"unrecognized arguments: {' '.join(unknown)}")
        if args.command is None:
            parser.print_usage(sys.stderr)
            say(f"{prog}: error: a command is needed (try '{prog} demo' or '{prog} --help')")
            return 2
        command_parser = parser.commands[args.command]
        for name in ("topn",):
            if getattr(args, name, 1) < 1:
                command_parser.error(f"--{name} must be >= 1")
        return args.func(args, command_parser)
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    except BrokenPipeError:
        # the reader of stdout went away (e.g. '| head'): not an error
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except ImportError as exc:
        say(f"{prog}: error: {exc}")
        return 1
    except MemoryError as exc:
        say(f"{prog}: error: out of memory: {exc or 'an allocation failed'}")
        return 1
    except (OSError, ValueError, KeyError, RuntimeError, OverflowError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        say(f"{prog}: error: {cli_message(str(msg), c_mode)}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
