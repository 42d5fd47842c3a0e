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
