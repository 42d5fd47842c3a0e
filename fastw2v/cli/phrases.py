"""The phrase commands of ``fastw2v``.

* ``fastw2v word2phrase -train IN -output OUT [-min-count 5] [-threshold 100] [-debug 2]``:
  the word2vec toolkit's ``word2phrase``, with its flags, score and defaults.
* ``fastw2v phrases CORPUS -o OUT``: gensim's ``Phrases`` with gensim's names and
  defaults (``--min-count 5 --threshold 10 --scoring default``), plus saving, loading
  and exporting the model.

Mikolov's recipe for phrase vectors runs ``word2phrase`` twice (first with a higher
threshold, so that the second pass can join pairs into phrases of up to four words),
then trains on the result; see docs/phrases.md.
"""
from __future__ import annotations

import argparse
import os
import re
import sys

from ..corpus import UNICODE_ERRORS

__all__ = ["add_phrase_commands", "cmd_phrases", "cmd_word2phrase"]

_W2P_DESCRIPTION = """\
Join frequent word pairs into phrases (new_york) as the word2vec toolkit's word2phrase:
count the words and adjacent pairs of -train, then write it to -output with each pair
whose score is above -threshold joined by '_'. The score is the C tool's:
  (count(a_b) - min_count) / count(a) / count(b) * train_words
where train_words is the number of words in the file (gensim's default scorer, used by
'fastw2v phrases', multiplies by the vocabulary size instead, so its thresholds are
about ten times smaller). Pairs counted fewer than -min-count times never join. Run it
twice to join phrases of up to four words (docs/phrases.md)."""


def add_phrase_commands(sub) -> None:
    """Register ``word2phrase`` and ``phrases`` on the subcommand parsers ``sub``."""
    w = sub.add_parser("word2phrase", help="join phrases as the C tool's word2phrase",
                       description=_W2P_DESCRIPTION,
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="Example: fastw2v word2phrase -train text8 -output "
                       "text8-phrase -threshold 500 -debug 2")
    w.add_argument("-train", required=True, metavar="FILE",
                   help="the corpus (a text file, .gz/.bz2/.xz, or a directory)")
    w.add_argument("-output", required=True, metavar="FILE",
                   help="the corpus with phrases joined (compressed by its suffix)")
    w.add_argument("-min-count", dest="min_count", type=int, default=5, metavar="N",
                   help="discard words and pairs seen fewer than N times (default 5)")
    w.add_argument("-threshold", type=float, default=100.0, metavar="X",
                   help="join pairs scoring above X; higher means fewer phrases "
                   "(default 100)")
    w.add_argument("-debug", type=int, default=2, metavar="N",
                   help="0: quiet; 1: the counts; 2: also progress (default 2)")
    w.add_argument("-unicode-errors", dest="unicode_errors", choices=UNICODE_ERRORS,
                   default="strict", help="bytes that are not UTF-8: stop, replace or "
                   "ignore (default strict)")
    w.set_defaults(func=cmd_word2phrase)

    p = sub.add_parser("phrases", help="learn and apply a phrase model (gensim's Phrases)",
                       description="Learn phrases from CORPUS (a text file, .gz/.bz2/.xz, "
                       "or a directory; one sentence per line) as gensim's Phrases, or "
                       "load a saved model with --model, then write CORPUS with its "
                       "phrases joined (-o), save the model (--save) and/or list its "
                       "phrases (--export). Options and defaults are gensim's.")
    p.add_argument("corpus", metavar="CORPUS")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="CORPUS with phrases joined (compressed by its suffix)")
    p.add_argument("--model", metavar="MODEL",
                   help="apply this saved model instead of learning one")
    p.add_argument("--save", metavar="MODEL", help="save the learnt model (Phrases.load)")
    p.add_argument("--freeze", action="store_true",
                   help="with --save: save only the phrases and their scores "
                   "(FrozenPhrases)")
    p.add_argument("--export", metavar="TSV",
                   help="write 'phrase<TAB>score' lines, highest score first")
    p.add_argument("--min-count", type=_number, default=None, metavar="N",
                   help="ignore words and candidates seen fewer than N times (default 5)")
    p.add_argument("--threshold", type=float, default=None, metavar="X",
                   help="join candidates scoring above X (default 10; npmi: -1..1)")
    p.add_argument("--scoring", choices=("default", "npmi"), default=None,
                   help="default: Mikolov et al.'s score times the vocabulary size; "
                   "npmi: normalized pointwise mutual information")
    p.add_argument("--connector-words", default=None, metavar="WORDS",
                   help="words allowed inside a phrase (bank_of_america): 'english' "
                   "(gensim's ENGLISH_CONNECTOR_WORDS), 'none' (default), or a comma list")
    p.add_argument("--delimiter", default=None, help="joins a phrase's words (default _)")
    p.add_argument("--max-vocab-size", type=int, default=None, metavar="N",
                   help="prune the counts when they hold more than N entries "
                   "(default 40000000)")
    p.add_argument("--unicode-errors", choices=UNICODE_ERRORS, default="strict",
                   help="bytes that are not UTF-8: stop, replace or ignore (default strict)")
    p.set_defaults(func=cmd_phrases)


def _number(text: str):
    """An int if the text is one, else a float (gensim's min_count may be either)."""
    try:
        return int(text)
    except ValueError:
        return float(text)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


_PARAMETER = re.compile(r"\b(min_count|threshold|scoring|delimiter|max_vocab_size|"
                        r"connector_words)=")


def _usage_error(parser, exc, dashes: str):
    """A parameter the library refused, as a usage error (status 2) naming the flag:
    ``min_count=0 is invalid`` becomes ``--min-count 0 is invalid`` (``-min-count`` with
    word2phrase's one dash)."""
    parser.error(_PARAMETER.sub(lambda m: dashes + m.group(1).replace("_", "-") + " ",
                                str(exc)))


def _check_corpus(parser, path, what) -> None:
    """A usage error (status 2) before any work where the corpus does not exist, as
    ``fastw2v train`` gives."""
    if not os.path.exists(path):
        parser.error(f"{what} {path!r} does not exist")


def cmd_word2phrase(args, parser) -> int:
    from ..config import ParameterError
    from ..phrases import word2phrase
    from .commands import check_writable

    _check_corpus(parser, args.train, "-train")
    # before the corpus is counted, which may take minutes
    check_writable(parser, args.output, "-output", "text-phrase.txt")
    report = _say if args.debug > 0 else None
    if args.debug > 1:
        import logging
        logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        # the parameters are checked before anything is read
        word2phrase(args.train, args.output, min_count=args.min_count,
                    threshold=args.threshold, unicode_errors=args.unicode_errors,
                    report=report)
    except ParameterError as exc:
        _usage_error(parser, exc, "-")
    return 0


def _connector_words(spec: str, parser) -> frozenset:
    from ..phrases import ENGLISH_CONNECTOR_WORDS

    if spec == "english":
        return ENGLISH_CONNECTOR_WORDS
    if spec == "none":
        return frozenset()
    words = frozenset(w for w in spec.split(",") if w)
    if not words or any(w != w.strip() or not w.strip() for w in words):
        parser.error(f"--connector-words {spec!r}: give 'english', 'none' or words "
                     "separated by commas")
    return words


def cmd_phrases(args, parser) -> int:
    from ..config import ParameterError
    from ..phrases import FrozenPhrases, Phrases
    from ..phrases.params import check_min_count, check_threshold
    from .commands import check_writable

    if not (args.output or args.save or args.export):
        parser.error("nothing to do: give -o OUT, --save MODEL and/or --export TSV")
    if args.model and args.save:
        parser.error("--model applies a saved model; --save is for a learnt one")
    if args.freeze and not args.save:
        # -o and --export always apply the model frozen; --freeze only chooses what is saved
        parser.error("--freeze chooses what --save writes (a FrozenPhrases); it needs "
                     "--save MODEL")
    # before the corpus is read: learning a large corpus, then failing to write, wastes it
    for path, what, example in ((args.output, "output", "corpus-phrases.txt"),
                                (args.save, "model file", "phrases.model"),
                                (args.export, "export file", "phrases.tsv")):
        if path:
            check_writable(parser, path, what, example)
    if args.output or not args.model:
        _check_corpus(parser, args.corpus, "corpus")
    if args.model:
        _check_corpus(parser, args.model, "model")
    learning = {"--scoring": args.scoring, "--connector-words": args.connector_words,
                "--delimiter": args.delimiter, "--max-vocab-size": args.max_vocab_size}
    scoring = {"--min-count": args.min_count, "--threshold": args.threshold}
    if args.model:
        # a saved model's learning settings are fixed; a Phrases model scores on the fly,
        # so its threshold and min_count may change, a frozen one's may not
        given = [flag for flag, value in learning.items() if value is not None]
        if given:
            parser.error(f"{', '.join(given)}: fixed when the model was learnt; "
                         "with --model the saved model's settings apply")
        model = Phrases.load(args.model)
        _say(f"loaded {model}")
        given = [flag for flag, value in scoring.items() if value is not None]
        if given and isinstance(model, FrozenPhrases):
            parser.error(f"{', '.join(given)}: {args.model} is a frozen model, which keeps "
                         "only the phrases that scored above its threshold")
        try:
            if args.min_count is not None:
                check_min_count(args.min_count)
            if args.threshold is not None:
                # a loaded model holds its scorer as a function: checked as its name would be
                check_threshold(args.threshold, model.scoring, functions=True)
        except ParameterError as exc:
            _usage_error(parser, exc, "--")
        if args.min_count is not None:
            model.min_count = args.min_count
        if args.threshold is not None:
            model.threshold = args.threshold
    else:
        # the options given; the others keep Phrases' own defaults (gensim's)
        given = {"min_count": args.min_count, "threshold": args.threshold,
                 "scoring": args.scoring, "delimiter": args.delimiter,
                 "max_vocab_size": args.max_vocab_size,
                 "connector_words": (None if args.connector_words is None else
                                     _connector_words(args.connector_words, parser))}
        try:
            # the parameters are checked before the corpus is read
            model = Phrases(corpus_file=args.corpus, unicode_errors=args.unicode_errors,
                            **{k: v for k, v in given.items() if v is not None})
        except ParameterError as exc:
            _usage_error(parser, exc, "--")
        _say(f"learnt {model} from {model.corpus_word_count} words")
    frozen = model if isinstance(model, FrozenPhrases) else model.freeze()
    _say(f"{len(frozen.phrasegrams)} phrases score above the threshold")
    if args.save:
        (frozen if args.freeze else model).save(args.save)
        _say(f"saved the model to {args.save}")
    if args.export:
        rows = sorted(frozen.phrasegrams.items(), key=lambda kv: (-kv[1], kv[0]))
        with open(args.export, "w", encoding="utf-8") as fh:
            for phrase, score in rows:
                fh.write(f"{phrase}\t{score!r}\n")
        _say(f"wrote {len(rows)} phrases to {args.export}")
    if args.output:
        stats = frozen.transform_file(args.corpus, args.output,
                                      unicode_errors=args.unicode_errors)
        _say(f"wrote {args.output}: {stats['phrases']} phrases joined "
             f"({stats['seconds']:.2f}s)")
    return 0
