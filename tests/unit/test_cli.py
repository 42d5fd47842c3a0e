"""The ``fastw2v`` command end to end, in subprocesses (``python -m fastw2v`` and the
installed console script): training with the C tool's flags into files gensim reads,
queries, evaluation equal to the library's, comparison, conversion, pictures, and
usage errors that exit 2 with a usage message and no traceback."""
import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np
import pytest

from conftest import CHILD_CWD

from fastw2v import KeyedVectors, Word2Vec
from fastw2v.cli import main
from fastw2v.cli.ctool import parse_c_args
from fastw2v.evaluation.scoring import datasets, evaluate_word_analogies, evaluate_word_pairs


def run(*args, stdin=None, exe=None):
    """The command in a subprocess. It runs outside the source tree, so that
    ``python -m fastw2v`` imports the installed package (a non-editable install, as in
    CI, leaves the source tree without compiled kernels)."""
    cmd = (exe or [sys.executable, "-m", "fastw2v"]) + [str(a) for a in args]
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True,
                          cwd=CHILD_CWD, timeout=120)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, sample_text_file):
    """300k words of the shipped sample, 1,000 words a line."""
    out = tmp_path_factory.mktemp("cli") / "corpus.txt"
    words = open(sample_text_file, encoding="utf-8").read().split()[:300_000]
    out.write_text("\n".join(" ".join(words[i:i + 1000]) for i in range(0, len(words), 1000))
                   + "\n", encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def trained(corpus):
    """Vectors trained by the C tool's command line, unchanged but for the program name."""
    d = corpus.parent
    r = run("-train", corpus, "-output", d / "vectors.bin", "-cbow", "0", "-size", "40",
            "-window", "5", "-negative", "5", "-hs", "0", "-sample", "1e-3", "-threads",
            "2", "-iter", "1", "-min-count", "5", "-binary", "1", "-save-vocab",
            d / "vocab.txt", "-debug", "0")
    assert r.returncode == 0, r.stderr
    return d, r


def test_train_with_c_flags_writes_what_gensim_reads(trained, corpus):
    from gensim.models import KeyedVectors as GensimKV
    d, r = trained
    # -debug 0: the C tool's first line only, nothing on stderr but errors
    assert r.stdout == f"Starting training using file {corpus}\n"
    assert r.stderr == ""
    g = GensimKV.load_word2vec_format(str(d / "vectors.bin"), binary=True)
    ours = KeyedVectors.load_word2vec_format(d / "vectors.bin", binary=True)
    assert g.vector_size == 40 and len(g) == len(ours) > 3000
    assert g.index_to_key == ours.index_to_key and g.index_to_key[0] == "</s>"
    np.testing.assert_array_equal(g.vectors, ours.vectors)
    # -save-vocab: the C tool's 'word count' lines, '</s>' (the line breaks) first, then
    # the words most frequent first, the same words
    lines = (d / "vocab.txt").read_text(encoding="utf-8").splitlines()
    vocab = [ln.split(" ") for ln in lines]
    assert all(len(v) == 2 for v in vocab)
    assert [w for w, _ in vocab] == g.index_to_key
    assert vocab.pop(0) == ["</s>", str(corpus.read_bytes().count(b"\n"))]
    counts = [int(c) for _, c in vocab]
    assert counts == sorted(counts, reverse=True) and counts[-1] >= 5
    text = corpus.read_text(encoding="utf-8").split()
    assert counts[0] == text.count(vocab[0][0])


def test_c_tool_defaults_and_text_output(corpus, tmp_path):
    a = parse_c_args(["-train", "c.txt", "-output", "v.bin"])
    # CBOW, alpha 0.05, 12 threads, text output whatever the suffix: the C tool's defaults
    assert (a.sg, a.alpha, a.workers, a.format, a.vector_size, a.epochs) == \
        (0, 0.05, 12, "txt", 100, 5)
    assert a.min_alpha == pytest.approx(0.05 * 1e-4)
    assert (a.sample, a.min_count, a.window, a.negative, a.hs) == (1e-3, 5, 5, 5, 0)
    b = parse_c_args(["-train", "c.txt", "-cbow", "0", "-output", "m.fw2v"])
    assert (b.sg, b.alpha, b.format) == (1, 0.025, "fw2v")
    assert parse_c_args(["-train", "c.txt", "-classes", "100"]).classes == 100
    # 'train' followed by C flags works too; text output that gensim reads
    out = tmp_path / "vectors.bin"
    r = run("train", "-train", corpus, "-output", out, "-size", "16", "-iter", "1",
            "-threads", "2", "-debug", "0")
    assert r.returncode == 0, r.stderr
    assert out.read_bytes().split(b"\n")[0].split()[1] == b"16"
    from gensim.models import KeyedVectors as GensimKV
    g = GensimKV.load_word2vec_format(str(out), binary=False)
    assert g.vector_size == 16
    # the queries recognise a text file named .bin from its content
    r = run("similar", out, g.index_to_key[5], "--tsv", "-n", "2")
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 2, r.stderr
    # C-style usage for C-style mistakes
    r = run("-train", corpus, "-window", "five")
    assert r.returncode == 2 and "usage:" in r.stderr and "-train FILE -output FILE" in r.stderr


def test_read_vocab(trained, corpus, tmp_path):
    d, _ = trained
    out = tmp_path / "v.txt"
    r = run("-train", corpus, "-output", out, "-read-vocab", d / "vocab.txt", "-min-count",
            "20", "-size", "8", "-iter", "1", "-threads", "2", "-debug", "0")
    assert r.returncode == 0, r.stderr
    kv = KeyedVectors.load_word2vec_format(out)
    vocab = [ln.split() for ln in (d / "vocab.txt").read_text().splitlines()]
    assert kv.index_to_key == [w for w, c in vocab if int(c) >= 20]


def test_gensim_style_train_to_native_model(corpus, tmp_path):
    out = tmp_path / "m.fw2v"
    r = run("train", corpus, "-o", out, "--vector-size", "12", "--epochs", "2", "--sg", "1",
            "--workers", "2", "--compute-loss", "--min-count", "10", "-q")
    assert r.returncode == 0, r.stderr
    m = Word2Vec.load(out)
    assert (m.vector_size, m.sg, m.min_count, m.epochs_trained) == (12, 1, 10, 2)
    assert len(m.epoch_losses) == 2 and len(m.epoch_alphas) == 2


def test_similar_and_analogy(trained):
    d, _ = trained
    vec = d / "vectors.bin"
    kv = KeyedVectors.load_word2vec_format(vec, binary=True)
    r = run("similar", vec, "king", "-n", "5", "--tsv")
    assert r.returncode == 0, r.stderr
    got = [ln.split("\t") for ln in r.stdout.splitlines()]
    want = kv.most_similar("king", topn=5)
    assert [w for w, _ in got] == [w for w, _ in want]
    np.testing.assert_allclose([float(s) for _, s in got], [s for _, s in want], atol=1e-6)
    # the C tool's layout
    r = run("similar", vec, "war")
    assert "Position in vocabulary: " in r.stdout and "Cosine distance" in r.stdout
    assert len([ln for ln in r.stdout.splitlines() if "\t\t" in ln]) == 40
    # stdin, line by line: an unknown word is reported and skipped; EXIT ends
    r = run("similar", vec, "--tsv", "-n", "3", stdin="king\nqqzzqq\nwar army\nEXIT\ncity\n")
    assert r.returncode == 0
    assert "Out of dictionary word: qqzzqq" in r.stderr and "Traceback" not in r.stderr
    want = [w for w, _ in kv.most_similar("king", topn=3)] + \
        [w for w, _ in kv.most_similar(["war", "army"], topn=3)]
    assert [ln.split("\t")[0] for ln in r.stdout.splitlines()] == want
    # an unknown word given as an argument: exit 1, no traceback
    r = run("similar", vec, "qqzzqq")
    assert r.returncode == 1 and "Out of dictionary word" in r.stderr
    assert "Traceback" not in r.stderr
    r = run("analogy", vec, "man", "king", "woman", "-n", "4", "--tsv")
    assert r.returncode == 0, r.stderr
    want = kv.most_similar(positive=["king", "woman"], negative=["man"], topn=4)
    assert [ln.split("\t")[0] for ln in r.stdout.splitlines()] == [w for w, _ in want]
    r = run("analogy", vec, "--tsv", "-n", "2", "--cosmul", stdin="man king woman\nking\n")
    want = kv.most_similar_cosmul(positive=["king", "woman"], negative=["man"], topn=2)
    assert [ln.split("\t")[0] for ln in r.stdout.splitlines()] == [w for w, _ in want]
    assert "three words are needed" in r.stderr


def test_evaluate_pair_files_of_one_name_and_nan_in_json(trained, tmp_path):
    d, _ = trained
    vec = d / "vectors.bin"
    kv = KeyedVectors.load_word2vec_format(vec, binary=True)
    w = kv.index_to_key[10:20]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one, two = tmp_path / "a" / "p.tsv", tmp_path / "b" / "p.tsv"
    one.write_text("".join(f"{w[i]}\t{w[i + 1]}\t{i}\n" for i in range(5)))
    two.write_text("".join(f"{w[i]}\t{w[i + 2]}\t5\n" for i in range(5)))  # constant
    r = run("evaluate", vec, "--pairs", one, two, "--json")
    assert r.returncode == 0, r.stderr
    scores = json.loads(r.stdout)          # valid JSON: the constant file's NaN is null
    p1, s1, _ = evaluate_word_pairs(kv, one)
    assert scores[f"{one} spearman"] == s1[0] and scores[f"{one} pearson"] == p1[0]
    assert scores[f"{two} spearman"] is None and scores[f"{two} oov%"] == 0.0


def test_evaluate_prints_the_library_numbers(trained):
    d, _ = trained
    vec = d / "vectors.bin"
    r = run("evaluate", vec, "--json")
    assert r.returncode == 0, r.stderr
    scores = json.loads(r.stdout)
    kv = KeyedVectors.load_word2vec_format(vec, binary=True)
    ds = datasets()
    assert scores["questions-words (3CosAdd)"] == evaluate_word_analogies(
        kv, ds["questions-words"])[0]
    for name in ("wordsim353", "simlex999"):
        p, s, oov = evaluate_word_pairs(kv, ds[name])
        assert scores[f"{name} spearman"] == s[0] and scores[f"{name} pearson"] == p[0]
        assert scores[f"{name} oov%"] == oov
    # and gensim's on the same file
    from gensim.models import KeyedVectors as GensimKV
    g = GensimKV.load_word2vec_format(str(vec), binary=True)
    gp, gs, goov = g.evaluate_word_pairs(ds["wordsim353"])
    assert scores["wordsim353 pearson"] == pytest.approx(gp[0], abs=1e-6)
    assert scores["wordsim353 oov%"] == pytest.approx(goov)
    # human-readable: per section, then the scores; the C tool's mode
    r = run("evaluate", vec, "--pairs", ds["simlex999"], "--analogies", ds["questions-words"],
            "--cosmul", "--restrict-vocab", "2000")
    assert r.returncode == 0, r.stderr
    assert "capital-common-countries" in r.stdout and "questions-words (3CosMul)" in r.stdout
    assert "wordsim353" not in r.stdout
    r = run("evaluate", vec, "--c-tool", "--analogies", ds["questions-words"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "capital-common-countries:"
    assert "Questions seen / total: " in r.stdout and "Semantic accuracy" in r.stdout


def test_convert_and_compare(trained, corpus, tmp_path):
    d, _ = trained
    vec = d / "vectors.bin"
    kv = KeyedVectors.load_word2vec_format(vec, binary=True)
    chain = [vec, tmp_path / "v.txt", tmp_path / "v.vec.gz", tmp_path / "v.glove",
             tmp_path / "v.fw2v", tmp_path / "back.bin"]
    for src, dst in zip(chain, chain[1:]):
        extra = ["--to", "glove"] if dst.suffix == ".glove" else []
        extra += ["--from", "glove"] if src.suffix == ".glove" else []
        r = run("convert", src, dst, *extra)
        assert r.returncode == 0, r.stderr
    back = KeyedVectors.load_word2vec_format(chain[-1], binary=True)
    assert back.index_to_key == kv.index_to_key
    np.testing.assert_array_equal(back.vectors, kv.vectors)
    assert (tmp_path / "v.glove").read_text().split("\n")[0].split()[0] == kv.index_to_key[0]
    r = run("convert", vec, tmp_path / "small.txt", "--limit", "100")
    assert KeyedVectors.load_word2vec_format(tmp_path / "small.txt").vectors.shape == (100, 40)
    # the same vectors in two formats agree completely; another model less
    r = run("compare", vec, tmp_path / "v.fw2v", "--json", "--words", "300")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res["overlap@10"] == 1.0 and res["words_compared"] == 300
    assert res["scores_a"] == res["scores_b"]
    other = tmp_path / "other.bin"
    r = run("-train", corpus, "-output", other, "-binary", "1", "-size", "40", "-iter", "1",
            "-cbow", "0", "-threads", "1", "-sample", "0", "-debug", "0")
    assert r.returncode == 0, r.stderr
    r = run("compare", vec, other, "--words", "200")
    assert r.returncode == 0, r.stderr
    line = [ln for ln in r.stdout.splitlines() if "overlap@10" in ln][0]
    overlap = float(line.split("=")[1].split()[0])
    assert 0.0 < overlap < 1.0
    assert "wordsim353 spearman" in r.stdout and "B - A" in r.stdout


def png_size(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_plot_and_projector(trained, tmp_path):
    d, _ = trained
    vec = d / "vectors.bin"
    fig = tmp_path / "fig.png"
    r = run("plot", vec, "war", "army", "city", "qqzzqq", "--group", "royalty=king,queen",
            "--arrow", "man:woman", "--arrow", "king:queen", "-o", fig)
    assert r.returncode == 0, r.stderr
    assert "qqzzqq" in r.stderr                            # left out, said so
    w, h = png_size(fig)
    assert 600 <= w <= 3000 and 400 <= h <= 3000 and os.path.getsize(fig) > 10_000
    # a name without a suffix: a PNG under the name the message gives
    r = run("plot", vec, "war", "army", "-o", tmp_path / "map")
    assert r.returncode == 0 and f"wrote {tmp_path / 'map'}" in r.stderr
    assert png_size(tmp_path / "map")[0] > 100
    r = run("projector", vec, tmp_path / "tb" / "wiki", "--limit", "250")
    assert r.returncode == 0, r.stderr
    assert len((tmp_path / "tb" / "wiki_vectors.tsv").read_text().splitlines()) == 250
    # counts are not in a .bin file: one column, no header
    meta = (tmp_path / "tb" / "wiki_metadata.tsv").read_text().splitlines()
    assert len(meta) == 250 and "\t" not in meta[0]


def test_demo_prints_neighbours_and_an_analogy():
    r = run("demo", "--epochs", "1", "--workers", "2", "-q")
    assert r.returncode == 0, r.stderr
    assert "nearest neighbours:" in r.stdout and "king:" in r.stdout
    assert "man : woman :: father : " in r.stdout and "[mother]" in r.stdout
    assert " of 5 right." in r.stdout


def test_console_script(trained):
    exe = shutil.which("fastw2v") or os.path.join(os.path.dirname(sys.executable), "fastw2v")
    assert os.path.isfile(exe), "the fastw2v console script is not installed"
    d, _ = trained
    r = run("similar", d / "vectors.bin", "war", "-n", "3", "--tsv", exe=[exe])
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == 3
    r = run("--help", exe=[exe])
    assert r.returncode == 0 and "usage: fastw2v" in r.stdout
    for cmd in ("train", "similar", "analogy", "evaluate", "compare", "convert", "plot",
                "demo"):
        assert cmd in r.stdout
    r = run("train", "--help", exe=[exe])
    assert "-read-vocab" in r.stdout and "C tool" in r.stdout


def test_version_prints_version_and_simd_variant():
    import fastw2v
    from fastw2v import kernels
    r = run("--version")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"fastw2v {fastw2v.__version__} (kernels: {kernels.SIMD_VARIANT})"
    assert r.stderr == ""
    r = run("--help")
    assert "--version" in r.stdout


def test_compressed_vector_files_are_recognised_by_content(trained, tmp_path):
    import gzip
    from fastw2v.cli.app import format_of, sniff_format
    d, _ = trained
    packed = tmp_path / "vectors.data"                 # the name says nothing
    packed.write_bytes(gzip.compress((d / "vectors.bin").read_bytes()))
    assert sniff_format(packed) == "bin"
    assert format_of("v.txt.gz") == format_of("v.txt.xz") == format_of("v.TXT.BZ2") == "txt"
    assert format_of("v.bin.lzma") == "bin" and format_of("v.gz") is None
    r = run("similar", packed, "war", "-n", "3", "--tsv")
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == 3
    broken = tmp_path / "broken.bin"
    broken.write_bytes(gzip.compress((d / "vectors.bin").read_bytes())[:200])
    r = run("similar", broken, "war")
    assert r.returncode == 1 and "corrupt compressed file" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("args", [
    [],
    ["nosuchcommand"],
    ["train"],
    ["train", "{d}/missing.txt", "-o", "{d}/x.bin"],
    ["train", "{corpus}"],
    ["train", "{corpus}", "-o", "{d}/x.bin", "--hs", "0", "--negative", "0"],
    ["train", "{corpus}", "-o", "{d}/x.bin", "--vector-size", "many"],
    ["-train"],
    ["-train", "{corpus}", "-size", "abc"],
    ["-train", "{corpus}", "-bogus", "1"],
    ["-output", "{d}/x.bin"],
    ["similar"],
    ["similar", "{d}/missing.bin", "king"],
    ["analogy", "{d}/vectors.bin", "man", "king"],
    ["evaluate", "{d}/vectors.bin", "--pairs", "{d}/missing.tsv"],
    ["convert", "{d}/vectors.bin", "{d}/out.unknown"],
    ["plot", "{d}/vectors.bin", "king", "queen"],
    ["plot", "{d}/vectors.bin", "king", "--group", "nogroup", "-o", "{d}/f.png"],
    ["plot", "{d}/vectors.bin", "king", "queen", "-o", "{d}/f.txt"],
    ["plot", "{d}/vectors.bin", "king", "queen", "-o", "{d}/no/such/dir/f.png"],
    ["compare", "{d}/vectors.bin"],
])
def test_bad_arguments_exit_2_with_usage(trained, corpus, args):
    d, _ = trained
    r = run(*[a.format(d=d, corpus=corpus) for a in args])
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "usage:" in r.stderr and "error:" in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""


@pytest.mark.parametrize("command", [["word2phrase", "-train", "c.txt", "-output", "o.txt"],
                                     ["similar", "v.bin", "king"], ["train", "c.txt"]])
def test_an_unknown_flag_is_named_with_the_commands_own_usage(command, capsys):
    """argparse reports a subcommand's unknown flags with the top level's usage
    ('fastw2v [-h] [--version] COMMAND'), which says nothing of the command's flags."""
    with pytest.raises(SystemExit) as stop:
        main(command + ["--bogus", "1"], prog="fastw2v")
    err = capsys.readouterr().err
    assert stop.value.code == 2
    assert f"usage: fastw2v {command[0]} " in err
    assert f"fastw2v {command[0]}: error: unrecognized arguments: --bogus 1" in err


def test_unreadable_vector_file_exits_1_without_traceback(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"3 4\nword \x00\x01")
    r = run("similar", bad, "word")
    assert r.returncode == 1 and "error:" in r.stderr and "Traceback" not in r.stderr


GENSIM_FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                               "data", "gensim")


def test_cli_reads_gensim_saved_models(tmp_path):
    """Files written by gensim's save() (a model, KeyedVectors) work where vector files
    do; a FastText pickle is named, with the way out, instead of 'not valid utf8'."""
    model = os.path.join(GENSIM_FIXTURES, "w2v_sg_ns.model")
    word = Word2Vec.load(model).wv.index_to_key[0]
    r = run("similar", model, word, "--topn", "3")
    assert r.returncode == 0, r.stderr
    assert len([ln for ln in r.stdout.splitlines() if ln.strip()]) >= 3
    out = tmp_path / "x.bin"
    r = run("convert", os.path.join(GENSIM_FIXTURES, "vectors.kv"), str(out))
    assert r.returncode == 0, r.stderr
    kv = KeyedVectors.load_word2vec_format(str(out), binary=True)
    assert kv.index_to_key == KeyedVectors.load(os.path.join(GENSIM_FIXTURES, "vectors.kv")).index_to_key
    r = run("similar", os.path.join(GENSIM_FIXTURES, "fasttext.model"), word)
    assert r.returncode != 0
    assert "FastText" in r.stderr and "save_word2vec_format" in r.stderr
    assert "utf8" not in r.stderr and "Traceback" not in r.stderr
