#!/usr/bin/env bash
# Runs the binary as the image runs it, without a Docker engine: the same static build, alone
# in a root filesystem mounted read-only (a private mount namespace and chroot), as the
# non-root user 65532, configured from the environment only, writing only to /data and /tmp.
# Checks that it serves, migrates its SQLite file, answers /readyz and its own health check,
# and that it can write nowhere else. Needs root (unshare, mount, chroot); run by check.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "FATAL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "image-smoke.sh needs root (unshare, mount, chroot)"
command -v unshare >/dev/null || fail "unshare (util-linux) is missing"
chroot=$(command -v chroot) || fail "chroot (coreutils) is missing"

work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
root="$work/root"
mkdir -p "$root/usr/local/bin" "$root/data" "$root/tmp" "$root/etc"
# The image's build: static, no cgo.
CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -ldflags "-s -w -X main.version=smoke" -o "$root/usr/local/bin/vigie" ./cmd/vigie
if command -v readelf >/dev/null && readelf -l "$root/usr/local/bin/vigie" | grep -q INTERP; then
  fail "the binary is dynamically linked"
fi
echo "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin" > "$root/etc/passwd"
chown 65532:65532 "$root/data" && chmod 0750 "$root/data"
chmod 1777 "$root/tmp"
port=$((20000 + RANDOM % 20000))

# In a private mount namespace: the root read-only, /data and /tmp writable, then chroot as
# 65532 with nothing but VIGIE_* in the environment.
unshare --mount --propagation private sh -c '
  set -e
  root=$1; port=$2; chroot=$3
  mount --bind "$root" "$root"
  mount --bind "$root/data" "$root/data"
  mount --bind "$root/tmp" "$root/tmp"
  mount -o remount,bind,ro "$root"
  exec env -i VIGIE_ADDR=0.0.0.0:$port VIGIE_DATA_DIR=/data VIGIE_DATABASE_URL=/data/vigie.db VIGIE_LOG_FORMAT=json \
    VIGIE_COOKIE_SECURE=false TMPDIR=/tmp \
    "$chroot" --userspec=65532:65532 "$root" /usr/local/bin/vigie serve
' smoke "$root" "$port" "$chroot" > "$work/stdout" 2> "$work/stderr" &
pid=$!

for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$port/readyz" > "$work/readyz" 2>/dev/null; then break; fi
  kill -0 "$pid" 2>/dev/null || { cat "$work/stderr" >&2; fail "vigie exited"; }
  sleep 0.5
done
grep -q '"ready"' "$work/readyz" || { cat "$work/stderr" >&2; fail "/readyz never answered ready"; }
echo "serves and is ready: $(cat "$work/readyz")"
[ -s "$root/data/vigie.db" ] || fail "no SQLite file in /data"
owner=$(stat -c %u "$root/data/vigie.db")
[ "$owner" = 65532 ] || fail "/data/vigie.db belongs to uid $owner, not 65532"
grep -q '"level":"INFO"' "$work/stderr" || fail "no JSON log lines"

# The health check the image's HEALTHCHECK runs, in the same confinement.
unshare --mount --propagation private sh -c '
  set -e
  root=$1; port=$2; chroot=$3
  mount --bind "$root" "$root"
  mount -o remount,bind,ro "$root"
  env -i VIGIE_ADDR=0.0.0.0:$port "$chroot" --userspec=65532:65532 "$root" /usr/local/bin/vigie healthcheck
  if env -i VIGIE_DATABASE_URL=/elsewhere/vigie.db "$chroot" --userspec=65532:65532 "$root" /usr/local/bin/vigie migrate up 2>/dev/null; then
    echo "FATAL: wrote outside /data on the read-only root" >&2; exit 1
  fi
' smoke "$root" "$port" "$chroot" || fail "health check or read-only check failed"
echo "health check ok; nothing written outside /data"
kill -TERM "$pid"
wait "$pid" || fail "vigie did not stop cleanly on SIGTERM"
pid=""
echo "image-smoke: ok (static binary, uid 65532, read-only root, configuration from the environment)"
