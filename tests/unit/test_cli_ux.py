"""What a user of the ``fastw2v`` command sees: an output that cannot be written is
refused before training, undecodable text points to ``--unicode-errors``, no loss is
shown unless computed, Ctrl-C says what became of the output, ``-debug 0`` is silent,
help texts name gensim's parameters and defaults, and gensim's ``word2vec_standalone``
spellings work. The command runs as a user runs it: in a subprocess, or through
``main(argv)`` where a failure has to be provoked inside the process."""
import io
import os
import signal
import subprocess
import sys
import threading

import pytest

from conftest import CHILD_CWD

from fastw2v import KeyedVectors
from fastw2v.cli import main
from fastw2v.cli.app import build_parser, cli_message
from fastw2v.cli.ctool import parse_c_args
from fastw2v.training.progress import Progress

#: a shell's background job starts with SIGINT ignored (POSIX), which a child keeps and
#: Python then leaves alone: restore the default so that Python installs its Ctrl-C handler
_SIGINT_AS_IN_A_TERMINAL = dict(preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def run(*args, **kwargs):
    """``python -m fastw2v ARGS`` outside the source tree (the installed package)."""
    cmd = [sys.executable, "-m", "fastw2v"] + [str(a) for a in args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=CHILD_CWD,
                          timeout=120, **kwargs)


@pytest.fixture(scope="module")
def vectors(small_text_file, tmp_path_factory):
    """Small vectors trained by the command (100k words, 1 epoch)."""
    out = tmp_path_factory.mktemp("ux") / "vectors.bin"
    r = run("train", small_text_file, "-o", out, "--vector-size", "16", "--epochs", "1",
            "--workers", "2", "-q")
    assert r.returncode == 0, r.stderr
    return out


# -- an output that cannot be written ------------------------------------------------------
@pytest.mark.parametrize("style", ["gensim", "c-tool"])
@pytest.mark.parametrize("where", ["missing-dir", "is-a-dir", "parent-is-a-file"])
def test_unwritable_output_is_refused_before_training(small_text_file, tmp_path, style, where):
    (tmp_path / "file").write_text("x")
    out = {"missing-dir": tmp_path / "nonexistent" / "x.bin", "is-a-dir": tmp_path,
           "parent-is-a-file": tmp_path / "file" / "x.bin"}[where]
    args = (["train", small_text_file, "-o", out] if style == "gensim"
            else ["-train", small_text_file, "-output", out])
    r = run(*args)
    assert r.returncode == 2, r.stderr
    expected = {"missing-dir": f"cannot write output '{out}': directory "
                               f"'{out.parent}' does not exist",
                "is-a-dir": f"output '{out}' is a directory: give a file name",
                "parent-is-a-file": f"cannot write output '{out}': '{out.parent}' is not a "
                                    "directory"}[where]
    assert "usage:" in r.stderr and expected in r.stderr
    # refused before any work: no vocabulary counted, no temporary name, no traceback
    assert "vocabulary" not in r.stderr and ".tmp" not in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_convert_refuses_an_unwritable_output_before_loading(vectors, tmp_path):
    r = run("convert", vectors, tmp_path / "nonexistent" / "x.txt")
    assert r.returncode == 2, r.stderr
    assert (f"cannot write output '{tmp_path / 'nonexistent' / 'x.txt'}': directory "
            "") in r.stderr and "usage:" in r.stderr


def test_outputs_through_links_and_to_stdout(small_text_file, vectors, tmp_path):
    """The C tool's users write '-output /dev/stdout'; a save (a temporary file renamed
    over the target) replaced that link, or any symbolic link, by a regular file."""
    r = run("-train", small_text_file, "-output", "/dev/stdout", "-size", "8", "-iter", "1",
            "-threads", "2", "-min-count", "5", "-debug", "2")
    assert r.returncode == 0, r.stderr
    # the C tool's lines go to stderr here: stdout is the vector file alone, readable
    lines = r.stdout.splitlines()
    header = lines[0].split()
    assert len(header) == 2 and header[1] == "8" and len(lines) == int(header[0]) + 1
    assert "Starting training using file" in r.stderr and "Vocab size:" in r.stderr
    written = tmp_path / "from_stdout.txt"
    written.write_text(r.stdout)
    assert len(KeyedVectors.load_word2vec_format(written)) == int(header[0])
    # a reader that goes away early ends the command quietly, as '| head' should (the
    # file, some 1,000 rows of 100 values, is more than a pipe holds)
    proc = subprocess.Popen([sys.executable, "-m", "fastw2v", "-train", small_text_file,
                             "-output", "/dev/stdout", "-size", "100", "-iter", "1",
                             "-min-count", "5", "-debug", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=CHILD_CWD)
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0 and "nothing was written" not in err, err
    assert os.path.islink("/dev/stdout")
    target = tmp_path / "real.txt"
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    r = run("convert", vectors, link)
    assert r.returncode == 0, r.stderr
    assert link.is_symlink() and len(KeyedVectors.load_word2vec_format(target)) > 100
    r = run("word2phrase", "-train", small_text_file, "-output", "/dev/stdout", "-debug", "0")
    assert r.returncode == 0 and len(r.stdout.splitlines()) > 10, r.stderr


def test_unwritable_vocabulary_file_is_refused_before_training(small_text_file, tmp_path):
    r = run("-train", small_text_file, "-save-vocab", tmp_path / "no" / "vocab.txt")
    assert r.returncode == 2 and "cannot write vocabulary file" in r.stderr
    assert "vocabulary:" not in r.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_read_only_directory_is_refused_before_training(small_text_file, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        r = run("train", small_text_file, "-o", locked / "x.bin")
    finally:
        locked.chmod(0o755)
    assert r.returncode == 2 and "is not writable" in r.stderr


def test_a_write_failing_at_the_end_names_the_output_not_the_temporary_file(
        small_text_file, tmp_path, monkeypatch, capsys):
    """The directory vanishes while training: the writer's error names its temporary file
    (``x.bin.abc123.tmp``); the command names the file the user asked for."""
    import shutil
    from fastw2v.cli import commands
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    real_save = commands.save_vectors

    def save_after_the_directory_went(kv, path, fmt=None):
        shutil.rmtree(out_dir)
        real_save(kv, path, fmt)

    monkeypatch.setattr(commands, "save_vectors", save_after_the_directory_went)
    status = main(["train", small_text_file, "-o", str(out_dir / "x.bin"), "--epochs", "1",
                   "--vector-size", "8", "--workers", "1", "-q"])
    err = capsys.readouterr().err
    assert status == 1
    assert f"error: cannot write {out_dir / 'x.bin'}: No such file or directory" in err
    assert "nothing was written" in err and ".tmp" not in err


# -- undecodable text ----------------------------------------------------------------------
@pytest.fixture
def latin1_corpus(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"caf\xe9 au lait\n" * 20 + b"the cat sat on the mat\n" * 20)
    return path


def test_undecodable_corpus_advice_names_the_flag(latin1_corpus, tmp_path):
    out = tmp_path / "v.txt"
    r = run("train", latin1_corpus, "-o", out, "--min-count", "1", "-q")
    assert r.returncode == 1 and "not valid UTF-8" in r.stderr
    assert "give --unicode-errors replace or ignore" in r.stderr
    assert "unicode_errors=" not in r.stderr and not out.exists()
    # with the C tool's flags the advice names the single-dash flag they take
    r = run("-train", latin1_corpus, "-output", out, "-min-count", "1")
    assert r.returncode == 1 and "give -unicode-errors replace or ignore" in r.stderr
    assert "unicode_errors=" not in r.stderr


@pytest.mark.parametrize("style", ["gensim", "c-tool"])
def test_unicode_errors_replace_trains_on_undecodable_text(latin1_corpus, tmp_path, style):
    out = tmp_path / "v.txt"
    args = (["train", latin1_corpus, "-o", out, "--min-count", "1", "--unicode-errors",
             "replace", "--epochs", "1", "-q"] if style == "gensim" else
            ["-train", latin1_corpus, "-output", out, "-min-count", "1", "-unicode-errors",
             "replace", "-iter", "1", "-debug", "0"])
    r = run(*args)
    assert r.returncode == 0, r.stderr
    words = KeyedVectors.load_word2vec_format(out).index_to_key
    assert "caf\ufffd" in words and "cat" in words


def test_bad_unicode_errors_value_is_a_usage_error(latin1_corpus, tmp_path):
    r = run("train", latin1_corpus, "-o", tmp_path / "v.txt", "--unicode-errors", "loose")
    assert r.returncode == 2 and "invalid choice: 'loose'" in r.stderr
    r = run("-train", latin1_corpus, "-output", tmp_path / "v.txt", "-unicode-errors", "loose")
    assert r.returncode == 2 and "-unicode-errors must be one of" in r.stderr


def test_vector_file_readers_take_unicode_errors(tmp_path):
    vec = tmp_path / "latin1.txt"
    vec.write_bytes(b"3 2\ncaf\xe9 1 0\ntea 0.9 0.1\nmilk 0 1\n")
    r = run("similar", vec, "tea", "--tsv")
    assert r.returncode == 1 and "give --unicode-errors replace or ignore" in r.stderr
    r = run("similar", vec, "tea", "--tsv", "--unicode-errors", "ignore")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].split("\t")[0] == "caf"
    out = tmp_path / "clean.bin"
    r = run("convert", vec, out, "--unicode-errors", "replace")
    assert r.returncode == 0, r.stderr
    assert KeyedVectors.load_word2vec_format(out, binary=True).index_to_key[0] == "caf\ufffd"
    for command in ("similar", "analogy", "evaluate", "compare", "convert", "plot",
                    "projector", "train"):
        assert "--unicode-errors" in build_parser().commands[command].format_help()


def test_cli_message_rewrites_only_the_advice():
    msg = "f: line 1 is not valid UTF-8; pass unicode_errors='replace' or 'ignore' to read it"
    assert cli_message(msg) == ("f: line 1 is not valid UTF-8; give --unicode-errors replace "
                                "or ignore to read it")
    assert cli_message(msg, c_tool=True).count("give -unicode-errors replace or ignore") == 1
    assert cli_message("no such file") == "no such file"


# -- the loss is shown only when computed ---------------------------------------------------
def test_progress_bar_shows_no_loss_unless_computed(small_text_file, tmp_path):
    common = ["train", small_text_file, "-o", tmp_path / "v.bin", "--epochs", "2",
              "--vector-size", "8", "--workers", "1", "--progress"]
    r = run(*common)
    assert r.returncode == 0, r.stderr
    assert "training" in r.stderr and "alpha" in r.stderr and "loss" not in r.stderr
    r = run(*common, "--compute-loss")
    assert r.returncode == 0, r.stderr
    assert "loss" in r.stderr and "loss=0.0000" not in r.stderr \
        and "loss 0.0000" not in r.stderr


@pytest.mark.parametrize("backend", ["plain", "tqdm"])
def test_progress_leaves_out_a_loss_that_was_not_computed(backend):
    if backend == "tqdm":
        pytest.importorskip("tqdm")
    stream = io.StringIO()
    bar = Progress("training", 100, backend=backend, stream=stream)
    bar.update(50, alpha=0.01, loss=0.0)            # what an epoch without compute_loss gives
    assert "loss" not in bar._format_fields()
    bar.update(100, alpha=0.001, loss=2.5)
    assert bar._format_fields()["loss"] == "2.5000"
    bar.update(100, loss=float("nan"))              # a diverged training is shown
    assert bar._format_fields()["loss"] == "nan"
    bar.close()
    if backend == "plain":
        assert "loss nan" in stream.getvalue()


# -- Ctrl-C ---------------------------------------------------------------------------------
@pytest.mark.parametrize("existing", [False, True], ids=["new-output", "existing-output"])
def test_ctrl_c_says_what_became_of_the_output(sample_text_file, tmp_path, existing):
    out, vocab = tmp_path / "vectors.bin", tmp_path / "vocab.txt"
    if existing:
        out.write_bytes(b"an older file")
    # skip-gram with both objectives on the whole sample, 20 epochs: minutes of training
    proc = subprocess.Popen(
        [sys.executable, "-m", "fastw2v", "train", sample_text_file, "-o", out, "--sg", "1",
         "--hs", "1", "--epochs", "20", "--workers", "1", "--save-vocab", vocab, "-q"],
        stderr=subprocess.PIPE, text=True, cwd=tmp_path, **_SIGINT_AS_IN_A_TERMINAL)
    try:
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if line.startswith("training skip-gram"):
                break
        assert seen and seen[-1].startswith("training skip-gram"), "".join(seen)
        threading.Event().wait(0.5)             # into the first epoch
        proc.send_signal(signal.SIGINT)
        err = proc.stderr.read()
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted (Ctrl-C) during epoch 1 of 20 (0 epochs completed)" in err
    if existing:
        assert f"nothing was written to {out} (the file there before is unchanged)" in err
        assert out.read_bytes() == b"an older file"
    else:
        assert f"nothing was written to {out}: the vectors are written only after" in err
        assert not out.exists()
    assert f"{vocab} was written before the interruption and is complete" in err
    assert len(vocab.read_text(encoding="utf-8").splitlines()) > 10000
    # advice for Python users is not for the command's users
    assert "partial_epoch" not in err and "train()" not in err and "Traceback" not in err
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


# -- small things ---------------------------------------------------------------------------
def test_analogy_header_names_the_score(vectors):
    kv = KeyedVectors.load_word2vec_format(vectors, binary=True)
    a, b, c = kv.index_to_key[10:13]
    r = run("analogy", vectors, a, b, c, "-n", "3", "--cosmul")
    assert r.returncode == 0, r.stderr
    assert "3CosMul score" in r.stdout and "Cosine distance" not in r.stdout
    r = run("analogy", vectors, a, b, c, "-n", "3")
    assert "Cosine distance" in r.stdout and "3CosMul" not in r.stdout


def test_debug_0_prints_nothing_but_errors(small_text_file, tmp_path):
    out = tmp_path / "v.txt"
    r = run("-train", small_text_file, "-output", out, "-size", "8", "-iter", "1",
            "-threads", "1", "-save-vocab", tmp_path / "vocab.txt", "-debug", "0")
    assert r.returncode == 0, r.stderr
    # as the C tool: only its first line, which it prints at any -debug
    assert r.stderr == "" and out.exists()
    assert r.stdout == f"Starting training using file {small_text_file}\n"
    r = run("-train", small_text_file, "-output", out, "-size", "8", "-iter", "1",
            "-threads", "1", "-debug", "1")
    assert "Vocab size:" in r.stdout and "wrote" in r.stderr and "training" in r.stderr
    r = run("-train", tmp_path / "missing.txt", "-output", out, "-debug", "0")
    assert r.returncode == 2 and "error:" in r.stderr


def test_counts_are_singular_for_one(small_text_file, tmp_path):
    r = run("-train", small_text_file, "-output", tmp_path / "v.txt", "-size", "8",
            "-iter", "1", "-threads", "1")
    assert r.returncode == 0, r.stderr
    assert "with 1 thread, 1 epoch..." in r.stderr
    assert "1 threads" not in r.stderr and "1 epochs" not in r.stderr
    r = run("-train", small_text_file, "-output", tmp_path / "v.txt", "-size", "8",
            "-iter", "2", "-threads", "2")
    assert "with 2 threads, 2 epochs..." in r.stderr


def test_every_train_option_has_help_with_its_default():
    train = build_parser().commands["train"]
    for action in train._actions:
        if action.dest in ("help", "corpus"):
            continue
        assert action.help, action.option_strings
        assert "default" in action.help, action.option_strings
    r = run("train", "--help")
    text = " ".join(r.stdout.split())
    for shown in ("(vector_size; default 100)", "(window; default 5)",
                  "(min_count; default 5)", "(sample; default 1e-3)", "(sg; default 0)",
                  "(negative; default 5)", "(epochs; default 5)", "(alpha; default 0.025)",
                  "(min_alpha; default 0.0001)", "(unicode_errors; default strict)",
                  f"here {os.cpu_count()}"):
        assert shown in text, shown


def test_gensim_standalone_spellings(small_text_file, tmp_path):
    # word2vec_standalone.py spells -min_count with an underscore; argparse takes -x=v
    a = parse_c_args(["-train", "c.txt", "-min_count", "3", "-size=20", "-save_vocab", "v"])
    assert (a.min_count, a.vector_size, a.save_vocab) == (3, 20, "v")
    vocabs = []
    for flag in ("-min-count", "-min_count"):
        path = tmp_path / f"vocab{flag}.txt"
        r = run("-train", small_text_file, flag, "20", "-save-vocab", path, "-debug", "0")
        assert r.returncode == 0, r.stderr
        vocabs.append(path.read_text(encoding="utf-8"))
    assert vocabs[0] == vocabs[1]
    assert min(int(line.split()[1]) for line in vocabs[0].splitlines()) >= 20
    # its -accuracy FILE: analogy accuracy on FILE after training
    questions = tmp_path / "q.txt"
    questions.write_text(": family\nhe she his her\nhis her he she\n", encoding="utf-8")
    r = run("-min_count", "5", "-train", small_text_file, "-output", tmp_path / "v.txt",
            "-size", "8", "-iter", "1", "-threads", "1", "-accuracy", questions)
    assert r.returncode == 0, r.stderr
    assert "family" in r.stdout and "q (3CosAdd)" in r.stdout
    r = run("-train", small_text_file, "-output", tmp_path / "v.txt", "-accuracy",
            tmp_path / "missing.txt")
    assert r.returncode == 2 and "analogy file" in r.stderr


@pytest.mark.slow
def test_demo_analogies_are_right_with_the_demo_settings():
    r = run("demo", "--workers", "2", "-q")
    assert r.returncode == 0, r.stderr
    rows = [ln for ln in r.stdout.splitlines() if " :: " in ln and ln.endswith("]")]
    right = [ln for ln in rows if ln.split(" :: ")[1].split(" : ")[1].split()[0]
             == ln.rsplit("[", 1)[1].rstrip("]")]
    assert len(rows) == 5 and len(right) >= 4, r.stdout
    assert f"{len(right)} of 5 right" in r.stdout
