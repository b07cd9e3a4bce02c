#!/bin/sh
# Entrypoint of the redis:7-alpine stand-in (see scripts/docker/local-base-images.sh); it behaves
# like the official image's: options or a *.conf as the first argument run redis-server with
# them; as root it hands the working directory (/data) to the `redis` user (uid 999) and starts
# redis-server as that user, with umask 0077.
set -eu

# `docker run redis:7-alpine --appendonly yes` or `... /etc/redis.conf` means redis-server.
if [ "$#" -gt 0 ] && { [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; }; then
  set -- redis-server "$@"
fi

if [ "${1:-}" = redis-server ] && [ "$(id -u)" = 0 ]; then
  find . \! -user redis -exec chown redis '{}' +
  exec env HOME=/data setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi

if [ "${1:-}" = redis-server ]; then
  # The official image builds Redis with protected mode off (a container's port is reached
  # from other containers, never by accident from the internet); Debian's build has it on, so
  # say it on the command line, after a config file if one is given, so that a later
  # `--protected-mode yes` still wins. argv[1] options that make redis-server exit come first.
  shift
  case "${1:-}" in
    -v | --version | -h | --help | --test-memory | --check-system) ;;
    "" | -*) set -- --protected-mode no "$@" ;;
    *)
      config_file="$1"
      shift
      set -- "$config_file" --protected-mode no "$@"
      ;;
  esac
  set -- redis-server "$@"
  if [ "$(umask)" = 0022 ]; then
    umask 0077
  fi
fi

exec "$@"
