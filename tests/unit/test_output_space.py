"""The output space: OUT vectors, cross-space queries, predict_output_word (ns and hs),
combined vectors, and persistence of a model that continues training."""
import types

import numpy as np
import pytest
from gensim.models import KeyedVectors as GensimKV
from gensim.models import Word2Vec as GensimWord2Vec

from fastw2v import KeyedVectors, LineSentence, Word2Vec
from fastw2v.io.native import FormatError
from fastw2v.tables import build_huffman

# reproducible: the same weights every run, so near-ties in the orders compared with
# gensim fall the same way each time
FAST = dict(vector_size=24, window=3, min_count=3, epochs=2, seed=9, workers=2,
            reproducible=True)


@pytest.fixture(scope="module")
def both(small_text_file):
    """A CBOW model with both output layers (syn1neg and syn1)."""
    return Word2Vec(corpus_file=small_text_file, sg=0, hs=1, negative=5, **FAST)


@pytest.fixture(scope="module")
def hs_only(small_text_file):
    return Word2Vec(corpus_file=small_text_file, sg=0, hs=1, negative=0, **FAST)


def unit_rows(m):
    m = m.astype(np.float64)
    n = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(n == 0, 1, n)


def test_output_vectors_share_syn1neg(both, hs_only):
    out = both.output_vectors()
    assert isinstance(out, KeyedVectors) and out.vectors is both.syn1neg
    assert out.index_to_key == both.wv.index_to_key
    assert out.get_vecattr("the", "count") == both.wv.get_vecattr("the", "count")
    np.testing.assert_array_equal(out["war"], both.syn1neg[both.wv.key_to_index["war"]])
    assert both.output_vectors() is out                     # cached while syn1neg is the same
    with pytest.raises(ValueError, match="negative sampling"):
        hs_only.output_vectors()


@pytest.mark.parametrize("space", ["in-in", "in-out", "out-in", "out-out"])
def test_cross_space_queries_against_numpy(both, space):
    IN, OUT = both.wv.vectors, both.syn1neg
    mats = {"in": IN, "out": OUT}
    src, dst = (mats[s] for s in space.split("-"))
    idx = both.wv.key_to_index
    for pos, neg in [(["war"], []), (["city", "river"], ["music"])]:
        q = sum(unit_rows(src[[idx[w]]])[0] for w in pos) - sum(unit_rows(src[[idx[w]]])[0] for w in neg)
        q /= len(pos) + len(neg)
        q /= np.linalg.norm(q)
        scores = unit_rows(dst) @ q
        np.testing.assert_allclose(both.most_similar_across(pos, neg, topn=None, space=space),
                                   scores, atol=2e-6)
        masked = scores.copy()
        masked[[idx[w] for w in pos + neg]] = -np.inf
        got = both.most_similar_across(pos, neg, topn=8, space=space)
        expect = np.argsort(-masked, kind="stable")[:8]
        # the top 8 scores agree; words may swap only where float32 and float64 scores
        # tie within rounding, so each word is checked by its own score
        np.testing.assert_allclose([s for _, s in got], scores[expect], atol=2e-6)
        for w, s in got:
            assert w not in pos + neg
            assert s == pytest.approx(scores[idx[w]], abs=2e-6)
    a, b = idx["war"], idx["army"]
    assert both.similarity_across("war", "army", space=space) == pytest.approx(
        float(unit_rows(src[[a]])[0] @ unit_rows(dst[[b]])[0]), abs=1e-6)


def test_cross_space_names_and_consistency(both):
    assert both.most_similar_across("war", space="in-in") == both.wv.most_similar("war")
    assert both.most_similar_across("war", space="out-out") == both.output_vectors().most_similar("war")
    # the query word itself can be asked for in another space
    own = both.most_similar_across("war", space="in-out", topn=None)[both.wv.key_to_index["war"]]
    assert ("war", pytest.approx(own)) in both.most_similar_across(
        "war", space="in-out", topn=len(both.wv), exclude_query=False)
    assert len(both.most_similar_across("war", space="in-out", topn=5, restrict_vocab=50)) == 5
    assert all(both.wv.key_to_index[w] < 50 for w, _ in
               both.most_similar_across("war", space="in-out", topn=5, restrict_vocab=50))
    for bad in ("in", "in-hidden", "inout", None):
        with pytest.raises(ValueError, match="space="):
            both.most_similar_across("war", space=bad)
    with pytest.raises(KeyError):
        both.most_similar_across("zzqqx")
    for bad in ({"topn": 2.5}, {"restrict_vocab": 50.5}):
        with pytest.raises(TypeError, match="must be an integer"):
            both.most_similar_across("war", **bad)


@pytest.mark.parametrize("normalize", [False, True])
def test_combined_vectors(both, tmp_path, normalize):
    IN, OUT = both.wv.vectors.astype(np.float64), both.syn1neg.astype(np.float64)
    if normalize:
        IN, OUT = unit_rows(IN), unit_rows(OUT)
    s = both.combined_vectors("sum", normalize=normalize)
    c = both.combined_vectors("concat", normalize=normalize)
    np.testing.assert_allclose(s.vectors, IN + OUT, atol=1e-6)
    np.testing.assert_allclose(c.vectors, np.hstack([IN, OUT]), atol=1e-6)
    assert c.vector_size == 48 and c.index_to_key == both.wv.index_to_key
    path = tmp_path / "combined.bin"
    c.save_word2vec_format(path, binary=True)
    theirs = GensimKV.load_word2vec_format(str(path), binary=True)
    np.testing.assert_array_equal(theirs.vectors, c.vectors)
    with pytest.raises(ValueError, match="method"):
        both.combined_vectors("product")


def test_predict_output_word_ns_matches_gensim(both):
    g_kv = GensimKV(both.wv.vector_size)
    g_kv.add_vectors(both.wv.index_to_key, both.wv.vectors.copy())
    fake = types.SimpleNamespace(negative=5, wv=g_kv, syn1neg=both.syn1neg, cbow_mean=1)
    for context in (["the", "war"], ["city", "river", "zzqqx", "north"], ["music"]):
        theirs = GensimWord2Vec.predict_output_word(fake, context, topn=10)
        ours = both.predict_output_word(context, topn=10)
        assert [w for w, _ in ours] == [w for w, _ in theirs]
        np.testing.assert_allclose([p for _, p in ours], [p for _, p in theirs], rtol=1e-5)
        assert {type(p) for _, p in ours} == {type(p) for _, p in theirs} == {np.float32}
    probs = both.predict_output_distribution(["the", "war"])
    assert probs.shape == (len(both.wv),) and probs.sum() == pytest.approx(1.0)
    # topn=None: every word, most probable first, as gensim returns it
    theirs = GensimWord2Vec.predict_output_word(fake, ["the", "war"], topn=None)
    ours = both.predict_output_word(["the", "war"], topn=None)
    assert len(ours) == len(theirs) == len(both.wv)
    assert [w for w, _ in ours[:50]] == [w for w, _ in theirs[:50]]
    np.testing.assert_allclose([p for _, p in ours], [p for _, p in theirs], rtol=1e-4,
                               atol=1e-9)
    assert both.predict_output_word(["zzqqx"]) is None          # as gensim
    with pytest.raises(TypeError):                              # a count that is not whole
        GensimWord2Vec.predict_output_word(fake, ["the", "war"], topn=2.5)
    with pytest.raises(TypeError, match="topn must be an integer"):
        both.predict_output_word(["the", "war"], topn=2.5)


def _hs_by_tree_walk(model, context):
    """P(word) by walking each word's Huffman path one node at a time."""
    h = model.wv.vectors[[model.wv.key_to_index[w] for w in context]].astype(np.float64).mean(axis=0)
    tree = build_huffman(model.vocab.counts)
    probs = np.empty(len(model.wv))
    for w in range(len(model.wv)):
        p = 1.0
        for code, node in zip(tree.code(w), tree.path(w)):
            s = 1 / (1 + np.exp(-(model.syn1[node].astype(np.float64) @ h)))
            p *= s if code == 0 else 1 - s
        probs[w] = p
    return probs


@pytest.mark.parametrize("name", ["both", "hs_only"])
def test_predict_output_word_hs(request, name):
    model = request.getfixturevalue(name)
    context = ["the", "war", "of"]
    probs = model.predict_output_distribution(context, output_layer="hs")
    assert probs.sum() == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(probs, _hs_by_tree_walk(model, context), rtol=1e-5, atol=1e-12)
    top = model.predict_output_word(context, topn=5, output_layer="hs")
    order = np.argsort(-probs, kind="stable")[:5]
    assert [w for w, _ in top] == [model.wv.index_to_key[i] for i in order]
    if name == "hs_only":
        assert model.predict_output_word(context, topn=5) == top        # hs is the default
        with pytest.raises(ValueError, match="negative"):
            model.predict_output_word(context, output_layer="ns")


def test_trained_hs_layer_predicts_centre_words(both, small_text_file):
    """The sign convention matters: the true centre word of real windows must be far more
    probable than under a uniform guess, and than with the branch convention flipped.
    (Not asserted for "ns": its softmax over syn1neg scores, gensim's answer, lacks the
    word-frequency prior that negative sampling's noise distribution factors out.)"""
    sentences = list(LineSentence(small_text_file))[:40]
    idx = both.wv.key_to_index
    logp, flipped = [], []
    syn1 = both.syn1
    for s in sentences:
        s = [w for w in s if w in idx]
        for i in range(3, len(s) - 3, 5):
            ctx = s[i - 3:i] + s[i + 1:i + 4]
            logp.append(np.log(both.predict_output_distribution(ctx, output_layer="hs")[idx[s[i]]]))
            both.syn1 = -syn1               # sigmoid(-f) = 1 - sigmoid(f): the other convention
            try:
                flipped.append(np.log(both.predict_output_distribution(ctx, output_layer="hs")[idx[s[i]]]))
            finally:
                both.syn1 = syn1
    assert len(logp) > 200
    assert np.mean(logp) > np.log(1.0 / len(idx)) + 1.0
    assert np.mean(logp) > np.mean(flipped) + 0.2


def test_save_load_continue_training(both, small_text_file, tmp_path):
    path = tmp_path / "model.fw2v"
    both.save(path)
    loaded = Word2Vec.load(path)
    np.testing.assert_array_equal(loaded.syn1neg, both.syn1neg)
    np.testing.assert_array_equal(loaded.syn1, both.syn1)
    assert loaded.output_vectors().index_to_key == both.output_vectors().index_to_key
    assert [loaded.wv.get_vecattr(w, "count") for w in loaded.wv.index_to_key] == \
        [both.wv.get_vecattr(w, "count") for w in both.wv.index_to_key]
    assert loaded.predict_output_word(["the", "war"]) == both.predict_output_word(["the", "war"])
    assert loaded.most_similar_across("war") == both.most_similar_across("war")
    mapped = Word2Vec.load(path, mmap="r")
    assert mapped.most_similar_across("war", space="out-in") == both.most_similar_across("war", space="out-in")
    # continue training the loaded copy: weights move, stay finite, queries follow
    before_in, before_out = loaded.wv.vectors.copy(), loaded.syn1neg.copy()
    before_answer = loaded.wv.most_similar("war", topn=None)
    loaded.train(corpus_file=small_text_file, epochs=1)
    assert loaded.epochs_trained == both.epochs_trained + 1
    assert not np.array_equal(before_in, loaded.wv.vectors)
    assert not np.array_equal(before_out, loaded.syn1neg)
    assert np.isfinite(loaded.wv.vectors).all() and np.isfinite(loaded.syn1neg).all()
    assert not np.allclose(loaded.wv.most_similar("war", topn=None), before_answer)
    np.testing.assert_allclose(loaded.wv.most_similar("war", topn=None),
                               unit_rows(loaded.wv.vectors) @ unit_rows(loaded.wv.vectors[[loaded.wv.key_to_index["war"]]])[0],
                               atol=2e-6)
    np.testing.assert_array_equal(loaded.output_vectors().vectors, loaded.syn1neg)
    again = tmp_path / "again.fw2v"
    loaded.save(again)
    np.testing.assert_array_equal(Word2Vec.load(again).syn1neg, loaded.syn1neg)


def test_corrupt_model_file_names_the_file(both, tmp_path):
    from fastw2v.io.native import load_native, save_native
    path = tmp_path / "model.fw2v"
    both.save(path)
    meta, arrays = load_native(path)
    arrays = dict(arrays)
    arrays["syn1neg"] = arrays["syn1neg"][:-1]
    bad = tmp_path / "bad_shape.fw2v"
    save_native(bad, meta, arrays)
    with pytest.raises(FormatError, match="bad_shape.fw2v.*shape"):
        Word2Vec.load(bad)
    arrays = dict(load_native(path)[1])
    arrays["words_offsets"] = arrays["words_offsets"][::-1].copy()
    bad = tmp_path / "bad_words.fw2v"
    save_native(bad, meta, arrays)
    with pytest.raises(FormatError, match="bad_words.fw2v.*string table"):
        Word2Vec.load(bad)
