#!/usr/bin/env bash
# Object layout interop with s3fs-fuse 1.90 (Debian's /usr/bin/s3fs) on the same bucket, both
# ways: files, directories, symlinks, fifos, modes, owners, mtimes and user xattrs.
source "$(dirname "$0")/lib.sh"
[ -x "$PEER_S3FS" ] || { log "FAIL: $PEER_S3FS missing (apt-get install s3fs)"; exit 1; }
B=$(make_bucket interop)
P=$E2E_TMP/peer
O=$E2E_TMP/ours
STAT='%A %u %g %Y %s %F'

populate() {
  local root=$1 tag=$2
  mkdir -p "$root/$tag/dir/sub"
  echo "content $tag" > "$root/$tag/file.txt"
  chmod 640 "$root/$tag/file.txt"
  chown 1234:4321 "$root/$tag/file.txt"
  touch -d '2019-03-04 05:06:07' "$root/$tag/file.txt"
  head -c 300000 /dev/urandom > "$root/$tag/dir/sub/bin.dat"
  chmod 700 "$root/$tag/dir"
  ln -s file.txt "$root/$tag/link"
  mkfifo "$root/$tag/fifo"
  setfattr -n user.color -v blue "$root/$tag/file.txt"
}

describe() {
  local root=$1 tag=$2
  (cd "$root/$tag" && for f in file.txt dir dir/sub dir/sub/bin.dat link fifo; do
     echo "$f $(stat -c "$STAT" "$f")"
   done
   echo "link -> $(readlink link)"
   sha256sum file.txt dir/sub/bin.dat
   getfattr --only-values -n user.color file.txt; echo)
}

mount_peer "$B" "$P" "use_xattr"
mount_ours "$B" "$O"
check "s3fs-fuse writes a tree" "$(declare -f populate); populate $P from-peer"
unmount_one "$P"
unmount_one "$O"
mount_ours "$B" "$O"
mount_peer "$B" "$P" "use_xattr"
check "ours reads s3fs-fuse's tree identically" \
  "$(declare -f describe); STAT='$STAT'; diff <(describe $P from-peer) <(describe $O from-peer)"
check "ours writes a tree" "$(declare -f populate); populate $O from-ours"
unmount_one "$P"
mount_peer "$B" "$P" "use_xattr"
check "s3fs-fuse reads our tree identically" \
  "$(declare -f describe); STAT='$STAT'; diff <(describe $O from-ours) <(describe $P from-ours)"
finish
