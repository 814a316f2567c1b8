#!/usr/bin/env bash
# Prepares a machine for `npm test` (run by the `pretest` npm script). Idempotent and fast once done.
#  - Debian packages the tests need (list below; one apt-get update, only when something is missing)
#  - tools/unleash/node_modules (pinned unleash-server for the real-Unleash tests), reinstalled when its lock changes
#  - PostgreSQL answering on 127.0.0.1:5432 (the Unleash server's database), started if it is down
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
PGUSER="${PGUSER:-postgres}"

# Debian packages: "<command to look for>:<package>". Add a line per tool (e.g. "chromium:chromium").
APT_PACKAGES=(
  "psql:postgresql-client"
  "pg_isready:postgresql-client"
  "promtool:prometheus"
  "docker-compose:docker-compose"
  "chromium:chromium"
)

say() { printf 'test-setup: %s\n' "$*"; }
die() { printf 'test-setup: ERROR: %s\n' "$*" >&2; exit 1; }

ensure_apt_packages() {
  local missing=() entry cmd pkg
  for entry in "${APT_PACKAGES[@]}"; do
    cmd="${entry%%:*}"; pkg="${entry#*:}"
    command -v "$cmd" >/dev/null 2>&1 && continue
    [[ " ${missing[*]-} " == *" $pkg "* ]] || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "missing ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root"
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || die "apt-get install ${missing[*]} failed"
}

ensure_unleash_server() {
  local dir="$ROOT/tools/unleash" stamp hash
  [ -f "$dir/package-lock.json" ] || die "tools/unleash/package-lock.json is missing"
  stamp="$dir/node_modules/.lock-hash"
  hash="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$dir/node_modules/unleash-server/package.json" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$hash" ]; then
    return 0
  fi
  say "installing tools/unleash (unleash-server, ~30 s; EBADENGINE warnings on Node 20 are expected)"
  npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error \
    || die "npm ci in tools/unleash failed (is the npm registry reachable?)"
  [ -f "$dir/node_modules/unleash-server/dist/server.js" ] || die "unleash-server installed without dist/server.js"
  printf '%s\n' "$hash" >"$stamp"
}

pg_answers() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$PGHOST" -p "$PGPORT" -t 3
  else
    psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -Atqc 'select 1' >/dev/null 2>&1
  fi
}

ensure_postgres() {
  if ! pg_answers; then
    local versions
    versions="$(ls /etc/postgresql 2>/dev/null || true)"
    [ -n "$versions" ] || die "PostgreSQL does not answer on $PGHOST:$PGPORT and no cluster is installed (apt-get install postgresql)"
    local version
    version="$(printf '%s\n' "$versions" | sort -V | tail -n1)"
    say "PostgreSQL is down; starting cluster $version/main"
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" pg_ctlcluster --skip-systemctl-redirect "$version" main start \
      || die "could not start PostgreSQL: pg_ctlcluster --skip-systemctl-redirect $version main start failed"
    local _
    for _ in $(seq 1 20); do pg_answers && break; sleep 0.5; done
    pg_answers || die "PostgreSQL was started but does not answer on $PGHOST:$PGPORT"
  fi
  psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -Atqc 'select 1' >/dev/null 2>&1 \
    || die "PostgreSQL answers on $PGHOST:$PGPORT but user $PGUSER cannot log in without a password (tests expect trust auth for 127.0.0.1)"
}

if [ "${GATEWAY_TEST_UNLEASH:-on}" = "off" ]; then
  ensure_apt_packages
  say "GATEWAY_TEST_UNLEASH=off: skipping unleash-server and PostgreSQL"
  exit 0
fi
ensure_apt_packages
ensure_unleash_server
ensure_postgres
say "ready"
