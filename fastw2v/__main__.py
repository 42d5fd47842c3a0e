"""``python -m fastw2v``: train on the shipped Wikipedia sample and show what was learnt.

Options: ``--corpus PATH`` (any text file), ``--workers N``, ``--epochs N``, ``--sg 0|1``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from . import Word2Vec

SAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "wiki_sample.txt.xz")
QUERIES = ("king", "france", "computer", "music", "three")


def nearest(wv, word, topn=8):
    normed = wv.get_normed_vectors()
    scores = normed @ normed[wv.key_to_index[word]]
    order = [i for i in np.argsort(-scores) if i != wv.key_to_index[word]][:topn]
    return [(wv.index_to_key[i], float(scores[i])) for i in order]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m fastw2v", description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=SAMPLE)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--sg", type=int, default=1, choices=(0, 1))
    args = ap.parse_args(argv)
    print(f"training {'skip-gram' if args.sg else 'CBOW'} with negative sampling on "
          f"{args.corpus} ({args.workers} threads, {args.epochs} epochs)...", file=sys.stderr)
    t0 = time.perf_counter()
    model = Word2Vec(corpus_file=args.corpus, vector_size=100, window=5, min_count=5,
                     sg=args.sg, workers=args.workers, epochs=args.epochs)
    secs = time.perf_counter() - t0
    print(f"{len(model.wv)} words, {model.corpus_total_words} tokens, {secs:.1f} s "
          f"({model.corpus_total_words * args.epochs / secs:,.0f} words/s including reading)")
    for q in QUERIES:
        if q in model.wv:
            print(f"{q:>9}: " + ", ".join(f"{w} {s:.2f}" for w, s in nearest(model.wv, q)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
