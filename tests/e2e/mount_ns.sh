# shellcheck shell=bash
# Sourced first (before lib.sh) by the tests that mount through mount(8): `mount -t fuse.s3fs`
# and fstab lines. mount(8) drops PATH before it runs mount.fuse3, whose shell then runs the
# `s3fs` of the default path: /usr/bin/s3fs, Debian's s3fs-fuse, never the binary under test
# (seen: such a test passed while testing s3fs-fuse). So the script re-runs itself in a private
# mount namespace, and ns_setup (after lib.sh) bind-mounts there the s3fs under test onto
# /usr/bin/s3fs and a private copy of /etc/fstab onto /etc/fstab (fstab_add LINE appends to it,
# fstab_reset empties it of ours). Nothing outside the namespace sees either; both go when it
# ends, so the machine's /etc/fstab is never edited.
if [ -z "${S3FS_E2E_MOUNT_NS:-}" ]; then
  export S3FS_E2E_MOUNT_NS=1
  exec unshare --mount --propagation private -- bash "$0" "$@"
fi

ns_setup() {
  mount --bind "$S3FS_BIN" /usr/bin/s3fs
  cp /etc/fstab "$E2E_TMP/fstab.orig"
  cp /etc/fstab "$E2E_TMP/fstab"
  mount --bind "$E2E_TMP/fstab" /etc/fstab
  # The e2e scratch directory is 0700: let other users (allow_other checks) reach mount points.
  chmod 711 "$E2E_TMP"
}
fstab_add() { printf '%s\n' "$1" >> /etc/fstab; }
fstab_reset() { cat "$E2E_TMP/fstab.orig" > /etc/fstab; }

# ours MNT: the mount on MNT is this project's s3fs (source s3fs:BUCKET), not s3fs-fuse's.
ours() { awk -v m="$1" '$2 == m {print $1}' /proc/mounts | grep -q '^s3fs:'; }
export -f ours  # usable inside check steps
