"""fastw2v.plotting: PCA against its definition, word maps and training curves written as
real pictures, the errors without matplotlib / scikit-learn, TensorBoard export."""
import os
import struct
import sys
import types

import numpy as np
import pytest

from fastw2v import KeyedVectors, Word2Vec
from fastw2v import plotting


def png_size(path):
    """(width, height) from a PNG's IHDR chunk, after checking the signature."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def model(small_text_file):
    return Word2Vec(corpus_file=small_text_file, vector_size=24, epochs=3, workers=2,
                    compute_loss=True, min_count=3, progress=False)


def test_pca_matches_its_definition():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 7)) @ rng.normal(size=(7, 7)) + 5.0
    coords, comps, s = plotting.pca(x, 2)
    centred = x - x.mean(axis=0)
    # the axes are unit, orthogonal, and the two leading eigenvectors of the scatter
    np.testing.assert_allclose(comps @ comps.T, np.eye(2), atol=1e-10)
    evals, evecs = np.linalg.eigh(centred.T @ centred)
    np.testing.assert_allclose(s ** 2, evals[::-1][:2], rtol=1e-9)
    for j in range(2):
        assert abs(abs(comps[j] @ evecs[:, -1 - j]) - 1) < 1e-9
    # the coordinates are the centred points on those axes, with variance s^2 / n
    np.testing.assert_allclose(coords, centred @ comps.T, atol=1e-10)
    np.testing.assert_allclose(coords.var(axis=0), s ** 2 / len(x), rtol=1e-9)
    assert abs(np.corrcoef(coords.T)[0, 1]) < 1e-9
    # deterministic signs: the largest loading of each axis is positive
    assert all(c[np.argmax(np.abs(c))] > 0 for c in comps)
    with pytest.raises(ValueError, match="two vectors"):
        plotting.pca(x[:1])


def test_plot_words_writes_png_and_svg(model, tmp_path):
    wv = model.wv
    words = wv.index_to_key[20:30]
    groups = {"first": wv.index_to_key[30:33], "second": wv.index_to_key[33:36]}
    arrows = [(wv.index_to_key[30], wv.index_to_key[33]),
              (wv.index_to_key[31], wv.index_to_key[34])]
    png = tmp_path / "words.png"
    pos = plotting.plot_words(wv, words, png, groups=groups, arrows=arrows, title="t")
    w, h = png_size(png)
    assert 600 <= w <= 3000 and 400 <= h <= 3000
    assert os.path.getsize(png) > 10_000
    # every word, grouped and arrowed ones included, drawn at its PCA coordinates
    drawn = words + wv.index_to_key[30:36]
    assert list(pos) == drawn
    expected = plotting.project_words(wv, drawn)
    np.testing.assert_allclose(np.array(list(pos.values())), expected, atol=1e-9)
    unit = wv.vectors[[wv.key_to_index[x] for x in drawn]].astype(np.float64)
    unit /= np.linalg.norm(unit, axis=1)[:, None]
    np.testing.assert_allclose(expected, plotting.pca(unit)[0], atol=1e-9)
    svg = tmp_path / "words.svg"
    plotting.plot_words(wv, words, svg, arrows=arrows)
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text and text.rstrip().endswith("</svg>")


def test_plot_words_unknown_words(model, tmp_path):
    wv = model.wv
    with pytest.raises(KeyError, match="qqqzzq"):
        plotting.plot_words(wv, ["the", "qqqzzq", "of"], tmp_path / "x.png")
    pos = plotting.plot_words(wv, ["the", "qqqzzq", "of"], tmp_path / "x.png",
                              skip_unknown=True, arrows=[("the", "qqqzzq")])
    assert list(pos) == ["the", "of"]
    with pytest.raises(ValueError, match="method"):
        plotting.plot_words(wv, ["the", "of"], tmp_path / "x.png", method="umap")


def test_without_matplotlib_the_error_says_what_to_install(model, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install 'fastw2v\[plot\]'"):
        plotting.plot_words(model.wv, ["the", "of", "and"], tmp_path / "x.png")
    with pytest.raises(ImportError, match=r"fastw2v\[plot\]"):
        plotting.plot_training(model, tmp_path / "t.png")
    assert not (tmp_path / "x.png").exists()
    # the projector export needs no matplotlib
    vec, meta = plotting.export_tensorboard(model.wv, tmp_path / "tb", limit=5)
    assert len(open(vec).read().splitlines()) == 5


def test_tsne_needs_scikit_learn(model, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.manifold", None)
    with pytest.raises(ImportError, match="scikit-learn"):
        plotting.plot_words(model.wv, model.wv.index_to_key[:10], tmp_path / "x.png",
                            method="tsne")


def test_tsne_goes_through_scikit_learn(model, tmp_path, monkeypatch):
    calls = {}

    class FakeTSNE:
        def __init__(self, **kw):
            calls.update(kw)

        def fit_transform(self, x):
            calls["shape"] = x.shape
            return np.column_stack([np.arange(len(x)), np.arange(len(x)) ** 2.0])

    fake = types.ModuleType("sklearn")
    fake.manifold = types.ModuleType("sklearn.manifold")
    fake.manifold.TSNE = FakeTSNE
    monkeypatch.setitem(sys.modules, "sklearn", fake)
    monkeypatch.setitem(sys.modules, "sklearn.manifold", fake.manifold)
    words = model.wv.index_to_key[:12]
    pos = plotting.plot_words(model.wv, words, tmp_path / "t.png", method="tsne")
    assert calls["shape"] == (12, 24) and calls["n_components"] == 2
    assert calls["perplexity"] < 12                     # t-SNE needs perplexity < n
    assert pos[words[3]] == (3.0, 9.0)
    png_size(tmp_path / "t.png")


def test_plot_training(model, tmp_path):
    assert len(model.epoch_losses) == len(model.epoch_alphas) == 3
    assert model.epoch_alphas == sorted(model.epoch_alphas, reverse=True)
    assert model.epoch_alphas[-1] == pytest.approx(model.min_alpha, rel=1e-6)
    assert model.epoch_alphas[0] == pytest.approx(
        model.alpha - (model.alpha - model.min_alpha) / 3, rel=1e-3)
    path = tmp_path / "curve.png"
    plotting.plot_training(model, path, title="training")
    w, h = png_size(path)
    assert 600 <= w <= 3000 and 300 <= h <= 2000 and os.path.getsize(path) > 10_000
    # the record survives save/load
    model.save(tmp_path / "m.fw2v")
    assert Word2Vec.load(tmp_path / "m.fw2v").epoch_alphas == model.epoch_alphas
    fresh = Word2Vec(vector_size=8)
    with pytest.raises(ValueError, match="train it here first"):
        plotting.plot_training(fresh, tmp_path / "none.png")


def test_export_tensorboard(tmp_path):
    words = ["plain", "tab\there", "new\nline", "back\\slash", "last"]
    vecs = np.arange(15, dtype=np.float32).reshape(5, 3) / 7
    kv = KeyedVectors(3, words, vecs, counts=[50, 40, 30, 20, 10])
    vec_path, meta_path = plotting.export_tensorboard(kv, tmp_path / "out" / "run1")
    assert vec_path.endswith("run1_vectors.tsv") and meta_path.endswith("run1_metadata.tsv")
    rows = open(vec_path, encoding="utf-8").read().splitlines()
    assert len(rows) == 5
    np.testing.assert_allclose([[float(v) for v in r.split("\t")] for r in rows], vecs,
                               rtol=1e-6)
    meta = open(meta_path, encoding="utf-8").read().splitlines()
    assert meta == ["word\tcount", "plain\t50", "tab\\there\t40", "new\\nline\t30",
                    "back\\\\slash\t20", "last\t10"]
    # a directory gets vectors.tsv/metadata.tsv; no counts: one column, no header
    d = tmp_path / "tb"
    d.mkdir()
    v2, m2 = plotting.export_tensorboard(KeyedVectors(3, words, vecs), d, limit=3)
    assert v2 == str(d / "vectors.tsv") and m2 == str(d / "metadata.tsv")
    assert len(open(v2).read().splitlines()) == 3
    assert open(m2).read().splitlines() == ["plain", "tab\\there", "new\\nline"]
    with pytest.raises(ValueError, match="limit"):
        plotting.export_tensorboard(kv, d, limit=0)


def test_plots_leave_the_backend_and_figures_alone(model, tmp_path):
    """A notebook's backend and open figures stay as they were: the plots draw on a
    Figure of their own, without pyplot."""
    import matplotlib
    import matplotlib.pyplot as plt
    before = matplotlib.get_backend()
    matplotlib.use("svg", force=True)         # a backend of the user's choice, not Agg
    fig = plt.figure()
    try:
        plotting.plot_words(model.wv, ["the", "of", "and"], tmp_path / "w.png")
        plotting.plot_training(model, tmp_path / "t.svg")
        assert matplotlib.get_backend() == "svg"
        assert plt.get_fignums() == [fig.number]
        assert png_size(tmp_path / "w.png")[0] > 100
    finally:
        plt.close("all")
        matplotlib.use(before, force=True)


def test_picture_names_and_bad_input(model, tmp_path):
    # no suffix: PNG, written under the very name given
    plotting.plot_words(model.wv, ["the", "of", "and"], tmp_path / "map")
    assert png_size(tmp_path / "map")[0] > 100 and not (tmp_path / "map.png").exists()
    with pytest.raises(ValueError, match=r"'\.txt' is not a picture format"):
        plotting.plot_words(model.wv, ["the", "of"], tmp_path / "map.txt")
    assert plotting.picture_format("a/b.SVG") == "svg" and plotting.picture_format("x") == "png"
    # a string where a list of words belongs
    with pytest.raises(TypeError, match="single string"):
        plotting.plot_words(model.wv, "king", tmp_path / "x.png")
    with pytest.raises(TypeError, match="group 'g' is a single string"):
        plotting.plot_words(model.wv, ["the", "of"], tmp_path / "x.png", groups={"g": "and"})
    # a vector holding NaN is named, not an SVD that does not converge
    kv = KeyedVectors(3)
    kv.add_vectors(["a", "b", "c"], np.array([[1, 0, 0], [0, np.nan, 0], [0, 0, 1]],
                                             dtype=np.float32))
    with pytest.raises(ValueError, match="NaN or infinity: 'b'"):
        plotting.plot_words(kv, ["a", "b", "c"], tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()
