"""End-to-end behaviour of Word2Vec: API, both input modes, persistence, determinism, errors."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from fastw2v import (CorpusError, LineSentence, ParameterError, VocabularyError,
                     Word2Vec)
from fastw2v.io.native import FormatError

from conftest import MODES

FAST = dict(vector_size=24, window=3, min_count=3, epochs=2, seed=3)


@pytest.fixture(scope="module")
def small_sentences(small_text_file):
    return list(LineSentence(small_text_file))


@pytest.mark.parametrize("mode", list(MODES))
def test_corpus_file_training_api(small_text_file, mode):
    m = Word2Vec(corpus_file=small_text_file, workers=2, **FAST, **MODES[mode])
    V = len(m.wv)
    assert V > 1000 and m.wv.vectors.shape == (V, 24) and m.wv.vectors.dtype == np.float32
    assert m.wv.index_to_key[0] == "the" and m.wv.key_to_index["the"] == 0
    assert m.wv["king"].shape == (24,) and "king" in m.wv and "zzzqqq" not in m.wv
    assert m.corpus_count == 2000 and m.corpus_total_words == 100_000
    counts = [m.wv.get_vecattr(w, "count") for w in m.wv.index_to_key[:50]]
    assert counts == sorted(counts, reverse=True) and counts[0] > 1000
    assert (m.syn1neg is not None) == bool(MODES[mode]["negative"])
    assert (m.syn1 is not None) == bool(MODES[mode]["hs"])
    for out in (m.syn1neg, m.syn1):
        if out is not None:
            assert out.shape == (V, 24) and np.abs(out).max() > 0     # output layer trained
    assert np.isfinite(m.wv.vectors).all()
    assert m.epochs_trained == 2
    trained, raw = m.train(corpus_file=small_text_file, epochs=1)
    assert raw == 100_000 and 0 < trained < 100_000 and m.epochs_trained == 3


def test_iterable_mode_and_build_vocab_then_train(small_sentences):
    m = Word2Vec(vector_size=24, min_count=3, workers=2, sg=1, seed=3)
    m.build_vocab(small_sentences)
    assert m.corpus_count == 2000 and m.corpus_total_words == 100_000
    before = m.wv.vectors.copy()
    trained, raw = m.train(small_sentences, total_examples=m.corpus_count, epochs=2)
    assert raw == 2 * m.corpus_total_words and 0 < trained < 2 * int(m.vocab.counts.sum())
    assert sum(s.words_read for s in m.epoch_stats) == 2 * int(m.vocab.counts.sum())
    assert not np.allclose(before, m.wv.vectors)
    # train() again continues from the trained weights
    after_first = m.wv.vectors.copy()
    m.train(small_sentences, total_examples=m.corpus_count, epochs=1)
    assert m.epochs_trained == 3 and not np.allclose(after_first, m.wv.vectors)


def test_both_modes_agree_on_vocabulary(small_text_file, small_sentences):
    a = Word2Vec(corpus_file=small_text_file, **FAST, workers=1)
    b = Word2Vec(sentences=small_sentences, **FAST, workers=1)
    assert a.wv.index_to_key == b.wv.index_to_key
    assert np.array_equal(a.vocab.counts, b.vocab.counts)


def run_in_subprocess(code, hashseed, cwd):
    # cwd outside the source tree: `python -c` puts the cwd first on sys.path
    env = dict(os.environ, PYTHONHASHSEED=str(hashseed))
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, cwd=cwd,
                          capture_output=True, text=True, check=True).stdout.strip()


@pytest.mark.parametrize("source", ["corpus_file", "sentences"])
def test_single_worker_runs_are_bit_identical_across_processes(small_text_file, source, tmp_path):
    arg = (f"corpus_file={small_text_file!r}" if source == "corpus_file"
           else f"sentences=list(LineSentence({small_text_file!r}))")
    code = f"""
        import hashlib
        from fastw2v import Word2Vec, LineSentence
        m = Word2Vec({arg}, vector_size=16, min_count=3, epochs=1, workers=1, seed=42,
                     hs=1, negative=3, sg=1)
        h = hashlib.sha256(m.wv.vectors.tobytes() + m.syn1.tobytes() + m.syn1neg.tobytes())
        print(h.hexdigest(), m.wv.index_to_key[:5])
    """
    outs = {run_in_subprocess(code, s, tmp_path) for s in (0, 1, 12345)}
    assert len(outs) == 1, outs
    other_seed = run_in_subprocess(code.replace("seed=42", "seed=43"), 0, tmp_path)
    assert other_seed.split()[0] != next(iter(outs)).split()[0]


def test_multi_worker_training_is_stable(small_text_file):
    """More workers than cores: no crash, finite weights, the same vocabulary."""
    m = Word2Vec(corpus_file=small_text_file, **FAST, workers=6)
    assert np.isfinite(m.wv.vectors).all() and m.epochs_trained == 2


def test_save_load_roundtrip_and_continue_training(tmp_path, small_text_file):
    m = Word2Vec(corpus_file=small_text_file, **FAST, hs=1, negative=2, compute_loss=True)
    p = tmp_path / "m.fw2v"
    m.save(p)
    assert [f for f in os.listdir(tmp_path) if f != "m.fw2v"] == []     # no temp file left
    m2 = Word2Vec.load(p)
    assert m2.wv.index_to_key == m.wv.index_to_key
    for a, b in ((m.wv.vectors, m2.wv.vectors), (m.syn1, m2.syn1), (m.syn1neg, m2.syn1neg)):
        assert np.array_equal(a, b)
    assert m2.config == m.config and m2.corpus_count == m.corpus_count
    assert m2.wv.get_vecattr("the", "count") == m.wv.get_vecattr("the", "count")
    assert m2.epoch_losses == m.epoch_losses and len(m2.epoch_losses) == 2
    m2.train(corpus_file=small_text_file, epochs=1)
    assert m2.epochs_trained == 3 and not np.array_equal(m2.wv.vectors, m.wv.vectors)
    mm = Word2Vec.load(p, mmap="r")
    assert isinstance(mm.wv.vectors, np.memmap) and np.array_equal(mm.wv.vectors, m.wv.vectors)
    with pytest.raises(ValueError, match="read-only"):
        mm.train(corpus_file=small_text_file, epochs=1)


def test_weights_train_in_the_kernels_layout_and_loaded_ones_move_there(tmp_path,
                                                                         small_text_file):
    """Fresh matrices are built with rows on cache-line boundaries; a model loaded from
    disk (plain arrays) is moved into that layout when it trains, and trains on exactly
    as the model it was saved from."""
    from fastw2v.kernels import layout
    m = Word2Vec(corpus_file=small_text_file, **dict(FAST, vector_size=100), hs=1, negative=2,
                 workers=1)
    assert all(layout.in_layout(a) for a in (m.wv.vectors, m.syn1, m.syn1neg))
    assert m.wv.vectors.strides[0] == 4 * 112
    m.save(tmp_path / "m.fw2v")
    m2 = Word2Vec.load(tmp_path / "m.fw2v")
    assert not layout.in_layout(m2.wv.vectors)
    m.train(corpus_file=small_text_file, epochs=1)
    m2.train(corpus_file=small_text_file, epochs=1)
    assert all(layout.in_layout(a) for a in (m2.wv.vectors, m2.syn1, m2.syn1neg))
    for a, b in ((m.wv.vectors, m2.wv.vectors), (m.syn1, m2.syn1), (m.syn1neg, m2.syn1neg)):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("name, bad", [
    ("wv.vectors", lambda a: a.astype(np.float64)),
    ("syn1neg", lambda a: a.astype(np.float16)),
    ("syn1", lambda a: a[:-1]),
])
def test_save_refuses_weights_that_load_would_refuse(tmp_path, small_text_file, name, bad):
    """A model whose weights were replaced by hand with ones that are not float32
    [vocabulary, vector_size] is refused by save() with the matrix named, before a byte is
    written (an earlier file stays whole); load() would have called the file corrupt."""
    m = Word2Vec(corpus_file=small_text_file, **FAST, hs=1, negative=2, workers=1)
    p = tmp_path / "m.fw2v"
    m.save(p)
    before = p.read_bytes()
    owner, attr = (m.wv, "vectors") if name == "wv.vectors" else (m, name)
    setattr(owner, attr, bad(getattr(owner, attr)))
    with pytest.raises(ValueError, match=name.replace(".", r"\.") + " has shape"):
        m.save(p)
    assert p.read_bytes() == before and os.listdir(tmp_path) == ["m.fw2v"]
    if name == "syn1":                  # a row short: it may be left out, or set again
        m.save(p, ignore=["syn1"])
        assert Word2Vec.load(p).syn1 is None
        m.syn1 = np.zeros((len(m.wv), 24), np.float32)
    else:
        setattr(owner, attr, getattr(owner, attr).astype(np.float32))
    m.save(p)
    assert np.array_equal(Word2Vec.load(p).wv.vectors, m.wv.vectors)


def test_save_takes_float32_of_either_byte_order(tmp_path, small_text_file):
    m = Word2Vec(corpus_file=small_text_file, **FAST, workers=1)
    m.wv.vectors = m.wv.vectors.astype(">f4")
    m.save(tmp_path / "m.fw2v")
    back = Word2Vec.load(tmp_path / "m.fw2v")
    assert back.wv.vectors.dtype == np.float32 and np.array_equal(back.wv.vectors, m.wv.vectors)


def test_save_load_unicode_words(tmp_path):
    sents = [["café", "日本語", "😀", "a b", "x\ny"]] * 5
    m = Word2Vec(sents, min_count=1, vector_size=8, epochs=1, workers=1)
    m.save(tmp_path / "u.fw2v")
    assert Word2Vec.load(tmp_path / "u.fw2v").wv.index_to_key == m.wv.index_to_key


@pytest.mark.parametrize("cut", [0, 5, 30, 200, -10])
def test_truncated_model_file_raises_format_error(tmp_path, small_text_file, cut):
    m = Word2Vec(corpus_file=small_text_file, **FAST)
    p = tmp_path / "m.fw2v"
    m.save(p)
    data = p.read_bytes()
    bad = tmp_path / "bad.fw2v"
    bad.write_bytes(data[:cut] if cut >= 0 else data[:cut])
    with pytest.raises(FormatError, match="bad.fw2v"):
        Word2Vec.load(bad)


def test_garbage_model_file(tmp_path):
    p = tmp_path / "g.fw2v"
    p.write_bytes(b"FASTW2V\0" + b"\x01\0\0\0" + (10**6).to_bytes(8, "little") + b"{}")
    with pytest.raises(FormatError, match="truncated"):
        Word2Vec.load(p)
    p.write_bytes(os.urandom(500))
    with pytest.raises(FormatError, match="not a fastw2v"):
        Word2Vec.load(p)
    with pytest.raises(FileNotFoundError):
        Word2Vec.load(tmp_path / "missing.fw2v")


def test_compute_loss_gives_one_mean_per_epoch_and_decreases(small_text_file):
    m = Word2Vec(corpus_file=small_text_file, vector_size=24, min_count=3, epochs=4, sg=1,
                 compute_loss=True, workers=2)
    assert len(m.epoch_losses) == 4
    assert all(np.isfinite(m.epoch_losses))
    assert m.epoch_losses[-1] < m.epoch_losses[0]
    assert m.get_latest_training_loss() > 0


def test_callbacks_are_called(small_sentences):
    calls = []

    class CB:
        def on_train_begin(self, model): calls.append("begin")
        def on_epoch_begin(self, model): calls.append("epoch_begin")
        def on_epoch_end(self, model): calls.append(("epoch_end", model.epochs_trained))
        def on_train_end(self, model): calls.append("end")

    Word2Vec(small_sentences, vector_size=8, min_count=3, epochs=2, callbacks=[CB()])
    assert calls == ["begin", "epoch_begin", ("epoch_end", 1), "epoch_begin", ("epoch_end", 2), "end"]


def test_save_and_read_vocab(tmp_path, small_text_file):
    m = Word2Vec(corpus_file=small_text_file, **FAST)
    m.save_vocab(tmp_path / "v.txt")
    m2 = Word2Vec(**FAST)
    m2.read_vocab(tmp_path / "v.txt")
    assert m2.wv.index_to_key == m.wv.index_to_key
    m2.train(corpus_file=small_text_file)
    assert np.isfinite(m2.wv.vectors).all()


# -- bad input --------------------------------------------------------------------------
def test_missing_corpus_file(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        Word2Vec(corpus_file=str(tmp_path / "nope.txt"))


def test_empty_corpus(tmp_path):
    p = tmp_path / "empty.txt"
    p.write_text("\n\n   \n")
    with pytest.raises(CorpusError, match="empty"):
        Word2Vec(corpus_file=str(p))
    with pytest.raises(CorpusError, match="empty"):
        Word2Vec(sentences=[[], []])


def test_nothing_left_after_min_count():
    with pytest.raises(VocabularyError, match="min_count=5"):
        Word2Vec(sentences=[["a", "b"], ["c"]])


@pytest.mark.parametrize("sentences,exc,msg", [
    ("a whole string", TypeError, "single string"),
    ([["ok", "fine"], "not split"], TypeError, "not a list of tokens"),
    ([["a", 1, 2]], TypeError, "tokens must be str"),
    ((s for s in [["a"]]), TypeError, "iterator"),
    (42, TypeError, "iterable"),
])
def test_bad_sentences(sentences, exc, msg):
    with pytest.raises(exc, match=msg):
        Word2Vec(sentences=sentences, min_count=1)


def test_non_utf8_corpus_file(tmp_path):
    p = tmp_path / "latin1.txt"
    p.write_bytes("caf\xe9 au lait\n".encode("latin-1") * 10)
    with pytest.raises(CorpusError, match="line 1"):
        Word2Vec(corpus_file=str(p), min_count=1)
    m = Word2Vec(corpus_file=str(p), min_count=1, unicode_errors="replace", vector_size=8, epochs=1)
    assert "caf\ufffd" in m.wv


def test_train_before_build_vocab_and_bad_calls(small_sentences):
    m = Word2Vec(min_count=1)
    with pytest.raises(RuntimeError, match="build_vocab"):
        m.train(small_sentences, total_examples=10)
    with pytest.raises(ValueError, match="not both"):
        Word2Vec(sentences=[["a"]], corpus_file="x.txt")
    m.build_vocab([["a", "b"]] * 3)
    with pytest.raises(ValueError, match="exactly one"):
        m.train()
    with pytest.raises(ParameterError, match="epochs"):
        m.train([["a", "b"]], epochs=0)


def test_worker_error_is_raised_on_caller_thread():
    class Exploding:
        def __iter__(self):
            yield ["a", "b", "c"] * 4000
            raise RuntimeError("corpus broke at sentence 2")

    m = Word2Vec(min_count=1, vector_size=8, workers=2)
    m.build_vocab([["a", "b", "c"]])
    with pytest.raises(RuntimeError, match="corpus broke"):
        m.train(Exploding(), total_examples=2, epochs=1)


def test_sentence_of_wrong_type_during_training():
    m = Word2Vec(min_count=1, vector_size=8, workers=2)
    m.build_vocab([["a", "b"]])
    with pytest.raises(TypeError, match="sentence 1"):
        m.train([["a", "b"], 7], total_examples=2, epochs=1)


def test_corpus_without_known_words(tmp_path):
    m = Word2Vec(min_count=1, vector_size=8)
    m.build_vocab([["a", "b"]])
    p = tmp_path / "other.txt"
    p.write_text("x y z\n")
    with pytest.raises(CorpusError, match="no word"):
        m.train(corpus_file=str(p))


def test_save_and_load_share_one_schema(tmp_path, small_text_file):
    # every saved header field comes back, from the one list in fastw2v.state
    from fastw2v.state import SAVED_FIELDS, SAVED_WEIGHTS
    m = Word2Vec(corpus_file=small_text_file, vector_size=8, min_count=3, epochs=2,
                 hs=1, negative=2, compute_loss=True, comment="c", batch_words=123,
                 workers=1, progress=False)
    path = tmp_path / "m.fw2v"
    m.save(path)
    back = Word2Vec.load(path)
    for name in SAVED_FIELDS:
        if name == "lifecycle_events":     # loading adds its own event
            assert back.lifecycle_events[:-1] == m.lifecycle_events
            assert back.lifecycle_events[-1]["event"] == "loaded"
            continue
        assert getattr(back.state, name) == getattr(m.state, name), name
    for name in SAVED_WEIGHTS:
        assert np.array_equal(getattr(back, name), getattr(m, name)), name
    assert back.config == m.config and back.vocab.words == m.vocab.words
    assert len(back.epoch_alphas) == back.epochs_trained == 2


def test_shallow_copy_has_its_own_settings_as_in_gensim(small_text_file):
    """copy.copy(model), as gensim's: ``wv`` and the weights are shared, the settings
    and the training history are the copy's own."""
    import copy
    from gensim.models import Word2Vec as GensimW2V
    sentences = [line.split() for _, line in zip(range(300), open(small_text_file))]
    for cls in (Word2Vec, GensimW2V):
        m = cls(sentences, vector_size=8, min_count=3, epochs=1, workers=1, seed=1)
        before = (m.alpha, m.window, m.epochs, m.min_count)
        c = copy.copy(m)
        c.alpha, c.window, c.epochs, c.min_count = 0.5, 2, 7, 9
        assert (m.alpha, m.window, m.epochs, m.min_count) == before, cls
        assert c.wv is m.wv and c.syn1neg is m.syn1neg, cls
    m = Word2Vec(sentences, vector_size=8, min_count=3, epochs=1, workers=1, seed=1,
                 compute_loss=True)
    losses, trained = list(m.epoch_losses), m.epochs_trained
    c = copy.copy(m)
    c.train(sentences, total_examples=len(sentences), epochs=2, compute_loss=True)
    assert len(losses) == trained == 1
    assert (m.epochs_trained, list(m.epoch_losses)) == (trained, losses)
    assert c.epochs_trained == trained + 2 and len(c.epoch_losses) == len(losses) + 2


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_copies_of_a_corpus_file_model_encode_their_own(small_text_file, how):
    """The encoded corpus is a cache on a temporary file of one model: copies and pickles
    leave it out (a mapped file cannot be pickled), train on the file again by encoding
    it anew, and the original keeps its own file."""
    import copy
    import pickle
    m = Word2Vec(corpus_file=small_text_file, **FAST, workers=1)
    enc = m.state.encoded(small_text_file)
    c = copy.deepcopy(m) if how == "deepcopy" else pickle.loads(pickle.dumps(m))
    assert c.state._encoded is None and np.array_equal(c.wv.vectors, m.wv.vectors)
    c.train(corpus_file=small_text_file, total_words=c.corpus_total_words, epochs=1)
    m.train(corpus_file=small_text_file, total_words=m.corpus_total_words, epochs=1)
    assert np.array_equal(c.wv.vectors, m.wv.vectors)          # one worker: the same
    assert c.state.encoded(small_text_file).path != enc.path
    del c
    assert os.path.exists(enc.path) and m.state.encoded(small_text_file) is enc


def test_hs_file_of_an_earlier_build_keeps_its_tree(tmp_path, small_text_file):
    """Native files saved before the tree was stored in them were trained with the
    two-queue tree, which breaks ties between equal counts otherwise than the heap
    order built now: loading one rebuilds that tree, not today's."""
    from fastw2v.io.native import load_native, save_native
    from fastw2v.tables import build_huffman
    m = Word2Vec(vector_size=8, min_count=2, hs=1, negative=0, workers=1, progress=False)
    m.build_vocab(corpus_file=small_text_file)
    old_tree = build_huffman(m.vocab.counts, ties="two-queue")
    new_tree = build_huffman(m.vocab.counts)
    assert not np.array_equal(old_tree.points, new_tree.points)    # ties do differ here
    m.state._tables["huffman"] = old_tree                           # as the earlier build
    m.train(corpus_file=small_text_file, total_words=m.corpus_total_words, epochs=1)
    sentences = [line.split() for _, line in zip(range(20), open(small_text_file))]
    want = m.score(sentences, total_sentences=20)
    m.save(tmp_path / "new.fw2v")
    meta, arrays = load_native(tmp_path / "new.fw2v")
    assert "huffman_offsets" in arrays                              # saved with its tree now
    save_native(tmp_path / "old.fw2v", meta, {k: v for k, v in arrays.items()
                                              if not k.startswith("huffman_")})
    for name in ("new.fw2v", "old.fw2v"):
        back = Word2Vec.load(tmp_path / name)
        np.testing.assert_array_equal(back.state.huffman().points, old_tree.points)
        np.testing.assert_array_equal(back.score(sentences, total_sentences=20), want)


def test_build_vocab_from_freq_takes_the_corpus_token_total():
    """Counts pruned while counting add up to less than the corpus's tokens; the total
    given is the model's corpus_total_words (the distributed vocabulary passes it)."""
    from fastw2v import ParameterError
    m = Word2Vec(min_count=1, vector_size=4)
    m.build_vocab_from_freq({"a": 5, "b": 3}, corpus_count=2, corpus_total_words=11)
    assert (m.corpus_total_words, m.corpus_count, list(m.vocab.counts)) == (11, 2, [5, 3])
    for bad in (7, 2.5, "11"):
        with pytest.raises(ParameterError, match="corpus_total_words"):
            Word2Vec(min_count=1).build_vocab_from_freq({"a": 5, "b": 3},
                                                        corpus_total_words=bad)
