"""``python -m fin_infra.emulators <teller|plaid|mx|finicity> [--host H] [--port N]``: the earlier spelling of
``fin-infra emulators teller|plaid|mx|finicity``."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from fin_infra.cli import main as cli_main

    return cli_main(["emulators", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
