#!/usr/bin/env bash
# Installs what the browser tests need: Debian's Chromium at /usr/bin/chromium (apt-get, when
# root) and the npm packages of package-lock.json (npm ci). Nothing is downloaded at test time.
# Fails loudly when something cannot be installed.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "e2e setup: installing Debian's chromium (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "FATAL: /usr/bin/chromium is missing and this user cannot install it." >&2
    echo "       Install Debian's chromium package (sudo apt-get install chromium), then rerun." >&2
    exit 1
  fi
fi
[ -x /usr/bin/chromium ] || { echo "FATAL: /usr/bin/chromium still missing after apt-get" >&2; exit 1; }

command -v node >/dev/null || { echo "FATAL: node is missing (want Node.js 20+ and npm)" >&2; exit 1; }
command -v npm >/dev/null || { echo "FATAL: npm is missing" >&2; exit 1; }
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/axe-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "e2e setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "e2e setup: $(/usr/bin/chromium --version 2>/dev/null | head -n1), node $(node --version)"
