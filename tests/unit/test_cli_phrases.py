"""``fastw2v word2phrase`` (the C tool's flags) and ``fastw2v phrases`` (gensim's names),
in-process through :func:`fastw2v.cli.main` and once as a subprocess."""
import subprocess
import sys

import pytest

from conftest import CHILD_CWD

from fastw2v import FrozenPhrases, Phrases
from fastw2v.cli import main


@pytest.fixture
def hand_corpus(tmp_path):
    """The corpus of test_phrases.test_word2phrase_by_hand: only a_b joins at
    -min-count 2 -threshold 1."""
    path = tmp_path / "in.txt"
    path.write_text("a b c\na b d\na b c\nx y\n")
    return path


def test_word2phrase_flags_and_output(hand_corpus, tmp_path, capsys):
    out = tmp_path / "out.txt"
    assert main(["word2phrase", "-train", str(hand_corpus), "-output", str(out),
                 "-min-count", "2", "-threshold", "1", "-debug", "1"]) == 0
    assert out.read_text() == "a_b c\na_b d\na_b c\nx y\n"
    err = capsys.readouterr().err
    assert "Words in train file: 11" in err and "Vocab size (unigrams + bigrams)" in err
    # the C tool's defaults: -min-count 5 -threshold 100 -> nothing joins here
    assert main(["word2phrase", "-train", str(hand_corpus), "-output", str(out),
                 "-debug", "0"]) == 0
    assert out.read_text() == hand_corpus.read_text()
    assert capsys.readouterr().err == ""


def test_word2phrase_twice_as_mikolovs_recipe(tmp_path):
    """Two passes join phrases of up to four words."""
    src = tmp_path / "in.txt"
    src.write_text("new york times square\n" * 20 + "new york is big\ntimes are good\n"
                   "square one\n")
    one, two = tmp_path / "p1.txt", tmp_path / "p2.txt"
    assert main(["word2phrase", "-train", str(src), "-output", str(one), "-min-count", "2",
                 "-threshold", "1", "-debug", "0"]) == 0
    assert main(["word2phrase", "-train", str(one), "-output", str(two), "-min-count", "2",
                 "-threshold", "1", "-debug", "0"]) == 0
    assert two.read_text().splitlines()[0] == "new_york_times_square"


def _status(argv):
    """main()'s exit status, also where argparse exits (usage errors)."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def test_word2phrase_errors(tmp_path, capsys):
    """Usage errors (status 2, as for every command): a missing input, an output that
    cannot be written, a parameter value out of its domain (named by its flag); failures
    while running (status 1): a corpus that is not UTF-8."""
    (tmp_path / "in.txt").write_text("a b\n")
    cases = ((["-train", str(tmp_path / "none.txt"), "-output", str(tmp_path / "o.txt")],
              f"-train {str(tmp_path / 'none.txt')!r} does not exist"),
             (["-train", "x.txt"], "-output"),
             (["-train", str(tmp_path / "in.txt"), "-output", str(tmp_path / "o.txt"),
               "-min-count", "0"], "-min-count 0 is invalid: must be a number > 0"),
             (["-train", str(tmp_path / "in.txt"), "-output", str(tmp_path / "o.txt"),
               "-threshold", "nan"], "-threshold nan is invalid: must be a number"),
             (["-train", str(tmp_path / "in.txt"), "-output", str(tmp_path / "no" / "o.txt")],
              "cannot write -output"))
    for argv, message in cases:
        assert _status(["word2phrase", *argv, "-debug", "0"]) == 2
        err = capsys.readouterr().err
        assert message in err and "usage:" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt"]
    (tmp_path / "bad.txt").write_bytes(b"a \xff b\n")
    assert main(["word2phrase", "-train", str(tmp_path / "bad.txt"), "-output",
                 str(tmp_path / "o.txt"), "-debug", "0"]) == 1
    assert "not valid UTF-8" in capsys.readouterr().err


def test_phrases_learn_save_export_apply(small_text_file, tmp_path, capsys):
    out, model_path, tsv = tmp_path / "out.txt.gz", tmp_path / "p.model", tmp_path / "p.tsv"
    assert main(["phrases", small_text_file, "-o", str(out), "--save", str(model_path),
                 "--export", str(tsv), "--connector-words", "english", "--threshold", "5"]) == 0
    model = Phrases.load(model_path)
    expected = Phrases(corpus_file=small_text_file, threshold=5,
                       connector_words=model.connector_words)
    assert list(model.vocab.items()) == list(expected.vocab.items())
    assert "of" in model.connector_words
    rows = [line.split("\t") for line in tsv.read_text(encoding="utf-8").splitlines()]
    grams = expected.freeze().phrasegrams
    assert {p: float(s) for p, s in rows} == grams
    assert [float(s) for _, s in rows] == sorted((float(s) for _, s in rows), reverse=True)
    import gzip
    with gzip.open(out, "rt", encoding="utf-8") as fh:
        joined = [line.split() for line in fh]
    with open(small_text_file, encoding="utf-8") as fh:
        assert joined == list(expected.freeze()[[line.split() for line in fh]])
    # apply the saved model, frozen
    frozen_path, out2 = tmp_path / "f.model", tmp_path / "out2.txt"
    assert main(["phrases", small_text_file, "--save", str(frozen_path), "--freeze",
                 "--connector-words", "english", "--threshold", "5"]) == 0
    assert isinstance(FrozenPhrases.load(frozen_path), FrozenPhrases)
    assert main(["phrases", small_text_file, "--model", str(frozen_path), "-o", str(out2)]) == 0
    assert [line.split() for line in out2.read_text(encoding="utf-8").splitlines()] == joined
    assert "phrases joined" in capsys.readouterr().err
    # a saved model's learning settings cannot be changed, nor a frozen model's threshold
    # (they were ignored without a word)
    for flags, message in ((["--threshold", "1000"], "frozen model"),
                           (["--scoring", "npmi"], "--scoring: fixed when the model"),
                           (["--delimiter", "+", "--max-vocab-size", "9"],
                            "--delimiter, --max-vocab-size: fixed")):
        with pytest.raises(SystemExit):
            main(["phrases", small_text_file, "--model", str(frozen_path), "-o", str(out2),
                  *flags])
        assert message in capsys.readouterr().err
    # a Phrases model scores on the fly: --threshold and --min-count apply to it
    strict = tmp_path / "strict.txt"
    assert main(["phrases", small_text_file, "--model", str(model_path), "-o", str(strict),
                 "--threshold", "1000", "--min-count", "20"]) == 0
    model.threshold, model.min_count = 1000, 20
    with open(small_text_file, encoding="utf-8") as fh:
        expect = list(model[[line.split() for line in fh]])
    assert [line.split() for line in strict.read_text(encoding="utf-8").splitlines()] == expect
    assert expect != joined


def test_phrases_npmi_and_word_list(hand_corpus, tmp_path):
    tsv = tmp_path / "p.tsv"
    assert main(["phrases", str(hand_corpus), "--export", str(tsv), "--scoring", "npmi",
                 "--threshold", "0.1", "--min-count", "1", "--connector-words", "b,z"]) == 0
    model = Phrases(corpus_file=hand_corpus, scoring="npmi", threshold=0.1, min_count=1,
                    connector_words={"b", "z"})
    assert dict((p, float(s)) for p, s in (line.split("\t") for line in
                tsv.read_text().splitlines())) == model.freeze().phrasegrams


@pytest.mark.parametrize("argv,code,message", [
    (["phrases", "{corpus}"], 2, "nothing to do"),
    (["phrases", "{corpus}", "-o", "{tmp}/o.txt", "--threshold", "0"], 2,
     "--threshold 0.0 is invalid"),
    (["phrases", "{corpus}", "-o", "{tmp}/o.txt", "--delimiter", " "], 2, "holds whitespace"),
    (["phrases", "{corpus}", "-o", "{tmp}/o.txt", "--delimiter", ""], 2,
     "--delimiter '' is invalid"),
    (["phrases", "{corpus}", "-o", "{tmp}/o.txt", "--scoring", "npmi", "--threshold", "2"], 2,
     "between -1 and 1"),
    (["phrases", "{tmp}/missing.txt", "-o", "{tmp}/o.txt"], 2, "missing.txt' does not exist"),
    (["phrases", "{corpus}", "-o", "{tmp}/o.txt", "--model", "{tmp}/none.model"], 2,
     "none.model' does not exist"),
    (["phrases", "{corpus}", "-o", "{tmp}/o.txt", "--model", "{corpus}"], 1, "not a fastw2v"),
    (["phrases", "{corpus}", "-o", "{tmp}/o.txt", "--max-vocab-size", "0"], 2,
     "--max-vocab-size 0 is invalid"),
    (["phrases", "{corpus}", "-o", "{tmp}/o.txt", "--min-count", "0"], 2,
     "--min-count 0 is invalid"),
    (["phrases", "{corpus}", "-o", "{tmp}/o.txt", "--connector-words", ","], 2,
     "--connector-words"),
])
def test_phrases_errors(hand_corpus, tmp_path, capsys, argv, code, message):
    """Status 2 for usage errors (bad values named by their flags, missing inputs), 1 for
    failures while running, as cli.md's table says for every command."""
    argv = [a.format(corpus=hand_corpus, tmp=tmp_path) for a in argv]
    assert _status(argv) == code
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o.txt").exists()


def test_phrases_threshold_of_a_loaded_model_is_checked_as_its_scoring(hand_corpus, tmp_path,
                                                                      capsys):
    """A loaded model's scoring is a function; --threshold is refused out of the range of
    the scoring it stands for, as it is when learning (it was accepted, joining nonsense)."""
    default, npmi = tmp_path / "d.model", tmp_path / "n.model"
    Phrases(corpus_file=hand_corpus, min_count=1, threshold=1).save(default)
    Phrases(corpus_file=hand_corpus, min_count=1, threshold=0.1, scoring="npmi").save(npmi)
    out = tmp_path / "o.txt"
    for model, threshold, message in (
            (default, "-1e9", "--threshold -1000000000.0 is invalid: must be > 0 for the "
                              "default scoring"),
            (default, "0", "--threshold 0.0 is invalid: must be > 0"),
            (npmi, "2", "--threshold 2.0 is invalid: must be between -1 and 1 for npmi"),
            (npmi, "-1.5", "--threshold -1.5 is invalid: must be between -1 and 1")):
        assert _status(["phrases", str(hand_corpus), "--model", str(model), "-o", str(out),
                        f"--threshold={threshold}"]) == 2
        assert message in capsys.readouterr().err
        assert not out.exists()
        # the same threshold is refused when learning with that scoring
        scoring = "npmi" if model == npmi else "default"
        assert _status(["phrases", str(hand_corpus), "--scoring", scoring, "-o", str(out),
                        f"--threshold={threshold}"]) == 2
        assert message in capsys.readouterr().err
    # in range, it applies: npmi takes a negative threshold
    assert main(["phrases", str(hand_corpus), "--model", str(npmi), "--export",
                 str(tmp_path / "n.tsv"), "--threshold=-0.5"]) == 0
    model = Phrases.load(npmi)
    model.threshold = -0.5
    rows = (tmp_path / "n.tsv").read_text().splitlines()
    assert {p: float(s) for p, s in (r.split("\t") for r in rows)} == model.export_phrases()


@pytest.mark.parametrize("flag,what", [("-o", "output"), ("--export", "export file"),
                                       ("--save", "model file")])
def test_phrases_outputs_are_checked_before_the_corpus_is_read(tmp_path, capsys, flag, what):
    """A corpus that is not UTF-8 fails when read (status 1); an output that cannot be
    written is found first (status 2, a usage error), with nothing written."""
    bad_corpus = tmp_path / "bad.txt"
    bad_corpus.write_bytes(b"a \xff b\n")
    (tmp_path / "file").write_text("x")
    cases = ((tmp_path / "missing" / "x.out", "does not exist"),
             (tmp_path / "file" / "x.out", "is not a directory"),
             (tmp_path, "is a directory: give a file name"))
    for target, reason in cases:
        with pytest.raises(SystemExit) as exc:
            main(["phrases", str(bad_corpus), flag, str(target)])
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert what in err and str(target) in err and reason in err
        assert "UTF-8" not in err
    # with --model too, before the model is loaded (this one is not a model)
    if flag != "--save":
        with pytest.raises(SystemExit) as exc:
            main(["phrases", str(bad_corpus), "--model", str(bad_corpus), flag,
                  str(tmp_path / "missing" / "x.out")])
        assert exc.value.code == 2 and "does not exist" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.txt", "file"]
    # a writable output: the corpus is read, and its error reported
    assert main(["phrases", str(bad_corpus), flag, str(tmp_path / "x.out")]) == 1
    assert "not valid UTF-8" in capsys.readouterr().err


def test_phrases_freeze_needs_save(hand_corpus, tmp_path, capsys):
    """--freeze only chooses what --save writes (-o and --export apply the frozen model
    anyway): without --save it was ignored without a word; now it is a usage error."""
    for outputs in (["-o", str(tmp_path / "o.txt")], ["--export", str(tmp_path / "p.tsv")]):
        with pytest.raises(SystemExit) as exc:
            main(["phrases", str(hand_corpus), *outputs, "--freeze"])
        assert exc.value.code == 2
        assert ("--freeze chooses what --save writes (a FrozenPhrases); it needs --save "
                "MODEL") in capsys.readouterr().err
    assert not (tmp_path / "o.txt").exists() and not (tmp_path / "p.tsv").exists()
    # with --save it saves the frozen model, and -o is the same as without --freeze
    saved = tmp_path / "f.model"
    assert main(["phrases", str(hand_corpus), "--save", str(saved), "--freeze",
                 "--min-count", "2", "--threshold", "1", "-o", str(tmp_path / "o.txt")]) == 0
    assert isinstance(Phrases.load(saved), FrozenPhrases)
    assert (tmp_path / "o.txt").read_text() == "a_b c\na_b d\na_b c\nx y\n"


@pytest.mark.parametrize("size", ["9223372036854775808", "99999999999999999999"])
def test_phrases_max_vocab_size_beyond_int64(small_text_file, tmp_path, capsys, size):
    """gensim takes any max_vocab_size; one beyond int64 is a limit never reached (it
    stopped with 'Python int too large to convert to C long', naming no parameter)."""
    tsv = tmp_path / "p.tsv"
    assert main(["phrases", small_text_file, "--export", str(tsv), "--max-vocab-size", size,
                 "--min-count", "2", "--threshold", "1"]) == 0
    assert f"max_vocab_size={size}" in capsys.readouterr().err
    rows = [line.split("\t") for line in tsv.read_text(encoding="utf-8").splitlines()]
    unpruned = Phrases(corpus_file=small_text_file, min_count=2, threshold=1)
    assert {p: float(s) for p, s in rows} == unpruned.export_phrases()


def test_subprocess_help_lists_the_commands():
    proc = subprocess.run([sys.executable, "-m", "fastw2v", "--help"], capture_output=True,
                          text=True, cwd=CHILD_CWD, timeout=120)
    assert proc.returncode == 0 and "word2phrase" in proc.stdout and "phrases" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "fastw2v", "word2phrase", "--help"],
                          capture_output=True, text=True, cwd=CHILD_CWD, timeout=120)
    assert proc.returncode == 0 and "-min-count" in proc.stdout and "train_words" in proc.stdout
