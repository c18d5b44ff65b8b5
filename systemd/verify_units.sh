#!/usr/bin/env bash
# Runs systemd-analyze verify on the service template (as an instance) and the example mount
# unit, in a scratch directory. Fails on any diagnostic about our units.
set -euo pipefail
service=$1
mount=$2
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
cp "$service" "$d/s3fs@.service"
cp "$mount" "$d/mnt-s3.mount"
mkdir -p /etc/s3fs
out=$(cd "$d" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no \
      "$d/s3fs@demo.service" "$d/mnt-s3.mount" 2>&1 || true)
# Only diagnostics that name our units count (the host's own units may have warnings).
ours=$(printf '%s\n' "$out" | grep -E 's3fs@|mnt-s3' | grep -vE 'EnvironmentFile.*(No such file|not found)' || true)
if [ -n "$ours" ]; then
  printf '%s\n' "$ours"
  echo "systemd-analyze reported problems in our units"
  exit 1
fi
echo "systemd units verified"
