#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL server: initdb into a temp dir, start it on a free port on
# 127.0.0.1, export SAFEENOUGH_TEST_POSTGRES_URL, run the command, then stop the server and delete it.
# Installs Debian's postgresql package if no initdb is found. Fails loudly if the server cannot start.
set -euo pipefail

find_pg_bin() {
  local candidate
  for candidate in /usr/lib/postgresql/*/bin; do
    [ -x "$candidate/initdb" ] && { echo "$candidate"; return 0; }
  done
  return 1
}

if ! PG_BIN=$(find_pg_bin); then
  echo "with-postgres: PostgreSQL not found; installing Debian's postgresql package" >&2
  if [ "$(id -u)" -ne 0 ]; then
    echo "with-postgres: need root (or sudo) to apt-get install postgresql; install it and re-run" >&2
    exit 1
  fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  PG_BIN=$(find_pg_bin) || { echo "with-postgres: postgresql install failed" >&2; exit 1; }
fi

PG_DIR=$(mktemp -d /tmp/safeenough-pg.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
[ "$(id -u)" -eq 0 ] && chown postgres "$PG_DIR"

cleanup() {
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
trap cleanup EXIT

as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres -E UTF8 >"$PG_DIR/initdb.log" 2>&1 \
  || { cat "$PG_DIR/initdb.log" >&2; echo "with-postgres: initdb failed" >&2; exit 1; }
as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
  -o "-p $PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null \
  || { cat "$PG_DIR/server.log" >&2; echo "with-postgres: PostgreSQL did not start" >&2; exit 1; }
as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres safeenough_test

export SAFEENOUGH_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/safeenough_test"
echo "with-postgres: throwaway PostgreSQL on port $PORT" >&2
"$@"
