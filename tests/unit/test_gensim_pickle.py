"""fastw2v.io.gensim_pickle: files written by gensim 4's save(), read without gensim and
without running anything from the file.

Two sources: models gensim writes here (gensim is importable in the tests), compared with
gensim's in-memory model; and the fixtures shipped in tests/data/gensim/ (made by
scripts/make_gensim_fixtures.py), read in a subprocess where gensim cannot be imported.
"""
import json
import os
import pickle
import random
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from fastw2v.errors import (FormatError, ParameterError, TruncatedFileError,
                            UnsafePickleError, UnsupportedModelError)
from fastw2v.io.gensim_pickle import (GensimModel, PickledObject, is_gensim_pickle,
                                      pickled_class, read_gensim)

gensim_models = pytest.importorskip("gensim.models")

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data",
                        "gensim")
MODES = {"sg-ns": dict(sg=1, hs=0, negative=5), "sg-hs": dict(sg=1, hs=1, negative=0),
         "cbow-ns": dict(sg=0, hs=0, negative=5), "cbow-hs": dict(sg=0, hs=1, negative=0)}
# how gensim's save() is called: every array inside the pickle; every array in its own
# .npy file; a compressed pickle with .npz companions
LAYOUTS = {"inline": ("m.model", {}), "separate": ("m.model", {"sep_limit": 0}),
           "compressed": ("m.model.gz", {"sep_limit": 0})}


@pytest.fixture(scope="module")
def corpus(small_text_file):
    with open(small_text_file, encoding="utf-8") as fh:
        return [line.split() for _, line in zip(range(60), fh)]


def train_gensim(corpus, **kw):
    params = dict(vector_size=8, window=3, min_count=2, workers=1, seed=11, epochs=1)
    params.update(kw)
    return gensim_models.Word2Vec(corpus, **params)


def assert_same_as_gensim(got: GensimModel, model):
    wv = model.wv
    assert got.kind == "word2vec"
    assert got.index_to_key == wv.index_to_key
    assert got.counts.dtype == np.int64
    np.testing.assert_array_equal(got.counts, wv.expandos["count"])
    assert got.vectors.dtype == np.float32
    np.testing.assert_array_equal(got.vectors, wv.vectors)
    np.testing.assert_array_equal(got.vectors_lockf, wv.vectors_lockf)
    for name in ("syn1neg", "syn1"):
        expected = getattr(model, name, None)
        if expected is None:
            assert getattr(got, name) is None
        else:
            np.testing.assert_array_equal(getattr(got, name), expected)
    for name in ("vector_size", "window", "min_count", "sg", "hs", "negative",
                 "ns_exponent", "cbow_mean", "alpha", "min_alpha", "sample", "epochs",
                 "seed", "max_final_vocab", "sorted_vocab", "shrink_windows",
                 "compute_loss", "max_vocab_size", "null_word", "workers", "batch_words"):
        assert got.params[name] == getattr(model, name), name
    for name in ("corpus_count", "corpus_total_words", "train_count",
                 "running_training_loss", "min_alpha_yet_reached", "effective_min_count"):
        assert got.training[name] == getattr(model, name), name


# -- files gensim writes in the test ---------------------------------------------------
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("mode", sorted(MODES))
def test_word2vec_equals_gensim_in_memory(tmp_path, corpus, mode, layout):
    model = train_gensim(corpus, compute_loss=True, **MODES[mode])
    name, save_kw = LAYOUTS[layout]
    model.save(str(tmp_path / name), **save_kw)
    if layout != "inline":  # the arrays really went to separate files
        suffix = "npz" if layout == "compressed" else "npy"
        assert (tmp_path / f"{name}.wv.vectors.{suffix}").exists()
    got = read_gensim(tmp_path / name)
    assert_same_as_gensim(got, model)
    assert got.gensim_version == __import__("gensim").__version__
    assert got.training["cum_table_saved"] is False  # gensim leaves it out of the file


def test_keyedvectors_equal_gensim(tmp_path, corpus):
    model = train_gensim(corpus)
    model.wv.save(str(tmp_path / "v.kv"))
    model.wv.save(str(tmp_path / "sep.kv"), sep_limit=0)
    for name in ("v.kv", "sep.kv"):
        got = read_gensim(tmp_path / name)
        assert got.kind == "keyedvectors"
        assert got.index_to_key == model.wv.index_to_key
        np.testing.assert_array_equal(got.vectors, model.wv.vectors)
        np.testing.assert_array_equal(got.counts, model.wv.expandos["count"])
        assert got.syn1neg is None and got.syn1 is None
        assert got.params == {"vector_size": 8} and got.training == {}


def test_keyedvectors_without_counts_and_float64(tmp_path):
    kv = gensim_models.KeyedVectors(3, dtype=np.float64)
    vectors = np.arange(6, dtype=np.float64).reshape(2, 3) / 7
    kv.add_vectors(["alpha", "beta"], vectors)
    kv.save(str(tmp_path / "v.kv"))
    got = read_gensim(tmp_path / "v.kv")
    assert got.index_to_key == ["alpha", "beta"]
    assert got.counts is None
    assert got.vectors.dtype == np.float32
    np.testing.assert_array_equal(got.vectors, vectors.astype(np.float32))


def test_integer_keys_load_and_other_keys_are_refused(tmp_path):
    from fastw2v import KeyedVectors
    kv = gensim_models.KeyedVectors(2)
    kv.add_vectors([10, 20, 30], np.array([[1, 0], [0.9, 0.1], [0, 1]], dtype=np.float32))
    kv.save(str(tmp_path / "tags.kv"))
    ours = KeyedVectors.load(tmp_path / "tags.kv")
    assert ours.index_to_key == [10, 20, 30]
    got, want = ours.most_similar(10, topn=2), kv.most_similar(10, topn=2)
    assert [k for k, _ in got] == [k for k, _ in want] == [20, 30]
    np.testing.assert_allclose([v for _, v in got], [v for _, v in want], atol=1e-6)
    kv = gensim_models.KeyedVectors(2)
    kv.add_vectors(list(np.arange(3)), np.eye(3, 2, dtype=np.float32))     # NumPy integers
    kv.save(str(tmp_path / "np.kv"))
    ours = KeyedVectors.load(tmp_path / "np.kv")
    assert ours.index_to_key == [0, 1, 2] and type(ours.index_to_key[0]) is int
    np.testing.assert_array_equal(ours[np.int64(1)], kv[np.int64(1)])
    kv = gensim_models.KeyedVectors(2)
    kv.add_vectors([(1, 2), (3, 4)], np.ones((2, 2), dtype=np.float32))
    kv.save(str(tmp_path / "tuples.kv"))
    with pytest.raises(UnsupportedModelError, match=r"not strings or integers \(\(1, 2\)\)"):
        read_gensim(tmp_path / "tuples.kv")


def test_per_key_attributes_load_and_save_again(tmp_path, corpus):
    from fastw2v import KeyedVectors, Word2Vec
    model = train_gensim(corpus)
    word = model.wv.index_to_key[3]
    model.wv.set_vecattr(word, "freq", 0.25)
    model.wv.set_vecattr(word, "tag", "noun")
    model.save(str(tmp_path / "m.model"))
    model.wv.save(str(tmp_path / "m.kv"))
    kv = KeyedVectors.load(tmp_path / "m.kv")
    ours = Word2Vec.load(tmp_path / "m.model")
    for got in (kv, ours.wv):
        assert got.get_vecattr(word, "freq") == 0.25 and got.get_vecattr(word, "tag") == "noun"
        assert got.get_vecattr(model.wv.index_to_key[0], "freq") == 0.0
    # the lifecycle gensim recorded, followed by fastw2v's "loaded"
    events = [e.get("event") for e in ours.lifecycle_events]
    assert events[:-1] == [e.get("event") for e in model.lifecycle_events]
    assert events[-1] == "loaded"
    # fastw2v's own files keep the attributes too, text of any length included
    ours.wv.set_vecattr(model.wv.index_to_key[5], "tag", "a longer text")
    ours.save(tmp_path / "m.fw2v")
    kv.save(tmp_path / "n.kv")
    for got in (Word2Vec.load(tmp_path / "m.fw2v").wv, KeyedVectors.load(tmp_path / "n.kv")):
        assert got.get_vecattr(word, "freq") == 0.25 and got.get_vecattr(word, "tag") == "noun"
    assert Word2Vec.load(tmp_path / "m.fw2v").wv.get_vecattr(
        model.wv.index_to_key[5], "tag") == "a longer text"
    # gensim's allocate_vecattrs with a text type: objects too, so text is not cut
    kv.allocate_vecattrs(["label"], [str])
    kv.set_vecattr(word, "label", "a long label")
    assert kv.get_vecattr(word, "label") == "a long label"
    # an attribute holding anything else cannot be saved, and nothing is written
    kv.set_vecattr(word, "obj", object())
    with pytest.raises(TypeError, match="attribute 'obj' holds a object"):
        kv.save(tmp_path / "bad.kv")
    assert not (tmp_path / "bad.kv").exists()


def test_mmap_maps_the_separate_arrays(tmp_path, corpus):
    model = train_gensim(corpus, hs=1, negative=5)
    model.save(str(tmp_path / "m.model"), sep_limit=0)
    got = read_gensim(tmp_path / "m.model", mmap="r")
    for arr in (got.vectors, got.syn1neg, got.syn1):
        assert isinstance(arr, np.memmap)
        assert not arr.flags.writeable
    np.testing.assert_array_equal(got.syn1, model.syn1)
    plain = read_gensim(tmp_path / "m.model")
    assert not isinstance(plain.vectors, np.memmap) and plain.vectors.flags.writeable
    copy_on_write = read_gensim(tmp_path / "m.model", mmap="c")
    assert isinstance(copy_on_write.vectors, np.memmap) and copy_on_write.vectors.flags.writeable


def test_mmap_arguments_checked(tmp_path, corpus):
    model = train_gensim(corpus)
    model.save(str(tmp_path / "m.model.gz"), sep_limit=0)
    with pytest.raises(ParameterError, match="compressed"):
        read_gensim(tmp_path / "m.model.gz", mmap="r")
    model.save(str(tmp_path / "m.model"))
    with pytest.raises(ParameterError, match="mmap"):
        read_gensim(tmp_path / "m.model", mmap="w+")  # would create/overwrite files


@pytest.mark.parametrize("protocol", [0, 1, 2, 3, 5])
def test_other_pickle_protocols(tmp_path, corpus, protocol):
    """Protocol 2 writes bytes as _codecs.encode(text, 'latin1') and names builtins;
    protocol 5 frames arrays differently; 0 and 1 build objects with copyreg."""
    model = train_gensim(corpus, hs=1)
    model.save(str(tmp_path / "m.model"), pickle_protocol=protocol)
    got = read_gensim(tmp_path / "m.model")
    assert_same_as_gensim(got, model)
    assert got.vectors.flags.writeable and got.syn1.flags.writeable  # training writes them
    assert is_gensim_pickle(tmp_path / "m.model")
    model.wv.save(str(tmp_path / "m.kv"), pickle_protocol=protocol)
    from fastw2v import KeyedVectors
    np.testing.assert_array_equal(KeyedVectors.load(tmp_path / "m.kv").vectors, model.wv.vectors)


@pytest.mark.parametrize("rng", ["default_rng", "RandomState()", "gensim 3.8"])
def test_random_generators_that_hold_a_seed_sequence(tmp_path, corpus, rng):
    """NumPy 2 pickles a SeedSequence through a Cython helper (__pyx_unpickle_...): a
    model converted from gensim 3.8, or whose random is a Generator or an unseeded
    RandomState, holds one."""
    if rng == "gensim 3.8":
        from gensim.test.utils import datapath
        model = gensim_models.Word2Vec.load(datapath("model-from-gensim-3.8.0.w2v"))
    else:
        model = train_gensim(corpus)
        model.random = (np.random.default_rng(1) if rng == "default_rng"
                        else np.random.RandomState())
    model.save(str(tmp_path / "m.model"))
    from fastw2v import Word2Vec
    ours = Word2Vec.load(tmp_path / "m.model")
    assert ours.wv.index_to_key == model.wv.index_to_key
    np.testing.assert_array_equal(ours.wv.vectors, model.wv.vectors)


def test_a_model_loaded_and_saved_again_by_gensim(tmp_path, corpus):
    model = train_gensim(corpus)
    model.save(str(tmp_path / "a.model"), sep_limit=0)
    again = gensim_models.Word2Vec.load(str(tmp_path / "a.model"))
    again.train(corpus, total_examples=again.corpus_count, epochs=1)
    again.save(str(tmp_path / "b.model"))
    got = read_gensim(tmp_path / "b.model")
    assert_same_as_gensim(got, again)
    assert got.training["train_count"] == 2


# -- the shipped fixtures, without gensim ------------------------------------------------
NO_GENSIM = textwrap.dedent(r"""
    import hashlib, json, os, sys
    sys.modules["gensim"] = None   # `import gensim` raises ImportError from here on

    class Refuse:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == "gensim":
                raise ImportError("test: gensim must not be imported")
    sys.meta_path.insert(0, Refuse())

    import numpy as np
    from fastw2v.errors import UnsupportedModelError
    from fastw2v.io.gensim_pickle import read_gensim, pickled_class

    folder = sys.argv[1]
    expected = json.load(open(os.path.join(folder, "expected.json"), encoding="utf-8"))
    digest = lambda a: hashlib.sha256(np.ascontiguousarray(a, np.float32).tobytes()).hexdigest()
    out = {}
    for name, want in expected.items():
        if name.startswith("_"):
            continue
        for mmap in (None, "r") if not name.endswith(".gz") else (None,):
            g = read_gensim(os.path.join(folder, name), mmap=mmap)
            got = {"kind": g.kind, "index_to_key": g.index_to_key,
                   "counts": None if g.counts is None else g.counts.tolist(),
                   "vector_size": g.vector_size, "vectors_sha256": digest(g.vectors),
                   "vectors_row_sums": [float(g.vectors[i].astype(np.float64).sum())
                                        for i in range(5)],
                   "vectors_lockf": None if g.vectors_lockf is None else g.vectors_lockf.tolist(),
                   "dtypes": sorted({str(a.dtype) for a in (g.vectors, g.syn1neg, g.syn1)
                                     if a is not None})}
            if g.kind == "word2vec":
                got["syn1neg_sha256"] = None if g.syn1neg is None else digest(g.syn1neg)
                got["syn1_sha256"] = None if g.syn1 is None else digest(g.syn1)
                got["params"] = {k: g.params[k] for k in want["params"]}
                got["training"] = {k: g.training[k] for k in want["training"]}
            out[f"{name} mmap={mmap}"] = got
    refused = {}
    for name in ("fasttext.model", "doc2vec.model"):
        try:
            read_gensim(os.path.join(folder, name))
            refused[name] = "read"
        except UnsupportedModelError as exc:
            refused[name] = str(exc)
    out["_refused"] = refused
    out["_classes"] = {n: pickled_class(os.path.join(folder, n))
                       for n in ("fasttext.model", "doc2vec.model", "vectors.kv")}
    # the public entry points, as a migrating user calls them
    from fastw2v import KeyedVectors, Word2Vec
    loaded = {}
    for name, want in expected.items():
        if want.get("kind") == "word2vec" and not name.startswith("_"):
            model = Word2Vec.load(os.path.join(folder, name))
            loaded[name] = {"index_to_key": model.wv.index_to_key,
                            "vectors_sha256": digest(model.wv.vectors),
                            "neighbour": model.wv.most_similar(model.wv.index_to_key[0],
                                                               topn=1)[0][0]}
        if not name.startswith("_"):
            kv = KeyedVectors.load(os.path.join(folder, name))
            loaded["kv " + name] = {"index_to_key": kv.index_to_key,
                                    "vectors_sha256": digest(kv.vectors)}
    out["_loaded"] = loaded
    out["_gensim_modules"] = sorted(m for m in sys.modules
                                    if m.split(".")[0] == "gensim" and sys.modules[m] is not None)
    print(json.dumps(out))
""")


@pytest.fixture(scope="module")
def no_gensim_run():
    proc = subprocess.run([sys.executable, "-c", NO_GENSIM, FIXTURES], capture_output=True,
                          text=True, timeout=120, cwd=os.path.dirname(FIXTURES))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_word2vec_load_reads_gensim_models_without_gensim(no_gensim_run):
    """``Word2Vec.load`` of gensim's files, in a process where gensim cannot be imported,
    gives gensim's vocabulary and vectors, ready for queries."""
    with open(os.path.join(FIXTURES, "expected.json"), encoding="utf-8") as fh:
        expected = json.load(fh)
    loaded = no_gensim_run["_loaded"]
    models = [n for n, w in expected.items() if not n.startswith("_") and w["kind"] == "word2vec"]
    assert sorted(n for n in loaded if not n.startswith("kv ")) == sorted(models)
    assert len(models) >= 3
    for name in models:
        assert loaded[name]["index_to_key"] == expected[name]["index_to_key"]
        assert loaded[name]["vectors_sha256"] == expected[name]["vectors_sha256"]
        assert loaded[name]["neighbour"] in expected[name]["index_to_key"]
    assert no_gensim_run["_gensim_modules"] == []


def test_keyedvectors_load_reads_gensim_files_without_gensim(no_gensim_run):
    """``KeyedVectors.load`` of a gensim ``.kv`` file, and of a gensim model (its ``wv``,
    as gensim's own ``KeyedVectors.load`` returns), without gensim."""
    with open(os.path.join(FIXTURES, "expected.json"), encoding="utf-8") as fh:
        expected = json.load(fh)
    names = [n for n in expected if not n.startswith("_")]
    assert any(expected[n]["kind"] == "keyedvectors" for n in names)
    for name in names:
        got = no_gensim_run["_loaded"]["kv " + name]
        assert got["index_to_key"] == expected[name]["index_to_key"]
        assert got["vectors_sha256"] == expected[name]["vectors_sha256"]


def test_fixtures_read_without_gensim(no_gensim_run):
    with open(os.path.join(FIXTURES, "expected.json"), encoding="utf-8") as fh:
        expected = json.load(fh)
    checked = 0
    for key, got in no_gensim_run.items():
        if key.startswith("_"):
            continue
        want = dict(expected[key.split(" ")[0]])
        assert got.pop("dtypes") == ["float32"]
        assert got == want, key
        checked += 1
    # 3 Word2Vec files + 1 KeyedVectors, the uncompressed ones also memory-mapped
    assert checked == 7
    assert no_gensim_run["_gensim_modules"] == []


def test_fixtures_cover_every_mode_and_layout():
    with open(os.path.join(FIXTURES, "expected.json"), encoding="utf-8") as fh:
        expected = json.load(fh)
    models = [v for k, v in expected.items() if v.get("kind") == "word2vec"]
    assert {(m["params"]["sg"], m["params"]["hs"], m["params"]["negative"] > 0)
            for m in models} == {(1, 0, True), (0, 1, False), (1, 1, True)}
    names = os.listdir(FIXTURES)
    assert "w2v_cbow_hs.model.wv.vectors.npy" in names  # saved as separate arrays
    assert "w2v_sg_both.model.gz.syn1neg.npz" in names  # compressed companions
    assert sum(os.path.getsize(os.path.join(FIXTURES, n)) for n in names) < 1_000_000


def test_fasttext_and_doc2vec_refused_without_gensim(no_gensim_run):
    refused = no_gensim_run["_refused"]
    assert "gensim FastText model" in refused["fasttext.model"]
    assert "gensim Doc2Vec model" in refused["doc2vec.model"]
    for message in refused.values():
        assert "save_word2vec_format('x.bin', binary=True)" in message
    assert no_gensim_run["_classes"] == {
        "fasttext.model": "gensim.models.fasttext.FastText",
        "doc2vec.model": "gensim.models.doc2vec.Doc2Vec",
        "vectors.kv": "gensim.models.keyedvectors.KeyedVectors"}


def test_unsupported_gensim_models_written_here(tmp_path, corpus):
    gensim_models.FastText(corpus, vector_size=4, bucket=50, min_count=2, epochs=1).save(
        str(tmp_path / "ft.model"))
    with pytest.raises(UnsupportedModelError, match="FastText"):
        read_gensim(tmp_path / "ft.model")
    d2v = gensim_models.Doc2Vec(
        [gensim_models.doc2vec.TaggedDocument(s, [i]) for i, s in enumerate(corpus)],
        vector_size=4, min_count=2, epochs=1)
    d2v.save(str(tmp_path / "d.model"))
    with pytest.raises(UnsupportedModelError, match="Doc2Vec"):
        read_gensim(tmp_path / "d.model")
    d2v.dv.save(str(tmp_path / "dv.kv"))  # document vectors: integer tags, as gensim's
    from fastw2v import KeyedVectors
    dv = KeyedVectors.load(tmp_path / "dv.kv")
    assert dv.index_to_key == d2v.dv.index_to_key and isinstance(dv.index_to_key[0], int)
    np.testing.assert_array_equal(dv.vectors, d2v.dv.vectors)
    from gensim.models import LdaModel
    from gensim.corpora import Dictionary
    words = Dictionary(corpus[:5])
    LdaModel([words.doc2bow(s) for s in corpus[:5]], id2word=words, num_topics=2).save(
        str(tmp_path / "lda.model"))
    with pytest.raises(UnsupportedModelError, match="LdaModel"):
        read_gensim(tmp_path / "lda.model")


# -- gensim 3.x layouts (classes made up in a subprocess: gensim 3 is not installed) -----
FAKE_GENSIM3 = textwrap.dedent(r"""
    import pickle, sys, types
    import numpy as np
    def module(name):
        m = types.ModuleType(name); sys.modules[name] = m; return m
    for name in ("gensim", "gensim.models", "gensim.utils"):
        module(name)
    w2v, kv = module("gensim.models.word2vec"), module("gensim.models.keyedvectors")
    def cls(mod, name):
        c = type(name, (), {}); c.__module__ = mod.__name__; setattr(mod, name, c); return c
    Word2Vec, Vocab, W2VKV = cls(w2v, "Word2Vec"), cls(kv, "Vocab"), cls(kv, "Word2VecKeyedVectors")
    Word2VecVocab, KeyedVectors = cls(w2v, "Word2VecVocab"), cls(kv, "KeyedVectors")
    def obj(c, **fields):
        o = c.__new__(c); o.__dict__.update(fields); return o
    layout = sys.argv[2]
    vectors = np.ones((2, 3), dtype=np.float32)
    if layout == "3.8":
        wv = obj(W2VKV, vectors=vectors, index2word=["a", "b"],
                 vocab={"a": obj(Vocab, index=0, count=5), "b": obj(Vocab, index=1, count=3)})
        top = obj(Word2Vec, wv=wv, vocabulary=obj(Word2VecVocab, min_count=1), iter=5)
    elif layout == "3.8-kv":
        top = obj(W2VKV, vectors=vectors, index2word=["a", "b"], vocab={})
    elif layout == "2.x-kv":  # KeyedVectors of gensim 1-2: syn0 and index2word
        top = obj(KeyedVectors, syn0=vectors, index2word=["a", "b"], vocab={})
    with open(sys.argv[1], "wb") as fh:
        pickle.dump(top, fh, protocol=2)
""")


@pytest.mark.parametrize("layout,what", [("3.8", "3.x (or older) Word2Vec"),
                                         ("3.8-kv", "3.x (or older) KeyedVectors"),
                                         ("2.x-kv", "3.x (or older) KeyedVectors")])
def test_gensim3_layouts_refused(tmp_path, layout, what):
    path = tmp_path / "old.model"
    subprocess.run([sys.executable, "-c", FAKE_GENSIM3, str(path), layout], check=True,
                   timeout=60)
    assert is_gensim_pickle(path)
    with pytest.raises(UnsupportedModelError) as info:
        read_gensim(path)
    message = str(info.value)
    assert what in message and str(path) in message
    assert "save_word2vec_format" in message and "gensim 4" in message


# -- crafted pickles: nothing runs --------------------------------------------------------
class RunsShell:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


class RunsEval:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return eval, (f"open({str(self.marker)!r}, 'w').write('ran')",)


class RunsSubprocess:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return subprocess.call, (["touch", str(self.marker)],)


class ImportsGetattr:
    """The usual gadget chain: getattr(__import__('os'), 'system')('...')."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return __import__, ("os",)


@pytest.mark.parametrize("gadget,refused", [(RunsShell, "system"), (RunsEval, "builtins.eval"),
                                            (RunsSubprocess, "subprocess.call"),
                                            (ImportsGetattr, "builtins.__import__")])
def test_crafted_pickle_runs_nothing(tmp_path, gadget, refused):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.model"
    with open(path, "wb") as fh:
        pickle.dump(gadget(marker), fh, protocol=4)
    with pytest.raises(UnsafePickleError, match=refused) as info:
        read_gensim(path)
    assert "refused it before anything ran" in str(info.value)
    assert not marker.exists()
    # the same file through plain pickle does run (the test's gadget is real)
    if gadget is not ImportsGetattr:
        with open(path, "rb") as fh:
            pickle.load(fh)
        assert marker.exists()


def test_gadget_inside_a_real_gensim_model_runs_nothing(tmp_path, corpus):
    marker = tmp_path / "ran"
    model = train_gensim(corpus)
    model.comment = RunsShell(marker)  # deep inside an otherwise genuine model
    model.save(str(tmp_path / "m.model"))
    assert is_gensim_pickle(tmp_path / "m.model")
    with pytest.raises(UnsafePickleError, match=r"a gensim Word2Vec holding a \w+\.system"):
        read_gensim(tmp_path / "m.model")
    assert not marker.exists()


def test_gensim_functions_are_not_called(tmp_path):
    """gensim.utils.pickle writes files: a gensim name is not a pass."""
    class CallsGensim:
        def __reduce__(self):
            import gensim.utils
            return gensim.utils.pickle, ("x", str(tmp_path / "written"))
    with open(tmp_path / "g.model", "wb") as fh:
        pickle.dump(CallsGensim(), fh, protocol=4)
    with pytest.raises(UnsafePickleError, match="gensim.utils.pickle"):
        read_gensim(tmp_path / "g.model")
    assert not (tmp_path / "written").exists()


def test_allowed_names_cannot_be_turned_against_the_reader(tmp_path):
    """defaultdict factories are never kept, bytes(n) is not an allocation, and
    _reconstructor builds nothing but stand-ins."""
    import collections
    import copyreg
    path = tmp_path / "a.pkl"
    with open(path, "wb") as fh:
        pickle.dump(collections.defaultdict(os.getcwd), fh, protocol=4)
    with pytest.raises(UnsafePickleError, match="getcwd"):
        read_gensim(path)

    class HugeBytes:
        def __reduce__(self):
            return bytes, (10 ** 12,)
    with open(path, "wb") as fh:
        pickle.dump(HugeBytes(), fh, protocol=4)
    with pytest.raises(FormatError, match="bytes"):
        read_gensim(path)

    class Reconstruct:
        def __reduce__(self):
            return copyreg._reconstructor, (dict, int, 5)
    with open(path, "wb") as fh:
        pickle.dump(Reconstruct(), fh, protocol=4)
    with pytest.raises(UnsafePickleError, match="_reconstructor"):
        read_gensim(path)


@pytest.mark.parametrize("call", ["ndarray", "reconstruct"])
def test_arrays_cannot_be_allocated_from_a_number_in_the_file(tmp_path, call):
    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # NumPy 1.x
        from numpy.core.multiarray import _reconstruct

    class Allocates:
        def __reduce__(self):
            if call == "ndarray":
                return np.ndarray, ((10 ** 12,),)
            return _reconstruct, (np.ndarray, (10 ** 12,), b"b")
    (tmp_path / "a.pkl").write_bytes(pickle.dumps(Allocates(), protocol=4))
    with pytest.raises(UnsafePickleError, match="refused"):
        read_gensim(tmp_path / "a.pkl")


def test_memmapped_model_saved_again(tmp_path, corpus):
    """gensim pickles a memory-mapped array as numpy.memmap: read as a plain array."""
    model = train_gensim(corpus)
    model.save(str(tmp_path / "a.model"), sep_limit=0)
    mapped = gensim_models.Word2Vec.load(str(tmp_path / "a.model"), mmap="r")
    assert isinstance(mapped.wv.vectors, np.memmap)
    mapped.save(str(tmp_path / "b.model"))  # arrays now inside the pickle
    got = read_gensim(tmp_path / "b.model")
    assert type(got.vectors) is np.ndarray
    np.testing.assert_array_equal(got.vectors, model.wv.vectors)


def test_stand_ins_take_no_behaviour_from_the_file():
    stand_in = type("Word2Vec", (PickledObject,), {"__slots__": ()})()
    stand_in.__setstate__({"__array__": 1, "most_similar": 2})
    assert stand_in.fields == {"__array__": 1, "most_similar": 2}
    with pytest.raises(AttributeError):
        stand_in.most_similar
    with pytest.raises(AttributeError):
        stand_in.anything = 1


# -- damaged files: clear errors, never a crash --------------------------------------------
@pytest.fixture(scope="module")
def saved(tmp_path_factory, corpus):
    folder = tmp_path_factory.mktemp("saved")
    model = train_gensim(corpus, hs=1)
    model.save(str(folder / "inline.model"))
    model.save(str(folder / "sep.model"), sep_limit=0)
    return folder


def copy_of(src, dst_folder, name=None):
    dst = dst_folder / (name or src.name)
    dst.write_bytes(src.read_bytes())
    return dst


@pytest.mark.parametrize("keep", [2, 13, 100, 0.5, -1])
def test_truncated_pickle(tmp_path, saved, keep):
    data = (saved / "inline.model").read_bytes()
    n = int(len(data) * keep) if isinstance(keep, float) else keep % len(data)
    (tmp_path / "cut.model").write_bytes(data[:n])
    with pytest.raises(TruncatedFileError) as info:
        read_gensim(tmp_path / "cut.model")
    # what gensim raises here, either of them, catches it
    assert isinstance(info.value, EOFError) and "cut.model" in str(info.value)
    assert isinstance(info.value, pickle.UnpicklingError)


def test_truncated_compressed_pickle(tmp_path, corpus):
    train_gensim(corpus).save(str(tmp_path / "m.model.gz"))
    data = (tmp_path / "m.model.gz").read_bytes()
    (tmp_path / "m.model.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(TruncatedFileError):
        read_gensim(tmp_path / "m.model.gz")


def test_compressed_pickle_damaged_or_with_no_room_to_decompress(tmp_path, corpus,
                                                                monkeypatch):
    """A compressed pickle is decompressed once, into memory or beyond 64 MB a
    temporary file: bytes the decompressor refuses are a corrupt pickle, a full disk
    is the system's OSError, naming TMPDIR."""
    import errno
    import tempfile
    from fastw2v.errors import CorruptPickleError
    from fastw2v.io import gensim_pickle
    model = train_gensim(corpus)
    model.save(str(tmp_path / "m.model.bz2"))
    ours = read_gensim(tmp_path / "m.model.bz2")
    np.testing.assert_array_equal(ours.vectors, model.wv.vectors)
    data = bytearray((tmp_path / "m.model.bz2").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "bad.model.bz2").write_bytes(bytes(data))
    with pytest.raises(CorruptPickleError, match=r"bad\.model\.bz2: corrupt pickle"):
        read_gensim(tmp_path / "bad.model.bz2")

    class Full(tempfile.SpooledTemporaryFile):
        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(gensim_pickle.tempfile, "SpooledTemporaryFile", Full)
    with pytest.raises(OSError, match=r"No space left on device while decompressing "
                                      r".*m\.model\.bz2 .*set TMPDIR") as info:
        read_gensim(tmp_path / "m.model.bz2")
    assert info.value.errno == errno.ENOSPC


def test_missing_companion_is_named(tmp_path, saved):
    for name in os.listdir(saved):
        if name.startswith("sep.model") and name != "sep.model.wv.vectors.npy":
            copy_of(saved / name, tmp_path)
    with pytest.raises(FormatError, match=r"sep\.model\.wv\.vectors\.npy is missing") as info:
        read_gensim(tmp_path / "sep.model")
    assert isinstance(info.value, FileNotFoundError)          # as gensim raises
    copy_of(saved / "sep.model.wv.vectors.npy", tmp_path)
    read_gensim(tmp_path / "sep.model")  # complete again


@pytest.mark.parametrize("mmap", [None, "r"])
def test_truncated_or_corrupt_companion(tmp_path, saved, mmap):
    for name in os.listdir(saved):
        if name.startswith("sep.model"):
            copy_of(saved / name, tmp_path)
    npy = tmp_path / "sep.model.syn1.npy"
    data = npy.read_bytes()
    npy.write_bytes(data[:-7])
    with pytest.raises(TruncatedFileError, match="syn1.npy"):
        read_gensim(tmp_path / "sep.model", mmap=mmap)
    npy.write_bytes(b"not an npy file at all")
    with pytest.raises(FormatError, match="syn1.npy"):
        read_gensim(tmp_path / "sep.model", mmap=mmap)
    # a companion of the wrong shape
    np.save(npy, np.zeros((3, 8), dtype=np.float32))
    with pytest.raises(FormatError, match="syn1 has shape"):
        read_gensim(tmp_path / "sep.model", mmap=mmap)
    # object arrays would need pickle: refused
    np.save(npy, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(FormatError, match="Python objects"):
        read_gensim(tmp_path / "sep.model", mmap=mmap)


def test_random_damage_gives_format_errors_only(tmp_path, saved):
    data = bytearray((saved / "inline.model").read_bytes())
    rng = random.Random(5)
    path = tmp_path / "damaged.model"
    outcomes = set()
    for _ in range(150):
        damaged = bytearray(data)
        for _ in range(rng.choice([1, 3, 20])):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        path.write_bytes(bytes(damaged))
        try:
            read_gensim(path)
            outcomes.add("read")
        except FormatError as exc:  # UnsafePickleError and the others included
            outcomes.add(type(exc).__name__)
    assert "FormatError" in outcomes  # the damage was seen, and nothing else escaped


def test_not_a_gensim_model(tmp_path):
    (tmp_path / "list.pkl").write_bytes(pickle.dumps([1, 2, 3], protocol=4))
    with pytest.raises(FormatError, match="pickle of a list"):
        read_gensim(tmp_path / "list.pkl")
    (tmp_path / "text.txt").write_text("hello world\n")
    with pytest.raises(FormatError):
        read_gensim(tmp_path / "text.txt")
    with pytest.raises(FileNotFoundError):
        read_gensim(tmp_path / "absent.model")


# -- sniffing ------------------------------------------------------------------------------
def test_is_gensim_pickle(tmp_path, saved, corpus):
    assert is_gensim_pickle(saved / "inline.model")
    assert is_gensim_pickle(os.path.join(FIXTURES, "w2v_sg_both.model.gz"))  # gzip'd
    assert is_gensim_pickle(os.path.join(FIXTURES, "vectors.kv"))
    assert not is_gensim_pickle(saved / "sep.model.syn1.npy")
    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "vec.txt").write_text("2 3\na 1 2 3\nb 4 5 6\n")
    (tmp_path / "p1").write_bytes(pickle.dumps(1, protocol=1))
    for name in ("empty", "vec.txt", "p1", "absent"):
        assert not is_gensim_pickle(tmp_path / name), name
    import fastw2v
    native = fastw2v.Word2Vec(corpus, vector_size=4, min_count=2, epochs=1, workers=1)
    native.save(str(tmp_path / "native.model"))
    assert not is_gensim_pickle(tmp_path / "native.model")


def test_pickled_class(saved):
    assert pickled_class(saved / "inline.model") == "gensim.models.word2vec.Word2Vec"
    assert pickled_class(os.path.join(FIXTURES, "w2v_sg_both.model.gz")) == \
        "gensim.models.word2vec.Word2Vec"
    assert pickled_class(saved / "sep.model.syn1.npy") is None


# -- training continues from what was read -----------------------------------------------
@pytest.mark.parametrize("mode", ["sg-ns", "cbow-hs"])
def test_training_continues_from_a_gensim_file(tmp_path, corpus, mode):
    model = train_gensim(corpus, **MODES[mode])
    model.save(str(tmp_path / "m.model"))
    from fastw2v import Word2Vec
    ours = Word2Vec.load(str(tmp_path / "m.model"))
    assert ours.wv.index_to_key == model.wv.index_to_key
    np.testing.assert_array_equal(ours.wv.vectors, model.wv.vectors)
    before = ours.wv.vectors.copy()
    output = "syn1neg" if MODES[mode]["negative"] else "syn1"
    out_before = getattr(ours, output).copy()
    ours.train(corpus, total_examples=ours.corpus_count, epochs=1)
    assert ours.epochs_trained == 2
    assert not np.array_equal(ours.wv.vectors, before)
    assert not np.array_equal(getattr(ours, output), out_before)
    # continued, not restarted: still close to gensim's vectors (one more epoch)
    change = np.linalg.norm(ours.wv.vectors - before) / np.linalg.norm(before)
    assert 0 < change < 1


def test_update_after_a_gensim_update(tmp_path, small_text_file):
    """A model gensim updated (build_vocab(update=True)) and saved: its counts cover both
    corpora, so the schedule of train() on the last one must not take them for that
    corpus's size (the rate barely fell); and max_final_vocab cuts an update as gensim's."""
    from fastw2v import Word2Vec
    words = open(small_text_file, encoding="utf-8").read().split()
    a = [words[i:i + 40] for i in range(0, 40_000, 40)]
    b = [words[i:i + 40] for i in range(60_000, 80_000, 40)]
    g = gensim_models.Word2Vec(a, vector_size=8, min_count=3, epochs=1, workers=1, seed=3)
    g.build_vocab(b, update=True)
    g.train(b, total_examples=len(b), epochs=1)
    g.save(str(tmp_path / "updated.model"))
    ours = Word2Vec.load(tmp_path / "updated.model")
    ours.train(b, total_examples=len(b), epochs=2)
    # the schedule of gensim's own continued training ends near min_alpha; before the
    # fix fastw2v ended this run at 0.019 (the counts of both corpora taken as b's size)
    assert ours.epoch_alphas[-1] < 0.004
    # max_final_vocab in an update: gensim's effective min_count on the new corpus
    g = gensim_models.Word2Vec(a, vector_size=8, min_count=3, max_final_vocab=300,
                               epochs=1, workers=1)
    g.save(str(tmp_path / "capped.model"))
    ours = Word2Vec.load(tmp_path / "capped.model")
    g.build_vocab(b, update=True)
    ours.build_vocab(b, update=True)
    assert ours.wv.index_to_key == g.wv.index_to_key
    assert ours.effective_min_count == g.effective_min_count > 3
    # and a native model updated, saved and loaded keeps the last corpus's size
    ours.save(tmp_path / "ours.fw2v")
    again = Word2Vec.load(tmp_path / "ours.fw2v")
    assert again.state.corpus_retained_words == ours.state.corpus_retained_words
    again.train(b, total_examples=len(b), epochs=2)
    assert again.epoch_alphas[-1] < 0.004


def test_word2vec_load_names_what_a_gensim_file_is():
    """A gensim KeyedVectors file, FastText or Doc2Vec model given to Word2Vec.load gets
    an error that says what the file is and what to do, not a format riddle."""
    from fastw2v import Word2Vec
    with pytest.raises(FormatError, match=r"KeyedVectors file.*KeyedVectors\.load\(\)"):
        Word2Vec.load(os.path.join(FIXTURES, "vectors.kv"))
    for name, kind in (("fasttext.model", "FastText"), ("doc2vec.model", "Doc2Vec")):
        with pytest.raises(UnsupportedModelError, match=kind) as info:
            Word2Vec.load(os.path.join(FIXTURES, name))
        assert "save_word2vec_format" in str(info.value)


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_hs_model_keeps_gensims_huffman_tree(corpus, tmp_path, layout):
    """syn1's rows are the inner nodes of gensim's tree: the tree is taken from the file
    (each word's code and point), and is also the one fastw2v builds from the counts
    (ties between equal counts fall as in gensim's heap); it survives a native save and
    load, and the HS predictions and scores are gensim's."""
    from fastw2v import Word2Vec
    model = train_gensim(corpus, sg=1, hs=1, negative=0, min_count=1, epochs=3)
    wv = model.wv
    name, kw = LAYOUTS[layout]
    model.save(str(tmp_path / name), **kw)
    ours = Word2Vec.load(tmp_path / name)

    def same_tree(m):
        tree = m.state.huffman()
        return all(np.array_equal(tree.code(i), wv.get_vecattr(i, "code"))
                   and np.array_equal(tree.path(i), wv.get_vecattr(i, "point"))
                   for i in range(len(wv)))
    assert same_tree(ours)
    from fastw2v.tables import build_huffman
    rebuilt = build_huffman(ours.vocab.counts)
    assert all(np.array_equal(rebuilt.path(i), wv.get_vecattr(i, "point"))
               and np.array_equal(rebuilt.code(i), wv.get_vecattr(i, "code"))
               for i in range(len(wv)))                     # what a vocabulary update builds
    ours.save(tmp_path / "again.fw2v")
    assert same_tree(Word2Vec.load(tmp_path / "again.fw2v"))
    # P(word | one context word) through gensim's tree and syn1 (gensim's own
    # predict_output_word has no HS), against fastw2v's
    h = wv.vectors[5].astype(np.float64)
    expect = np.empty(len(wv))
    for i in range(len(wv)):
        s = 1 / (1 + np.exp(-(model.syn1[wv.get_vecattr(i, "point")] @ h)))
        expect[i] = np.prod(np.where(wv.get_vecattr(i, "code") == 0, s, 1 - s))
    got = ours.predict_output_distribution([wv.index_to_key[5]], output_layer="hs")
    np.testing.assert_allclose(got, expect, rtol=1e-4)
    np.testing.assert_allclose(ours.score(corpus[:5]), model.score(corpus[:5]), rtol=1e-4)


def test_hs_tree_pointing_outside_syn1_is_refused(corpus, tmp_path):
    from fastw2v import Word2Vec
    model = train_gensim(corpus, sg=1, hs=1, negative=0)
    point = model.wv.get_vecattr(3, "point").copy()
    point[-1] = len(model.wv) + 7                 # a row past the end of syn1
    model.wv.set_vecattr(3, "point", point)
    model.save(str(tmp_path / "crafted.model"))
    with pytest.raises(FormatError, match="crafted.model.*Huffman point is outside"):
        Word2Vec.load(tmp_path / "crafted.model")
    code = model.wv.get_vecattr(4, "code").copy()
    model.wv.set_vecattr(4, "code", code[:-1])    # a code shorter than its path
    model.wv.set_vecattr(3, "point", point % len(model.wv))
    model.save(str(tmp_path / "crafted2.model"))
    with pytest.raises(FormatError, match="word 4"):
        Word2Vec.load(tmp_path / "crafted2.model")
