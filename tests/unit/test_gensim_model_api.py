"""gensim 4's Word2Vec methods and parameters that fastw2v adds, each compared with gensim
itself on the shipped text: score, scan_vocab/prepare_vocab, effective_min_count,
reset_from, estimate_memory, sorted_vocab, null_word, hashfxn, save's arguments, and
vectors_lockf honoured by training."""
import numpy as np
import pytest
from gensim.models import Word2Vec as GensimWord2Vec

from fastw2v import LineSentence, ParameterError, Word2Vec

from conftest import MODES


@pytest.fixture(scope="module")
def sentences(small_text_file):
    return list(LineSentence(small_text_file))


# -- score ---------------------------------------------------------------------------------
def gensim_twin(model):
    """A gensim model holding ``model``'s vocabulary, Huffman tree and weights."""
    g = GensimWord2Vec(vector_size=model.vector_size, window=model.window, min_count=1,
                       hs=1, negative=0, sg=model.sg, cbow_mean=model.cbow_mean, workers=1)
    g.build_vocab_from_freq({w: int(c) for w, c in zip(model.wv.index_to_key,
                                                       model.vocab.counts)})
    tree = model.state.huffman()
    codes, points = g.wv.expandos["code"], g.wv.expandos["point"]
    for word, i in model.wv.key_to_index.items():
        j = g.wv.key_to_index[word]
        g.wv.vectors[j] = model.wv.vectors[i]
        codes[j] = tree.code(i).astype(np.uint8).copy()
        points[j] = tree.path(i).astype(np.uint32).copy()
    g.syn1[:] = model.syn1
    return g


@pytest.mark.parametrize("sg,cbow_mean", [(1, 1), (0, 1), (0, 0)],
                         ids=["sg", "cbow-mean", "cbow-sum"])
def test_score_matches_gensim_on_the_same_weights(sentences, sg, cbow_mean):
    m = Word2Vec(sentences[:600], vector_size=16, window=3, min_count=2, hs=1, negative=0,
                 sg=sg, cbow_mean=cbow_mean, epochs=2, workers=2, seed=5)
    before = [m.wv.vectors.copy(), m.syn1.copy()]
    test = sentences[:150] + [["zzunknownzz", "the"], ["zzunknownzz"], []]
    ours = m.score(test, total_sentences=len(test))
    theirs = gensim_twin(m).score(test, total_sentences=len(test))
    assert ours.dtype == np.float32 and ours.shape == theirs.shape == (len(test),)
    assert np.all(ours[:150] < 0)
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-3)
    np.testing.assert_array_equal(before[0], m.wv.vectors)      # scoring trains nothing
    np.testing.assert_array_equal(before[1], m.syn1)
    assert len(m.score(test, total_sentences=20)) == 20


def test_score_needs_hs_and_a_vocabulary_as_in_gensim(sentences):
    ours = Word2Vec(sentences[:300], vector_size=8, min_count=2, epochs=1, hs=0, negative=5)
    theirs = GensimWord2Vec(sentences[:300], vector_size=8, min_count=2, epochs=1, hs=0,
                            negative=5)
    for model in (ours, theirs):
        with pytest.raises(RuntimeError, match="hierarchical softmax"):
            model.score(sentences[:2])
    with pytest.raises(RuntimeError, match="vocabulary"):
        Word2Vec(hs=1, negative=0).score(sentences[:2])
    with pytest.raises(RuntimeError, match="vocabulary"):
        GensimWord2Vec(hs=1, negative=0).score(sentences[:2])


# -- scan_vocab / prepare_vocab ------------------------------------------------------------
def test_scan_and_prepare_vocab_match_gensim(sentences, small_text_file):
    ours = Word2Vec(min_count=5, sample=1e-3)
    theirs = GensimWord2Vec(min_count=5, sample=1e-3)
    assert ours.scan_vocab(sentences) == theirs.scan_vocab(sentences) == (100_000, 2000)
    assert ours.scan_vocab(corpus_file=small_text_file) == \
        theirs.scan_vocab(corpus_file=small_text_file)
    assert dict(ours.raw_vocab) == dict(theirs.raw_vocab)
    assert ours.state.vocab is None                       # counting builds nothing yet
    for kw in ({}, {"min_count": 3}, {"sample": 1e-4}):
        r_ours = ours.prepare_vocab(dry_run=True, **kw)
        r_theirs = theirs.prepare_vocab(dry_run=True, **kw)
        assert set(r_ours) == set(r_theirs)
        for key in r_ours:
            assert r_ours[key] == pytest.approx(r_theirs[key], abs=1), (kw, key)
        assert ours.state.vocab is None and ours.min_count == 5    # dry run: no change
    report = ours.prepare_vocab(min_count=10, keep_raw_vocab=True)
    theirs.prepare_vocab(min_count=10, keep_raw_vocab=True)
    assert ours.min_count == theirs.min_count == 10
    assert ours.effective_min_count == theirs.effective_min_count == 10
    assert report["num_retained_words"] == len(ours.wv) == len(theirs.wv)
    assert set(ours.wv.index_to_key) == set(theirs.wv.index_to_key)
    assert ours.wv.vectors.shape == (len(ours.wv), 100)      # weights are ready
    assert len(ours.raw_vocab) == len(theirs.raw_vocab) > 0  # kept, as asked
    ours.prepare_vocab(min_count=10)
    assert len(ours.raw_vocab) == 0                          # dropped by default
    with pytest.raises(RuntimeError, match="scan_vocab"):
        ours.prepare_vocab()


def test_build_vocab_passes_prepare_arguments_on(sentences):
    ours, theirs = Word2Vec(min_count=5), GensimWord2Vec(min_count=5)
    ours.build_vocab(sentences, min_count=20, keep_raw_vocab=True)
    theirs.build_vocab(sentences, min_count=20, keep_raw_vocab=True)
    assert set(ours.wv.index_to_key) == set(theirs.wv.index_to_key)
    assert ours.min_count == 20 and dict(ours.raw_vocab) == dict(theirs.raw_vocab)
    dry = Word2Vec(min_count=5)
    dry.build_vocab(sentences, dry_run=True)
    assert dry.state.vocab is None
    with pytest.raises(TypeError, match="unexpected"):
        Word2Vec().build_vocab(sentences, nonsense=1)


def test_zero_min_count_or_sample_in_build_vocab_keeps_the_models_as_in_gensim(sentences):
    """gensim's prepare_vocab takes ``min_count or self.min_count`` (and so for sample):
    a 0 passed there keeps the model's value; fastw2v had kept every word."""
    for kwargs in ({"min_count": 0}, {"sample": 0}, {"min_count": 0, "sample": 0.0}):
        ours, theirs = Word2Vec(min_count=5), GensimWord2Vec(min_count=5)
        ours.build_vocab(sentences, **kwargs)
        theirs.build_vocab(sentences, **kwargs)
        assert ours.wv.index_to_key == theirs.wv.index_to_key
        assert (ours.min_count, ours.sample) == (theirs.min_count, theirs.sample) == (5, 1e-3)
        ours, theirs = Word2Vec(min_count=5), GensimWord2Vec(min_count=5)
        ours.scan_vocab(sentences)
        theirs.scan_vocab(sentences)
        assert ours.prepare_vocab(dry_run=True, **kwargs) == \
            theirs.prepare_vocab(dry_run=True, **kwargs)


def test_effective_min_count_with_max_final_vocab(sentences):
    m = Word2Vec(min_count=2, max_final_vocab=500)
    m.build_vocab(sentences)
    counts = m.vocab.counts
    assert len(m.wv) == 500
    assert m.effective_min_count == counts.min() > 2
    g = GensimWord2Vec(min_count=2, max_final_vocab=500)
    g.build_vocab(sentences)
    # gensim raises the threshold above the first word that does not fit; fastw2v keeps
    # exactly 500 words, so its threshold can equal that word's count
    assert g.effective_min_count - 1 <= m.effective_min_count <= g.effective_min_count


# -- reset_from -------------------------------------------------------------------------
def test_reset_from_shares_the_vocabulary_with_fresh_weights(sentences):
    src = Word2Vec(sentences, vector_size=16, min_count=3, epochs=1, hs=1, negative=5)
    m = Word2Vec(vector_size=8, min_count=3, seed=9, hs=1, negative=5, epochs=1)
    m.reset_from(src)
    direct = Word2Vec(vector_size=8, min_count=3, seed=9, hs=1, negative=5)
    direct.build_vocab(sentences)
    assert m.wv.index_to_key == src.wv.index_to_key == direct.wv.index_to_key
    np.testing.assert_array_equal(m.wv.vectors, direct.wv.vectors)    # fresh, from seed
    assert m.corpus_count == src.corpus_count and m.epochs_trained == 0
    assert not np.any(m.syn1) and not np.any(m.syn1neg)
    src_vectors = src.wv.vectors.copy()
    m.train(sentences, total_examples=m.corpus_count, epochs=1)
    np.testing.assert_array_equal(src.wv.vectors, src_vectors)        # src untouched
    # gensim's reset_from: the same vocabulary and corpus count, new weights
    g_src = GensimWord2Vec(sentences, vector_size=16, min_count=3, epochs=1)
    g = GensimWord2Vec(vector_size=8, min_count=3)
    g.reset_from(g_src)
    assert set(g.wv.index_to_key) == set(m.wv.index_to_key)
    assert g.corpus_count == m.corpus_count


# -- estimate_memory --------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["sg-hs", "cbow-ns", "sg-both"])
def test_estimate_memory_has_gensims_keys_and_matrix_sizes(sentences, mode):
    ours = Word2Vec(vector_size=40, min_count=3, **MODES[mode])
    theirs = GensimWord2Vec(vector_size=40, min_count=3, **MODES[mode])
    ours.build_vocab(sentences)
    theirs.build_vocab(sentences)
    r_ours, r_theirs = ours.estimate_memory(), theirs.estimate_memory()
    assert set(r_ours) == set(r_theirs)
    for key in ("vectors", "syn1", "syn1neg"):
        assert r_ours.get(key) == r_theirs.get(key)
    real = sum(a.nbytes for a in (ours.wv.vectors, ours.syn1, ours.syn1neg) if a is not None)
    assert r_ours["total"] - r_ours["vocab"] == real
    # the vocabulary figure for a vocabulary not built yet is close to the measured one
    V = len(ours.wv)
    fresh = Word2Vec(vector_size=40, **MODES[mode]).estimate_memory(vocab_size=V)
    assert 0.7 < fresh["vocab"] / r_ours["vocab"] < 1.4
    extra = ours.estimate_memory(vocab_size=1000, report={"cache": 10})
    t_extra = theirs.estimate_memory(vocab_size=1000, report={"cache": 10})
    assert set(extra) == set(t_extra) and extra["vectors"] == t_extra["vectors"] == 160_000
    assert extra["total"] == sum(v for k, v in extra.items() if k != "total")


# -- vocabulary order ------------------------------------------------------------------
def test_index_to_key_is_gensims_word_for_word(sentences, small_text_file, tmp_path):
    """Sorted by count, ties included (gensim puts the word seen last first), from an
    iterable and from a file; words new in build_vocab(update=True) appended in gensim's
    order; build_vocab_from_freq likewise. On real text, so many counts tie."""
    theirs = GensimWord2Vec(vector_size=8, min_count=2)
    theirs.build_vocab(sentences)
    ours = Word2Vec(vector_size=8, min_count=2)
    ours.build_vocab(sentences)
    counts = [theirs.wv.get_vecattr(w, "count") for w in theirs.wv.index_to_key]
    assert len(counts) - len(set(counts)) > 1000            # ties are most of the words
    assert ours.wv.index_to_key == theirs.wv.index_to_key
    from_file = Word2Vec(vector_size=8, min_count=2)
    from_file.build_vocab(corpus_file=small_text_file)
    assert from_file.wv.index_to_key == theirs.wv.index_to_key
    # a second corpus: the second half, with some words renamed so that new words appear
    second = [[w.upper() if len(w) == 7 else w for w in s] for s in sentences[len(sentences) // 2:]]
    theirs.build_vocab(second, update=True)
    ours.build_vocab(second, update=True)
    assert len(ours.wv) > len(from_file.wv) + 100
    assert ours.wv.index_to_key == theirs.wv.index_to_key
    assert [ours.wv.get_vecattr(w, "count") for w in ours.wv.index_to_key] == \
        [theirs.wv.get_vecattr(w, "count") for w in theirs.wv.index_to_key]
    freq = dict(sorted(ours.wv.key_to_index.items())[:3000])
    freq = {w: ours.wv.get_vecattr(w, "count") for w in freq}
    t = GensimWord2Vec(vector_size=8, min_count=1)
    t.build_vocab_from_freq(freq)
    o = Word2Vec(vector_size=8, min_count=1).build_vocab_from_freq(freq)
    assert o.wv.index_to_key == t.wv.index_to_key
    # a vocabulary file written and read back (the C tool's -save-vocab/-read-vocab)
    # keeps its order, ties included
    from_file.save_vocab(tmp_path / "vocab.txt")
    again = Word2Vec(vector_size=8, min_count=2)
    again.read_vocab(tmp_path / "vocab.txt")
    assert again.wv.index_to_key == from_file.wv.index_to_key


# -- parameters gensim accepts ----------------------------------------------------------
def test_sorted_vocab_zero_keeps_gensims_first_seen_order(sentences, small_text_file):
    theirs = GensimWord2Vec(sentences, vector_size=8, min_count=3, epochs=1, sorted_vocab=0)
    ours = Word2Vec(sentences, vector_size=8, min_count=3, epochs=1, sorted_vocab=0)
    assert ours.wv.index_to_key == theirs.wv.index_to_key
    from_file = Word2Vec(corpus_file=small_text_file, vector_size=8, min_count=3, epochs=1,
                         sorted_vocab=0)
    assert from_file.wv.index_to_key == theirs.wv.index_to_key
    assert Word2Vec(sentences, vector_size=8, min_count=3, epochs=1).wv.index_to_key[0] == "the"


def test_null_word_as_gensim(sentences, tmp_path):
    theirs = GensimWord2Vec(sentences, vector_size=8, min_count=3, epochs=1, null_word=1)
    ours = Word2Vec(sentences, vector_size=8, min_count=3, epochs=1, null_word=1)
    assert "\0" in theirs.wv and "\0" in ours.wv
    assert ours.wv.get_vecattr("\0", "count") == theirs.wv.get_vecattr("\0", "count") == 1
    assert len(ours.wv) == len(theirs.wv)
    assert ours.wv.index_to_key == theirs.wv.index_to_key      # at the end: no word counts 1
    for min_count in (1, 2):        # among words counted once, where gensim's sort puts it
        theirs = GensimWord2Vec(vector_size=8, min_count=min_count, null_word=1)
        ours = Word2Vec(vector_size=8, min_count=min_count, null_word=1)
        for m in (theirs, ours):
            m.build_vocab(sentences[:200])
        assert ours.wv.index_to_key == theirs.wv.index_to_key
    ours.save(tmp_path / "m.fw2v")
    assert "\0" in Word2Vec.load(tmp_path / "m.fw2v").wv


def test_hashfxn_accepted(sentences):
    m = Word2Vec(sentences[:200], vector_size=8, min_count=2, epochs=1, hashfxn=hash)
    plain = Word2Vec(sentences[:200], vector_size=8, min_count=2, epochs=1)
    assert m.hashfxn is hash
    np.testing.assert_array_equal(m.wv.vectors, plain.wv.vectors)    # seed decides
    GensimWord2Vec(sentences[:200], vector_size=8, min_count=2, epochs=1, hashfxn=hash)
    with pytest.raises(ParameterError, match="hashfxn"):
        Word2Vec(hashfxn=3)
    for bad in ({"sorted_vocab": 2}, {"null_word": "yes"}):
        with pytest.raises(ParameterError, match=list(bad)[0]):
            Word2Vec(**bad)


def test_save_accepts_gensims_arguments(sentences, tmp_path):
    m = Word2Vec(sentences, vector_size=8, min_count=3, epochs=1, hs=1, negative=5)
    g = GensimWord2Vec(sentences, vector_size=8, min_count=3, epochs=1, hs=1, negative=5)
    kw = dict(sep_limit=1024, pickle_protocol=4, separately=None)
    g.save(str(tmp_path / "g.model"), ignore=["syn1neg"], **kw)
    assert not hasattr(GensimWord2Vec.load(str(tmp_path / "g.model")), "syn1neg") or \
        GensimWord2Vec.load(str(tmp_path / "g.model")).syn1neg is None
    m.save(tmp_path / "m.fw2v", ignore=["syn1neg", "cum_table"], **kw)
    loaded = Word2Vec.load(tmp_path / "m.fw2v")
    assert loaded.syn1neg is None
    np.testing.assert_array_equal(loaded.syn1, m.syn1)
    np.testing.assert_array_equal(loaded.wv.vectors, m.wv.vectors)
    loaded.train(sentences, total_examples=loaded.corpus_count, epochs=1)
    assert loaded.syn1neg is not None and np.any(loaded.syn1neg)
    with pytest.raises(ParameterError, match="word vectors"):
        m.save(tmp_path / "x.fw2v", ignore=["wv"])


def test_save_takes_gensims_fname_or_handle(sentences, tmp_path):
    """gensim's save(fname_or_handle) also writes into an open binary file (a BytesIO,
    an archive member); fastw2v refused one with 'expected str, bytes or os.PathLike'."""
    import io
    import zipfile
    from fastw2v import KeyedVectors, Phrases
    m = Word2Vec(sentences[:300], vector_size=8, min_count=3, epochs=1, workers=1)
    g = GensimWord2Vec(sentences[:300], vector_size=8, min_count=3, epochs=1, workers=1)
    g.save(io.BytesIO())                                    # what gensim allows
    g.save(fname_or_handle=str(tmp_path / "g.model"))
    def content(obj):
        if isinstance(obj, Phrases):
            return sorted(obj.export_phrases().items())
        wv = obj.wv if isinstance(obj, Word2Vec) else obj
        return wv.index_to_key, wv.vectors.tolist(), getattr(obj, "syn1neg", np.zeros(1)).tolist()

    for obj, load in ((m, Word2Vec.load), (m.wv, KeyedVectors.load),
                      (Phrases(sentences[:300], min_count=2), Phrases.load)):
        buf = io.BytesIO(b"prefix")
        buf.seek(6)
        obj.save(buf)
        assert not buf.closed and buf.getvalue().startswith(b"prefix")
        (tmp_path / "from_buffer").write_bytes(buf.getvalue()[6:])
        obj.save(fname_or_handle=tmp_path / "by_name")
        with zipfile.ZipFile(tmp_path / "a.zip", "w") as archive, \
                archive.open("member", "w") as member:
            obj.save(member)
        with zipfile.ZipFile(tmp_path / "a.zip") as archive:
            (tmp_path / "from_zip").write_bytes(archive.read("member"))
        for name in ("from_buffer", "by_name", "from_zip"):
            loaded = load(tmp_path / name)
            assert type(loaded) is type(obj) and content(loaded) == content(obj), name
    assert Word2Vec.load(tmp_path / "g.model", rethrow=True).wv.index_to_key == g.wv.index_to_key
    model = Word2Vec.load(tmp_path / "g.model")
    model.save(tmp_path / "m.fw2v")
    assert Word2Vec.load(tmp_path / "m.fw2v", rethrow=False).wv.index_to_key == g.wv.index_to_key


# -- vectors_lockf -------------------------------------------------------------------------
@pytest.mark.parametrize("input_mode", ["sentences", "corpus_file"])
@pytest.mark.parametrize("reproducible", [False, True], ids=["lock-free", "reproducible"])
@pytest.mark.parametrize("mode", ["sg-ns", "cbow-hs"])
def test_locked_rows_do_not_move(sentences, small_text_file, input_mode, reproducible, mode):
    m = Word2Vec(vector_size=16, min_count=3, workers=2, reproducible=reproducible, epochs=1,
                 **MODES[mode])
    src = dict(corpus_file=small_text_file) if input_mode == "corpus_file" \
        else dict(corpus_iterable=sentences)
    m.build_vocab(**src)
    locked = [m.wv.key_to_index[w] for w in ("the", "king", "city")]
    lockf = np.ones(len(m.wv), dtype=np.float32)
    lockf[locked] = 0.0
    m.wv.vectors_lockf = lockf
    before = m.wv.vectors.copy()
    m.train(**src, total_examples=m.corpus_count, epochs=1)
    np.testing.assert_array_equal(m.wv.vectors[locked], before[locked])
    free = np.setdiff1d(np.arange(50), locked)
    assert np.all(np.any(m.wv.vectors[free] != before[free], axis=1))


def test_a_single_zero_lockf_freezes_every_row_as_in_gensim(sentences):
    """gensim reads vectors_lockf[row % len]: np.zeros(1) freezes all input rows."""
    for cls in (Word2Vec, GensimWord2Vec):
        m = cls(vector_size=8, min_count=3, workers=2, epochs=1)
        m.build_vocab(sentences)
        m.wv.vectors_lockf = np.zeros(1, dtype=np.float32)
        before = m.wv.vectors.copy()
        m.train(sentences, total_examples=m.corpus_count, epochs=1)
        np.testing.assert_array_equal(m.wv.vectors, before)
        assert np.any(m.syn1neg)                  # the output layer still trains


def test_lockf_survives_save_load_and_vocabulary_growth(sentences, tmp_path):
    """Per-word lock factors are part of the model: a saved model keeps them, and growing
    the vocabulary keeps the old words' factors and lets the new words train."""
    m = Word2Vec(sentences[:200], vector_size=8, min_count=3, workers=1, epochs=1)
    lockf = np.ones(len(m.wv), dtype=np.float32)
    lockf[[0, 3]] = 0.0
    m.wv.vectors_lockf = lockf
    m.save(tmp_path / "m.fw2v")
    loaded = Word2Vec.load(tmp_path / "m.fw2v")
    np.testing.assert_array_equal(loaded.wv.vectors_lockf, lockf)
    old = len(m.wv)
    m.build_vocab(sentences, update=True)
    assert len(m.wv) > old
    np.testing.assert_array_equal(m.wv.vectors_lockf[:old], lockf)
    assert np.all(m.wv.vectors_lockf[old:] == 1.0) and len(m.wv.vectors_lockf) == len(m.wv)
    before = m.wv.vectors.copy()
    m.train(sentences, total_examples=m.corpus_count, epochs=1)
    np.testing.assert_array_equal(m.wv.vectors[[0, 3]], before[[0, 3]])


def test_train_keeps_its_schedule_and_update_keeps_wv(sentences):
    """As gensim: train()'s epochs, start_alpha and end_alpha become the model's (the
    next train() call uses them), and build_vocab(update=True) grows the same wv object,
    so a reference taken before sees the new words and the training."""
    first, second = sentences[:300], sentences[300:600]
    models = [cls(first, vector_size=8, min_count=2, epochs=1, workers=1)
              for cls in (Word2Vec, GensimWord2Vec)]
    for m in models:
        m.train(first, total_examples=len(first), epochs=2, start_alpha=0.01,
                end_alpha=0.001)
    for name in ("epochs", "alpha", "min_alpha"):
        assert getattr(models[0], name) == getattr(models[1], name), name
    assert (models[0].epochs, models[0].alpha, models[0].min_alpha) == (2, 0.01, 0.001)
    ours, theirs = models
    held, held_theirs = ours.wv, theirs.wv
    for m in models:
        m.build_vocab(second, update=True)
    assert ours.wv is held and theirs.wv is held_theirs
    assert len(held) == len(held_theirs) > len(Word2Vec(first, vector_size=8, min_count=2,
                                                        epochs=1).wv)
    new_word = held.index_to_key[-1]
    before = held[new_word].copy()
    ours.train(second, total_examples=len(second), epochs=ours.epochs)
    assert not np.array_equal(held[new_word], before)        # the held object trained
    assert held.get_vecattr("the", "count") == theirs.wv.get_vecattr("the", "count")
