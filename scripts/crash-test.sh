#!/usr/bin/env bash
# Crash safety: a write load (drafts published, service orders opened, votes cast) runs against
# `kejiyun serve` while the server is killed with SIGKILL at random moments and restarted.
# Afterwards the writer stops, the server is killed once more, and every write the client saw
# acknowledged (HTTP 201) is checked in the database itself (sqlite3 / psql, not through the
# server): present, unchanged, with its audit entry (needs and orders), votes counted on their
# candidate; counters equal to their rows and no orphans. Too few acknowledged writes (of each
# kind overall, or between two kills) fail the test too: a run that wrote nothing proves nothing.
# Last line:
#   acknowledged=N present=N lost=0 kills=K tasks_enqueued=N tasks_done=N duplicates=0 dead=0
# (tasks: each acknowledged order's notice to the organisation's steward, read from the database)
#
# Usage: scripts/crash-test.sh [--kills K] [--database-url postgres://…]
#   (default: 6 kills on the embedded SQLite database; KEJIYUN_BIN overrides the binary)
set -euo pipefail
cd "$(dirname "$0")/.."
# The backend is chosen by --database-url alone: `serve` would also read DATABASE_URL from the
# environment (as .ci/run exports it for the test suite), turning the SQLite run into a PostgreSQL one.
unset DATABASE_URL KEJIYUN_DATA_DIR

KILLS=6
DATABASE_URL_ARG=""
while [ $# -gt 0 ]; do
  case "$1" in
    --kills) KILLS="$2"; shift 2 ;;
    --database-url) DATABASE_URL_ARG="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

BIN="${KEJIYUN_BIN:-target/release/kejiyun}"
if [ ! -x "$BIN" ]; then
  cargo build --release -p kejiyun-server >&2
fi
command -v jq >/dev/null || { echo "jq is needed (apt-get install jq)" >&2; exit 2; }

WORK="$(mktemp -d)"
PORT=$((20000 + RANDOM % 20000))
BASE="http://127.0.0.1:$PORT"
ACKED="$WORK/acknowledged.tsv"
: > "$ACKED"
SERVER_PID=""
WRITER_PID=""
cleanup() {
  [ -n "$WRITER_PID" ] && kill "$WRITER_PID" 2>/dev/null || true
  [ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

start_server() {
  # A short task lease, so that tasks a killed server held run again within the test.
  local args=(serve --data-dir "$WORK" --bind "127.0.0.1:$PORT" --register-rate 0 --publish-rate 0 --search-rate 0
    --task-lease-secs 2)
  [ -n "$DATABASE_URL_ARG" ] && args+=(--database-url "$DATABASE_URL_ARG")
  RUST_LOG=warn "$BIN" "${args[@]}" >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    curl -fs "$BASE/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server did not start; log:" >&2
  tail -20 "$WORK/server.log" >&2
  exit 1
}

SUFFIX="$(date +%s)$RANDOM"
# The poll's organiser is an admin, made with the CLI before the server starts.
ADMIN="crash_admin_$SUFFIX"
admin_args=(admin create --data-dir "$WORK" --username "$ADMIN" --region 510000 --display-name 崩溃测试管理员)
[ -n "$DATABASE_URL_ARG" ] && admin_args+=(--database-url "$DATABASE_URL_ARG")
printf 'kjy-secret-2026\n' | RUST_LOG=warn "$BIN" "${admin_args[@]}" >>"$WORK/server.log" 2>&1
start_server
USERNAME="crash_$SUFFIX"
CODE="$(printf '91510300%09d' $((RANDOM * 1000 + RANDOM % 1000)))"
# A valid credit code needs its check character; ask the server which one by trying all 31.
for c in 0 1 2 3 4 5 6 7 8 9 A B C D E F G H J K L M N P Q R T U W X Y; do
  status=$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' -X POST "$BASE/api/v1/auth/register" \
    -d "{\"username\":\"$USERNAME\",\"password\":\"kjy-secret-2026\",\"role\":\"org\",\"display_name\":\"崩溃测试\",\"region_code\":\"510321\",\"org_name\":\"崩溃测试有限公司$SUFFIX\",\"credit_code\":\"${CODE}$c\",\"org_type\":\"enterprise\"}")
  [ "$status" = 201 ] && break
done
[ "$status" = 201 ] || { echo "could not register the test organisation" >&2; exit 1; }
login() {
  curl -fs -H 'content-type: application/json' -X POST "$BASE/api/v1/auth/login" \
    -d "{\"username\":\"$1\",\"password\":\"kjy-secret-2026\"}" | jq -r .token
}
TOKEN=$(login "$USERNAME")
ORG_ID=$(curl -fs -H "authorization: Bearer $TOKEN" "$BASE/api/v1/me" | jq -r .id)

# The organisation's steward: every order it opens enqueues one notice to the steward, in the
# transaction of the order (task queue), to be delivered exactly once whatever the kills.
ADMIN_TOKEN=$(login "$ADMIN")
STEWARD_ID=$(curl -fs -H "authorization: Bearer $ADMIN_TOKEN" -H 'content-type: application/json' \
  -X POST "$BASE/api/v1/admin/users" \
  -d "{\"username\":\"${USERNAME}_s\",\"password\":\"kjy-secret-2026\",\"role\":\"steward\",\"display_name\":\"崩溃测试专员\",\"region_code\":\"510321\"}" | jq -r .id)
curl -fs -o /dev/null -H "authorization: Bearer $ADMIN_TOKEN" -H 'content-type: application/json' \
  -X POST "$BASE/api/v1/orgs/$ORG_ID/steward" -d "{\"steward_id\":$STEWARD_ID}"

# A poll of 40 candidates, open today and tomorrow (China time), and six voters who may each vote
# for every candidate once a day.
TODAY=$(TZ=Asia/Shanghai date +%F)
TOMORROW=$(TZ=Asia/Shanghai date -d tomorrow +%F)
CANDIDATES=$(for i in $(seq 1 40); do printf '{"name":"候选人%s"},' "$i"; done)
POLL=$(curl -fs -H "authorization: Bearer $(login "$ADMIN")" -H 'content-type: application/json' \
  -X POST "$BASE/api/v1/admin/polls" \
  -d "{\"title\":\"崩溃测试投票\",\"region_code\":\"510000\",\"starts_on\":\"$TODAY\",\"ends_on\":\"$TOMORROW\",\"votes_per_day\":40,\"candidates\":[${CANDIDATES%,}]}")
POLL_ID=$(jq -r .poll.id <<<"$POLL")
mapfile -t CANDIDATE_IDS < <(jq -r '.candidates[].id' <<<"$POLL")
VOTERS=()
for v in 0 1 2 3 4 5; do
  curl -fs -o /dev/null -H 'content-type: application/json' -X POST "$BASE/api/v1/auth/register" \
    -d "{\"username\":\"${USERNAME}_v$v\",\"password\":\"kjy-secret-2026\",\"role\":\"public\",\"display_name\":\"投票人$v\",\"region_code\":\"510104\"}"
  VOTERS+=("$(login "${USERNAME}_v$v")")
done

# The writer: each acknowledged write is recorded as kind<TAB>id<TAB>title.
writer() {
  local n=0
  while true; do
    n=$((n + 1))
    local title="崩溃测试需求第${n}条"
    local reply
    if [ $((n % 3)) = 0 ]; then
      reply=$(curl -s -m 10 -w '\n%{http_code}' -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
        -X POST "$BASE/api/v1/orders" \
        -d "{\"order_type\":\"政策咨询\",\"title\":\"$title\",\"description\":\"想了解高新技术企业认定的条件与流程。\"}" || true)
      if [ "$(tail -n1 <<<"$reply")" = 201 ]; then
        printf 'order\t%s\t%s\n' "$(head -n -1 <<<"$reply" | jq -r .order.id)" "$title" >> "$ACKED"
      fi
    elif [ $((n % 3)) = 1 ]; then
      # Each (voter, candidate) pair once: six voters times forty candidates.
      local k=$((n / 3))
      local voter=$((k % 6))
      local candidate=${CANDIDATE_IDS[$(((k / 6) % 40))]}
      reply=$(curl -s -m 10 -w '\n%{http_code}' -H "authorization: Bearer ${VOTERS[$voter]}" \
        -H 'content-type: application/json' -X POST "$BASE/api/v1/polls/$POLL_ID/votes" \
        -d "{\"candidate_id\":$candidate}" || true)
      if [ "$(tail -n1 <<<"$reply")" = 201 ]; then
        printf 'vote\t%s\t%s:%s\n' "$(head -n -1 <<<"$reply" | jq -r .vote_id)" "$voter" "$candidate" >> "$ACKED"
      fi
    else
      reply=$(curl -s -m 10 -w '\n%{http_code}' -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
        -X POST "$BASE/api/v1/needs" \
        -d "{\"title\":\"$title\",\"description\":\"我公司每年产生大量白酒丢糟，希望寻求饲料化利用技术。\",\"industry\":\"白酒\"}" || true)
      if [ "$(tail -n1 <<<"$reply")" = 201 ]; then
        printf 'need\t%s\t%s\n' "$(head -n -1 <<<"$reply" | jq -r .id)" "$title" >> "$ACKED"
      fi
    fi
  done
}
writer &
WRITER_PID=$!

# The fewest acknowledged writes of each kind over the run, and of any kind between two kills.
MIN_PER_KIND="${KEJIYUN_CRASH_MIN_PER_KIND:-10}"
MIN_BETWEEN_KILLS="${KEJIYUN_CRASH_MIN_BETWEEN_KILLS:-3}"
too_few=0
previous=0
for k in $(seq 1 "$KILLS"); do
  sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 1 + (r % 2000) / 1000 }')"
  kill -9 "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  now=$(wc -l < "$ACKED")
  echo "kill $k after $now acknowledged writes" >&2
  if [ $((now - previous)) -lt "$MIN_BETWEEN_KILLS" ]; then
    echo "too few writes acknowledged before kill $k: $((now - previous)) < $MIN_BETWEEN_KILLS" >&2
    too_few=$((too_few + 1))
  fi
  previous=$now
  start_server
done
sleep 1
kill "$WRITER_PID" 2>/dev/null || true
wait "$WRITER_PID" 2>/dev/null || true
WRITER_PID=""
# A write in flight when the writer stopped may have been acknowledged after the last line.
sleep 0.5
# Once more, with no writer: what was acknowledged must be on disk, not in a live process.
kill -9 "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""
for kind in need order vote; do
  n=$(cut -f1 "$ACKED" | grep -cx "$kind" || true)
  if [ "$n" -lt "$MIN_PER_KIND" ]; then
    echo "too few $kind writes acknowledged: $n < $MIN_PER_KIND" >&2
    too_few=$((too_few + 1))
  fi
done

sql() {
  if [ -n "$DATABASE_URL_ARG" ]; then
    psql -w -At -F $'\t' "$DATABASE_URL_ARG" -c "$1"
  else
    sqlite3 -separator $'\t' "$WORK/kejiyun.db" "$1"
  fi
}

# Straight from the database: the rows, their audit entries, the votes and the counters.
sql "SELECT id, title FROM items WHERE kind = 'need' AND owner_id = $ORG_ID" > "$WORK/needs.tsv"
sql "SELECT id, title FROM service_orders WHERE org_id = $ORG_ID" > "$WORK/orders.tsv"
sql "SELECT entity || ':' || entity_id, COUNT(*) FROM audit_log WHERE (entity = 'need' AND action = 'create') \
     OR (entity = 'service_order' AND action = 'open') GROUP BY entity, entity_id" > "$WORK/audited.tsv"
sql "SELECT v.id, u.username || ':' || v.candidate_id FROM votes v JOIN users u ON u.id = v.voter_id \
     WHERE v.poll_id = $POLL_ID" | sed "s/\t${USERNAME}_v/\t/" > "$WORK/votes.tsv"
# Counters equal to their rows: each candidate's vote_count, each voter's daily quota.
bad_counters=$(sql "SELECT COUNT(*) FROM poll_candidates c WHERE c.poll_id = $POLL_ID \
  AND c.vote_count <> (SELECT COUNT(*) FROM votes v WHERE v.candidate_id = c.id)")
bad_quotas=$(sql "SELECT COUNT(*) FROM vote_quotas q WHERE q.poll_id = $POLL_ID \
  AND q.used <> (SELECT COUNT(*) FROM votes v WHERE v.poll_id = q.poll_id AND v.voter_id = q.voter_id AND v.voted_on = q.voted_on)")
# No orphans: audit entries of rows that are not there, votes without their quota row.
orphans=$(sql "SELECT (SELECT COUNT(*) FROM audit_log a WHERE a.entity = 'need' AND NOT EXISTS (SELECT 1 FROM items i WHERE i.id = a.entity_id)) \
  + (SELECT COUNT(*) FROM audit_log a WHERE a.entity = 'service_order' AND NOT EXISTS (SELECT 1 FROM service_orders o WHERE o.id = a.entity_id)) \
  + (SELECT COUNT(*) FROM votes v WHERE NOT EXISTS (SELECT 1 FROM vote_quotas q WHERE q.poll_id = v.poll_id AND q.voter_id = v.voter_id AND q.voted_on = v.voted_on))")
[ "$bad_counters" = 0 ] || echo "candidates whose counter differs from their votes: $bad_counters" >&2
[ "$bad_quotas" = 0 ] || echo "daily quotas that differ from their votes: $bad_quotas" >&2
[ "$orphans" = 0 ] || echo "orphan rows: $orphans" >&2

acknowledged=0
present=0
while IFS=$'\t' read -r kind id title; do
  acknowledged=$((acknowledged + 1))
  case "$kind" in
    vote) got=$(awk -F'\t' -v i="$id" '$1 == i { print $2 }' "$WORK/votes.tsv"); audited=1 ;;
    need)
      got=$(awk -F'\t' -v i="$id" '$1 == i { print $2 }' "$WORK/needs.tsv")
      audited=$(awk -F'\t' -v k="need:$id" '$1 == k { print $2 }' "$WORK/audited.tsv") ;;
    order)
      got=$(awk -F'\t' -v i="$id" '$1 == i { print $2 }' "$WORK/orders.tsv")
      audited=$(awk -F'\t' -v k="service_order:$id" '$1 == k { print $2 }' "$WORK/audited.tsv") ;;
  esac
  if [ "$got" = "$title" ] && [ "${audited:-0}" = 1 ]; then
    present=$((present + 1))
  else
    echo "missing or half-written: $kind $id ($title): got '$got', audit entries ${audited:-0}" >&2
  fi
done < "$ACKED"

# The task queue needs a running server: tasks a killed server held run again after their lease.
start_server
# The queue: wait until no task is waiting or running (tasks a killed server held run again after
# their lease), then read the steward's notices from the database itself.
for _ in $(seq 1 60); do
  pending=$(sql "SELECT COUNT(*) FROM tasks WHERE state IN ('queued', 'running') AND kind = 'notify'")
  [ "$pending" = 0 ] && break
  sleep 1
done
sql "SELECT link, COUNT(*) FROM notifications WHERE user_id = $STEWARD_ID AND kind = 'service_order' GROUP BY link" \
  > "$WORK/notices.tsv"
dead=$(sql "SELECT COUNT(*) FROM tasks WHERE state = 'dead'")
tasks_enqueued=0
tasks_done=0
duplicates=0
while IFS=$'\t' read -r kind id title; do
  [ "$kind" = order ] || continue
  tasks_enqueued=$((tasks_enqueued + 1))
  n=$(awk -F'\t' -v l="/orders/$id" '$1 == l { print $2 }' "$WORK/notices.tsv")
  case "${n:-0}" in
    0) echo "notice missing: order $id" >&2 ;;
    1) tasks_done=$((tasks_done + 1)) ;;
    *) duplicates=$((duplicates + n - 1)); tasks_done=$((tasks_done + 1)); echo "notice duplicated: order $id ($n)" >&2 ;;
  esac
done < "$ACKED"

echo "acknowledged by kind: $(cut -f1 "$ACKED" | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }')" >&2
echo "acknowledged=$acknowledged present=$present lost=$((acknowledged - present)) kills=$KILLS tasks_enqueued=$tasks_enqueued tasks_done=$tasks_done duplicates=$duplicates dead=$dead counters_off=$((bad_counters + bad_quotas)) orphans=$orphans too_few=$too_few"
[ "$present" = "$acknowledged" ] && [ "$tasks_done" = "$tasks_enqueued" ] && [ "$duplicates" = 0 ] && [ "$dead" = 0 ] \
  && [ "$bad_counters" = 0 ] && [ "$bad_quotas" = 0 ] && [ "$orphans" = 0 ] && [ "$too_few" = 0 ]
