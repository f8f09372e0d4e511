#!/usr/bin/env bash
# Scale-out tests: a Chroma server and a PostgreSQL server on loopback, then `pytest -m scaleout tests/scaleout`.
# Both servers live in a temporary folder and are stopped on exit, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
BIN="$ROOT/.venv/bin"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false ANONYMIZED_TELEMETRY=False

PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
  echo "scaleout: PostgreSQL is not installed (apt-get install postgresql)" >&2
  exit 1
fi
if [ ! -x "$BIN/chroma" ]; then
  echo "scaleout: $BIN/chroma not found (make setup)" >&2
  exit 1
fi

free_port() { "$BIN/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

WORK="$(mktemp -d /tmp/understudy-scaleout.XXXXXX)"
chmod 755 "$WORK"
PGDATA="$WORK/pg"
CHROMA_DIR="$WORK/chroma"
PG_PORT="$(free_port)"
CHROMA_PORT="$(free_port)"
CHROMA_PID=""

# PostgreSQL refuses to run as root: use the `postgres` system user (created if missing) when we are root.
if [ "$(id -u)" = "0" ]; then
  id -u postgres >/dev/null 2>&1 || useradd --system --home-dir "$WORK" --shell /usr/sbin/nologin postgres
  PG_USER=postgres
  as_pg() { runuser -u postgres -- "$@"; }
else
  PG_USER="$(id -un)"
  as_pg() { "$@"; }
fi
mkdir -p "$PGDATA"
chown "$PG_USER" "$PGDATA"
chmod 700 "$PGDATA"

cleanup() {
  set +e
  if [ -n "$CHROMA_PID" ] && kill -0 "$CHROMA_PID" 2>/dev/null; then
    kill "$CHROMA_PID"
    wait "$CHROMA_PID" 2>/dev/null
  fi
  if [ -f "$PGDATA/postmaster.pid" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

echo "scaleout: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $NF}') on 127.0.0.1:$PG_PORT"
as_pg "$PG_BIN/initdb" -D "$PGDATA" -U "$PG_USER" --auth=trust -E UTF8 --no-locale >"$WORK/initdb.log" 2>&1 \
  || { cat "$WORK/initdb.log" >&2; exit 1; }
as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PGDATA -c fsync=off" start >/dev/null \
  || { cat "$PGDATA/server.log" >&2; exit 1; }
as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" understudy

echo "scaleout: Chroma server on 127.0.0.1:$CHROMA_PORT"
"$BIN/chroma" run --path "$CHROMA_DIR" --host 127.0.0.1 --port "$CHROMA_PORT" >"$WORK/chroma.log" 2>&1 &
CHROMA_PID=$!
for _ in $(seq 1 120); do
  if "$BIN/python" -c "import sys, urllib.request; urllib.request.urlopen('http://127.0.0.1:$CHROMA_PORT/api/v2/heartbeat', timeout=1)" 2>/dev/null; then
    break
  fi
  kill -0 "$CHROMA_PID" 2>/dev/null || { cat "$WORK/chroma.log" >&2; echo "scaleout: chroma exited" >&2; exit 1; }
  sleep 0.5
done

export UNDERSTUDY_DATABASE_URL="postgresql+psycopg://$PG_USER@127.0.0.1:$PG_PORT/understudy"
export UNDERSTUDY_CHROMA_URL="http://127.0.0.1:$CHROMA_PORT"
"$BIN/python" -m pytest -q -m scaleout tests/scaleout "$@"
