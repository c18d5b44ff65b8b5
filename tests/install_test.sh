#!/usr/bin/env bash
# A staged install (meson install --destdir) puts every deliverable where packagers expect it:
# the two binaries, both man pages, the systemd template unit (pointing at the installed s3fs),
# the example .mount unit and the documentation. Usage: install_test.sh BUILD_DIR
set -euo pipefail
BUILD=$1
DEST=$(mktemp -d /tmp/s3fs-destdir.XXXXXX)
trap 'rm -rf "$DEST"' EXIT
timeout 300 meson install -C "$BUILD" --destdir "$DEST" --no-rebuild --quiet
prefix=$(meson introspect "$BUILD" --buildoptions | python3 -c \
  'import json, sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
root=$DEST$prefix
fail=0
need() {
  if [ -e "$1" ]; then echo "ok   ${1#"$DEST"}"; else echo "MISSING ${1#"$DEST"}"; fail=1; fi
}
need "$root/bin/s3fs"
need "$root/bin/s3ctl"
need "$root/share/man/man1/s3fs.1"
need "$root/share/man/man1/s3ctl.1"
need "$root/share/doc/s3fs/README.md"
need "$root/share/doc/s3fs/configuration.md"
need "$root/share/doc/s3fs/metrics.md"
need "$root/share/doc/s3fs/mnt-s3.mount.example"
unit=$(find "$DEST" -name 's3fs@.service' | head -n 1)
need "${unit:-$DEST/<no s3fs@.service>}"
if [ -n "$unit" ] && ! grep -q "ExecStart=$prefix/bin/s3fs" "$unit"; then
  echo "s3fs@.service does not start the installed $prefix/bin/s3fs"; fail=1
fi
# The installed binary runs and is the one built here.
"$root/bin/s3fs" --version | grep -q . || { echo "installed s3fs does not run"; fail=1; }
"$root/bin/s3ctl" --version | grep -q . || { echo "installed s3ctl does not run"; fail=1; }
exit $fail
