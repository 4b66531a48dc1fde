#!/bin/bash
cd /tmp/ledger-dev && PYTHONPATH=/tmp/ledger-dev exec /work/wt/ledger/.venv/bin/"$@"
