#!/usr/bin/env bash
# Debian's chromium, for the headless-browser tests (tests/browser.py): installed with apt-get when missing,
# never a browser build downloaded by a tool of its own. Where it can't be installed (not root, no apt-get,
# no package index), the browser tests skip and say why.
set -u
CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-browser: $CHROMIUM is missing and apt-get can't run here (needs root); browser tests will skip"
  exit 0
fi
echo "installing Debian's chromium for the browser tests"
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; then
  echo "ensure-browser: could not install chromium; browser tests will skip"
fi
exit 0
