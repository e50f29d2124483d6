#!/usr/bin/env bash
# Prints the path of a Temporal CLI (dev server + Web UI), installing it when none is found.
# Order: $TEMPORAL_CLI, the project's .tools/bin/temporal, `temporal` on PATH, then a build with
# `go install` into .tools/bin. A copy of the built binary is kept in the user cache so a fresh
# checkout on the same machine starts in seconds instead of rebuilding (the build takes minutes).
set -euo pipefail

VERSION="v1.5.1"   # the newest tag `go install` accepts for the CLI
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools/bin"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/sluice/temporal-$VERSION"

if [ -n "${TEMPORAL_CLI:-}" ]; then
  [ -x "$TEMPORAL_CLI" ] || { echo "TEMPORAL_CLI=$TEMPORAL_CLI is not an executable file" >&2; exit 1; }
  echo "$TEMPORAL_CLI"; exit 0
fi
if [ -x "$TOOLS/temporal" ]; then echo "$TOOLS/temporal"; exit 0; fi
if command -v temporal >/dev/null 2>&1; then command -v temporal; exit 0; fi

mkdir -p "$TOOLS"
if [ -x "$CACHE/temporal" ]; then
  cp "$CACHE/temporal" "$TOOLS/temporal"
  echo "$TOOLS/temporal"; exit 0
fi

GO="$(command -v go || true)"
[ -z "$GO" ] && [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go
if [ -z "$GO" ]; then
  cat >&2 <<MSG
sluice: the Temporal CLI is needed for the dev server and the tests, and neither 'temporal'
nor Go was found. Either
  - install Go (https://go.dev/doc/install, or your package manager's 'golang' package) and run
    this again: it builds the CLI with 'go install github.com/temporalio/cli/cmd/temporal@$VERSION', or
  - install the Temporal CLI yourself (https://docs.temporal.io/cli) and put it on PATH, or
  - point TEMPORAL_CLI at an existing binary.
MSG
  exit 1
fi

echo "sluice: building the Temporal CLI $VERSION with go install (first time only, a few minutes)..." >&2
GOBIN="$TOOLS" "$GO" install "github.com/temporalio/cli/cmd/temporal@$VERSION" >&2
mkdir -p "$CACHE" && cp "$TOOLS/temporal" "$CACHE/temporal.tmp" && mv "$CACHE/temporal.tmp" "$CACHE/temporal"
echo "$TOOLS/temporal"
