#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the browser tests (test/*.browser.test.ts), which
# drive it through playwright-core: that package brings no browser of its own, and a fresh CI
# machine has none. Installs the `chromium` package with apt-get when the binary is missing (as
# root, non-interactively, refreshing the package lists only when the first try cannot find it).
# Prints the binary's path on stdout; everything else goes to stderr.
set -euo pipefail

BIN="${SLUICE_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$BIN" ]; then
  echo "$BIN"
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "sluice: the browser tests need Chromium at $BIN; install it with: sudo apt-get install -y chromium (or set SLUICE_CHROMIUM)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "sluice: the browser tests need Chromium at $BIN and this system has no apt-get; install Chromium and set SLUICE_CHROMIUM" >&2
  exit 1
fi

# Two test processes may get here at once; dpkg takes one installer at a time.
exec 9>"${TMPDIR:-/tmp}/sluice-chromium.lock"
flock 9
if [ ! -x "$BIN" ]; then
  export DEBIAN_FRONTEND=noninteractive
  echo "sluice: installing chromium for the browser tests (apt-get)..." >&2
  if ! apt-get install -y -q --no-install-recommends chromium >&2; then
    apt-get update -q >&2
    apt-get install -y -q --no-install-recommends chromium >&2
  fi
fi
if [ ! -x "$BIN" ]; then
  echo "sluice: chromium was installed but $BIN is not there" >&2
  exit 1
fi
echo "$BIN"
