#!/usr/bin/env bash
# Refreshes a vendored front-end library from the npm registry (npm pack: no install, no
# build) into frontend/static/vendor/. Usage: vendor.sh dsfr VERSION | vendor.sh editor VERSION.
# The Makefile targets vendor-dsfr and vendor-editor call it with the pinned versions.
set -euo pipefail
what=${1:?dsfr or editor}
version=${2:?version}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

case "$what" in
dsfr)
  pkg="@gouvfr/dsfr"
  out="$here/static/vendor/dsfr"
  (cd "$tmp" && npm pack --silent "$pkg@$version" >/dev/null && tar xzf ./*.tgz)
  src="$tmp/package/dist"
  rm -rf "$out" && mkdir -p "$out/fonts" "$out/utility/icons"
  cp "$src/dsfr.min.css" "$src/dsfr.module.min.js" "$src/dsfr.nomodule.min.js" "$out/"
  cp "$src"/fonts/*.woff2 "$out/fonts/"
  cp -r "$src/icons" "$out/icons"
  cp -r "$src/favicon" "$out/favicon"
  cp "$src/utility/icons/icons.min.css" "$out/utility/icons/"
  cp "$tmp/package/LICENSE.md" "$out/LICENSE.md"
  # Source maps are not shipped: drop their references.
  sed -i 's#/\*\# sourceMappingURL=[^*]*\*/##; s#//\# sourceMappingURL=.*$##' "$out"/*.css "$out"/*.js "$out"/utility/icons/*.css
  ;;
editor)
  pkg="codemirror"
  out="$here/static/vendor/codemirror"
  (cd "$tmp" && npm pack --silent "$pkg@$version" >/dev/null && tar xzf ./*.tgz)
  src="$tmp/package"
  rm -rf "$out" && mkdir -p "$out/addon/mode"
  cp "$src/lib/codemirror.js" "$src/lib/codemirror.css" "$out/"
  cp "$src/addon/mode/simple.js" "$out/addon/mode/"
  cp "$src/LICENSE" "$out/LICENSE"
  ;;
*)
  echo "vendor.sh: unknown library $what (want dsfr or editor)" >&2
  exit 2
  ;;
esac

cat >"$out/VERSION" <<V
$pkg $version
V
cat >"$out/README.md" <<R
# $pkg $version (vendored)

Copied from the npm package \`$pkg@$version\` by \`frontend/vendor.sh $what $version\`
(Makefile target \`vendor-$what\`); do not edit by hand, change the version in the Makefile
and run the target again. Licence: see LICENSE* in this folder.
R
echo "vendored $pkg $version into ${out#$here/}"
