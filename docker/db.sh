#!/usr/bin/env bash
# The course's database, one command on any machine:
#
#   ./docker/db.sh up      start a server (Docker if an engine answers, else a local MariaDB/MySQL),
#                          create the user and the database, load docker/schema.sql. Safe to run again.
#   ./docker/db.sh down    stop what `up` started (the data is kept)
#   ./docker/db.sh status  say what runs where
#   ./docker/db.sh reset   drop and recreate the demo database (and any leftover test databases)
#
# It reads DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME from the environment, then from .env,
# with the same defaults as the Rust code (127.0.0.1, 3306, tester, tester, llmagent).
# A local server keeps its data, socket, pid and log in .db/ (ignored by git).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCHEMA="$ROOT/docker/schema.sql"
COMPOSE=(docker compose -f "$ROOT/docker/compose.yml")
LOCAL="$ROOT/.db"
DATA="$LOCAL/data"
SOCK="$LOCAL/mysqld.sock"
PIDFILE="$LOCAL/mysqld.pid"
LOG="$LOCAL/mysqld.log"
# Every test database is named with this prefix (shared/src/testing.rs); the user may create and drop those only.
TEST_DB_PREFIX="llmagent_test_"
TEST_DB_PATTERN='llmagent\_test\_%' # the same as a GRANT / LIKE pattern: `_` matches any character unless escaped

say() { printf 'db.sh: %s\n' "$*"; }
die() { printf 'db.sh: error: %s\n' "$*" >&2; exit 1; }

# --- configuration: environment first, then .env, then defaults (as dotenvy does) -----------------
load_env_file() {
  [ -f "$ROOT/.env" ] || return 0
  local line key value
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line%$'\r'}"
    [[ "$line" =~ ^[[:space:]]*(export[[:space:]]+)?(DB_[A-Z_]+)[[:space:]]*=(.*)$ ]] || continue
    key="${BASH_REMATCH[2]}"
    value="${BASH_REMATCH[3]}"
    value="${value#"${value%%[![:space:]]*}"}"
    value="${value%"${value##*[![:space:]]}"}"
    if [[ "$value" =~ ^\"(.*)\"$ || "$value" =~ ^\'(.*)\'$ ]]; then value="${BASH_REMATCH[1]}"; fi
    [ -n "${!key+x}" ] || export "$key=$value"
  done <"$ROOT/.env"
}
load_env_file
WAIT_SECONDS="${DB_WAIT_SECONDS:-90}"
[[ "$WAIT_SECONDS" =~ ^[0-9]+$ ]] || die "DB_WAIT_SECONDS must be a number of seconds, not '$WAIT_SECONDS'"
export DB_HOST="${DB_HOST:-127.0.0.1}" DB_PORT="${DB_PORT-3306}" DB_USER="${DB_USER:-tester}"
export DB_PASSWORD="${DB_PASSWORD-tester}" DB_NAME="${DB_NAME:-llmagent}"
[[ "$DB_PORT" =~ ^[0-9]+$ ]] && [ "$DB_PORT" -ge 1 ] && [ "$DB_PORT" -le 65535 ] ||
  die "DB_PORT must be a port number from 1 to 65535, but it is '$DB_PORT'. Fix it in .env or your environment (the default is 3306)."
[[ "$DB_NAME" =~ ^[A-Za-z0-9_]+$ ]] || die "DB_NAME may hold letters, digits and _ only, not '$DB_NAME'"
[[ "$DB_USER" =~ ^[A-Za-z0-9_]+$ ]] || die "DB_USER may hold letters, digits and _ only, not '$DB_USER'"

sql_string() { local q="'" s=${1//\\/\\\\}; printf "'%s'" "${s//$q/$q$q}"; }

# --- small probes ---------------------------------------------------------------------------------
# macOS has no `timeout`; there a probe takes as long as it takes (a refused port or an absent engine answers at once).
with_timeout() { local seconds=$1; shift; if command -v timeout >/dev/null 2>&1; then timeout "$seconds" "$@"; else "$@"; fi; }
port_answers() { with_timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' probe "$DB_HOST" "$DB_PORT" 2>/dev/null; }
docker_answers() { command -v docker >/dev/null 2>&1 && with_timeout 15 docker info >/dev/null 2>&1; }
compose_running() { docker_answers && [ -n "$("${COMPOSE[@]}" ps -q --status running db 2>/dev/null)" ]; }
is_our_server() { # $1 = pid: the server started on .db/data, not whatever process reuses a stale pid file's number
  local args
  if [ -r "/proc/$1/cmdline" ]; then args=$(tr '\0' ' ' <"/proc/$1/cmdline"); else args=$(ps -o args= -p "$1" 2>/dev/null); fi
  [[ "$args" == *"--datadir=$DATA"* ]]
}
local_pid() { local pid; [ -f "$PIDFILE" ] && pid=$(cat "$PIDFILE") && kill -0 "$pid" 2>/dev/null && is_our_server "$pid" && echo "$pid"; }
host_is_local() { [[ "$DB_HOST" == 127.0.0.1 || "$DB_HOST" == localhost || "$DB_HOST" == ::1 ]]; }

find_first() { local c; for c in "$@"; do command -v "$c" 2>/dev/null && return 0; [ -x "/usr/sbin/$c" ] && { echo "/usr/sbin/$c"; return 0; }; done; return 1; }
server_bin() { find_first mariadbd mysqld; }
client_bin() { find_first mariadb mysql; }

wait_until() { # wait_until SECONDS WHAT COMMAND...: polls twice a second, fails after the deadline
  local seconds=$1 what=$2; shift 2
  local deadline=$((SECONDS + seconds))
  say "waiting up to ${seconds}s for $what ..."
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}

# The local server's admin logs in over the socket with no password: MariaDB's install names the OS
# user (socket authentication); MySQL's --initialize-insecure makes a root without a password.
admin_user() { if "$(server_bin)" --version | grep -qi mariadb; then id -un; else echo root; fi; }

show_log_tail() {
  [ -f "$LOG" ] || return 0
  printf '\n--- last lines of %s ---\n' "$LOG" >&2
  tail -n 25 "$LOG" >&2
  printf -- '---\n' >&2
}

# --- SQL the admin runs, wherever the server is ---------------------------------------------------
admin_sql() { # reads SQL on stdin; $1 = database (optional)
  if [ -n "$(local_pid)" ]; then
    "$(client_bin)" --no-defaults --protocol=socket --socket="$SOCK" -u "$(admin_user)" ${1:+"$1"}
  elif compose_running; then
    # The password goes through the environment: a -p argument would show in `ps`, on the host too.
    "${COMPOSE[@]}" exec -T db sh -c 'export MYSQL_PWD="$MYSQL_ROOT_PASSWORD"; exec mysql -uroot "$@"' sh ${1:+"$1"}
  else
    return 2
  fi
}

bootstrap_sql() { # user, demo database, test-database grant; every statement is safe to repeat
  local user pass
  user=$(sql_string "$DB_USER"); pass=$(sql_string "$DB_PASSWORD")
  cat <<SQL
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci;
CREATE USER IF NOT EXISTS $user@'%' IDENTIFIED BY $pass;
ALTER USER $user@'%' IDENTIFIED BY $pass;
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO $user@'%';
GRANT ALL PRIVILEGES ON \`$TEST_DB_PATTERN\`.* TO $user@'%';
SQL
}

drop_anonymous_users() {
  # MariaDB's install creates ''@'localhost'; for a login from localhost it is a better match than
  # 'tester'@'%', so tester would be refused with its own password. MySQL has none of these.
  local host
  while IFS= read -r host; do
    [ -n "$host" ] || continue
    printf "DROP USER ''@%s;\n" "$(sql_string "$host")"
  done < <(admin_sql <<<"SELECT Host FROM mysql.user WHERE User = '';" | tail -n +2) | admin_sql
}

ensure_database() {
  say "making sure of user '$DB_USER', database '$DB_NAME' and its schema"
  if admin_sql </dev/null; then
    drop_anonymous_users
    bootstrap_sql | admin_sql
    admin_sql "$DB_NAME" <"$SCHEMA"
  elif local client && client="$(client_bin)"; then
    # A server we did not start: we are only its user, not its admin.
    if ! MYSQL_PWD="$DB_PASSWORD" "$client" --no-defaults --protocol=tcp -h "$DB_HOST" -P "$DB_PORT" -u "$DB_USER" "$DB_NAME" <"$SCHEMA"; then
      die "a server answers on $DB_HOST:$DB_PORT, but $DB_USER cannot load the schema into '$DB_NAME'.
  As that server's admin, run:
$(bootstrap_sql | sed -e 's/IDENTIFIED BY .*;/IDENTIFIED BY <DB_PASSWORD>;/' -e 's/^/    /')
  then run ./docker/db.sh up again. (Or stop that server, and this script starts its own.)"
    fi
  else
    say "a server answers on $DB_HOST:$DB_PORT, but there is no mysql/mariadb client here to check its schema;"
    say "cargo run -p lesson1 will tell whether it accepts $DB_USER."
    return 0
  fi
  say "ready: $DB_USER@$DB_HOST:$DB_PORT/$DB_NAME"
}

# --- Docker ---------------------------------------------------------------------------------------
docker_up() {
  host_is_local || die "DB_HOST is $DB_HOST: Docker publishes the server on 127.0.0.1 only; set DB_HOST=127.0.0.1"
  say "a Docker engine answers: starting MySQL 8.4 with docker compose"
  say "waiting up to $((WAIT_SECONDS * 2))s for its healthcheck (the real server on TCP, after the init scripts) ..."
  if ! "${COMPOSE[@]}" up -d --wait --wait-timeout "$((WAIT_SECONDS * 2))" db; then
    "${COMPOSE[@]}" logs --tail 25 db >&2 || true
    die "the MySQL container did not become healthy; its last log lines are above"
  fi
}

# --- local server ---------------------------------------------------------------------------------
install_server() {
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "no mariadbd or mysqld found: installing Debian's mariadb-server (its system service is not started)"
    # policy-rc.d answering 101 tells the package scripts not to start services.
    local policy=/usr/sbin/policy-rc.d made_policy=""
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
    fi
    local status=0
    { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q mariadb-server mariadb-client; } || status=$?
    [ -z "$made_policy" ] || rm -f "$policy"
    [ "$status" -eq 0 ] || die "apt-get could not install mariadb-server (exit $status)"
  else
    die "no database server found, and no Docker engine answers. Either start Docker Desktop, or install MariaDB:
    Debian/Ubuntu:  sudo apt-get update && sudo apt-get install -y mariadb-server
    macOS:          brew install mariadb
  and run ./docker/db.sh up again."
  fi
}

local_up() {
  host_is_local || die "DB_HOST is $DB_HOST, which does not answer on port $DB_PORT; a local server can only serve 127.0.0.1"
  local server; server="$(server_bin)" || { install_server; server="$(server_bin)" || die "installed, but still no mariadbd"; }
  client_bin >/dev/null || die "found $server but no mariadb/mysql client next to it; install mariadb-client"
  local pid
  if pid="$(local_pid)"; then # a second server on the same data dir would only wait for its locks, then fail
    die "the local server (pid $pid) runs but does not answer on 127.0.0.1:$DB_PORT: it is still starting, or it was
  started on another port (./docker/db.sh down, then up, restarts it on DB_PORT)"
  fi
  mkdir -p "$LOCAL"
  [ "${#SOCK}" -lt 100 ] || die "the socket path $SOCK is too long for Unix sockets; move the project to a shorter path"
  # A string, not an array: bash 3.2 (macOS) calls an empty array unbound under set -u.
  local as_user=""; [ "$(id -u)" -ne 0 ] || as_user=--user=root # mariadbd refuses to run as root unless told to
  local is_mysql=""; "$server" --version | grep -qi mariadb || is_mysql=1

  if [ ! -d "$DATA/mysql" ]; then
    say "creating a new data directory in $DATA"
    rm -rf "$DATA"
    if [ -n "$is_mysql" ]; then
      "$server" --no-defaults --initialize-insecure --datadir="$DATA" ${as_user:+"$as_user"} >>"$LOG" 2>&1 ||
        { show_log_tail; die "mysqld --initialize-insecure failed"; }
    else
      local install_db; install_db="$(find_first mariadb-install-db mysql_install_db)" || die "mariadb-install-db not found"
      # socket authentication: the OS user who runs this script is the server's admin, with no password.
      "$install_db" --no-defaults --datadir="$DATA" --auth-root-authentication-method=socket \
        --auth-root-socket-user="$(id -un)" --skip-test-db --user="$(id -un)" >>"$LOG" 2>&1 ||
        { show_log_tail; die "mariadb-install-db failed"; }
    fi
  fi

  say "starting $("$server" --version | sed 's/^.*Ver //') on 127.0.0.1:$DB_PORT (data, socket and log in .db/)"
  # setsid + nohup: the server outlives this script and the terminal that ran it (macOS has no setsid;
  # there nohup, and the SIGINT a background job of a script ignores, must do).
  local detach="nohup"; ! command -v setsid >/dev/null 2>&1 || detach="setsid nohup"
  $detach "$server" --no-defaults --datadir="$DATA" --socket="$SOCK" --pid-file="$PIDFILE" \
    --log-error="$LOG" --port="$DB_PORT" --bind-address=127.0.0.1 ${as_user:+"$as_user"} \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_520_ci \
    --max-connections=500 </dev/null >>"$LOG" 2>&1 &
  local launcher=$! deadline=$((SECONDS + WAIT_SECONDS))
  say "waiting up to ${WAIT_SECONDS}s for the server to accept connections on 127.0.0.1:$DB_PORT ..."
  until port_answers; do
    kill -0 "$launcher" 2>/dev/null || { show_log_tail; die "the local server exited while starting (log: $LOG)"; }
    [ "$SECONDS" -lt "$deadline" ] || { show_log_tail; kill "$launcher"; die "the local server did not answer within ${WAIT_SECONDS}s (log: $LOG)"; }
    sleep 0.5
  done
}

# --- commands -------------------------------------------------------------------------------------
cmd_up() {
  if host_is_local && compose_running; then
    # Docker's port forwarder answers as soon as the container runs, long before MySQL does:
    # wait for the healthcheck instead (at once if it is healthy already).
    docker_up
  elif port_answers; then
    say "a server already answers on $DB_HOST:$DB_PORT"
  elif docker_answers; then
    docker_up
  else
    local_up
  fi
  ensure_database
}

cmd_down() {
  local pid stopped=""
  if pid="$(local_pid)"; then
    say "stopping the local server (pid $pid)"
    kill "$pid"
    wait_until "$WAIT_SECONDS" "the local server to stop" bash -c "! kill -0 $pid 2>/dev/null" ||
      die "the local server (pid $pid) is still running; see $LOG"
    stopped=1
  fi
  if compose_running; then
    say "stopping the Docker container (its volume, with the data, is kept)"
    "${COMPOSE[@]}" down
    stopped=1
  fi
  [ -n "$stopped" ] || say "nothing to stop: no server started by this script is running"
}

cmd_status() {
  local pid
  say "configured: $DB_USER@$DB_HOST:$DB_PORT/$DB_NAME"
  if pid="$(local_pid)"; then say "local server: running, pid $pid, data in $DATA, log $LOG"; else say "local server: not running"; fi
  if docker_answers; then
    if compose_running; then say "docker: container running"; else say "docker: engine answers, container not running"; fi
  else
    say "docker: no engine answers"
  fi
  if port_answers; then say "$DB_HOST:$DB_PORT: a server answers"; else say "$DB_HOST:$DB_PORT: nothing answers"; return 3; fi
}

cmd_reset() {
  port_answers || die "nothing answers on $DB_HOST:$DB_PORT; run ./docker/db.sh up first"
  admin_sql </dev/null || die "reset needs the server this script started (local or Docker); it cannot reset someone else's"
  say "dropping and recreating database '$DB_NAME', and dropping leftover ${TEST_DB_PREFIX}* test databases"
  {
    admin_sql <<<"SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '$TEST_DB_PATTERN';" |
      tail -n +2 | sed 's/.*/DROP DATABASE IF EXISTS `&`;/'
    printf 'DROP DATABASE IF EXISTS `%s`;\n' "$DB_NAME"
  } | admin_sql
  ensure_database
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  reset) cmd_reset ;;
  *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; [ -n "${1:-}" ] && exit 2 || exit 0 ;;
esac
