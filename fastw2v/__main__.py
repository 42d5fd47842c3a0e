"""``python -m fastw2v``: the ``fastw2v`` command (see :mod:`fastw2v.cli.app`).

``python -m fastw2v demo`` trains on the shipped Wikipedia sample and shows what was
learnt; without a command it prints the usage and exits with status 2.
"""
import sys

from .cli.app import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m fastw2v"))
