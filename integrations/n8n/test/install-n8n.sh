#!/usr/bin/env bash
# Installs the pinned n8n that `npm run test:n8n` drives, outside the repository, and reuses it when present.
#   N8N_VERSION      default 2.8.4
#   N8N_CACHE_ROOT   default /var/cache/hookrelay-n8n (falls back to $HOME/.cache/hookrelay-n8n when not writable)
# Prints the folder holding node_modules/n8n on its last line of stdout.
# A cold install takes about 15 minutes and 2.4 GB (sqlite3 builds from source: needs make, g++, python3).
set -euo pipefail

version="${N8N_VERSION:-2.8.4}"
root="${N8N_CACHE_ROOT:-/var/cache/hookrelay-n8n}"
if ! mkdir -p "$root" 2>/dev/null || [ ! -w "$root" ]; then
  root="${HOME}/.cache/hookrelay-n8n"
  mkdir -p "$root"
fi
dir="$root/$version"
marker="$dir/.installed"

if [ -f "$marker" ] && [ -x "$dir/node_modules/.bin/n8n" ]; then
  echo "$dir"
  exit 0
fi

# One installer at a time: a second caller waits for the first instead of racing it.
exec 9>"$root/.lock-$version"
flock 9
if [ -f "$marker" ] && [ -x "$dir/node_modules/.bin/n8n" ]; then
  echo "$dir"
  exit 0
fi

mkdir -p "$dir"
# xlsx: one of n8n's dependencies pins a tarball on a host outside the npm registry; the registry's
# 0.18.5 is the same library and installs from the registry.
cat >"$dir/package.json" <<JSON
{
  "name": "hookrelay-n8n-cache",
  "private": true,
  "dependencies": { "n8n": "$version" },
  "overrides": { "xlsx": "0.18.5" }
}
JSON
echo "installing n8n $version into $dir (about 15 minutes on a cold cache)" >&2
started=$(date +%s)
(cd "$dir" && npm install --no-audit --no-fund --loglevel=error >&2)
echo "n8n $version installed in $(($(date +%s) - started)) s" >&2
date -u +%FT%TZ >"$marker"
echo "$dir"
