#!/usr/bin/env bash
# Prepares a machine for `npm test` (run by the `pretest` npm script). Idempotent and fast once done.
#  - Debian packages the tests need (list below; one apt-get update, only when something is missing)
#  - Redis answering on 127.0.0.1:6379 (the shared-state, diff-store and replica tests), checked only
#  - tools/unleash/node_modules (pinned unleash-server for the real-Unleash tests), reinstalled when its lock changes
#  - PostgreSQL answering on 127.0.0.1:5432 (the Unleash server's database), started if it is down
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
PGUSER="${PGUSER:-postgres}"
REDIS_HOST=127.0.0.1
REDIS_PORT=6379

# Debian packages: "<command to look for>:<package>". Add a line per tool (e.g. "chromium:chromium").
APT_PACKAGES=(
  "psql:postgresql-client"          # the Unleash server's database (checked below)
  "pg_isready:postgresql-client"
  "promtool:prometheus"             # test/deploy: Prometheus rule unit tests
  "docker-compose:docker-compose"   # test/deploy: compose file validation
  "chromium:chromium"               # test/admin: the console's browser tests
  "redis-server:redis-server"       # Redis outage tests kill and restart their own (test/helpers/redis-server.ts)
)

say() { printf 'test-setup: %s\n' "$*"; }
die() { printf 'test-setup: ERROR: %s\n' "$*" >&2; exit 1; }
# "a, b, c"
join() { local out="" x; for x in "$@"; do out+="${out:+, }$x"; done; printf '%s' "$out"; }

# Commands of APT_PACKAGES not on PATH, as "<command> (Debian package <package>)" in MISSING_TOOLS and their packages, once each, in
# MISSING_PACKAGES.
find_missing_tools() {
  local entry cmd pkg
  MISSING_TOOLS=(); MISSING_PACKAGES=()
  for entry in "${APT_PACKAGES[@]}"; do
    cmd="${entry%%:*}"; pkg="${entry#*:}"
    command -v "$cmd" >/dev/null 2>&1 && continue
    MISSING_TOOLS+=("$cmd (Debian package $pkg)")
    [[ " ${MISSING_PACKAGES[*]-} " == *" $pkg "* ]] || MISSING_PACKAGES+=("$pkg")
  done
}

ensure_apt_packages() {
  find_missing_tools
  [ "${#MISSING_PACKAGES[@]}" -eq 0 ] && return 0
  local tools pkgs
  tools="$(join "${MISSING_TOOLS[@]}")"; pkgs="${MISSING_PACKAGES[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 \
      || die "not on PATH: $tools. Run as root, or install them yourself: apt-get install $pkgs"
    sudo=(sudo)
  fi
  say "not on PATH: $tools; installing: $pkgs"
  "${sudo[@]}" apt-get update -qq \
    || die "apt-get update failed, so these are still missing: $tools. Install them yourself: apt-get install $pkgs"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${MISSING_PACKAGES[@]}" \
    || die "apt-get install $pkgs failed, so these are still missing: $tools"
  # A package can install and still not give the command this machine's tests call (renamed binary, other PATH).
  find_missing_tools
  [ "${#MISSING_PACKAGES[@]}" -eq 0 ] \
    || die "apt-get installed $pkgs, but these are still not on PATH: $(join "${MISSING_TOOLS[@]}")"
}

# The machine's Redis (never stopped by a test; those that stop Redis start their own redis-server). Bash's /dev/tcp,
# so no redis-cli is needed; only checked: starting a machine-wide Redis is the machine's business.
ensure_redis() {
  local reply
  reply="$( (exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT" && printf 'PING\r\n' >&3 && IFS= read -r -t 3 line <&3 \
    && printf '%s' "${line%$'\r'}") 2>/dev/null || true)"
  [ "$reply" = "+PONG" ] \
    || die "Redis does not answer PING on $REDIS_HOST:$REDIS_PORT (the shared-state, diff-store and replica tests use it; start one, e.g. redis-server --daemonize yes --bind 127.0.0.1 --port $REDIS_PORT --save '' --appendonly no)"
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

ensure_apt_packages
ensure_redis
if [ "${GATEWAY_TEST_UNLEASH:-on}" = "off" ]; then
  say "GATEWAY_TEST_UNLEASH=off: skipping unleash-server and PostgreSQL"
  exit 0
fi
ensure_unleash_server
ensure_postgres
say "ready"
