"""``python -m fin_infra``: the same as the ``fin-infra`` command (see `fin_infra.cli`)."""

import sys

from fin_infra.cli import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m fin_infra"))
