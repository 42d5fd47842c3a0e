"""gensim 4.4 attributes of Word2Vec and KeyedVectors that gensim users read or build by
hand, each compared with gensim itself on the shipped text: layer1_size, cum_table,
train_count, total_train_time, min_alpha_yet_reached, random, lifecycle_events;
KeyedVectors assembled attribute by attribute in either order, resize_vectors, and
saving keys that are not str."""
import os
import pickle

import numpy as np
import pytest
from gensim.models import KeyedVectors as GensimKeyedVectors
from gensim.models import Word2Vec as GensimWord2Vec
from gensim.models.callbacks import CallbackAny2Vec

from fastw2v import KeyedVectors, LineSentence, Word2Vec

GENSIM_DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data",
                           "gensim")
SMALL = dict(vector_size=16, window=3, min_count=2, epochs=1, seed=7)


@pytest.fixture(scope="module")
def sentences(small_text_file):
    """About 24,000 words of the shipped Wikipedia sample, 50 to a sentence."""
    return list(LineSentence(small_text_file))[:480]


@pytest.fixture(scope="module")
def trained(sentences):
    """The same settings trained by fastw2v and by gensim (fastw2v's reproducibly: the
    same weights every run, so near-ties in orders compared with gensim's fall the
    same way each time)."""
    ours = Word2Vec(sentences, workers=2, progress=False, reproducible=True, **SMALL)
    theirs = GensimWord2Vec(sentences, workers=2, **SMALL)
    return ours, theirs


# -- Word2Vec ------------------------------------------------------------------------------
def test_layer1_size_and_random_as_gensim():
    ours, theirs = Word2Vec(vector_size=24, seed=11), GensimWord2Vec(vector_size=24, seed=11)
    assert ours.layer1_size == theirs.layer1_size == 24
    assert type(ours.random) is type(theirs.random) is np.random.RandomState
    # the same generator in the same state: the same draws
    np.testing.assert_array_equal(ours.random.randint(0, 1 << 30, 20),
                                  theirs.random.randint(0, 1 << 30, 20))
    with pytest.raises(AttributeError):
        ours.layer1_size = 5
    assert isinstance(Word2Vec(seed=-3).random, np.random.RandomState)   # gensim refuses


@pytest.mark.parametrize("ns_exponent", [0.75, 0.5, -0.5])
def test_cum_table_equals_gensims(sentences, ns_exponent):
    ours = Word2Vec(negative=5, ns_exponent=ns_exponent, **SMALL)
    theirs = GensimWord2Vec(negative=5, ns_exponent=ns_exponent, **SMALL)
    assert ours.cum_table is None and theirs.cum_table is None      # no vocabulary yet
    ours.build_vocab(sentences)
    theirs.build_vocab(sentences)
    assert ours.wv.index_to_key == theirs.wv.index_to_key
    table = ours.cum_table
    assert table.dtype == np.uint32 and table.shape == (len(ours.wv),)
    assert table[-1] == 2 ** 31 - 1
    np.testing.assert_array_equal(table, theirs.cum_table)
    assert ours.cum_table is table                                     # kept, not redone


def test_cum_table_follows_the_vocabulary_and_ns_exponent(sentences):
    ours = Word2Vec(negative=5, **SMALL)
    theirs = GensimWord2Vec(negative=5, **SMALL)
    ours.build_vocab(sentences[:200])
    theirs.build_vocab(sentences[:200])
    first = ours.cum_table
    ours.build_vocab(sentences[200:], update=True)
    theirs.build_vocab(sentences[200:], update=True)
    assert ours.wv.index_to_key == theirs.wv.index_to_key
    assert len(ours.cum_table) == len(ours.wv) > len(first)
    np.testing.assert_array_equal(ours.cum_table, theirs.cum_table)
    ours.ns_exponent = theirs.ns_exponent = 0.25
    theirs.make_cum_table()
    np.testing.assert_array_equal(ours.cum_table, theirs.cum_table)
    ours.make_cum_table(domain=1000)           # gensim's argument
    theirs.make_cum_table(domain=1000)
    np.testing.assert_array_equal(ours.cum_table, theirs.cum_table)


def test_cum_table_is_none_without_negative_sampling(sentences):
    ours = Word2Vec(hs=1, negative=0, **SMALL)
    theirs = GensimWord2Vec(hs=1, negative=0, **SMALL)
    ours.build_vocab(sentences)
    theirs.build_vocab(sentences)
    assert ours.cum_table is None and theirs.cum_table is None
    ours.make_cum_table()                      # asked for: made, as gensim makes it
    theirs.make_cum_table()
    np.testing.assert_array_equal(ours.cum_table, theirs.cum_table)


class CountAtTrainEnd(CallbackAny2Vec):
    def __init__(self):
        self.seen = []

    def on_train_end(self, model):
        self.seen.append(model.train_count)


def test_train_count_time_and_alpha_after_two_trains(sentences):
    params = dict(SMALL, alpha=0.03, min_alpha=0.001, workers=2)
    ours, theirs = Word2Vec(progress=False, **params), GensimWord2Vec(**params)
    for model in (ours, theirs):
        assert model.train_count == 0 and model.total_train_time == 0
        assert model.min_alpha_yet_reached == 0.03
        model.build_vocab(sentences)
    times = []
    for _ in range(2):
        for model, cb in ((ours, CountAtTrainEnd()), (theirs, CountAtTrainEnd())):
            model.train(sentences, total_examples=len(sentences), epochs=2, callbacks=[cb])
            assert cb.seen == [model.train_count]    # counted before on_train_end
        times.append(ours.total_train_time)
    assert ours.train_count == theirs.train_count == 2
    assert 0 < times[0] < times[1] == ours.total_train_time
    assert times[1] == pytest.approx(sum(s.seconds for s in ours.epoch_stats))
    assert ours.total_train_time < 60 and theirs.total_train_time > 0
    # the last learning rate used: gensim's is that of its last job (one job per epoch
    # here, so the one the last epoch started with); fastw2v's is where the last epoch
    # ended, min_alpha
    assert ours.min_alpha_yet_reached == ours.epoch_alphas[-1] == pytest.approx(0.001)
    assert 0.001 <= theirs.min_alpha_yet_reached < 0.03


def test_lifecycle_events_as_gensims(sentences, tmp_path):
    ours = Word2Vec(sentences, workers=2, progress=False, **SMALL)
    theirs = GensimWord2Vec(sentences, workers=2, **SMALL)
    ours.train(sentences, total_examples=len(sentences), epochs=1)
    theirs.train(sentences, total_examples=len(sentences), epochs=1)
    ours.save(str(tmp_path / "ours.fw2v"))
    theirs.save(str(tmp_path / "theirs.model"))
    names = [e["event"] for e in ours.lifecycle_events]
    assert names == [e["event"] for e in theirs.lifecycle_events] == \
        ["prepare_vocab"] * 3 + ["build_vocab", "train", "train", "created", "train", "train",
                                 "saving"]
    # the same keys, event by event; fastw2v's version stands where gensim's does
    for e_ours, e_theirs in zip(ours.lifecycle_events, theirs.lifecycle_events):
        assert set(e_ours) == (set(e_theirs) - {"gensim"}) | {"fastw2v"}
        assert e_ours["python"] == e_theirs["python"]
        assert e_ours["platform"] == e_theirs["platform"]
    created = ours.lifecycle_events[6]
    assert created["params"] == str(ours)
    saving = ours.lifecycle_events[-1]
    assert saving["fname_or_handle"] == str(tmp_path / "ours.fw2v")
    assert saving["sep_limit"] == 10 * 1024 ** 2 and saving["separately"] == "None"
    assert ours.lifecycle_events[4]["msg"].startswith("training model with 2 workers on "
                                                      f"{len(ours.wv)} vocabulary and 16 features")
    assert ours.lifecycle_events[5]["msg"].startswith("training on ")
    assert ours.lifecycle_events[0]["msg"] == theirs.lifecycle_events[0]["msg"]
    # None stops the recording, as in gensim
    ours.lifecycle_events = None
    ours.train(sentences, total_examples=len(sentences), epochs=1)
    assert ours.lifecycle_events is None


def test_keyedvectors_and_phrases_keep_lifecycle_events_as_gensim(sentences, trained,
                                                                   tmp_path):
    """gensim's KeyedVectors and phrase models record their events too (a vector file
    read, an intersect, saves and loads; a phrase model's creation) and save them;
    fastw2v had them on Word2Vec only, so kv.add_lifecycle_event raised."""
    from gensim.models.phrases import FrozenPhrases as GensimFrozen
    from gensim.models.phrases import Phrases as GensimPhrases

    from fastw2v import FrozenPhrases, Phrases
    ours_model, _ = trained
    vec_file = tmp_path / "v.bin"
    ours_model.wv.save_word2vec_format(vec_file, binary=True)
    text_file = tmp_path / "v.txt"
    ours_model.wv.save_word2vec_format(text_file)
    names = {}
    for tool, kv_cls in (("ours", KeyedVectors), ("gensim", GensimKeyedVectors)):
        kv = kv_cls.load_word2vec_format(str(vec_file), binary=True)
        assert not hasattr(kv_cls(4), "lifecycle_events")       # made by the first event
        kv.vectors_lockf = np.ones(len(kv), dtype=np.float32)    # gensim's needs one
        kv.intersect_word2vec_format(str(text_file))   # (gensim 4.4's binary one fails)
        kv.add_lifecycle_event("note", msg="by hand")
        kv.save(str(tmp_path / f"{tool}.kv"))
        back = kv_cls.load(str(tmp_path / f"{tool}.kv"))
        names[tool] = [e["event"] for e in back.lifecycle_events]
        assert back.lifecycle_events[0]["msg"] == \
            f"loaded ({len(kv)}, 16) matrix of type float32 from {vec_file}"
        assert back.lifecycle_events[1]["msg"].startswith(f"merged {len(kv)} vectors into")
        assert str(kv) == f"KeyedVectors<vector_size=16, {len(kv)} keys>"
    assert names["ours"] == names["gensim"] == ["load_word2vec_format",
                                                "intersect_word2vec_format", "note", "saving",
                                                "loaded"]
    # a gensim file's record comes along
    gensim_kv = KeyedVectors.load(str(tmp_path / "gensim.kv"))
    assert [e["event"] for e in gensim_kv.lifecycle_events] == names["gensim"]

    for tool, (p_cls, f_cls) in (("ours", (Phrases, FrozenPhrases)),
                                 ("gensim", (GensimPhrases, GensimFrozen))):
        phrases = p_cls(sentences, min_count=2)
        frozen = f_cls(phrases)
        assert [e["event"] for e in phrases.lifecycle_events] == ["created"]
        assert phrases.lifecycle_events[0]["msg"].startswith(f"built {phrases} in ")
        assert frozen.lifecycle_events[0]["msg"].startswith(f"exported {frozen} from "
                                                            f"{phrases} in ")
        phrases.save(str(tmp_path / f"{tool}.phrases"))
        back = p_cls.load(str(tmp_path / f"{tool}.phrases"))
        assert [e["event"] for e in back.lifecycle_events] == ["created", "saving", "loaded"]
    gensim_phrases = Phrases.load(str(tmp_path / "gensim.phrases"))
    assert [e["event"] for e in gensim_phrases.lifecycle_events] == ["created", "saving",
                                                                     "loaded"]
    assert "gensim" in gensim_phrases.lifecycle_events[0]


def test_gensims_module_names_and_keyedvectors_positional_order():
    """gensim.models.word2vec's FAST_VERSION and MAX_WORDS_IN_BATCH, keyedvectors'
    Word2VecKeyedVectors alias, and KeyedVectors(vector_size, count, dtype)."""
    import fastw2v
    from gensim.models import keyedvectors, word2vec
    assert fastw2v.FAST_VERSION > -1 and word2vec.FAST_VERSION > -1
    assert fastw2v.MAX_WORDS_IN_BATCH == word2vec.MAX_WORDS_IN_BATCH
    assert Word2Vec().batch_words == GensimWord2Vec().batch_words == word2vec.MAX_WORDS_IN_BATCH
    assert fastw2v.Word2VecKeyedVectors is KeyedVectors
    assert keyedvectors.Word2VecKeyedVectors is GensimKeyedVectors
    for cls in (KeyedVectors, GensimKeyedVectors):
        kv = cls(10, 0, np.float64)
        kv.add_vectors(["a"], np.ones((1, 10)))
        assert kv.vectors.dtype == np.float64 and len(kv) == 1


def test_loaded_models_have_the_attributes(trained, tmp_path):
    ours, _ = trained
    path = str(tmp_path / "m.fw2v")
    ours.save(path)
    back = Word2Vec.load(path)
    assert back.layer1_size == 16 and isinstance(back.random, np.random.RandomState)
    # the record is saved, as in gensim's pickle, with the loaded event added
    assert back.train_count == ours.train_count > 0
    assert back.total_train_time == ours.total_train_time > 0
    assert back.min_alpha_yet_reached == ours.min_alpha_yet_reached
    np.testing.assert_array_equal(back.cum_table, ours.cum_table)
    events = [e["event"] for e in back.lifecycle_events]
    assert events == [e["event"] for e in ours.lifecycle_events] + ["loaded"]
    assert events[-2:] == ["saving", "loaded"]
    assert back.lifecycle_events[-1]["fname"] == path
    ours.lifecycle_events = None                    # recording off is saved too
    ours.save(path)
    assert Word2Vec.load(path).lifecycle_events is None
    copy = pickle.loads(pickle.dumps(ours))
    assert copy.train_count == ours.train_count
    np.testing.assert_array_equal(copy.cum_table, ours.cum_table)


@pytest.mark.parametrize("name", ["w2v_sg_ns.model", "w2v_cbow_hs.model"])
def test_gensim_files_load_with_gensims_values(name):
    path = os.path.join(GENSIM_DATA, name)
    ours, theirs = Word2Vec.load(path), GensimWord2Vec.load(path)
    assert ours.train_count == theirs.train_count == 1
    assert ours.total_train_time == theirs.total_train_time
    assert ours.min_alpha_yet_reached == theirs.min_alpha_yet_reached
    assert ours.layer1_size == theirs.layer1_size
    if theirs.cum_table is None:
        assert ours.cum_table is None
    else:
        np.testing.assert_array_equal(ours.cum_table, theirs.cum_table)
    assert ours.lifecycle_events[-1]["event"] == theirs.lifecycle_events[-1]["event"] == "loaded"
    assert ours.lifecycle_events[-1]["fname"] == theirs.lifecycle_events[-1]["fname"] == path


# -- KeyedVectors assembled by hand ---------------------------------------------------------
def by_hand(cls, keys, vectors, vectors_first):
    kv = cls(vectors.shape[1])
    if vectors_first:
        kv.vectors = vectors
    kv.index_to_key = list(keys)
    kv.key_to_index = {k: i for i, k in enumerate(keys)}
    if not vectors_first:
        kv.vectors = vectors
    return kv


@pytest.mark.parametrize("vectors_first", [True, False], ids=["vectors-first", "keys-first"])
def test_keyedvectors_by_hand_in_either_order(trained, vectors_first):
    wv = trained[0].wv
    keys, vectors = wv.index_to_key[:300], np.array(wv.vectors[:300])
    ours = by_hand(KeyedVectors, keys, vectors, vectors_first)
    theirs = by_hand(GensimKeyedVectors, keys, vectors, vectors_first)
    np.testing.assert_array_equal(ours["the"], theirs["the"])
    assert [w for w, _ in ours.most_similar("the", topn=10)] == \
        [w for w, _ in theirs.most_similar("the", topn=10)]


def test_a_mismatched_pair_is_never_used(trained):
    wv = trained[0].wv
    keys, vectors = wv.index_to_key[:50], np.array(wv.vectors[:50])
    kv = KeyedVectors(16)
    kv.vectors = vectors[:40]              # accepted, as in gensim ...
    kv.index_to_key = list(keys)
    kv.key_to_index = {k: i for i, k in enumerate(keys)}
    msg = r"vectors have shape \(40, 16\) but there are 50 keys"
    for use in (lambda: kv["the"], lambda: kv.most_similar("the"), lambda: kv.vectors,
                lambda: kv.get_normed_vectors(), lambda: kv.add_vector("zz", np.ones(16)),
                lambda: kv.save("never.kv"), lambda: kv["zzqqx"]):
        with pytest.raises(ValueError, match=msg):     # ... but not used
            use()
    assert "the" in kv and len(kv) == 50     # the keys alone answer
    kv.vectors = vectors
    np.testing.assert_array_equal(kv["the"], vectors[keys.index("the")])
    # keys without their index
    kv.index_to_key = keys + ["zzextra"]
    kv.vectors = np.vstack([vectors, np.ones((1, 16), np.float32)])
    with pytest.raises(ValueError, match="key_to_index has 50 keys for the 51 of index_to_key"):
        kv.most_similar("the")
    kv.key_to_index["zzextra"] = 50            # in place, as gensim's code does
    assert kv.most_similar("zzextra", topn=1)
    # given together, they must match at once
    with pytest.raises(ValueError, match="shape"):
        KeyedVectors(16, keys, vectors[:10])
    with pytest.raises(ValueError, match="shape"):
        kv.vectors = np.ones((51, 8), np.float32)


def test_resize_vectors_as_gensim(trained):
    wv = trained[0].wv
    keys, vectors = wv.index_to_key[:100], np.array(wv.vectors[:100])
    counts = [wv.get_vecattr(k, "count") for k in keys]
    extra = ["zzone", "zztwo", "zzthree"]
    pair = []
    for cls in (KeyedVectors, GensimKeyedVectors):
        kv = cls(16)
        kv.add_vectors(keys, vectors)      # (gensim 4.4's add_vectors(extras=...) fails)
        for k, c in zip(keys, counts):
            kv.set_vecattr(k, "count", c)
        for k in extra:                          # keys added by hand, then the rows
            kv.key_to_index[k] = len(kv.index_to_key)
            kv.index_to_key.append(k)
        kv.resize_vectors(seed=3)
        pair.append(kv)
    ours, theirs = pair
    assert ours.vectors.shape == theirs.vectors.shape == (103, 16)
    assert ours.vectors.dtype == theirs.vectors.dtype == np.float32
    np.testing.assert_array_equal(ours.vectors[:100], vectors)          # kept
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)         # new rows: gensim's
    assert np.all(np.abs(ours.vectors[100:]) < 1 / 16)
    np.testing.assert_array_equal(ours.expandos["count"], theirs.expandos["count"])
    assert ours.get_vecattr("zztwo", "count") == 0
    assert ours.most_similar("zzone", topn=3) is not None
    # another seed, other rows; the same shape leaves the matrix as it is
    again = KeyedVectors(16, keys + extra, np.vstack([vectors, np.zeros((3, 16), np.float32)]))
    same = again.vectors
    again.resize_vectors(seed=3)
    assert again.vectors is same
    # shrinking keeps the first rows (gensim cannot: numpy's broadcast error)
    ours.index_to_key = ours.index_to_key[:60]
    ours.key_to_index = {k: i for i, k in enumerate(ours.index_to_key)}
    ours.resize_vectors()
    np.testing.assert_array_equal(ours.vectors, vectors[:60])
    assert len(ours.expandos["count"]) == 60
    theirs.index_to_key = theirs.index_to_key[:60]
    with pytest.raises(ValueError):
        theirs.resize_vectors()


def test_resize_vectors_keeps_a_per_key_lockf():
    kv = KeyedVectors(4, ["a", "b", "c"], np.ones((3, 4), np.float32))
    kv.vectors_lockf = np.array([0.0, 1.0, 0.5], np.float32)
    kv.index_to_key.append("d")
    kv.key_to_index["d"] = 3
    kv.resize_vectors()
    np.testing.assert_array_equal(kv.vectors_lockf, [0.0, 1.0, 0.5, 1.0])


def test_saving_keys_that_are_not_str(tmp_path):
    theirs = GensimKeyedVectors(4)
    theirs.add_vectors([3, 1, 2], np.eye(3, 4, dtype=np.float32))
    theirs.save(str(tmp_path / "theirs.kv"))            # gensim pickles any key
    assert GensimKeyedVectors.load(str(tmp_path / "theirs.kv")).index_to_key == [3, 1, 2]
    ours = KeyedVectors(4)
    ours.add_vectors([3, 1, 2], np.eye(3, 4, dtype=np.float32))
    assert ours.get_index(1) == 1 and ours.most_similar(3, topn=1)
    with pytest.raises(TypeError, match=r"index_to_key\[0\] is 3 of type int.*str\(k\)"):
        ours.save(str(tmp_path / "ours.kv"))
    assert not (tmp_path / "ours.kv").exists()
    ours.index_to_key = [str(k) for k in ours.index_to_key]
    ours.key_to_index = {k: i for i, k in enumerate(ours.index_to_key)}
    ours.save(str(tmp_path / "ours.kv"))
    back = KeyedVectors.load(str(tmp_path / "ours.kv"))
    assert back.index_to_key == ["3", "1", "2"]
    np.testing.assert_array_equal(back["1"], theirs[1])


def test_gensim3_names_say_what_replaced_them(trained):
    """index2word, index2entity and vectors_norm raise AttributeError in gensim 4 with
    the new name; assigning the key lists sets index_to_key, as in gensim."""
    ours, theirs = trained
    for name, new in (("index2word", "index_to_key"), ("index2entity", "index_to_key"),
                      ("vectors_norm", "get_normed_vectors")):
        for wv in (ours.wv, theirs.wv):
            with pytest.raises(AttributeError, match=new):
                getattr(wv, name)
    for name in ("index2word", "index2entity"):
        ours_kv = KeyedVectors(2, ["a", "b"], np.ones((2, 2), np.float32))
        theirs_kv = GensimKeyedVectors(2)
        theirs_kv.add_vectors(["a", "b"], np.ones((2, 2), np.float32))
        for kv in (ours_kv, theirs_kv):
            setattr(kv, name, ["b", "a"])
            assert kv.index_to_key == ["b", "a"]


def test_init_weights_and_update_weights(sentences):
    kw = dict(vector_size=16, min_count=5, workers=1, epochs=1, seed=7)
    m = Word2Vec(sentences[:300], **kw)
    fresh = Word2Vec(**kw)
    fresh.build_vocab(sentences[:300])
    assert not np.array_equal(m.wv.vectors, fresh.wv.vectors)
    m.init_weights()                # untrained again, from the seed, vocabulary kept
    np.testing.assert_array_equal(m.wv.vectors, fresh.wv.vectors)
    np.testing.assert_array_equal(m.syn1neg, fresh.syn1neg)
    m.train(sentences[:300], total_examples=300, epochs=1)
    trained_rows = m.wv.vectors.copy()
    m.build_vocab(sentences[300:600], update=True)
    m.update_weights()              # done within the update: trained rows kept
    np.testing.assert_array_equal(m.wv.vectors[:len(trained_rows)], trained_rows)
    assert len(m.wv.vectors) == len(m.wv.index_to_key) > len(trained_rows)
    with pytest.raises(RuntimeError):
        Word2Vec(**kw).update_weights()     # no vocabulary yet


def test_events_with_any_values_are_saved(tmp_path):
    """gensim pickles whatever an event holds; the native header is JSON, so values it
    cannot hold are saved as their str() instead of failing the save."""
    m = Word2Vec([["a", "b", "c"] * 4] * 20, vector_size=4, min_count=1, workers=1)
    m.add_lifecycle_event("custom", obj=object(), arr=np.arange(3), n=np.int64(4), ok=[1, "x"])
    m.save(tmp_path / "m.fw2v")
    event = next(e for e in Word2Vec.load(tmp_path / "m.fw2v").lifecycle_events
                 if e["event"] == "custom")
    assert event["arr"] == "[0 1 2]" and event["n"] == "4" and event["ok"] == [1, "x"]
    assert event["obj"].startswith("<object object")
