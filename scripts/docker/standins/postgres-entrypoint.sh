#!/usr/bin/env bash
# Entrypoint of the postgres:16-alpine stand-in (see scripts/docker/local-base-images.sh); it
# behaves like the official image's docker-entrypoint.sh:
#   - POSTGRES_PASSWORD, POSTGRES_USER (default postgres), POSTGRES_DB (default the user) and
#     POSTGRES_INITDB_ARGS, each also readable from a file named by <NAME>_FILE. As in the
#     official script the variables are resolved first as root (so a root-only secret file
#     works) and exported before the script restarts itself as `postgres`.
#   - On an empty $PGDATA: initdb with the superuser's password, trust on the local socket (and
#     loopback TCP, initdb's default), `host all all all scram-sha-256` (or
#     POSTGRES_HOST_AUTH_METHOD) for every other TCP client, POSTGRES_DB created, then
#     /docker-entrypoint-initdb.d/*.sh|*.sql|*.sql.gz run against a socket-only server.
#   - Then `postgres` as uid 70 `postgres`, listening on *:5432.
set -Eeo pipefail

# Sets NAME from NAME or from the file NAME_FILE names (not both), else DEFAULT; exports NAME.
read_setting() {
  local name="$1" default="${2:-}"
  local file_name="${name}_FILE"
  if [ -n "${!name:-}" ] && [ -n "${!file_name:-}" ]; then
    printf >&2 'error: both %s and %s are set; set only one of them\n' "$name" "$file_name"
    exit 1
  fi
  local value="$default"
  if [ -n "${!name:-}" ]; then
    value="${!name}"
  elif [ -n "${!file_name:-}" ]; then
    value="$(<"${!file_name}")"
  fi
  export "$name"="$value"
  unset "$file_name"
}

load_settings() {
  read_setting POSTGRES_PASSWORD
  read_setting POSTGRES_USER postgres
  read_setting POSTGRES_DB "$POSTGRES_USER"
  read_setting POSTGRES_INITDB_ARGS
  : "${POSTGRES_HOST_AUTH_METHOD:=}"
  database_exists=
  if [ -s "$PGDATA/PG_VERSION" ]; then
    database_exists=yes
  fi
}

# The data and socket folders, handed to `postgres` when running as root.
prepare_directories() {
  mkdir -p "$PGDATA"
  chmod 00700 "$PGDATA" || :
  mkdir -p /var/run/postgresql || :
  chmod 03775 /var/run/postgresql || :
  if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
    mkdir -p "$POSTGRES_INITDB_WALDIR"
    if [ "$(id -u)" = 0 ]; then
      find "$POSTGRES_INITDB_WALDIR" \! -user postgres -exec chown postgres '{}' +
    fi
    chmod 700 "$POSTGRES_INITDB_WALDIR"
  fi
  if [ "$(id -u)" = 0 ]; then
    find "$PGDATA" \! -user postgres -exec chown postgres '{}' +
    find /var/run/postgresql \! -user postgres -exec chown postgres '{}' +
  fi
}

require_password_or_trust() {
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    cat >&2 <<'EOT'
Error: Database is uninitialized and superuser password is not specified.
       Set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) to a non-empty value, or
       POSTGRES_HOST_AUTH_METHOD=trust to allow every connection without a password.
EOT
    exit 1
  fi
  if [ "$POSTGRES_HOST_AUTH_METHOD" = trust ]; then
    echo >&2 'WARNING: POSTGRES_HOST_AUTH_METHOD=trust lets anyone who reaches port 5432 in.'
  fi
}

run_initdb() {
  if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
    set -- --waldir "$POSTGRES_INITDB_WALDIR" "$@"
  fi
  # POSTGRES_INITDB_ARGS is a shell-quoted string of options (as in the official image). The
  # password file holds a newline at least: initdb refuses an empty one.
  eval 'initdb --username="$POSTGRES_USER" --pwfile=<(printf "%s\n" "$POSTGRES_PASSWORD") '"$POSTGRES_INITDB_ARGS"' "$@"'
}

# Every TCP client not on loopback authenticates with the server's password_encryption
# (scram-sha-256 on PostgreSQL 14 and later) unless POSTGRES_HOST_AUTH_METHOD says otherwise.
append_host_rule() {
  [ "${1:-}" = postgres ] && shift
  local method
  method="$(postgres -C password_encryption "$@")"
  : "${POSTGRES_HOST_AUTH_METHOD:=$method}"
  printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"
}

run_sql() {
  local command=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
  if [ -n "$POSTGRES_DB" ]; then
    command+=(--dbname "$POSTGRES_DB")
  fi
  PGHOST='' PGHOSTADDR='' "${command[@]}" "$@"
}

start_socket_only_server() {
  [ "${1:-}" = postgres ] && shift
  set -- "$@" -c listen_addresses='' -p "${PGPORT:-5432}"
  PGUSER="${PGUSER:-$POSTGRES_USER}" pg_ctl -D "$PGDATA" -o "$(printf '%q ' "$@")" -w start
}

stop_socket_only_server() {
  PGUSER="${PGUSER:-postgres}" pg_ctl -D "$PGDATA" -m fast -w stop
}

create_database() {
  local database="$POSTGRES_DB" found
  found="$(POSTGRES_DB='' run_sql --dbname postgres --set db="$database" --tuples-only \
    <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")"
  if [ -z "$found" ]; then
    POSTGRES_DB='' run_sql --dbname postgres --set db="$database" <<<'CREATE DATABASE :"db";'
  fi
}

run_init_files() {
  local file
  for file in "$@"; do
    case "$file" in
      *.sh)
        if [ -x "$file" ]; then
          echo "$0: running $file"
          "$file"
        else
          echo "$0: sourcing $file"
          # shellcheck disable=SC1090
          . "$file"
        fi
        ;;
      *.sql) echo "$0: running $file" && run_sql -f "$file" ;;
      *.sql.gz) echo "$0: running $file" && gunzip -c "$file" | run_sql ;;
      *.sql.xz) echo "$0: running $file" && xzcat "$file" | run_sql ;;
      *) echo "$0: ignoring $file" ;;
    esac
  done
}

# Options after which postgres prints something and exits: no setup for those.
wants_help_only() {
  local argument
  for argument; do
    case "$argument" in
      '-?' | --help | --describe-config | -V | --version) return 0 ;;
    esac
  done
  return 1
}

main() {
  if [ "${1:0:1}" = - ]; then
    set -- postgres "$@"
  fi
  if [ "$1" = postgres ] && ! wants_help_only "$@"; then
    load_settings
    prepare_directories
    if [ "$(id -u)" = 0 ]; then
      exec env HOME=/var/lib/postgresql \
        setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
    fi
    if [ -z "$database_exists" ]; then
      require_password_or_trust
      ls /docker-entrypoint-initdb.d/ >/dev/null
      run_initdb
      append_host_rule "$@"
      export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
      start_socket_only_server "$@"
      create_database
      shopt -s nullglob
      run_init_files /docker-entrypoint-initdb.d/*
      shopt -u nullglob
      stop_socket_only_server
      unset PGPASSWORD
      printf '\nPostgreSQL init process complete; ready for start up.\n\n'
    else
      printf '\nPostgreSQL Database directory appears to contain a database; Skipping initialization\n\n'
    fi
  fi
  exec "$@"
}

main "$@"
