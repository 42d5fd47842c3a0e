import pytest

from fastw2v import ParameterError, TrainConfig, Word2Vec


def test_gensim_defaults():
    c = TrainConfig()
    assert (c.vector_size, c.alpha, c.window, c.min_count, c.sample, c.seed, c.workers,
            c.min_alpha, c.sg, c.hs, c.negative, c.ns_exponent, c.cbow_mean, c.epochs,
            c.shrink_windows) == (100, 0.025, 5, 5, 1e-3, 1, 3, 0.0001, 0, 0, 5, 0.75, 1, 5, True)
    m = Word2Vec()
    assert m.vector_size == 100 and m.window == 5 and m.epochs == 5 and m.negative == 5


@pytest.mark.parametrize("kw,name", [
    (dict(vector_size=0), "vector_size"), (dict(vector_size=2.5), "vector_size"),
    (dict(window=0), "window"), (dict(alpha=0), "alpha"), (dict(alpha=-1), "alpha"),
    (dict(alpha=float("nan")), "alpha"), (dict(min_alpha=-0.1), "min_alpha"),
    (dict(sample=-1e-3), "sample"), (dict(workers=0), "workers"), (dict(sg=2), "sg"),
    (dict(hs=-1), "hs"), (dict(negative=-5), "negative"), (dict(epochs=0), "epochs"),
    (dict(min_count=-1), "min_count"), (dict(cbow_mean=3), "cbow_mean"),
    (dict(max_vocab_size=0), "max_vocab_size"), (dict(max_final_vocab=-2), "max_final_vocab"),
    (dict(seed="x"), "seed"), (dict(ns_exponent=float("inf")), "ns_exponent"),
])
def test_nonsense_parameters_raise_naming_the_parameter(kw, name):
    with pytest.raises(ParameterError, match=name):
        Word2Vec(**kw)


def test_no_objective():
    with pytest.raises(ParameterError, match="no training objective"):
        Word2Vec(hs=0, negative=0)


def test_bad_parameters_fail_before_reading_the_corpus(tmp_path):
    # the corpus does not exist, but the parameter error comes first
    with pytest.raises(ParameterError, match="window"):
        Word2Vec(corpus_file=str(tmp_path / "missing.txt"), window=-3)


def test_setting_a_parameter_validates():
    m = Word2Vec()
    m.epochs = 3
    assert m.epochs == 3 and m.config.epochs == 3
    with pytest.raises(ParameterError):
        m.vector_size = -1
