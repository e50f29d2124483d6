#!/usr/bin/env bash
# Prints the command of a Docker Compose tool for test/cluster/compose.test.ts, which only runs
# `config` (no Docker engine needed): `docker compose` when the plugin is there, else Debian's
# `docker-compose` (v1.29), installed with apt-get (as root, non-interactively, without the
# engine it recommends) when missing. Everything but the command goes to stderr.
set -euo pipefail

if docker compose version >/dev/null 2>&1; then echo "docker compose"; exit 0; fi
if command -v docker-compose >/dev/null 2>&1; then echo "docker-compose"; exit 0; fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null; then
  echo "sluice: the compose test needs 'docker compose' or 'docker-compose'; install Debian's docker-compose package (or Docker's compose plugin)" >&2
  exit 1
fi
exec 9>"${TMPDIR:-/tmp}/sluice-apt.lock"
flock 9
if ! command -v docker-compose >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  echo "sluice: installing docker-compose for the compose test (apt-get)..." >&2
  if ! apt-get install -y -q --no-install-recommends docker-compose >&2; then
    apt-get update -q >&2
    apt-get install -y -q --no-install-recommends docker-compose >&2
  fi
fi
command -v docker-compose >/dev/null 2>&1 || { echo "sluice: docker-compose was installed but is not on PATH" >&2; exit 1; }
echo "docker-compose"
