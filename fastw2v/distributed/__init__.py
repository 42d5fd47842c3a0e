"""Distributed training on Dask: synchronous rounds of training and merging deltas.

``train_distributed(paths, client=Client(...), **gensim_params)`` returns an ordinary
:class:`fastw2v.Word2Vec`. The scheme:

1. **Vocabulary** (map-reduce): one Dask task per shard counts its words
   (:class:`~fastw2v.vocab.VocabBuilder`); the counts are merged pairwise on the workers in
   shard order (so ties are ordered as if the shards were one corpus read in order),
   and ``min_count``/``max_final_vocab``/``trim_rule`` are applied once on the client. The
   vocabulary and its tables (Huffman tree, noise table) are sent to each partition's
   worker, one scatter per worker, given up as soon as the worker is found dead (Dask's
   ``broadcast=True`` retries a dead worker the scheduler has not yet removed for ever).
2. **Partitions**: shards are dealt round-robin to ``min(workers, shards)`` partitions,
   each pinned to one Dask worker, which encodes its shards to ids once
   (:class:`~fastw2v.corpus.EncodedCorpus`, a memory-mapped temporary file) and keeps them
   for all rounds. Shards given as fsspec URLs are copied to a local file first (a URL
   directory to a local folder of its files).
3. **Rounds**: an epoch is cut into ``R`` rounds so that no partition trains more than
   ``round_words`` words per round. In a round every partition trains its slice with the
   Cython trainer (``workers`` threads, default: the Dask worker's thread count) from the
   current weights, under the global learning-rate schedule (round ``r`` of ``N`` decays
   alpha from ``alpha(r/N)`` to ``alpha((r+1)/N)``, linear over all planned words), and
   returns the rows it changed as deltas. Once *every* task of the round has succeeded
   the client combines the deltas (``merge="sum"``, the default: added, as Hogwild
   threads would; ``merge="average"``: the per-row mean weighted by words trained, over
   the partitions that changed the row) and sends only the changed
   rows. A failed task is retried by Dask (``retries``); a task whose worker lost its
   state (a restarted or new worker) answers "stale" and is sent the full weights, as is
   a task Dask cancelled when a worker died holding its inputs, and a partition whose
   worker died before it received its inputs (it moves to a live worker). A
   round is therefore applied whole or not at all. A callback may stop training
   between epochs (``model.stop_training = True``), as with ``Word2Vec.train``.

Bytes moved per round are recorded in ``model.distributed_stats`` (see
``docs/distributed.md`` for the scaling model).
"""
from __future__ import annotations

from ._client import DistributedTrainingError, train_distributed

__all__ = ["train_distributed", "DistributedTrainingError"]
