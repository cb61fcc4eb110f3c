#!/usr/bin/env bash
# Lesson 9's server beside a lecture-style Python server (app.py), in one run, on one database:
# both serve the same throwaway database, wrk loads each endpoint of each server the same way, and
# the table gives req/s, p50, p99, CPU per request and the ratio lesson9/python.
#
#   bash tools/bench/peer/compare.sh              # 2 s warm-up, then 5 rounds of 4 s per endpoint and server
#   bash tools/bench/peer/compare.sh --smoke      # 1 s each, 1 round: proves it runs, measures nothing
#   bash tools/bench/peer/compare.sh --rounds 9 --seconds 5
#
# Needs: wrk (Debian: apt-get install wrk), python3 with venv, the mysql (or mariadb) client, cargo.
# The Python packages (requirements.txt) go into a venv under the target folder (PEER_VENV to change).
# Settings: the course's DB_HOST, DB_PORT, DB_USER, DB_PASSWORD (DB_PORT=3307 for MySQL 9.7), and
# PEER_UVICORN_ARGS, more uvicorn options for a what-if (e.g. "--no-access-log", "--http h11 --loop asyncio").
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
venv=${PEER_VENV:-$target/peer-venv}

rounds=5     # measured rounds, each endpoint on each server once per round
seconds=4    # per measurement in a round
warmup=2     # per endpoint and server, once, before the first round
connections=16
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) rounds=1; seconds=1; warmup=1 ;;
    --rounds) rounds=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --connections) connections=$2; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

export DB_HOST=${DB_HOST:-127.0.0.1} DB_PORT=${DB_PORT:-3306}
export DB_USER=${DB_USER:-tester} DB_PASSWORD=${DB_PASSWORD:-tester}
# Named as the test fixture names its databases (the prefix, then the pid of a live process), so a
# test run that sweeps the databases of dead runs leaves this one alone while the script runs.
db="llmagent_test_$$_peer"
readers=$connections   # users with 20 messages, read by GET; as many as wrk's connections
chatters=$connections  # users who chat

for tool in wrk python3 cargo curl; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (wrk: apt-get install wrk)" >&2; exit 1; }
done
mysql_client=$(command -v mysql || command -v mariadb) || { echo "no mysql client" >&2; exit 1; }
sql() { # runs SQL from stdin on $1 (a database, or "" for none); the password goes by environment
  MYSQL_PWD=$DB_PASSWORD "$mysql_client" --protocol=TCP -h "$DB_HOST" -P "$DB_PORT" -u "$DB_USER" \
    --batch --skip-column-names ${1:+"$1"}
}

# Everything this script starts is stopped, and the database dropped, however it ends.
pids=()
workdir=$(mktemp -d)
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "DROP DATABASE IF EXISTS \`$db\`" | sql "" 2>/dev/null || true
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# 1. The Python side: a venv with the pinned packages, made once.
if [ ! -x "$venv/bin/uvicorn" ]; then
  echo "Making the Python venv in $venv ..."
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet -r "$here/requirements.txt"
fi

# 2. Lesson 9's release build (only what is missing is built).
echo "Building lesson 9 (release) ..."
(cd "$root" && CARGO_TARGET_DIR=$target timeout 1800 cargo build --quiet -p lesson9 --release)

# 3. A throwaway database with the course schema, seeded as the bench seeds it: each reader has
#    10 exchanges (20 messages), each saved as lesson 8 saves one.
echo "CREATE DATABASE \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci" | sql ""
sql "$db" < "$root/docker/schema.sql"
{
  for i in $(seq 1 $((readers + chatters))); do
    echo "INSERT INTO users (name, email) VALUES ('peer $i', 'peer-$i@example.com');"
  done
  # Each user's token, stored as lesson 9 stores one (its SHA-256): "peer-token-<id>", made up for
  # this throwaway database only (a real token is random; POST /users makes one).
  echo "INSERT INTO user_tokens (token_hash, user_id) SELECT UNHEX(SHA2(CONCAT('peer-token-', id), 256)), id FROM users;"
  question="Why does a connection pool make a server faster?"
  answer="(offline agent) A connection pool opens connections once, lends one per request and takes it back."
  for user in $(seq 1 "$readers"); do
    for _ in $(seq 1 10); do
      echo "START TRANSACTION;"
      echo "INSERT INTO conversations (user_id, role, content) VALUES ($user, 'user', '$question');"
      echo "INSERT INTO conversations (user_id, role, content, reply_to) VALUES ($user, 'assistant', '$answer', LAST_INSERT_ID());"
      echo "COMMIT;"
    done
  done
} | sql "$db"
reader_ids=$(seq -s, 1 "$readers")
chatter_ids=$(seq -s, $((readers + 1)) $((readers + chatters)))
unknown=$((readers + chatters + 1000))

# 4. Both servers on free loopback ports, each stopping by itself after `bound` seconds at the
#    latest (should this script be killed before its trap runs). Lesson 9 first, as it runs by
#    default: no TLS is asked of it, since pymysql asks for none (MySQL 9.7 offers it), and the
#    mysql crate's prefer_socket moves its connections from 127.0.0.1 to the server's Unix socket
#    when the socket is reachable. The Python server is then given the transport lesson 9 ended up
#    on, as the server itself reports it, so both pay the same for each round trip.
bound=$(( (warmup + 35 + rounds * (seconds + 35)) * 4 + 120 ))
rust_port=$(free_port)
python_port=$(free_port)
env DB_NAME="$db" DB_SSL_MODE=disabled DB_AUTOSTART=0 AGENT=offline DB_POOL_SIZE=8 \
  APP_ADDR="127.0.0.1:$rust_port" "$target/release/lesson9" --serve-for "$bound" \
  >"$workdir/lesson9.log" 2>&1 &
pids+=($!)
rust_pid=$!

wait_ready() { # $1 name, $2 port, $3 pid: up to 60 s for a 200 on a reader's conversations
  for _ in $(seq 1 600); do
    if curl -fs -o /dev/null -H "Authorization: Bearer peer-token-1" \
      "http://127.0.0.1:$2/users/1/conversations"; then return 0; fi
    if ! kill -0 "$3" 2>/dev/null; then
      echo "$1 stopped before it served; its log:" >&2; cat "$workdir/$1.log" >&2; exit 1
    fi
    sleep 0.1
  done
  echo "$1 did not answer within 60 s; its log:" >&2; cat "$workdir/$1.log" >&2; exit 1
}
wait_ready lesson9 "$rust_port" "$rust_pid"
grep -q "^Agent: offline" "$workdir/lesson9.log" || {
  echo "lesson 9 is not using its offline agent; its log:" >&2; cat "$workdir/lesson9.log" >&2; exit 1
}
# SHOW PROCESSLIST's Host: "localhost" alone for a Unix socket, with ":port" for TCP.
lesson9_hosts=$(echo "SHOW PROCESSLIST" | sql "" | awk -F'\t' -v db="$db" '$4 == db { print $3 }' | sort -u)
if [ "$lesson9_hosts" = localhost ]; then
  socket=$(echo "SELECT @@socket" | sql "")
  transport="the Unix socket $socket for both servers (lesson 9's prefer_socket moved it there)"
else
  socket=""
  transport="TCP without TLS for both servers (the server sees lesson 9's connections as $(echo "$lesson9_hosts" | head -1), with a port)"
fi
read -ra extra <<<"${PEER_UVICORN_ARGS:-}"  # words, on purpose
(cd "$here" && exec env DB_NAME="$db" PEER_POOL_SIZE=4 PEER_UNIX_SOCKET="$socket" timeout "$bound" \
  "$venv/bin/uvicorn" app:app --host 127.0.0.1 --port "$python_port" --workers 2 "${extra[@]}") \
  >"$workdir/python.log" 2>&1 &
pids+=($!)
python_pid=$!
wait_ready python "$python_port" "$python_pid"

server_version=$(echo "SELECT VERSION()" | sql "")
echo
echo "Lesson 9 beside a lecture-style Python server, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "  database   $server_version at $DB_HOST:$DB_PORT, throwaway $db"
echo "  transport  $transport"
echo "  lesson9    release build, axum + lesson 5's r2d2 pool of 8, offline agent, on :$rust_port"
echo "  python     FastAPI + pymysql + the lecture's Queue pool, uvicorn --workers 2 ${PEER_UVICORN_ARGS:-}(4 connections each), on :$python_port"
echo "  load       wrk, 1 thread, $connections connections; ${warmup} s warm-up, then $rounds rounds of ${seconds} s per endpoint and server, interleaved"
echo "  machine    $(nproc) CPU cores shared by both servers, the database and wrk; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$venv/bin/python" "$here/check.py" "http://127.0.0.1:$rust_port" "http://127.0.0.1:$python_port" \
  1 "$((readers + 1))" "$unknown"

# CPU time (user + system, in clock ticks) of processes and all their descendants still running:
# lesson 9 is one process; uvicorn runs under `timeout`, a parent with two workers; the database one.
ticks() {
  local queue="$*" all="" total=0 pid
  while [ -n "$queue" ]; do  # the processes given, their children, grandchildren, ...
    all="$all $queue"
    queue=$(pgrep -P "$(echo "$queue" | tr -s ' ' '\n' | grep . | paste -sd,)" 2>/dev/null | paste -sd' ' || true)
  done
  for pid in $all; do
    [ -r "/proc/$pid/stat" ] || continue
    total=$((total + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat")))
  done
  echo "$total"
}
db_pid=$(ss -ltnpH "sport = :$DB_PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 || true)
tick=$(getconf CLK_TCK)

declare -A requests_of micros_of p50_of p99_of app_of db_of
measure() { # $1 endpoint, $2 server name, $3 port, $4 server pid, $5 seconds, $6 round ("" for a warm-up)
  local users=$reader_ids
  [ "$1" = chat ] && users=$chatter_ids
  local out app0 db0 app1 db1 requests micros p50us p99us socket_errors bad_status
  app0=$(ticks "$4"); db0=$(ticks ${db_pid:+"$db_pid"})
  out=$(timeout $(($5 + 30)) wrk -t1 -c"$connections" -d"${5}s" --timeout 10s \
    -s "$here/load.lua" "http://127.0.0.1:$3" -- "$1" "$users")
  app1=$(ticks "$4"); db1=$(ticks ${db_pid:+"$db_pid"})
  read -r _ requests micros p50us p99us socket_errors bad_status <<<"$(grep '^RESULT' <<<"$out")"
  if [ "$socket_errors" != 0 ] || [ "$bad_status" != 0 ]; then
    echo "$2 $1: $socket_errors socket errors and $bad_status answers that were not 2xx; wrk said:" >&2
    echo "$out" >&2; tail -20 "$workdir/$2.log" >&2; exit 1
  fi
  [ -n "$6" ] || return 0
  local key="$1,$2,$6"
  requests_of[$key]=$requests; micros_of[$key]=$micros; p50_of[$key]=$p50us; p99_of[$key]=$p99us
  app_of[$key]=$((app1 - app0)); db_of[$key]=$((db1 - db0))
  echo "  round $6/$rounds  $1 on $2: $requests requests" >&2
}

# A warm-up for each endpoint and server, then the rounds, interleaved: in each round every
# endpoint on both servers, the servers' order swapped every other round. A burst of someone else's
# work on the machine then spoils a round of both servers, not one server's whole figure.
for endpoint in conversations chat; do
  measure "$endpoint" lesson9 "$rust_port" "$rust_pid" "$warmup" ""
  measure "$endpoint" python "$python_port" "$python_pid" "$warmup" ""
done
for round in $(seq 1 "$rounds"); do
  servers=(lesson9 python)
  [ $((round % 2)) = 0 ] && servers=(python lesson9)
  for endpoint in conversations chat; do
    for server in "${servers[@]}"; do
      if [ "$server" = lesson9 ]; then
        measure "$endpoint" lesson9 "$rust_port" "$rust_pid" "$seconds" "$round"
      else
        measure "$endpoint" python "$python_port" "$python_pid" "$seconds" "$round"
      fi
    done
  done
done

# Every chat stored both rows: no question without its answer, in either server's writes.
orphans=$(echo "SELECT COUNT(*) FROM conversations q LEFT JOIN conversations a ON a.reply_to = q.id \
  WHERE q.role = 'user' AND a.id IS NULL" | sql "$db")
[ "$orphans" = 0 ] || { echo "$orphans questions have no answer" >&2; exit 1; }

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; } # the lower middle
per_round() { # $1 endpoint, $2 server, $3 what: req/s, p50, p99 of each round, one per line
  local round key
  for round in $(seq 1 "$rounds"); do
    key="$1,$2,$round"
    case "$3" in
      rps) awk -v n="${requests_of[$key]}" -v us="${micros_of[$key]}" 'BEGIN { print n / (us / 1e6) }' ;;
      p50) echo "${p50_of[$key]}" ;;
      p99) echo "${p99_of[$key]}" ;;
    esac
  done
}
cpu_per_request() { # $1 endpoint, $2 server, $3 app or db: µs of CPU per request over all rounds
  local round key ticks=0 requests=0
  for round in $(seq 1 "$rounds"); do
    key="$1,$2,$round"
    requests=$((requests + requests_of[$key]))
    if [ "$3" = app ]; then ticks=$((ticks + app_of[$key])); else ticks=$((ticks + db_of[$key])); fi
  done
  awk -v t="$ticks" -v n="$requests" -v hz="$tick" 'BEGIN { printf "%.0f", t / hz * 1e6 / n }'
}
ms() { awk -v us="$1" 'BEGIN { printf "%.2f ms", us / 1000 }'; }

echo
echo "Results (req/s, p50, p99: the median of the $rounds rounds; CPU per request: over all of them)"
echo
printf '  %-30s %-8s %9s %10s %10s %12s %12s\n' endpoint server req/s p50 p99 "app CPU/req" "db CPU/req"
for endpoint in conversations chat; do
  name="GET /users/{id}/conversations"
  [ "$endpoint" = chat ] && name="POST /users/{id}/chat"
  for server in lesson9 python; do
    db_cpu=-
    [ -n "$db_pid" ] && db_cpu="$(cpu_per_request "$endpoint" "$server" db) µs"
    printf '  %-30s %-8s %9.0f %10s %10s %12s %12s\n' "$name" "$server" \
      "$(per_round "$endpoint" "$server" rps | median)" \
      "$(ms "$(per_round "$endpoint" "$server" p50 | median)")" \
      "$(ms "$(per_round "$endpoint" "$server" p99 | median)")" \
      "$(cpu_per_request "$endpoint" "$server" app) µs" "$db_cpu"
  done
  # The ratio of each round (both servers measured one after the other), and their median.
  ratios=$(paste <(per_round "$endpoint" lesson9 rps) <(per_round "$endpoint" python rps) | awk '{ printf "%.1f\n", $1 / $2 }')
  printf '  %-30s lesson9/python: %sx the requests/s (rounds: %s)\n' "$name" \
    "$(median <<<"$ratios")" "$(paste -sd' ' <<<"$ratios")"
done
echo "  ($orphans questions without an answer after the chats; CPU per request from /proc)"
