#!/usr/bin/env bash
# POSIX surface through a real mount: files, dirs, symlinks, fifos, modes/owners/times that
# survive a remount, rename, unlink of an open file, error codes.
source "$(dirname "$0")/lib.sh"
B=$(make_bucket basic)
M=$E2E_TMP/mnt
mount_ours "$B" "$M"
log "mounted $B on $M"

check "write and read back" "echo hello > $M/a.txt && test \"\$(cat $M/a.txt)\" = hello"
check "append with >>" "echo more >> $M/a.txt && test \"\$(cat $M/a.txt)\" = \$'hello\nmore'"
check "overwrite in the middle (dd conv=notrunc)" \
  "printf XY | dd of=$M/a.txt bs=1 seek=1 conv=notrunc status=none && test \"\$(head -c 5 $M/a.txt)\" = hXYlo"
check "truncate shrinks and grows" \
  "truncate -s 3 $M/a.txt && test \$(stat -c %s $M/a.txt) = 3 && truncate -s 10 $M/a.txt && test \$(stat -c %s $M/a.txt) = 10"
check "1 MiB random file round-trips" \
  "head -c 1048576 /dev/urandom > $E2E_TMP/r && cp $E2E_TMP/r $M/r && cmp $E2E_TMP/r $M/r"
check "20 MiB file (multipart) round-trips" \
  "head -c 20971520 /dev/urandom > $E2E_TMP/big && cp $E2E_TMP/big $M/big && cmp $E2E_TMP/big $M/big"
check "mkdir, nested files, ls" "mkdir -p $M/d/e && echo 1 > $M/d/e/f && ls $M/d/e | grep -qx f"
expect_fail "rmdir of a non-empty directory fails" "rmdir $M/d/e"
check "rm and rmdir" "rm $M/d/e/f && rmdir $M/d/e && ! test -e $M/d/e"
check "symlink and readlink" "ln -s a.txt $M/lnk && test \"\$(readlink $M/lnk)\" = a.txt && test -L $M/lnk"
check "mkfifo" "mkfifo $M/fifo && test -p $M/fifo"
expect_fail "hard link is refused" "ln $M/a.txt $M/hard"
expect_fail "name over 255 bytes is refused" "touch $M/$(printf 'n%.0s' $(seq 256))"
check "rename a file" "echo r > $M/from && mv $M/from $M/to && test \"\$(cat $M/to)\" = r && ! test -e $M/from"
check "rename over an existing file" "echo new > $M/src && echo old > $M/dst && mv $M/src $M/dst && test \"\$(cat $M/dst)\" = new"
check "rename a directory with children" \
  "mkdir -p $M/dir1/sub && for i in 1 2 3; do echo \$i > $M/dir1/sub/\$i; done && mv $M/dir1 $M/dir2 && test \"\$(cat $M/dir2/sub/3)\" = 3 && ! test -e $M/dir1"
check "editor-style save (write temp, sync, rename over)" \
  "echo v1 > $M/doc && echo v2 > $M/.doc.tmp && sync $M/.doc.tmp && mv $M/.doc.tmp $M/doc && test \"\$(cat $M/doc)\" = v2"
check "unlink of an open file keeps the descriptor readable" \
  "echo keep > $M/open && exec 3<$M/open && rm $M/open && ! test -e $M/open && test \"\$(cat <&3)\" = keep"
check "chmod, chown, touch -d" \
  "chmod 640 $M/to && chown 1234:5678 $M/to && touch -d '2020-01-02 03:04:05' $M/to"
check "df and stat -f work" "df $M >/dev/null && stat -f $M >/dev/null"
check "user xattrs" "setfattr -n user.color -v blue $M/to && test \"\$(getfattr --only-values -n user.color $M/to)\" = blue"
STAT_BEFORE=$(stat -c '%a %u %g %Y %s %F' "$M/to" "$M/lnk" "$M/fifo" "$M/dir2" "$M/a.txt")

log "remounting"
unmount_one "$M"
mount_ours "$B" "$M"
check "modes, owners, times, sizes, types survive a remount" \
  "test \"\$(stat -c '%a %u %g %Y %s %F' $M/to $M/lnk $M/fifo $M/dir2 $M/a.txt)\" = \"$STAT_BEFORE\""
check "xattr survives a remount" "test \"\$(getfattr --only-values -n user.color $M/to)\" = blue"
check "objects are in S3 with s3fs-fuse metadata" \
  "$S3CTL_CMD head s3://$B/to | grep -q 'x-amz-meta-mode: 33184' && $S3CTL_CMD head s3://$B/dir2/ | grep -q 'x-amz-meta-mode'"
check "content survives a remount" "cmp $E2E_TMP/big $M/big && test \"\$(cat $M/doc)\" = v2"
finish
