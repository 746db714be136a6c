#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL server, then tear the server down.
#
#   tools/pg/pg_throwaway.sh COMMAND [ARGS...]
#
# Installs Debian's `postgresql` when no initdb is found (needs root or sudo), creates a
# cluster in a temporary folder (initdb and pg_ctl as the `postgres` user when run as
# root: the server refuses to run as root), starts it on a free port of 127.0.0.1 and runs
# COMMAND with CCTRACE_TEST_PG_URL set to its SQLAlchemy URL. The server is stopped and
# its folder removed when the script exits, whether COMMAND passed, failed or was
# interrupted; the script exits with COMMAND's status.
#
# The cluster is for tests only: fsync is off (a crash of the machine loses it, which is
# all a throwaway cluster may lose), and anyone on this machine may connect (trust).
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi

find_bin() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$found" ] && [ -x "$found/initdb" ]; then
        echo "$found"
    fi
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

PG_BIN=$(find_bin)
if [ -z "$PG_BIN" ]; then
    echo "pg_throwaway: installing Debian's postgresql" >&2
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends postgresql >&2
    PG_BIN=$(find_bin)
    if [ -z "$PG_BIN" ]; then
        echo "pg_throwaway: postgresql installed but no initdb under /usr/lib/postgresql" >&2
        exit 1
    fi
fi

# The server must not run as root: as root, run its tools as the `postgres` user.
if [ "$(id -u)" -eq 0 ]; then
    RUN_AS=(runuser -u postgres --)
else
    RUN_AS=()
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cctrace-pg.XXXXXX")
DATA="$WORK/data"
LOG="$WORK/server.log"
started=0

teardown() {
    local status=$?
    if [ "$started" -eq 1 ]; then
        "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$WORK"
fi

"${RUN_AS[@]}" "$PG_BIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
    >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log" >&2; exit 1; }

# A free port: bind port 0, read what the kernel gave, let it go. Another process could
# take it before the server does; then start fails below, loudly, and a rerun gets another.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

started=1
"${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start -o \
    "-p $PORT -k $WORK -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    >/dev/null || { cat "$LOG" >&2; exit 1; }

export CCTRACE_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
echo "pg_throwaway: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT" >&2
"$@"
