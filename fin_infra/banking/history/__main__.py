"""``python -m fin_infra.banking.history migrate|prune``: the earlier spelling of ``fin-infra history``.

    python -m fin_infra history migrate --url sqlite:///history.db
    python -m fin_infra history prune --older-than-days 730 --url postgresql://app@db/app
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    from fin_infra.cli import main as cli_main  # the command line sits above this layer

    return cli_main(["history", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
