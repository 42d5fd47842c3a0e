"""Write the small gensim-saved files that tests/unit/test_gensim_pickle.py reads without
gensim, and a JSON of what gensim holds in memory for each, into tests/data/gensim/.

Run once with gensim 4 installed (``python scripts/make_gensim_fixtures.py``); the files
are committed, so the tests need no gensim. The models train on the first few thousand
words of the shipped sample with 16 dimensions, keeping the folder well under 1 MB.

Fixtures (name: what it exercises):

- ``w2v_sg_ns.model``: skip-gram with negative sampling, every array inside the pickle;
- ``w2v_cbow_hs.model``: CBOW with hierarchical softmax, saved with ``sep_limit=0`` so
  every array is a separate ``.npy`` file (``w2v_cbow_hs.model.wv.vectors.npy``, ...);
- ``w2v_sg_both.model.gz``: skip-gram with both losses, a compressed pickle with ``.npz``
  companions (gensim's choice for ``.gz`` names);
- ``vectors.kv``: a model's KeyedVectors saved alone;
- ``fasttext.model``, ``doc2vec.model``: models fastw2v refuses, with a clear error.
"""
import hashlib
import json
import lzma
import os
import sys

import numpy as np
from gensim.models import Doc2Vec, FastText, Word2Vec
from gensim.models.doc2vec import TaggedDocument

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE = os.path.join(ROOT, "fastw2v", "data", "wiki_sample.txt.xz")
OUT = os.path.join(ROOT, "tests", "data", "gensim")

COMMON = dict(vector_size=16, window=3, min_count=3, workers=1, seed=7, epochs=2)


def sentences(n_words=4000, length=20):
    """The sample's first ``n_words`` words, in sentences of ``length``."""
    with lzma.open(SAMPLE, "rt", encoding="utf-8") as fh:
        words = []
        for line in fh:
            words.extend(line.split())
            if len(words) >= n_words:
                break
    words = words[:n_words]
    return [words[i:i + length] for i in range(0, len(words), length)]


def digest(arr) -> str:
    """sha256 of the float32 bytes, C order: exact equality in a few characters."""
    return hashlib.sha256(np.ascontiguousarray(arr, dtype=np.float32).tobytes()).hexdigest()


def describe_vectors(wv) -> dict:
    return {
        "index_to_key": list(wv.index_to_key),
        "counts": [int(c) for c in wv.expandos["count"]] if "count" in wv.expandos else None,
        "vector_size": int(wv.vector_size),
        "vectors_sha256": digest(wv.vectors),
        "vectors_row_sums": [float(wv.vectors[i].astype(np.float64).sum()) for i in range(5)],
        "vectors_lockf": [float(x) for x in getattr(wv, "vectors_lockf", [])] or None,
    }


def describe_model(model) -> dict:
    out = {"kind": "word2vec", **describe_vectors(model.wv)}
    for name in ("syn1neg", "syn1"):
        arr = getattr(model, name, None)
        out[name + "_sha256"] = digest(arr) if arr is not None else None
    out["params"] = {name: getattr(model, name) for name in (
        "vector_size", "window", "min_count", "sg", "hs", "negative", "ns_exponent",
        "cbow_mean", "alpha", "min_alpha", "sample", "epochs", "seed", "max_final_vocab",
        "sorted_vocab", "shrink_windows", "compute_loss", "max_vocab_size", "null_word")}
    out["training"] = {name: getattr(model, name) for name in (
        "corpus_count", "corpus_total_words", "train_count", "running_training_loss",
        "min_alpha_yet_reached", "effective_min_count")}
    out["training"]["raw_vocab_size"] = len(model.raw_vocab)
    return out


def main() -> int:
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):  # no stale companions from an earlier run
        os.remove(os.path.join(OUT, name))
    corpus = sentences()
    expected = {}

    sg_ns = Word2Vec(corpus, sg=1, hs=0, negative=5, **COMMON)
    sg_ns.save(os.path.join(OUT, "w2v_sg_ns.model"))
    expected["w2v_sg_ns.model"] = describe_model(sg_ns)

    cbow_hs = Word2Vec(corpus, sg=0, hs=1, negative=0, compute_loss=True, **COMMON)
    cbow_hs.save(os.path.join(OUT, "w2v_cbow_hs.model"), sep_limit=0)
    expected["w2v_cbow_hs.model"] = describe_model(cbow_hs)

    sg_both = Word2Vec(corpus, sg=1, hs=1, negative=3, **COMMON)
    sg_both.save(os.path.join(OUT, "w2v_sg_both.model.gz"), sep_limit=0)
    expected["w2v_sg_both.model.gz"] = describe_model(sg_both)

    sg_ns.wv.save(os.path.join(OUT, "vectors.kv"))
    expected["vectors.kv"] = {"kind": "keyedvectors", **describe_vectors(sg_ns.wv)}

    FastText(corpus, bucket=500, min_n=3, max_n=4, **COMMON).save(
        os.path.join(OUT, "fasttext.model"))
    docs = [TaggedDocument(words, [i]) for i, words in enumerate(corpus[:50])]
    Doc2Vec(docs, **COMMON).save(os.path.join(OUT, "doc2vec.model"))

    import gensim
    expected["_made_by"] = {"gensim": gensim.__version__, "numpy": np.__version__,
                            "script": "scripts/make_gensim_fixtures.py"}
    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8") as fh:
        # one line per fixture: small diffs when the fixtures are made again
        fh.write("{\n" + ",\n".join(f"{json.dumps(name)}: {json.dumps(value, sort_keys=True)}"
                                     for name, value in sorted(expected.items())) + "\n}\n")
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {total} bytes, to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
