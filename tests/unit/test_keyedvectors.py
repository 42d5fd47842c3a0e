"""KeyedVectors queries against gensim's KeyedVectors built from the same trained vectors."""
import logging

import numpy as np
import pytest
from gensim.models import KeyedVectors as GensimKV

from fastw2v import KeyedVectors, Word2Vec
from fastw2v.io.native import FormatError
from fastw2v.vectors import queries

TOL = 2e-6
WORDS = ["king", "city", "war", "music", "water", "french", "president", "church",
         "river", "science", "german", "film", "game", "death", "school"]


@pytest.fixture(scope="module")
def model(small_text_file):
    return Word2Vec(corpus_file=small_text_file, vector_size=32, window=4, min_count=3,
                    epochs=3, seed=5, workers=2, sg=1, negative=5)


@pytest.fixture(scope="module")
def pair(model):
    """(our KeyedVectors, gensim KeyedVectors) over the same trained vectors."""
    ours = model.wv
    theirs = GensimKV(ours.vector_size)
    theirs.add_vectors(ours.index_to_key, ours.vectors.copy())
    return ours, theirs


def test_single_numbers_have_gensims_types(pair, model):
    """gensim returns NumPy scalars from these (code calls .item() or .dtype on them);
    fastw2v returned Python floats and ints."""
    ours, theirs = pair
    calls = (lambda kv: kv.similarity("war", "army"), lambda kv: kv.distance("war", "army"),
             lambda kv: kv.n_similarity(["war", "city"], ["army"]),
             lambda kv: kv.rank_by_centrality(["war", "army", "city"])[0][0],
             lambda kv: kv.most_similar("war", topn=1)[0][1],
             lambda kv: kv.relative_cosine_similarity("war", "army"),
             lambda kv: kv.rank("war", "army"))
    for call in calls:
        a, b = call(ours), call(theirs)
        assert type(a) is type(b), (a, b)
        assert a == pytest.approx(b, rel=1e-5)
    counted = GensimKV(2)
    counted.add_vectors(["a", "b"], np.eye(2, dtype=np.float32))
    counted.set_vecattr("b", "count", 7)
    assert type(ours.get_vecattr("the", "count")) is type(counted.get_vecattr("b", "count")) \
        is np.int64
    assert ours.get_vecattr("the", "count") == ours.expandos["count"][ours.get_index("the")]
    assert ours.similarity("war", "war") == 1.0 and ours.distance("war", "war") == 0.0


def assert_same(ours, theirs, gensim_all=None, tol=TOL):
    """Same (word, score) lists; where words differ the scores must be tied within tol
    and our word must have that score in gensim's own full score array."""
    assert len(ours) == len(theirs)
    for (w1, s1), (w2, s2) in zip(ours, theirs):
        assert abs(s1 - s2) <= tol, (w1, s1, w2, s2)
        if w1 != w2:
            assert gensim_all is not None, (ours, theirs)
            assert abs(gensim_all[w1] - s2) <= tol


def full(theirs, scores):
    return dict(zip(theirs.index_to_key, np.asarray(scores, dtype=np.float64)))


def test_lookups_match_gensim(pair, model):
    ours, theirs = pair
    assert len(ours) == len(theirs) and ours.vector_size == 32
    assert ours.index_to_key == theirs.index_to_key and ours.key_to_index == theirs.key_to_index
    assert "king" in ours and "zzqqx" not in ours and 5 in ours and len(ours) not in ours
    np.testing.assert_array_equal(ours["king"], theirs["king"])
    np.testing.assert_array_equal(ours[["king", "war"]], theirs[["king", "war"]])
    np.testing.assert_allclose(ours.get_vector("war", norm=True), theirs.get_vector("war", norm=True),
                               atol=1e-7)
    np.testing.assert_allclose(ours.get_normed_vectors(), theirs.get_normed_vectors(), atol=1e-7)
    assert ours.get_vecattr("the", "count") == model.vocab.counts[0]
    assert ours.get_index(3) == 3 and ours.get_index("zzqqx", -1) == -1
    with pytest.raises(KeyError, match="zzqqx"):
        ours["zzqqx"]


def test_most_similar_single_words(pair):
    ours, theirs = pair
    for w in WORDS:
        g = theirs.most_similar(w, topn=10)
        assert_same(ours.most_similar(w, topn=10), g, full(theirs, theirs.most_similar(w, topn=None)))
        assert_same(ours.similar_by_word(w, topn=5), theirs.similar_by_word(w, topn=5),
                    full(theirs, theirs.most_similar(w, topn=None)))
        assert w not in [x for x, _ in ours.most_similar(w)]


@pytest.mark.parametrize("pos,neg", [(["king", "france"], ["man"]), (["paris", "germany"], ["france"]),
                                     (["war", "music", "river"], []), ([], ["city"]),
                                     ([("king", 2.0), ("france", 0.5)], [("man", -0.7)])])
def test_most_similar_analogies(pair, pos, neg):
    ours, theirs = pair
    g_all = full(theirs, theirs.most_similar(positive=pos, negative=neg, topn=None))
    assert_same(ours.most_similar(positive=pos, negative=neg, topn=15),
                theirs.most_similar(positive=pos, negative=neg, topn=15), g_all)
    np.testing.assert_allclose(ours.most_similar(positive=pos, negative=neg, topn=None),
                               theirs.most_similar(positive=pos, negative=neg, topn=None), atol=TOL)
    if pos:
        assert_same(ours.most_similar(positive=pos, negative=neg, topn=5, restrict_vocab=300),
                    theirs.most_similar(positive=pos, negative=neg, topn=5, restrict_vocab=300),
                    full(theirs, theirs.most_similar(positive=pos, negative=neg, topn=None,
                                                      restrict_vocab=300)))


def test_most_similar_vectors_and_clipping(pair):
    ours, theirs = pair
    vec = ours["king"] * 3 + ours["city"]
    for q in ([vec], [vec, "war"], ["music", vec]):
        assert_same(ours.most_similar(positive=q, negative=["river"], topn=10),
                    theirs.most_similar(positive=q, negative=["river"], topn=10),
                    full(theirs, theirs.most_similar(positive=q, negative=["river"], topn=None)))
    assert_same(ours.similar_by_vector(vec, topn=10), theirs.similar_by_vector(vec, topn=10),
                full(theirs, theirs.similar_by_vector(vec, topn=None)))
    # a vector given directly is not excluded (only keys are)
    assert ours.similar_by_vector(ours["war"], topn=1)[0][0] == "war"
    # a key given instead of a vector: gensim's most_similar(key), the key left out
    assert_same(ours.similar_by_vector("war", topn=10), theirs.similar_by_vector("war", topn=10),
                full(theirs, theirs.similar_by_vector("war", topn=None)))
    assert_same(ours.most_similar("war", topn=7, clip_start=100, clip_end=900),
                theirs.most_similar("war", topn=7, clip_start=100, clip_end=900),
                {k: v for k, v in zip(theirs.index_to_key[100:900],
                                      theirs.most_similar("war", topn=None, clip_start=100, clip_end=900))})
    assert ours.most_similar("war", topn=0) == [] == theirs.most_similar("war", topn=0)
    assert len(ours.most_similar("war", topn=None)) == len(ours)
    # gensim's ``clip_end or len``: 0 searches to the last row, as None does
    for clip in ({"clip_end": 0}, {"clip_start": 50, "clip_end": 0}):
        assert_same(ours.most_similar("war", topn=7, **clip), theirs.most_similar("war", topn=7, **clip),
                    full(theirs, theirs.most_similar("war", topn=None)))


@pytest.mark.parametrize("call", [
    lambda kv: kv.most_similar("war", topn=2.5), lambda kv: kv.most_similar("war", topn=3.0),
    lambda kv: kv.most_similar("war", restrict_vocab=100.5),
    lambda kv: kv.most_similar("war", clip_start=1.5, clip_end=100),
    lambda kv: kv.most_similar_cosmul("war", topn=2.5), lambda kv: kv.similar_by_key("war", 2.5)])
def test_counts_that_are_not_integers_raise_type_error_as_gensim(pair, call):
    ours, theirs = pair
    with pytest.raises(TypeError):
        call(theirs)
    with pytest.raises(TypeError, match="must be an integer"):
        call(ours)
    assert ours.most_similar("war", topn=np.int64(3)) == ours.most_similar("war", topn=3)


@pytest.mark.parametrize("pos,neg", [(["king", "france"], ["man"]), (["war"], []),
                                     (["city", "river"], ["water", "music"])])
def test_most_similar_cosmul(pair, pos, neg):
    ours, theirs = pair
    g_all = full(theirs, theirs.most_similar_cosmul(positive=pos, negative=neg, topn=None))
    assert_same(ours.most_similar_cosmul(positive=pos, negative=neg, topn=12),
                theirs.most_similar_cosmul(positive=pos, negative=neg, topn=12), g_all)
    np.testing.assert_allclose(ours.most_similar_cosmul(positive=pos, negative=neg, topn=None),
                               theirs.most_similar_cosmul(positive=pos, negative=neg, topn=None),
                               atol=TOL)


def test_cosmul_restrict_vocab_against_numpy(pair):
    ours, _ = pair
    n = ours.get_normed_vectors()[:200].astype(np.float64)
    q = {w: ours.get_vector(w, norm=True) for w in ("king", "france", "man")}
    shift = {w: (1 + n @ v) / 2 for w, v in q.items()}
    scores = shift["king"] * shift["france"] / (shift["man"] + 1e-6)
    for w in q:
        if ours.key_to_index[w] < 200:
            scores[ours.key_to_index[w]] = -np.inf
    expect = [ours.index_to_key[i] for i in np.argsort(-scores)[:5]]
    got = ours.most_similar_cosmul(["king", "france"], ["man"], topn=5, restrict_vocab=200)
    assert [w for w, _ in got] == expect
    assert all(ours.key_to_index[w] < 200 for w, _ in got)


def test_pairwise_queries(pair, caplog):
    ours, theirs = pair
    # float64 arithmetic: every key is exactly as similar to itself as possible
    # (gensim's float32 leaves some at 0.99999994)
    assert all(ours.similarity(k, k) == 1.0 for k in ours.index_to_key[:2000])
    for a, b in [("king", "war"), ("city", "river"), ("music", "film")]:
        assert ours.similarity(a, b) == pytest.approx(float(theirs.similarity(a, b)), abs=TOL)
        assert ours.distance(a, b) == pytest.approx(float(theirs.distance(a, b)), abs=TOL)
        assert ours.rank(a, b) == theirs.rank(a, b)
        assert ours.closer_than(a, b) == theirs.closer_than(a, b)
    np.testing.assert_allclose(ours.distances("king"), theirs.distances("king"), atol=TOL)
    np.testing.assert_allclose(ours.distances("king", ["war", "city"]),
                               theirs.distances("king", ["war", "city"]), atol=TOL)
    np.testing.assert_allclose(ours.distances(ours["war"] + 1), theirs.distances(ours["war"] + 1),
                               atol=TOL)
    assert ours.n_similarity(["king", "war"], ["city", "music", "film"]) == pytest.approx(
        float(theirs.n_similarity(["king", "war"], ["city", "music", "film"])), abs=TOL)
    assert ours.most_similar_to_given("king", ["war", "city", "music"]) == \
        theirs.most_similar_to_given("king", ["war", "city", "music"])
    words = ["king", "war", "city", "music", "river"]
    assert ours.doesnt_match(words) == theirs.doesnt_match(words)
    got = ours.rank_by_centrality(words)
    for (s1, w1), (s2, w2) in zip(got, theirs.rank_by_centrality(words)):
        assert w1 == w2 and s1 == pytest.approx(float(s2), abs=TOL)
    with caplog.at_level(logging.WARNING, logger="fastw2v"):
        assert ours.doesnt_match(words + ["zzqqx"]) == theirs.doesnt_match(words)
    assert "zzqqx" in caplog.text


def test_bad_queries_raise(pair):
    ours, _ = pair
    with pytest.raises(KeyError, match="zzqqx"):
        ours.most_similar(["king", "zzqqx"])
    with pytest.raises(ValueError, match="no input"):
        ours.most_similar()
    with pytest.raises(ValueError):
        ours.most_similar_cosmul(negative=["king"])
    with pytest.raises(ZeroDivisionError):
        ours.n_similarity([], ["king"])
    with pytest.raises(ValueError):
        ours.n_similarity(["king"], [])
    with pytest.raises(KeyError):
        ours.n_similarity(["king", "zzqqx"], ["war"])
    with pytest.raises(ValueError, match="empty"):
        ours.doesnt_match(["zzqqx", "yyqqx"])
    with pytest.raises(ValueError, match="shape"):
        ours.similar_by_vector(np.ones(5))


def test_batch_equals_single_queries(pair, monkeypatch):
    ours, theirs = pair
    words = WORDS + ours.index_to_key[:30]
    batch = ours.most_similar_batch(words, topn=8)
    for w, answer in zip(words, batch):
        assert_same(answer, theirs.most_similar(w, topn=8), full(theirs, theirs.most_similar(w, topn=None)))
    # small blocks: the same answers come out of the chunked loop
    monkeypatch.setattr(queries, "_BATCH_ELEMENTS", len(ours) * 3)
    assert [[w for w, _ in a] for a in ours.most_similar_batch(words, topn=8)] == \
        [[w for w, _ in a] for a in batch]
    vecs = np.vstack([ours["king"], ours["war"] * 2])
    for v, answer in zip(vecs, ours.most_similar_batch(vecs, topn=6, restrict_vocab=500)):
        assert_same(answer, theirs.similar_by_vector(v, topn=6, restrict_vocab=500),
                    full(theirs, theirs.similar_by_vector(v, topn=None, restrict_vocab=500)))
    with pytest.raises(ValueError):
        ours.most_similar_batch(words, topn=0)
    with pytest.raises(KeyError):
        ours.most_similar_batch(["zzqqx"])


def test_norm_cache_is_small_and_follows_changes(model):
    kv = KeyedVectors(model.wv.vector_size, model.wv.index_to_key, model.wv.vectors.copy())
    kv.most_similar("king")
    big = [v for v in vars(kv).values() if isinstance(v, np.ndarray) and v.size >= kv.vectors.size]
    assert len(big) == 1 and big[0] is kv.vectors       # no normalised copy kept
    assert kv.norms.shape == (len(kv),)
    # in-place change of all rows (as training does) is noticed
    rng = np.random.default_rng(0)
    kv.vectors[:] = rng.standard_normal(kv.vectors.shape).astype(np.float32)
    g = GensimKV(kv.vector_size)
    g.add_vectors(kv.index_to_key, kv.vectors.copy())
    assert_same(kv.most_similar("king", topn=5), g.most_similar("king", topn=5),
                full(g, g.most_similar("king", topn=None)))
    # replacing the matrix drops the cache; fill_norms(force=True) after a one-row edit
    kv.vectors = kv.vectors * 2
    assert kv.norms is None
    i = kv.key_to_index["war"]
    kv.most_similar("king")
    kv.vectors[i + 5000 if i + 5000 < len(kv) else len(kv) - 1] *= 10
    kv.fill_norms(force=True)
    np.testing.assert_allclose(kv.norms, np.linalg.norm(kv.vectors, axis=1), rtol=1e-6)


def test_add_vectors_and_setitem_match_gensim():
    rng = np.random.default_rng(1)
    keys = ["a", "b", "c", "été", "東京", "🙂"]
    vecs = rng.standard_normal((6, 4)).astype(np.float32)
    ours, theirs = KeyedVectors(4), GensimKV(4)
    ours.add_vectors(keys[:4], vecs[:4])
    theirs.add_vectors(keys[:4], vecs[:4])
    ours.add_vectors(keys[3:], vecs[3:] + 1)          # existing "été" kept (replace=False)
    theirs.add_vectors(keys[3:], vecs[3:] + 1)
    assert ours.index_to_key == theirs.index_to_key
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)
    ours["a"] = np.ones(4)
    theirs["a"] = np.ones(4)
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)
    assert_same(ours.most_similar("🙂", topn=3), theirs.most_similar("🙂", topn=3))
    with pytest.raises(ValueError, match="shape"):
        KeyedVectors(4, ["x"], np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match="unique"):
        KeyedVectors(4, ["x", "x"])
    # a key twice among the new ones (the check keeps a set: it once scanned a list per
    # key, minutes for 100,000 keys); the model is left as it was
    before = list(ours.index_to_key)
    with pytest.raises(ValueError, match="'q' appears twice"):
        ours.add_vectors(["p", "q", "r", "q"], np.zeros((4, 4), np.float32))
    assert ours.index_to_key == before


def test_prebuilt_key_to_index_is_taken_and_checked():
    keys = [f"k{i}" for i in range(10_000)]
    index = {k: i for i, k in enumerate(keys)}
    vectors = np.arange(20_000, dtype=np.float32).reshape(10_000, 2)
    kv = KeyedVectors(2, keys, vectors, key_to_index=index)
    assert kv.key_to_index is index and kv.index_to_key is keys     # taken, not copied
    assert kv.get_index("k9999") == 9999 and list(kv["k3"]) == [6.0, 7.0]
    assert kv.most_similar("k5", topn=1)[0][0] in index
    # a tuple of keys is turned into a list, as without key_to_index
    assert KeyedVectors(2, tuple(keys), vectors, key_to_index=index).index_to_key == keys
    with pytest.raises(TypeError, match="key_to_index must be a dict"):
        KeyedVectors(2, keys, vectors, key_to_index=list(index.items()))
    with pytest.raises(ValueError, match="9999 keys for 10000"):
        KeyedVectors(2, keys, vectors, key_to_index={k: i for i, k in enumerate(keys[:-1])})
    for wrong in (0, 4097, 9999):               # every key checked at this size
        bad = dict(index)
        bad[keys[wrong]] = wrong + 1
        with pytest.raises(ValueError, match=rf"index_to_key\[{wrong}\] \('k{wrong}'\) to {wrong}"):
            KeyedVectors(2, keys, vectors, key_to_index=bad)
    # a repeated key with a stray one in the index; a float row number
    with pytest.raises(ValueError, match=r"index_to_key\[1\] \('a'\) to 1"):
        KeyedVectors(2, ["a", "a", "b"], np.zeros((3, 2), np.float32),
                     key_to_index={"a": 0, "z": 1, "b": 2})
    with pytest.raises(ValueError, match=r"index_to_key\[1\] \('b'\) to 1"):
        KeyedVectors(2, ["a", "b"], np.zeros((2, 2), np.float32),
                     key_to_index={"a": 0, "b": 1.0})
    # beyond 65,536 keys a spread sample (first and last included) is checked
    many = [f"m{i}" for i in range(100_000)]
    big = {k: i for i, k in enumerate(many)}
    step = -(-len(many) // 4096)
    for wrong in (0, 7 * step, len(many) - 1):
        bad = dict(big)
        bad[many[wrong]] = -1
        with pytest.raises(ValueError, match=rf"index_to_key\[{wrong}\]"):
            KeyedVectors(1, many, np.zeros((len(many), 1), np.float32), key_to_index=bad)
    assert KeyedVectors(1, many, np.zeros((len(many), 1), np.float32),
                        key_to_index=big).key_to_index is big
    empty = KeyedVectors(3, [], np.zeros((0, 3), dtype=np.float32), key_to_index={})
    assert len(empty) == 0 and empty.key_to_index == {}


@pytest.mark.parametrize("mmap", [None, "r"])
def test_native_save_load(pair, tmp_path, mmap):
    ours, _ = pair
    path = tmp_path / "vectors.fw2v"
    ours.save(path)
    back = KeyedVectors.load(path, mmap=mmap)
    assert back.index_to_key == ours.index_to_key
    np.testing.assert_array_equal(back.vectors, ours.vectors)
    assert back.get_vecattr("king", "count") == ours.get_vecattr("king", "count")
    assert isinstance(back.vectors, np.memmap) == (mmap == "r")
    assert back.most_similar("king") == ours.most_similar("king")
    assert not [p for p in tmp_path.iterdir() if p.name != "vectors.fw2v"]   # no temp files left


def test_native_load_reads_a_models_wv_and_rejects_other_files(tmp_path, model):
    saved = tmp_path / "model.bin"
    model.save(saved)
    wv = KeyedVectors.load(saved)
    assert wv.index_to_key == model.wv.index_to_key
    assert wv.most_similar("king", topn=5) == model.wv.most_similar("king", topn=5)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a fastw2v file at all" * 10)
    with pytest.raises(FormatError, match="junk.bin"):
        KeyedVectors.load(junk)


def test_query_helpers_are_public_and_agree_with_most_similar(pair):
    ours, _ = pair
    keys, weights = queries.weighted_keys((w for w in ["king", ("war", 2.0)]), "city")
    assert keys == ["king", "war", "city"] and weights.tolist() == [1.0, 2.0, -1.0]
    query = ours.get_mean_vector(keys, weights, pre_normalize=True, post_normalize=True)
    every = ours.row_cosines(query)
    np.testing.assert_array_equal(
        every, ours.most_similar(positive=["king", ("war", 2.0)], negative="city", topn=None))
    # a slice's matrix-vector product may round its last bit differently (BLAS blocking)
    np.testing.assert_allclose(ours.row_cosines(query, 5, 50), every[5:50], rtol=1e-6, atol=0)
    top = queries.top_indices(every, 5, exclude=[ours.get_index(k) for k in keys])
    assert [ours.index_to_key[i] for i in top] == [
        w for w, _ in ours.most_similar(positive=["king", ("war", 2.0)], negative="city", topn=5)]
    assert queries.top_indices(np.array([1.0, 3.0, 3.0, 2.0]), 3) == [1, 2, 3]     # ties: row order
    assert queries.top_indices(np.array([1.0, 3.0]), 2, exclude=[1], offset=0) == [0]


# -- gensim 4 names added for issue #17 ---------------------------------------------------
def copies(pair):
    """Fresh (ours, gensim's) copies of the pair's vectors, with the model's counts."""
    ours, _ = pair
    counts = np.array([ours.get_vecattr(k, "count") for k in ours.index_to_key], dtype=np.int64)
    a = KeyedVectors(ours.vector_size, ours.index_to_key, ours.vectors.copy(), counts)
    b = GensimKV(ours.vector_size)
    b.add_vectors(ours.index_to_key, ours.vectors.copy())
    b.allocate_vecattrs(["count"], [np.int64])
    b.expandos["count"][:] = counts
    return a, b


def test_add_vectors_single_key_as_gensim(pair):
    ours, theirs = copies(pair)
    rng = np.random.default_rng(2)
    new, again = rng.standard_normal((2, ours.vector_size)).astype(np.float32)
    for kv in (ours, theirs):
        kv.add_vectors("ab", new)                         # one key: not the keys 'a', 'b'
        kv.add_vectors("king", again)                     # present: kept (replace=False)
        kv.add_vectors("war", again, replace=True)        # present: replaced
        kv.add_vectors(7, new * 2)                        # int keys are keys too
    assert ours.index_to_key == theirs.index_to_key and ours.index_to_key[-2:] == ["ab", 7]
    assert "a" not in ours.key_to_index or ours.key_to_index["a"] < len(pair[0])
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)
    np.testing.assert_array_equal(ours["war"], again)
    np.testing.assert_array_equal(ours["king"], pair[0]["king"])
    assert_same(ours.most_similar("ab", topn=5), theirs.most_similar("ab", topn=5),
                full(theirs, theirs.most_similar("ab", topn=None)))
    with pytest.warns(UserWarning):
        g_row = theirs.add_vector("zzabc", new)
    assert ours.add_vector("zzabc", new) == g_row == len(ours) - 1
    assert ours.add_vector("king", new) == theirs.key_to_index["king"]   # existing: its row
    with pytest.raises(ValueError, match="shape"):
        ours.add_vectors("xy", np.ones(ours.vector_size + 1))


def test_vocab_attribute_says_what_replaced_it(pair):
    ours, theirs = pair
    for kv in (ours, theirs):
        with pytest.raises(AttributeError, match="removed"):
            kv.vocab
        assert not hasattr(kv, "vocab")
    with pytest.raises(AttributeError) as err:
        ours.vocab
    for name in ("key_to_index", "index_to_key", "get_vecattr(key, 'count')"):
        assert name in str(err.value)
    with pytest.raises(AttributeError, match="key_to_index"):
        ours.vocab = {}


def test_unit_normalize_all_and_init_sims_as_gensim(pair):
    ours, theirs = copies(pair)
    ours.unit_normalize_all()
    theirs.unit_normalize_all()
    np.testing.assert_allclose(ours.vectors, theirs.vectors, rtol=0, atol=1e-7)
    np.testing.assert_allclose(np.linalg.norm(ours.vectors, axis=1), 1, atol=1e-6)
    np.testing.assert_array_equal(ours.norms, theirs.norms)          # all ones
    assert_same(ours.most_similar("king", topn=10), theirs.most_similar("king", topn=10),
                full(theirs, theirs.most_similar("king", topn=None)))

    ours, theirs = copies(pair)
    before = ours.vectors.copy()
    with pytest.warns(DeprecationWarning, match="init_sims"):
        ours.init_sims()
    np.testing.assert_array_equal(ours.vectors, before)               # replace=False: kept
    theirs.init_sims()
    np.testing.assert_allclose(ours.norms, theirs.norms, rtol=1e-6)
    with pytest.warns(DeprecationWarning):
        ours.init_sims(replace=True)
    theirs.init_sims(replace=True)
    np.testing.assert_allclose(ours.vectors, theirs.vectors, rtol=0, atol=1e-7)

    # a zero row stays zero (gensim turns it into NaN) and scores 0
    kv = KeyedVectors(3, ["a", "b", "c"], np.array([[3, 4, 0], [0, 0, 0], [1, 0, 0]], np.float32))
    kv.unit_normalize_all()
    np.testing.assert_allclose(kv.vectors, [[0.6, 0.8, 0], [0, 0, 0], [1, 0, 0]], atol=1e-7)
    assert kv.most_similar("c") == [("a", pytest.approx(0.6)), ("b", 0.0)]


@pytest.mark.parametrize("topn", [10, 3])
def test_relative_cosine_similarity_as_gensim(pair, topn):
    ours, theirs = pair
    for wa, wb in zip(WORDS, WORDS[1:] + WORDS[:1]):
        assert ours.relative_cosine_similarity(wa, wb, topn) == pytest.approx(
            theirs.relative_cosine_similarity(wa, wb, topn), rel=1e-5)
    with pytest.raises(KeyError):
        ours.relative_cosine_similarity("zzqqx", "king")
    with pytest.raises(ValueError, match="without any similar words"):
        KeyedVectors(2, ["a"], np.ones((1, 2), np.float32)).relative_cosine_similarity("a", "a")


def test_words_closer_than_is_deprecated_closer_than(pair):
    ours, theirs = pair
    for w1, w2 in [("king", "war"), ("city", "river"), ("music", "film")]:
        with pytest.warns(DeprecationWarning, match="closer_than"):
            got = ours.words_closer_than(w1, w2)
        with pytest.warns(DeprecationWarning):
            expect = theirs.words_closer_than(w1, w2)
        assert got == expect == ours.closer_than(w1, w2)


@pytest.mark.parametrize("copy_vecattrs", [False, True])
def test_vectors_for_all_as_gensim(pair, copy_vecattrs):
    ours, theirs = copies(pair)
    keys = ["war", "zzqqx", "king", "war", "city", "", "the", "king"]
    a = ours.vectors_for_all(iter(keys), copy_vecattrs=copy_vecattrs)
    b = theirs.vectors_for_all(iter(keys), copy_vecattrs=copy_vecattrs)
    assert isinstance(a, KeyedVectors) and a.index_to_key == b.index_to_key == ["war", "king", "city", "the"]
    np.testing.assert_array_equal(a.vectors, b.vectors)
    assert a.vectors.dtype == b.vectors.dtype
    assert [a.get_vecattr(k, "count") for k in a.index_to_key] == \
        [b.get_vecattr(k, "count") for k in b.index_to_key]
    a.vectors[0] += 1                                          # a copy, not a view
    assert not np.array_equal(a["war"], ours["war"])
    assert ours.vectors_for_all([], allow_inference=False).vectors.shape == (0, ours.vector_size)


def test_wmdistance_as_gensim(pair, small_text_file):
    # POT (the [wmd] extra) is in the [test] extra; without it: the next test
    ours, theirs = pair
    with open(small_text_file, encoding="utf-8") as fh:
        lines = [next(fh).split() for _ in range(12)]
    docs = [line[i:i + 9] for line in lines for i in (0, 20)] + [["zzqqx", "king", "war"]]
    for d1, d2 in zip(docs, docs[1:] + docs[:1]):
        for norm in (True, False):
            assert ours.wmdistance(d1, d2, norm=norm) == pytest.approx(
                theirs.wmdistance(d1, d2, norm=norm), rel=1e-6, abs=1e-9), (d1, d2, norm)
    assert ours.wmdistance(docs[0], docs[0]) == pytest.approx(0, abs=1e-9)
    for d1, d2, expect in [(["king", "king"], ["king"], 0.0), (["zzqqx"], ["king"], np.inf),
                           ([], ["king"], np.inf)]:
        assert ours.wmdistance(d1, d2) == theirs.wmdistance(d1, d2) == expect
    twins = KeyedVectors(2, ["a", "b"], np.ones((2, 2), np.float32))
    assert twins.wmdistance(["a"], ["b"]) == np.inf          # every cost 0, as gensim


def test_wmdistance_without_pot_names_the_extra(pair, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "ot", None)               # import ot fails
    with pytest.raises(ImportError, match=r"pip install fastw2v\[wmd\]"):
        pair[0].wmdistance(["king"], ["war"])


def test_vectors_lockf_default_and_growth(model, tmp_path):
    from gensim.models import Word2Vec as GensimW2V
    expect = GensimW2V(vector_size=8).wv.vectors_lockf
    got = model.wv.vectors_lockf
    assert got.dtype == expect.dtype == np.float32 and got.tolist() == expect.tolist() == [1.0]
    kv = KeyedVectors(2, ["a", "b", "c"], np.eye(3, 2, dtype=np.float32))
    kv.add_vectors(["d"], np.ones((1, 2)))
    assert kv.vectors_lockf.tolist() == [1.0]                  # shared: stays shared
    kv.vectors_lockf = np.array([0.0, 0.5, 1.0, 0.0], dtype=np.float32)
    kv.add_vectors(["e", "f", "a"], np.ones((3, 2)))
    assert kv.vectors_lockf.tolist() == [0.0, 0.5, 1.0, 0.0, 1.0, 1.0]   # one per key
    kv.save(tmp_path / "l.fw2v")
    back = KeyedVectors.load(tmp_path / "l.fw2v")
    assert back.vectors_lockf.dtype == np.float32 and back.vectors_lockf.tolist() == kv.vectors_lockf.tolist()


@pytest.mark.parametrize("binary", [False, True])
def test_intersect_word2vec_format_as_gensim(pair, tmp_path, binary):
    ours, theirs = copies(pair)
    rng = np.random.default_rng(4)
    keys = ["king", "zzqqx", "war", "東京", "city"] + ours.index_to_key[100:140]
    other = KeyedVectors(ours.vector_size, keys,
                         rng.standard_normal((len(keys), ours.vector_size)).astype(np.float32))
    path = tmp_path / ("other.bin" if binary else "other.txt")
    other.save_word2vec_format(path, binary=binary)
    # gensim 4.4 reads binary files here with np.fromstring, which NumPy 2 removed: it
    # reads the text file of the same vectors (float32 round-trips through text exactly)
    text = tmp_path / "other.txt"
    other.save_word2vec_format(text)
    theirs.vectors_lockf = np.ones(len(theirs), dtype=np.float32)   # gensim needs one per key
    assert ours.vectors_lockf.tolist() == [1.0]                        # ours expands it
    merged = ours.intersect_word2vec_format(path, binary=binary)
    theirs.intersect_word2vec_format(str(text))
    assert merged == len(keys) - 2
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)
    np.testing.assert_array_equal(ours.vectors_lockf, theirs.vectors_lockf)
    assert ours.vectors_lockf.dtype == np.float32 and ours.vectors_lockf[ours.key_to_index["king"]] == 0.0
    assert ours.index_to_key == pair[0].index_to_key and "zzqqx" not in ours
    np.testing.assert_array_equal(ours["king"], other["king"])
    assert_same(ours.most_similar("war", topn=5), theirs.most_similar("war", topn=5),
                full(theirs, theirs.most_similar("war", topn=None)))      # norms refreshed
    ours.intersect_word2vec_format(path, lockf=0.25, binary=binary)
    theirs.intersect_word2vec_format(str(text), lockf=0.25)
    np.testing.assert_array_equal(ours.vectors_lockf, theirs.vectors_lockf)
    small = KeyedVectors(3, ["king"], np.ones((1, 3), np.float32))
    with pytest.raises(ValueError, match="incompatible vector size"):
        small.intersect_word2vec_format(path, binary=binary)


def test_sort_by_descending_frequency_as_gensim(model):
    # the trained vocabulary shuffled, with its real counts (many tie), lockf per key
    rng = np.random.default_rng(3)
    perm = rng.permutation(len(model.wv))
    keys = [model.wv.index_to_key[i] for i in perm]
    vecs = model.wv.vectors[perm].copy()
    counts = np.array([model.wv.get_vecattr(k, "count") for k in keys], dtype=np.int64)
    ours = KeyedVectors(32, keys, vecs.copy(), counts=counts)
    ours.vectors_lockf = np.arange(len(keys), dtype=np.float32)
    ours.set_vecattr(keys[0], "tag", 7)
    theirs = GensimKV(32)
    theirs.add_vectors(keys, vecs.copy())      # (its extras= argument fails in gensim 4.4)
    theirs.allocate_vecattrs(["count"], [np.int64])
    theirs.expandos["count"][:] = counts
    theirs.sort_by_descending_frequency()
    ours.fill_norms()
    ours.sort_by_descending_frequency()
    assert ours.index_to_key == theirs.index_to_key != keys
    assert ours.key_to_index == theirs.key_to_index
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)
    np.testing.assert_array_equal(ours.expandos["count"], theirs.expandos["count"])
    assert ours.norms is None                      # dropped: they were in the old order
    assert ours.get_vecattr(keys[0], "tag") == 7 and ours.get_vecattr(keys[1], "tag") == 0
    np.testing.assert_array_equal(ours.vectors_lockf[[ours.get_index(k) for k in keys]],
                                  np.arange(len(keys)))
    assert ours.most_similar("king", topn=5) == model.wv.most_similar("king", topn=5)
    with pytest.raises(KeyError, match="count"):
        KeyedVectors(2, ["a", "b"]).sort_by_descending_frequency()
    KeyedVectors(2).sort_by_descending_frequency()           # empty: nothing to do


def test_model_wv_changed_directly_is_refused_by_train(small_text_file):
    from fastw2v import LineSentence, VocabularyError
    sents = list(LineSentence(small_text_file))[:300]
    m = Word2Vec(sents, vector_size=8, min_count=2, epochs=1, workers=1)
    before = m.wv.vectors.copy()
    m.wv.add_vector("not-in-the-model", np.ones(8, np.float32))
    with pytest.raises(VocabularyError, match="model.wv no longer matches.*update=True"):
        m.train(sents, total_examples=len(sents), epochs=1)
    np.testing.assert_array_equal(m.wv.vectors[:-1], before)     # refused before any update
    m = Word2Vec(sents, vector_size=8, min_count=2, epochs=1, workers=1)
    m.wv.set_vecattr(m.wv.index_to_key[-1], "count", 10 ** 9)
    m.wv.sort_by_descending_frequency()                     # same keys, another order
    with pytest.raises(VocabularyError, match="first differing at row 0"):
        m.train(sents, total_examples=len(sents), epochs=1)
    # the deprecated model-level init_sims is wv.init_sims, as in gensim 4
    m = Word2Vec(sents, vector_size=8, min_count=2, epochs=1, workers=1)
    with pytest.warns(DeprecationWarning, match="init_sims"):
        m.init_sims(replace=True)
    np.testing.assert_allclose(np.linalg.norm(m.wv.vectors, axis=1), 1, atol=1e-6)


def test_gensim_vecattr_names_and_preallocation_message():
    kv = KeyedVectors(2, ["a", "b", "c"])
    theirs = GensimKV(2)
    theirs.add_vectors(["a", "b", "c"], np.zeros((3, 2), np.float32))
    for m in (kv, theirs):
        m.allocate_vecattrs(["count", "tag"], [np.int64, np.float32])
        m.set_vecattr("b", "count", val=7)
        m.set_vecattr("c", "tag", np.float32(0.5))
        m.allocate_vecattrs()                        # nothing changes
    for attr in ("count", "tag"):
        np.testing.assert_array_equal(kv.expandos[attr], theirs.expandos[attr])
        assert kv.expandos[attr].dtype == theirs.expandos[attr].dtype
    with pytest.raises(TypeError, match="preallocation count is not supported.*add_vectors"):
        KeyedVectors(4, count=2)
    with pytest.raises(TypeError, match="preallocation count"):
        KeyedVectors(4, 2)


# -- from a review against gensim 4.4 on the same vectors -----------------------------------
def test_query_vectors_of_the_wrong_length_are_named(pair):
    """A 1-value vector was broadcast silently (a made-up answer), other lengths failed
    with NumPy's words; similar_by_vector already named the shape."""
    ours, _ = pair
    d = ours.vector_size
    for bad in (np.array([2.0]), np.ones(d - 1), np.ones((2, d))):
        for call in (lambda v: ours.most_similar([v]), lambda v: ours.most_similar_cosmul([v]),
                     lambda v: ours.distances(v), lambda v: ours.get_mean_vector([v]),
                     lambda v: ours.n_similarity([v], [ours.index_to_key[0]]),
                     lambda v: ours.similar_by_vector(v)):
            with pytest.raises(ValueError, match=rf"vector has shape .*expected \({d},\)"):
                call(bad)


def test_n_similarity_takes_vectors_as_gensim(pair):
    ours, theirs = pair
    w = ours.index_to_key
    for ws1, ws2 in (([ours[w[3]]], [w[4]]), ([w[5], ours[w[6]]], [ours[w[7]], w[8]])):
        assert ours.n_similarity(ws1, ws2) == pytest.approx(theirs.n_similarity(ws1, ws2),
                                                            abs=1e-5)


def test_float16_vectors_are_queried_in_float32(pair):
    """gensim's query is float32, so float16 rows are scored in float32; fastw2v cast the
    query down and scored in float16 (a third of the top-10 lists differed)."""
    ours, theirs = pair
    keys, half = list(ours.index_to_key), ours.vectors.astype(np.float16)
    a = KeyedVectors(ours.vector_size, keys, half)
    b = GensimKV(ours.vector_size, dtype=np.float16)
    b.add_vectors(keys, half)
    differ = 0
    for w in keys[:100]:
        got, want = a.most_similar(w, topn=10), b.most_similar(w, topn=10)
        assert all(isinstance(s, float) for _, s in got)
        np.testing.assert_allclose([s for _, s in got], [s for _, s in want], atol=2e-3)
        differ += [k for k, _ in got] != [k for k, _ in want]
    assert differ <= 5          # ties and last-digit rounding only
    assert a.most_similar(keys[0], topn=None).dtype == np.float32


def test_zero_and_nan_vectors(pair):
    """A zero vector's cosines are 0 (gensim: NaN), so relative_cosine_similarity of it
    divided by zero; equal scores keep row order, and a NaN row ranks last."""
    ours, _ = pair
    keys = list(ours.index_to_key)
    vecs = ours.vectors.copy()
    vecs[5] = 0
    vecs[7] = np.nan
    kv = KeyedVectors(ours.vector_size, keys, vecs)
    assert np.isnan(kv.relative_cosine_similarity(keys[5], keys[6]))
    assert [k for k, _ in kv.similar_by_vector(np.zeros(ours.vector_size), topn=3)] == \
        [keys[0], keys[1], keys[2]]             # every score 0: row order
    assert [k for k, _ in kv.most_similar(keys[5], topn=3)] == [keys[0], keys[1], keys[2]]
    ranked = kv.most_similar(keys[0], topn=len(keys))
    assert ranked[-1][0] == keys[7] and np.isnan(ranked[-1][1])


def _hand_made(lib):
    kv = lib(3)
    kv.add_vectors(["a", "b", "c"], np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0]], np.float32))
    return kv


def test_vectors_read_by_key_are_read_only_as_gensim(pair):
    """Written through kv[key], a vector would leave the cached norms stale (a cosine of
    .004 where the true one is .40): gensim hands out read-only views, and so does
    fastw2v now; assigning kv[key] = vector goes through add_vectors."""
    ours, theirs = pair
    for kv in (ours, theirs):
        word = kv.index_to_key[50]
        with pytest.raises(ValueError, match="read-only"):
            kv[word] *= 0.5
        with pytest.raises(ValueError, match="read-only"):
            kv.get_vector(word)[0] = 1.0
    assert ours.vectors.flags.writeable             # the matrix itself stays writable
    kv = _hand_made(KeyedVectors)
    kv.fill_norms()
    kv["c"] = np.array([0, 0, 2], np.float32)
    assert kv.most_similar("c", topn=1)[0][1] == pytest.approx(0.0, abs=1e-6)
    assert kv.norms[2] == pytest.approx(2.0)


def test_attribute_types_conflict_as_gensim():
    """A value an attribute cannot hold is refused (gensim: TypeError), not cut: a
    float into counts lost its fraction, text turned counts into strings."""
    for lib in (KeyedVectors, GensimKV):
        kv = _hand_made(lib)
        kv.set_vecattr("a", "count", 5)
        with pytest.raises(TypeError):
            kv.set_vecattr("b", "count", 2.7)
        with pytest.raises(TypeError):
            kv.allocate_vecattrs(["count"], [np.float64])
        assert kv.get_vecattr("b", "count") == 0
    kv = _hand_made(KeyedVectors)
    kv.set_vecattr("a", "count", 5)
    kv.set_vecattr("b", "count", np.int32(3))            # an integer of another width
    for extras in ({"count": np.array(["x"])}, {"count": np.array([1.5])},
                   {"count": np.array([], dtype=np.int64)}):
        with pytest.raises((TypeError, ValueError)):
            kv.add_vectors(["d"], np.ones((1, 3), np.float32), extras=extras)
        assert len(kv) == 3 and kv.vectors.shape == (3, 3) and len(kv.expandos["count"]) == 3
    kv.add_vectors(["d"], np.ones((1, 3), np.float32), extras={"count": np.array([4])})
    assert [kv.get_vecattr(k, "count") for k in "abcd"] == [5, 3, 0, 4]
    kv.set_vecattr("a", "tag", "x")
    kv.set_vecattr("b", "tag", "a much longer text")        # kept whole
    assert kv.get_vecattr("b", "tag") == "a much longer text"


def test_replacing_a_vector_of_a_mapped_file_copies_it_as_gensim(tmp_path):
    kv = _hand_made(KeyedVectors)
    kv.save(str(tmp_path / "k.kv"))
    mapped = KeyedVectors.load(str(tmp_path / "k.kv"), mmap="r")
    mapped["a"] = np.array([3, 3, 3], np.float32)
    assert mapped["a"].tolist() == [3, 3, 3]
    assert KeyedVectors.load(str(tmp_path / "k.kv"))["a"].tolist() == [1, 0, 0]


def test_gensim_constructor_save_and_lookup_arguments(tmp_path):
    """KeyedVectors(size, 0), count=0 and mapfile_path=None are gensim's defaults;
    save() takes gensim's SaveLoad arguments; similar_by_word's argument is 'word';
    vectors_for_all(allow_inference=False) takes only keys, not ints as row numbers."""
    for kv in (KeyedVectors(4, 0), KeyedVectors(4, count=0, mapfile_path=None)):
        assert len(kv) == 0 and kv.vector_size == 4
    with pytest.raises(TypeError, match="mapfile_path"):
        KeyedVectors(4, mapfile_path=str(tmp_path / "m"))
    ours, theirs = _hand_made(KeyedVectors), _hand_made(GensimKV)
    ours.save(str(tmp_path / "k.kv"), separately=[], sep_limit=1, ignore=frozenset(),
              pickle_protocol=2)
    assert KeyedVectors.load(str(tmp_path / "k.kv")).index_to_key == ["a", "b", "c"]
    assert [w for w, _ in ours.similar_by_word(word="a")] == \
        [w for w, _ in theirs.similar_by_word(word="a")]
    assert ours.vectors_for_all([1, "a"], allow_inference=False).index_to_key == \
        theirs.vectors_for_all([1, "a"], allow_inference=False).index_to_key == ["a"]


def test_add_vectors_is_all_or_nothing(monkeypatch):
    """A Ctrl-C or MemoryError while the grown arrays are made (the slow part on a large
    matrix) leaves keys, vectors, attributes and lock factors as they were."""
    rng = np.random.default_rng(4)
    kv = KeyedVectors(8, [f"w{i}" for i in range(5)], rng.random((5, 8), dtype=np.float32),
                      counts=[9, 8, 7, 6, 5])
    kv.vectors_lockf = np.ones(5, dtype=np.float32)
    before = (list(kv.index_to_key), dict(kv.key_to_index), kv.vectors.copy(),
              kv.expandos["count"].copy(), kv.vectors_lockf.copy())
    real, calls = np.concatenate, []

    for fail_at in range(3):        # the vectors, the counts, the lock factors
        def concatenate(*args, **kw):
            calls.append(1)
            if len(calls) > fail_at:
                raise KeyboardInterrupt
            return real(*args, **kw)

        calls.clear()
        monkeypatch.setattr(np, "concatenate", concatenate)
        with pytest.raises(KeyboardInterrupt):
            kv.add_vectors(["x", "y"], rng.random((2, 8)), extras={"count": [1, 2]})
        monkeypatch.undo()
        assert (list(kv.index_to_key), dict(kv.key_to_index)) == tuple(before[:2])
        np.testing.assert_array_equal(kv.vectors, before[2])
        np.testing.assert_array_equal(kv.expandos["count"], before[3])
        np.testing.assert_array_equal(kv.vectors_lockf, before[4])
    kv.add_vectors(["x", "y"], np.ones((2, 8)), extras={"count": [1, 2]})
    assert kv.index_to_key[-2:] == ["x", "y"] and kv.get_vecattr("y", "count") == 2
    assert len(kv.vectors) == len(kv.vectors_lockf) == 7
