import atexit
import os
import shutil
import tempfile

import pytest

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fastw2v", "data")

#: An empty directory for the Pythons the tests start (``python -m fastw2v``, ``-c``) to
#: run in: their sys.path starts with it, so neither the checkout's ./fastw2v (instead
#: of the installed package) nor a stray *.py file of the temporary directory (shadowing
#: the standard library) is imported.
CHILD_CWD = tempfile.mkdtemp(prefix="fastw2v-tests-cwd-")
atexit.register(shutil.rmtree, CHILD_CWD, True)


@pytest.fixture(scope="session")
def sample_corpus_path():
    """The shipped 1.5M-word Wikipedia sample (compressed)."""
    return os.path.join(DATA, "wiki_sample.txt.xz")


@pytest.fixture(scope="session")
def sample_text_file(tmp_path_factory, sample_corpus_path):
    """The sample decompressed once (gensim's corpus_file mode needs a plain file)."""
    import lzma
    out = tmp_path_factory.mktemp("corpus") / "wiki_sample.txt"
    with lzma.open(sample_corpus_path, "rb") as src, open(out, "wb") as dst:
        dst.write(src.read())
    return str(out)


@pytest.fixture(scope="session")
def small_text_file(tmp_path_factory, sample_text_file):
    """About 100k words of the sample: enough for fast end-to-end tests."""
    out = tmp_path_factory.mktemp("small") / "small.txt"
    words = open(sample_text_file, encoding="utf-8").read().split()[:100_000]
    with open(out, "w", encoding="utf-8") as fh:
        for i in range(0, len(words), 50):
            fh.write(" ".join(words[i:i + 50]) + "\n")
    return str(out)


MODES = {
    "sg-hs": dict(sg=1, hs=1, negative=0),
    "sg-ns": dict(sg=1, hs=0, negative=5),
    "sg-both": dict(sg=1, hs=1, negative=3),
    "cbow-hs": dict(sg=0, hs=1, negative=0),
    "cbow-ns": dict(sg=0, hs=0, negative=5),
    "cbow-both": dict(sg=0, hs=1, negative=3),
}


def xx_colliding_pairs(n: int, before=()) -> list:
    """``n`` pairs of ints that make tuples ``before + pair`` of one hash: CPython's
    tuple hash takes its items' hashes through xxHash's rounds, each a bijection of the
    state, so for every first int a second one lands the state on the same value
    (where it is an int's hash)."""
    m = 2 ** 64
    prime1, prime2, prime5 = 11400714785074694791, 14029467366897019727, 2870177450012600261

    def round_(state, lane):
        state = (state + lane % m * prime2) % m
        return ((state << 31) | (state >> 33)) % m * prime1 % m

    start = prime5
    for item in before:
        start = round_(start, hash(item))
    inverse, out, a = pow(prime2, -1, m), [], 0
    while len(out) < n:
        b = (12345 - round_(start, a)) * inverse % m
        b = b - m if b >= 2 ** 63 else b
        if -(2 ** 61 - 1) < b < 2 ** 61 - 1 and b != -1:
            out.append((a, b))
        a += 1
    return out
