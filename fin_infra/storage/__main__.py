"""``python -m fin_infra.storage db upgrade|current`` (also ``python -m fin_infra db ...``)."""

import sys

from fin_infra.storage.cli import main

sys.exit(main())
