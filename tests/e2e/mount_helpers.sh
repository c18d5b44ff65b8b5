#!/usr/bin/env bash
# The ways ops mount a bucket: `mount -t fuse.s3fs` (through mount.fuse3, which runs the `s3fs`
# of the default PATH), an /etc/fstab line followed by `mount MNT`, `umount`, a read-only mount, and a
# BUCKET:/prefix mount. (The fstab lines of the docs: fstab.sh.)
source "$(dirname "$0")/mount_ns.sh"  # mount(8) runs /usr/bin/s3fs: ours there, privately
source "$(dirname "$0")/lib.sh"
ns_setup
B=$(make_bucket helpers)
M=$E2E_TMP/mnt
mkdir -p "$M"
OPTS="url=$S3FS_TEST_ENDPOINT,use_path_request_style,passwd_file=$PASSWD"
MOUNTS+=("$M")

check "mount -t fuse.s3fs" "mount -t fuse.s3fs $B $M -o $OPTS && mountpoint -q $M && echo one > $M/one && test \"\$(cat $M/one)\" = one"
check "mount -t fuse.s3fs ran this s3fs (not s3fs-fuse)" "ours $M"
check "umount" "umount $M && ! mountpoint -q $M"

fstab_add "$B $M fuse.s3fs _netdev,allow_other,$OPTS 0 0"
check "fstab line + mount MNT" "mount $M && mountpoint -q $M && ours $M && test \"\$(cat $M/one)\" = one"
check "allow_other shows in the mount options" "grep \" $M \" /proc/mounts | grep -q allow_other"
check "umount of the fstab mount" "umount $M && ! mountpoint -q $M"
fstab_reset

check "read-only mount refuses writes" \
  "$S3FS_BIN $B $M -o $OPTS,ro && test \"\$(cat $M/one)\" = one && ! (echo x > $M/ro-write) 2>/dev/null && umount $M"
check "prepare a prefix" "$S3CTL_CMD put /etc/hostname s3://$B/sub/dir/inside.txt >/dev/null"
check "BUCKET:/prefix mounts only the prefix" \
  "$S3FS_BIN $B:/sub/dir $M -o $OPTS && test -f $M/inside.txt && ! test -e $M/one && echo p > $M/new && umount $M && $S3CTL_CMD head s3://$B/sub/dir/new >/dev/null"
check "SIGHUP re-opens logfile=, SIGUSR1/SIGUSR2 leave the mount up" \
  "$S3FS_BIN $B $M -o $OPTS,logfile=$E2E_TMP/sig.log,dbglevel=info && for p in \$(pgrep -x s3fs); do tr '\\0' ' ' < /proc/\$p/cmdline | grep -q ' $M ' && pid=\$p; done; mv $E2E_TMP/sig.log $E2E_TMP/sig.log.1 && kill -HUP \$pid && kill -USR1 \$pid && kill -USR2 \$pid && sleep 1 && mountpoint -q $M && grep -q 're-opened' $E2E_TMP/sig.log && grep -q 'log level is now debug' $E2E_TMP/sig.log && echo s > $M/sig && umount $M"
check "SIGTERM unmounts cleanly after uploading" \
  "$S3FS_BIN $B $M -o $OPTS && for p in \$(pgrep -x s3fs); do tr '\\0' ' ' < /proc/\$p/cmdline | grep -q ' $M ' && pid=\$p; done; echo t > $M/term && kill -TERM \$pid && for i in \$(seq 50); do mountpoint -q $M || break; sleep 0.2; done; ! mountpoint -q $M && $S3CTL_CMD head s3://$B/term >/dev/null"
finish
