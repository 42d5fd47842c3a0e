"""Progress display and logging."""
import io
import logging
import re

import pytest

from fastw2v import Word2Vec
from fastw2v.training.progress import NoProgress, Progress, make_progress, progress_enabled

FAST = dict(vector_size=16, min_count=3, workers=2)


def test_line_printer_shows_rate_alpha_loss_and_eta():
    out = io.StringIO()
    p = Progress("training", total=1000, backend="plain", stream=out)
    p.update(250, alpha=0.0125, loss=2.5)
    line = p.line()
    assert line.startswith("training:  25.0% 250/1.0k words")
    assert "words/s" in line and "alpha 0.012500" in line and "loss 2.5000" in line
    assert re.search(r"ETA \d\d:\d\d", line)
    # rate is wall-clock: words done over seconds since the start
    assert p.rate() > 0
    p.update(1000)
    p.close()
    text = out.getvalue()
    assert text.endswith("\n") and "100.0% 1.0k/1.0k words" in text and "elapsed" in text
    p.close()                                   # closing twice is harmless
    assert out.getvalue() == text


def test_unknown_total_and_settings():
    p = Progress("vocabulary", backend="plain", stream=io.StringIO())
    p.update(1234567, distinct=890)
    assert "1.2M words" in p.line() and "distinct 890" in p.line() and "ETA" not in p.line()
    assert progress_enabled(False) is False and progress_enabled(True) is True
    assert isinstance(make_progress(False, "x"), NoProgress)
    with pytest.raises(ValueError, match="progress="):
        progress_enabled("fancy")
    with pytest.raises(ValueError, match="progress="):
        Word2Vec(progress=[1])


def test_training_and_vocab_progress_on_stderr(small_text_file, capfd):
    m = Word2Vec(compute_loss=True, progress="plain", **FAST)
    m.build_vocab(corpus_file=small_text_file)
    err = capfd.readouterr().err
    assert re.search(r"vocabulary: [\d.]+k words", err) and "distinct" in err
    m.train(corpus_file=small_text_file, epochs=2)
    err = capfd.readouterr().err
    last = err.rstrip("\n").split("\r")[-1]
    assert last.startswith("training: 100.0%")
    assert "words/s" in last and "alpha 0.0001" in last
    loss = float(re.search(r"loss ([\d.]+)", last).group(1))
    assert loss == pytest.approx(m.epoch_losses[-1], abs=1e-4)


def test_silent_by_default_when_stderr_is_not_a_terminal(small_text_file, capfd):
    m = Word2Vec(corpus_file=small_text_file, epochs=1, **FAST)
    m.train(corpus_file=small_text_file, epochs=1, progress=False)
    assert capfd.readouterr().err == ""


def test_tqdm_bar(small_text_file, capfd):
    pytest.importorskip("tqdm")                 # optional: pip install fastw2v[progress]
    m = Word2Vec(compute_loss=True, progress="tqdm", **FAST)
    m.build_vocab(corpus_file=small_text_file)
    m.train(corpus_file=small_text_file, epochs=2)
    err = capfd.readouterr().err
    assert "training: 100%" in err and "word/s" in err and "alpha=" in err and "loss=" in err


def test_progress_is_logged(small_text_file, caplog):
    m = Word2Vec(progress=False, **FAST)
    m.build_vocab(corpus_file=small_text_file)
    with caplog.at_level(logging.INFO, logger="fastw2v"):
        m.train(corpus_file=small_text_file, epochs=2, report_delay=1e-9)
    msgs = [r.getMessage() for r in caplog.records if r.name == "fastw2v"]
    assert any(re.match(r"progress [\d.]+%: \d+ words, \d+ words/s, alpha", x) for x in msgs)
    assert sum(x.startswith("epoch ") for x in msgs) == 2
