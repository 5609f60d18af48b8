#!/usr/bin/env bash
# Load figures (a benchmark, not a test): wrk drives 64 connections at the bare /healthz endpoint
# (the ceiling of the stack on this machine), an item page (HTML), the search API, the publish
# API and login, against a release build with the demo data. Prints requests/s, p50, p99 and the
# ratio to /healthz for each. The load generator shares the machine's cores with the server.
#
# Usage: scripts/load.sh [--seconds S] [--warmup S] [--database-url postgres://…/empty_db] [--search-rate N]
#   --search-rate: the search quota per address per 10 s (default 0, off); a quota large enough
#   never to refuse measures what counting it costs (on PostgreSQL, one upsert per search).
set -euo pipefail
cd "$(dirname "$0")/.."
# The backend is chosen by --database-url alone: `serve` would also read DATABASE_URL from the
# environment (as .ci/run exports it for the test suite), turning the SQLite run into a PostgreSQL one.
unset DATABASE_URL KEJIYUN_DATA_DIR

SECONDS_EACH=10
WARMUP_SECONDS=3
DATABASE_URL_ARG=""
SEARCH_RATE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_EACH="$2"; shift 2 ;;
    --database-url) DATABASE_URL_ARG="$2"; shift 2 ;;
    --warmup) WARMUP_SECONDS="$2"; shift 2 ;;
    --search-rate) SEARCH_RATE="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }
command -v jq >/dev/null || { echo "jq is needed: apt-get install jq" >&2; exit 2; }
BIN="${KEJIYUN_BIN:-target/release/kejiyun}"
[ -x "$BIN" ] || cargo build --release -p kejiyun-server >&2

WORK="$(mktemp -d)"
PORT=$((20000 + RANDOM % 20000))
BASE="http://127.0.0.1:$PORT"
SERVER_PID=""
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"' EXIT

args=(serve --demo --data-dir "$WORK" --bind "127.0.0.1:$PORT" --register-rate 0 --publish-rate 0 --search-rate "$SEARCH_RATE")
[ -n "$DATABASE_URL_ARG" ] && args+=(--database-url "$DATABASE_URL_ARG")
RUST_LOG=warn "$BIN" "${args[@]}" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 1200); do
  curl -fs "$BASE/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "$BASE/healthz" >/dev/null || { tail -20 "$WORK/server.log" >&2; exit 1; }

ITEM=$(curl -fs "$BASE/api/v1/needs?per_page=1" | jq -r '.items[0].id')
TOKEN=$(curl -fs -H 'content-type: application/json' -X POST "$BASE/api/v1/auth/login" \
  -d '{"username":"org001","password":"demo2026pass"}' | jq -r .token)
QUERY=$(jq -rn --arg q "酒糟 饲料" '$q|@uri')

cat >"$WORK/publish.lua" <<EOF
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer $TOKEN"
wrk.body = '{"title":"压测发布的技术需求","description":"压力测试：白酒丢糟饲料化利用技术需求，草稿保存。","industry":"白酒"}'
EOF
cat >"$WORK/login.lua" <<'EOF'
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.body = '{"username":"expert001","password":"demo2026pass"}'
EOF

# run NAME URL [LUA] → "rps p50_ms p99_ms"; a short unmeasured run first fills caches and lets
# the database settle after the demo load (autovacuum, index merges), as a warm server would be.
run() {
  local out
  if [ -n "${3:-}" ]; then
    wrk -t2 -c64 -d"${WARMUP_SECONDS}s" -s "$3" "$2" >/dev/null
  else
    wrk -t2 -c64 -d"${WARMUP_SECONDS}s" "$2" >/dev/null
  fi
  if [ -n "${3:-}" ]; then
    out=$(wrk -t2 -c64 -d"${SECONDS_EACH}s" --latency -s "$3" "$2")
  else
    out=$(wrk -t2 -c64 -d"${SECONDS_EACH}s" --latency "$2")
  fi
  local rps p50 p99
  rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
  p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  local errors
  errors=$(awk '/Non-2xx or 3xx responses:/ { print $5 }' <<<"$out")
  echo "$rps $(to_ms "$p50") $(to_ms "$p99") ${errors:-0}"
}
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.2f", v * 1000 }
    else print v }'
}

backend=$([ -n "$DATABASE_URL_ARG" ] && echo PostgreSQL || echo SQLite)
read -r h_rps h_p50 h_p99 h_err <<<"$(run healthz "$BASE/healthz")"
printf '| %s | %s | req/s | p50 ms | p99 ms | × /healthz | non-2xx |\n|---|---|---|---|---|---|---|\n' "backend" "endpoint"
printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$backend" "/healthz" "$h_rps" "$h_p50" "$h_p99" "1.00" "$h_err"
for spec in "item page (HTML)|$BASE/needs/$ITEM|" "search API|$BASE/api/v1/needs?q=$QUERY|" \
            "publish API|$BASE/api/v1/needs|$WORK/publish.lua" "login|$BASE/api/v1/auth/login|$WORK/login.lua"; do
  IFS='|' read -r name url lua <<<"$spec"
  read -r rps p50 p99 err <<<"$(run "$name" "$url" "$lua")"
  ratio=$(awk -v a="$rps" -v b="$h_rps" 'BEGIN { printf "%.3f", a / b }')
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$backend" "$name" "$rps" "$p50" "$p99" "$ratio" "$err"
done
