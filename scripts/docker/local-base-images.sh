#!/usr/bin/env bash
# Stand-ins for the three base images Horn's Dockerfile and docker-compose.yml name, built on
# this machine from Debian packages, for a Docker engine that can reach no image registry.
#
#   python:3.11-slim-bookworm  Debian's python3 (3.11), pip, venv; python/python3/pip in
#                              /usr/local/bin like the official image; this machine's CA bundle
#                              baked in (PIP_CERT, REQUESTS_CA_BUNDLE, SSL_CERT_FILE) so pip
#                              verifies TLS through the same proxy this machine uses.
#   redis:7-alpine             Debian's redis-server 7.0; entrypoint drops to uid 999 `redis`
#                              and chowns /data, like the official one.
#   postgres:16-alpine         Debian's PostgreSQL 15 (bookworm has no 16) with an entrypoint
#                              that behaves like the official one (POSTGRES_* and *_FILE, initdb,
#                              scram-sha-256 for TCP, trust on the socket, /docker-entrypoint-
#                              initdb.d), running as uid 70 `postgres` like the Alpine image.
#
# On an ordinary machine you do NOT need this: `docker compose build` and `docker compose up`
# pull the real images from Docker Hub. Run this only where `docker pull` cannot work (a sandbox,
# an air-gapped host with a Debian mirror). Every stand-in carries `LABEL org.horn.standin=1`;
# `docker images --filter label=org.horn.standin=1` lists them, and `docker rmi` of the three
# tags lets the real images be pulled again once a registry is reachable.
#
# How: debootstrap (bookworm, minbase) -> `docker import` as horn-standin/debian:bookworm-slim
# -> a small legacy `docker build` (DOCKER_BUILDKIT=0, --network host) per image on top, from
# the Dockerfiles in scripts/docker/standins/. Needs root, debootstrap, a running dockerd and a
# reachable Debian mirror (DEBIAN_MIRROR, default http://deb.debian.org/debian).
#
# Usage: scripts/docker/local-base-images.sh [--force]
#   Idempotent: an image that already exists is skipped; --force rebuilds all of them.
#
# An engine on such a machine (root, no registry, no iptables wanted), as set up for Horn:
#   dockerd --storage-driver=vfs --iptables=false --bridge=none >/var/log/dockerd.log 2>&1 &
#   until docker info >/dev/null 2>&1; do sleep 1; done
# With those flags (checked with docker-compose 1.29 and dockerd 20.10):
#   - compose's per-project network (<project>_default, a user-defined bridge) works: containers
#     get addresses, reach each other by service name (embedded DNS), healthchecks and
#     `depends_on: condition: service_healthy` work, and `ports:` publish through docker-proxy
#     on the host. There is no NAT, so containers on a bridge cannot reach the internet.
#   - the default `bridge` network does not exist: `docker run` without --network gets only
#     loopback, and so does every RUN step of a `docker build` / `docker-compose build` that
#     lacks `--network host`. Build images that download things with
#     `DOCKER_BUILDKIT=0 docker build --network host ...` (as this script does), then
#     `docker-compose up` uses the built image.
#
# Time here (2 cores, vfs, Debian mirror over the network): 211 s from nothing (base 61 s,
# python 44 s, redis 38 s, postgres 68 s); 459 s for a --force run while another build
# shared the engine. A run that finds all four images takes about a second.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
readonly STANDINS_DIR="$SCRIPT_DIR/standins"
readonly SUITE=bookworm
readonly DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
readonly BASE_IMAGE=horn-standin/debian:bookworm-slim
# The CA bundle this machine trusts (it includes any TLS-intercepting proxy's CA).
readonly HOST_CA_BUNDLE="${HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"

force=0
for argument in "$@"; do
  case "$argument" in
    --force) force=1 ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d'
      exit 0
      ;;
    *)
      echo "error: unknown argument '$argument'; the only option is --force" >&2
      exit 2
      ;;
  esac
done

# Temporary folders to remove (and debootstrap's mounts to undo) however the script ends.
temporary_paths=()
# shellcheck disable=SC2317  # (called by the EXIT trap)
cleanup() {
  local path
  for path in "${temporary_paths[@]}"; do
    umount "$path/proc" "$path/sys" 2>/dev/null || true
    rm -rf --one-file-system "$path"
  done
}
trap cleanup EXIT

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# Whether to (re)build an image: always with --force, otherwise only when it is missing.
needs_build() {
  if [[ $force == 1 ]] || ! image_exists "$1"; then
    return 0
  fi
  log "$1 exists (label org.horn.standin=$(docker image inspect -f \
    '{{index .Config.Labels "org.horn.standin"}}' "$1")); skipping (--force rebuilds it)"
  return 1
}

check_prerequisites() {
  local tool
  for tool in docker debootstrap tar; do
    if ! command -v "$tool" >/dev/null; then
      echo "error: '$tool' is not on PATH; install it (apt-get install docker.io debootstrap)" >&2
      exit 1
    fi
  done
  if [[ $(id -u) != 0 ]]; then
    echo "error: debootstrap needs root; run this script as root (uid is $(id -u))" >&2
    exit 1
  fi
  if ! docker info >/dev/null 2>&1; then
    echo "error: no Docker engine answers 'docker info'; start dockerd first" >&2
    exit 1
  fi
  if [[ ! -s $HOST_CA_BUNDLE ]]; then
    echo "error: HOST_CA_BUNDLE=$HOST_CA_BUNDLE is missing or empty; point it at a PEM bundle" >&2
    exit 1
  fi
}

# Debian bookworm, minbase, made to look like the official debian:bookworm-slim: deb822 sources
# with updates and security, no docs or man pages, apt lists and caches emptied, and a
# policy-rc.d so package scripts never try to start services inside a build.
build_base_image() {
  needs_build "$BASE_IMAGE" || return 0
  local rootfs
  rootfs="$(mktemp -d /var/tmp/horn-standin-rootfs.XXXXXX)"
  temporary_paths+=("$rootfs")
  # mktemp made it 0700, and its mode becomes the image's `/`: other users could reach nothing.
  chmod 0755 "$rootfs"
  log "debootstrap $SUITE (minbase) from $DEBIAN_MIRROR into $rootfs"
  debootstrap --variant=minbase "$SUITE" "$rootfs" "$DEBIAN_MIRROR" >&2

  rm -f "$rootfs/etc/apt/sources.list"
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $DEBIAN_MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  cat >"$rootfs/usr/sbin/policy-rc.d" <<'EOF'
#!/bin/sh
# Inside an image nothing starts services at install time.
exit 101
EOF
  chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
# Like debian:*-slim: no documentation, man pages or translations.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  cat >"$rootfs/etc/apt/apt.conf.d/docker-no-recommends" <<'EOF'
APT::Install-Recommends "false";
EOF
  rm -rf "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/log/*.log
  rm -f "$rootfs/etc/hostname" "$rootfs/etc/resolv.conf"
  : >"$rootfs/etc/resolv.conf"

  log "docker import -> $BASE_IMAGE"
  tar --numeric-owner --xattrs -C "$rootfs" \
    --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' -c . \
    | docker import \
      --change 'LABEL org.horn.standin=1' \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["bash"]' \
      --message "debootstrap --variant=minbase $SUITE $DEBIAN_MIRROR (Horn stand-in base)" \
      - "$BASE_IMAGE" >&2
}

# One stand-in: scripts/docker/standins/<name>.Dockerfile built on the base image, with its
# entrypoint and this machine's CA bundle in the build context.
build_standin() {
  local name="$1" tag="$2"
  needs_build "$tag" || return 0
  local context
  context="$(mktemp -d /var/tmp/horn-standin-context.XXXXXX)"
  temporary_paths+=("$context")
  cp "$STANDINS_DIR/$name.Dockerfile" "$context/Dockerfile"
  cp "$STANDINS_DIR"/*-entrypoint.sh "$context/"
  cp "$HOST_CA_BUNDLE" "$context/host-ca-bundle.crt"
  log "docker build $tag (from $name.Dockerfile)"
  DOCKER_BUILDKIT=0 docker build --network host --pull=false \
    --build-arg "BASE_IMAGE=$BASE_IMAGE" --tag "$tag" "$context" >&2
}

main() {
  check_prerequisites
  local started=$SECONDS step_started
  step_started=$SECONDS
  build_base_image
  log "base: $((SECONDS - step_started)) s"
  local name tag
  for name_and_tag in python=python:3.11-slim-bookworm redis=redis:7-alpine \
    postgres=postgres:16-alpine; do
    name="${name_and_tag%%=*}"
    tag="${name_and_tag#*=}"
    step_started=$SECONDS
    build_standin "$name" "$tag"
    log "$tag: $((SECONDS - step_started)) s"
  done
  log "done in $((SECONDS - started)) s"
  local built
  for built in "$BASE_IMAGE" python:3.11-slim-bookworm redis:7-alpine postgres:16-alpine; do
    docker image ls --format '{{.Repository}}:{{.Tag}}  {{.ID}}  {{.Size}}' "$built"
  done
}

main "$@"; exit  # one line: bash has read it whole before main runs
