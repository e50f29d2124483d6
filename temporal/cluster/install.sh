#!/usr/bin/env bash
# Prints the directory of a Temporal server build (bin/temporal-server, bin/temporal-sql-tool and
# the PostgreSQL schema files), building it when none is found. Order: $TEMPORAL_SERVER_HOME, the
# project's .tools/temporal-server-<version>, a copy in the user cache, then `go install` of the
# server and its schema tool from the Go module proxy. The build takes minutes the first time; the
# cache copy makes later runs and fresh checkouts on the same machine start in seconds.
set -euo pipefail

VERSION="v1.29.1"   # the server the CLI v1.5.1 embeds: dev server and cluster run the same code
MODULE="go.temporal.io/server"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HOME_DIR="$ROOT/.tools/temporal-server-$VERSION"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/sluice/temporal-server-$VERSION"

complete() { [ -x "$1/bin/temporal-server" ] && [ -x "$1/bin/temporal-sql-tool" ] && [ -d "$1/schema/postgresql/v12/temporal/versioned" ]; }

if [ -n "${TEMPORAL_SERVER_HOME:-}" ]; then
  complete "$TEMPORAL_SERVER_HOME" || { echo "TEMPORAL_SERVER_HOME=$TEMPORAL_SERVER_HOME lacks bin/temporal-server, bin/temporal-sql-tool or schema/postgresql/v12" >&2; exit 1; }
  echo "$TEMPORAL_SERVER_HOME"; exit 0
fi
if complete "$HOME_DIR"; then echo "$HOME_DIR"; exit 0; fi
if complete "$CACHE"; then
  rm -rf "$HOME_DIR" && mkdir -p "$(dirname "$HOME_DIR")" && cp -a "$CACHE" "$HOME_DIR"
  echo "$HOME_DIR"; exit 0
fi

GO="$(command -v go || true)"
[ -z "$GO" ] && [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go
if [ -z "$GO" ]; then
  cat >&2 <<MSG
sluice: the Temporal server is built from source with Go, and Go was not found. Either
  - install Go (https://go.dev/doc/install, or your package manager's 'golang' package) and run
    this again: it runs 'go install $MODULE/cmd/server@$VERSION' and '.../cmd/tools/sql@$VERSION', or
  - point TEMPORAL_SERVER_HOME at a directory with bin/temporal-server, bin/temporal-sql-tool and
    the server's schema/ folder (the temporalio/server and temporalio/admin-tools images hold them).
MSG
  exit 1
fi

echo "sluice: building the Temporal server $VERSION and its schema tool with go install (first time only, several minutes)..." >&2
BUILD="$(mktemp -d)"
trap 'rm -rf "$BUILD"' EXIT
mkdir -p "$BUILD/bin"
# Outside any module, so the server's own go.mod pins every dependency.
(cd "$BUILD" && GOBIN="$BUILD/bin" GOFLAGS=-buildvcs=false "$GO" install "$MODULE/cmd/server@$VERSION" "$MODULE/cmd/tools/sql@$VERSION") >&2
mv "$BUILD/bin/server" "$BUILD/bin/temporal-server"
mv "$BUILD/bin/sql" "$BUILD/bin/temporal-sql-tool"
# The schema files and reference configs ship in the module that go install just downloaded.
SRC="$(cd "$BUILD" && "$GO" mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -d "$SRC/schema/postgresql/v12" ] || { echo "sluice: no schema/postgresql/v12 in $SRC" >&2; exit 1; }
mkdir -p "$BUILD/schema/postgresql" "$BUILD/config"
cp -r "$SRC/schema/postgresql/v12" "$BUILD/schema/postgresql/"
cp "$SRC/config/development-postgres12.yaml" "$BUILD/config/"
chmod -R u+w "$BUILD/schema" "$BUILD/config"

mkdir -p "$(dirname "$CACHE")"
rm -rf "$CACHE.tmp" && cp -a "$BUILD" "$CACHE.tmp" && rm -rf "$CACHE" && mv "$CACHE.tmp" "$CACHE"
rm -rf "$HOME_DIR" && mkdir -p "$(dirname "$HOME_DIR")" && cp -a "$CACHE" "$HOME_DIR"
echo "$HOME_DIR"
