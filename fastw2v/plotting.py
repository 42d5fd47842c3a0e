"""Pictures of word vectors and of training, and export for TensorBoard's projector.

- :func:`plot_words`: chosen words projected to 2-D (PCA through NumPy's SVD, or t-SNE
  when scikit-learn is installed) drawn as a labelled scatter, with optional groups in
  colours and analogy arrows (``man -> woman``, ``king -> queen``);
- :func:`plot_training`: loss and learning rate per epoch of a trained model;
- :func:`export_tensorboard`: ``vectors.tsv`` + ``metadata.tsv`` (NumPy only).

The plots need matplotlib (``pip install 'fastw2v[plot]'``), imported only when a plot
is drawn. They are drawn on a :class:`matplotlib.figure.Figure` of their own, without
pyplot: no display is needed, and the process's backend and figures (a notebook's,
an interactive session's) are left as they were. The picture format follows the file
suffix (``.png``, ``.svg``, ``.pdf``, ...); a name without one is written as PNG, under
that very name.
"""
from __future__ import annotations

import os
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

_INSTALL = "pip install 'fastw2v[plot]'"


def _matplotlib():
    """``(Figure, colormaps)`` of matplotlib, or ``ImportError`` saying what to install."""
    try:
        from matplotlib import colormaps
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(f"plotting needs matplotlib, which is not installed: "
                          f"{_INSTALL}") from None
    return Figure, colormaps


def picture_format(path) -> str:
    """The picture format ``path`` is written in: its suffix (``png``, ``svg``, ``pdf``,
    ...), or ``png`` without one; ``ValueError`` for a suffix that matplotlib cannot
    write (checked before any work, so that a long plot does not end in that error)."""
    suffix = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    formats = _matplotlib()[0]().canvas.get_supported_filetypes()
    if suffix and suffix not in formats:
        raise ValueError(f"cannot draw a picture as {os.fspath(path)!r}: its suffix "
                         f"'.{suffix}' is not a picture format (use one of "
                         f"{', '.join('.' + f for f in sorted(formats))})")
    return suffix or "png"


def _figure(path, **kwargs):
    """``(figure, format)``: a new matplotlib ``Figure`` (no pyplot, so no backend is
    chosen or changed and nothing stays registered) and :func:`picture_format`."""
    fmt = picture_format(path)
    return _matplotlib()[0](**kwargs), fmt


def _words(value, what: str) -> List[str]:
    """``value`` as a list of words; a single string is refused (it would be drawn letter
    by letter)."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{what} is a single string ({value!r:.40}); pass a list of words")
    return list(value)


# -- projections -----------------------------------------------------------------------
def pca(vectors, n_components: int = 2) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Principal components of the rows of ``vectors`` [n, d] through NumPy's SVD.

    Returns
    -------
    (coords, components, singular_values)
        ``coords`` [n, k]: the centred rows projected on the first k principal axes
        (``components`` [k, d], unit and orthogonal); column j has variance
        ``singular_values[j]**2 / n``. Each axis is signed so that its largest loading
        is positive (the picture does not flip between runs).
    """
    x = np.asarray(vectors, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"need at least two vectors to project, got shape {x.shape}")
    k = min(n_components, *x.shape)
    centred = x - x.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    comps = vt[:k]
    signs = np.sign(comps[np.arange(k), np.argmax(np.abs(comps), axis=1)])
    comps = comps * np.where(signs == 0, 1, signs)[:, None]
    coords = centred @ comps.T
    if k < n_components:                   # fewer points/dimensions than axes asked for
        coords = np.hstack([coords, np.zeros((len(x), n_components - k))])
    return coords, comps, s[:k]


def tsne(vectors, seed: int = 0, perplexity: Optional[float] = None) -> np.ndarray:
    """2-D t-SNE of the rows (scikit-learn's ``TSNE``; raises ImportError without it)."""
    try:
        from sklearn.manifold import TSNE
    except ImportError:
        raise ImportError("method='tsne' needs scikit-learn, which is not installed: "
                          "pip install scikit-learn (or use method='pca')") from None
    x = np.asarray(vectors, dtype=np.float64)
    if len(x) < 3:
        raise ValueError("t-SNE needs at least three words")
    if perplexity is None:
        perplexity = float(min(30.0, max(1.0, (len(x) - 1) / 3.0)))
    return np.asarray(TSNE(n_components=2, perplexity=perplexity, init="pca",
                           random_state=seed).fit_transform(x))


def project_words(kv, words: Sequence[str], method: str = "pca", normalize: bool = True,
                  seed: int = 0) -> np.ndarray:
    """2-D coordinates [len(words), 2] of ``words`` (unit vectors if ``normalize``)."""
    if method not in ("pca", "tsne"):
        raise ValueError(f"method={method!r} is invalid: use 'pca' or 'tsne'")
    missing = [w for w in words if w not in kv.key_to_index]
    if missing:
        raise KeyError(f"words not in the vocabulary: {', '.join(map(repr, missing))}")
    x = np.asarray(kv.vectors[[kv.key_to_index[w] for w in words]], dtype=np.float64)
    bad = [w for w, row in zip(words, x) if not np.all(np.isfinite(row))]
    if bad:
        raise ValueError(f"cannot project vectors holding NaN or infinity: "
                         f"{', '.join(map(repr, bad[:10]))}{' ...' if len(bad) > 10 else ''}")
    if normalize:
        norms = np.linalg.norm(x, axis=1)
        x = x / np.where(norms > 0, norms, 1)[:, None]
    if method == "pca":
        return pca(x, 2)[0]
    return tsne(x, seed=seed)


# -- pictures --------------------------------------------------------------------------
def plot_words(kv, words: Sequence[str], path, method: str = "pca",
               groups: Optional[Dict[str, Sequence[str]]] = None,
               arrows: Optional[Sequence[Tuple[str, str]]] = None,
               title: Optional[str] = None, normalize: bool = True,
               skip_unknown: bool = False, figsize=(8.0, 6.0), dpi: int = 150,
               seed: int = 0) -> Dict[str, Tuple[float, float]]:
    """Draw ``words`` projected to 2-D as a labelled scatter and save it to ``path``.

    Parameters
    ----------
    kv : KeyedVectors
    words : sequence of str
        The words to draw; words named in ``groups`` and ``arrows`` are added.
    path : str or path
        The picture; its suffix picks the format (``.png``, ``.svg``, ``.pdf``).
    method : {"pca", "tsne"}
        PCA through NumPy's SVD, or t-SNE (needs scikit-learn).
    groups : dict of str to list of str, optional
        Words drawn in one colour per group, with a legend (e.g.
        ``{"colours": ["red", "green"], "royalty": ["king", "queen"]}``); other words
        are grey.
    arrows : list of (str, str), optional
        Arrows from the first word to the second (``[("man", "woman"), ("king",
        "queen")]`` shows an analogy as parallel arrows).
    normalize : bool
        Project unit vectors (cosine geometry), as queries compare them.
    skip_unknown : bool
        Leave out words not in the vocabulary instead of raising ``KeyError``.

    Returns
    -------
    dict of str to (x, y)
        The drawn coordinates.
    """
    words = _words(words, "words")
    groups = {str(k): _words(v, f"group {k!r}") for k, v in (groups or {}).items()}
    arrows = [tuple(a) for a in (arrows or [])]
    for a in arrows:
        if len(a) != 2:
            raise ValueError(f"an arrow is a pair (from_word, to_word), got {a!r}")
    order: List[str] = []
    for w in list(words) + [w for ws in groups.values() for w in ws] + \
            [w for a in arrows for w in a]:
        if w not in order:
            order.append(w)
    if skip_unknown:
        order = [w for w in order if w in kv.key_to_index]
        arrows = [a for a in arrows if a[0] in kv.key_to_index and a[1] in kv.key_to_index]
    if len(order) < 2:
        raise ValueError("need at least two known words to plot")
    fig, fmt = _figure(path, figsize=figsize)
    xy = project_words(kv, order, method=method, normalize=normalize, seed=seed)
    pos = {w: (float(x), float(y)) for w, (x, y) in zip(order, xy)}
    colour_of: Dict[str, int] = {}
    for gi, ws in enumerate(groups.values()):
        for w in ws:
            colour_of.setdefault(w, gi)
    palette = _matplotlib()[1]["tab10"]
    ax = fig.subplots()
    plain = [w for w in order if w not in colour_of]
    if plain:
        ax.scatter([pos[w][0] for w in plain], [pos[w][1] for w in plain], s=18,
                   color="0.55", label="other" if groups else None)
    for gi, name in enumerate(groups):
        ws = [w for w in order if colour_of.get(w) == gi]
        if ws:
            ax.scatter([pos[w][0] for w in ws], [pos[w][1] for w in ws], s=26,
                       color=palette(gi % 10), label=name)
    for w in order:
        ax.annotate(w, pos[w], xytext=(3, 3), textcoords="offset points", fontsize=9)
    for a, b in arrows:
        ax.annotate("", xy=pos[b], xytext=pos[a],
                    arrowprops=dict(arrowstyle="->", color="0.25", lw=1.2,
                                    shrinkA=4, shrinkB=4))
    label = "PCA" if method == "pca" else "t-SNE"
    ax.set_xlabel(f"{label} 1")
    ax.set_ylabel(f"{label} 2")
    ax.set_title(title or f"{len(order)} words, {label} of "
                 f"{'unit ' if normalize else ''}vectors")
    if groups:
        ax.legend(loc="best", fontsize=9)
    ax.margins(0.12)
    fig.tight_layout()
    fig.savefig(os.fspath(path), dpi=dpi, format=fmt)
    return pos


def plot_training(model, path, title: Optional[str] = None, figsize=(9.0, 3.8),
                  dpi: int = 150) -> None:
    """Training curve of ``model``: mean loss per epoch (``model.epoch_losses``, recorded
    with ``compute_loss=True``) and the learning rate at each epoch's end
    (``model.epoch_alphas``), saved to ``path``."""
    alphas = list(getattr(model, "epoch_alphas", []) or [])
    losses = [float(x) for x in (getattr(model, "epoch_losses", []) or [])]
    if not alphas and not losses:
        raise ValueError("the model has no per-epoch record (epoch_alphas, epoch_losses): "
                         "fastw2v records one for each epoch it trains (a model trained by "
                         "gensim and loaded has none); train it here first, with "
                         "compute_loss=True for the loss curve")
    panels = 2 if losses else 1
    fig, fmt = _figure(path, figsize=figsize if panels == 2 else
                       (figsize[0] / 2 + 0.5, figsize[1]))
    axes = fig.subplots(1, panels, squeeze=False)
    ax_alpha = axes[0][-1]
    if losses:
        ax = axes[0][0]
        ax.plot(range(1, len(losses) + 1), losses, marker="o", color="tab:blue")
        ax.set_xlabel("epoch")
        ax.set_ylabel("mean loss per example")
        ax.set_title("training loss")
        ax.grid(alpha=0.3)
    if alphas:
        ax_alpha.plot(range(1, len(alphas) + 1), alphas, marker="o", color="tab:orange")
    ax_alpha.set_xlabel("epoch")
    ax_alpha.set_ylabel("learning rate at epoch end")
    ax_alpha.set_title("learning rate" + ("" if losses else
                                          " (no loss: train with compute_loss=True)"))
    ax_alpha.grid(alpha=0.3)
    for ax in axes[0]:
        ax.xaxis.get_major_locator().set_params(integer=True)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(os.fspath(path), dpi=dpi, format=fmt)


# -- TensorBoard projector ---------------------------------------------------------------
def _escape(word: str) -> str:
    return (word.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


def export_tensorboard(kv, dir_or_prefix, limit: Optional[int] = None,
                       counts: bool = True) -> Tuple[str, str]:
    """Write the vectors for TensorBoard's embedding projector (or
    https://projector.tensorflow.org): ``vectors.tsv`` (one row of tab-separated values
    per word) and ``metadata.tsv`` (the words, same order).

    ``dir_or_prefix``: an existing directory (or a path ending in a separator) gets
    ``vectors.tsv`` and ``metadata.tsv`` inside; anything else is a prefix
    (``out/wiki`` -> ``out/wiki_vectors.tsv``, ``out/wiki_metadata.tsv``); directories
    on the way that do not exist are created, as ``mkdir -p`` would. ``limit``
    keeps the first (most frequent) words. With ``counts`` and real word counts (not
    the stand-ins V, V-1, ..., 1 of a vector file read without counts), the
    metadata has a header line and a ``count`` column; else one word per line, no
    header (the projector's convention for a single column). Tabs, newlines and
    backslashes in words are written as ``\\t``, ``\\n``, ``\\\\``.

    Returns the two paths.
    """
    target = os.fspath(dir_or_prefix)
    if os.path.isdir(target) or target.endswith((os.sep, "/")):
        os.makedirs(target, exist_ok=True)
        vec_path = os.path.join(target, "vectors.tsv")
        meta_path = os.path.join(target, "metadata.tsv")
    else:
        parent = os.path.dirname(target)
        if parent:
            os.makedirs(parent, exist_ok=True)
        vec_path, meta_path = target + "_vectors.tsv", target + "_metadata.tsv"
    if limit is not None and (not isinstance(limit, (int, np.integer)) or limit < 1):
        raise ValueError(f"limit={limit!r} is invalid: an integer >= 1, or None")
    n = len(kv.index_to_key) if limit is None else min(int(limit), len(kv.index_to_key))
    keys = kv.index_to_key[:n]
    count = kv.expandos.get("count") if counts and hasattr(kv, "expandos") else None
    if count is not None and np.array_equal(count, np.arange(len(count), 0, -1)):
        count = None        # the stand-in counts V..1 of a file read without its counts
    with open(vec_path, "w", encoding="utf-8", newline="\n") as fh:
        for s in range(0, n, 4096):
            block = np.asarray(kv.vectors[s:min(n, s + 4096)], dtype=np.float32)
            fh.write("".join("\t".join(f"{v:.7g}" for v in row) + "\n"
                             for row in block.tolist()))
    with open(meta_path, "w", encoding="utf-8", newline="\n") as fh:
        if count is not None:
            fh.write("word\tcount\n")
            fh.write("".join(f"{_escape(str(k))}\t{int(c)}\n"
                             for k, c in zip(keys, count[:n].tolist())))
        else:
            fh.write("".join(_escape(str(k)) + "\n" for k in keys))
    return vec_path, meta_path
