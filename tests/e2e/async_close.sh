#!/usr/bin/env bash
# async_close (opt-in): close() returns once the data is on local disk and journaled, the
# uploads follow. Checks: a tree copied in arrives complete in S3 and reads back meanwhile;
# the copy's time against a mount without the option (printed); fsync still waits for S3;
# kill -9 right after a copy whose uploads were held back (max_upload_bps), then a remount:
# the next mount uploads every accepted close, the bytes in S3 are the bytes closed, nothing
# is left in the staging directory or the journal.
source "$(dirname "$0")/lib.sh"
trap cleanup EXIT

B=$(make_bucket async)
STAGE=$E2E_TMP/stage
META=$E2E_TMP/meta
mkdir -p "$STAGE" "$META" "$E2E_TMP/src"
M=$E2E_TMP/mnt
MS=$E2E_TMP/sync
for d in $(seq 10); do
  mkdir -p "$E2E_TMP/src/d$d"
  for i in $(seq 30); do head -c $(( (d * 7919 + i * 104729) % 20000 + 1 )) /dev/urandom > "$E2E_TMP/src/d$d/f$i"; done
done
# Objects under $1 (directory markers, ending in /, not counted).
count() { s3ctl ls -r "s3://$B/$1" 2>/dev/null | grep -v '/$' | grep -c "$1/d" || true; }
export B
export -f count
pending() { find "$STAGE/.s3fs-pending" -maxdepth 1 -type f 2>/dev/null | wc -l; }
daemon_pid() { pgrep -f -x "$S3FS_BIN $B $1 -o .*" | head -1; }

# 1. A tree of 300 small files.
mount_ours "$B" "$M" "async_close,tmpdir=$STAGE,meta_cache=$META"
mount_ours "$B" "$MS" "meta_cache=$E2E_TMP/meta-sync"
t0=$(date +%s.%N)
check "cp -r of 300 files with async_close" "cp -r $E2E_TMP/src $M/a"
t1=$(date +%s.%N)
DONE_AT_RETURN=$(count a)
T_SYNC0=$(date +%s.%N)
check "cp -r of the same 300 files without it" "cp -r $E2E_TMP/src $MS/s"
t2=$(date +%s.%N)
log "     cp -r 300 files: $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}') s with async_close, $(awk -v a="$T_SYNC0" -v b="$t2" 'BEGIN {printf "%.2f", b - a}') s without ($DONE_AT_RETURN of 300 uploads done when cp returned)"
check "the tree reads back at once" "diff -r $E2E_TMP/src $M/a"
check "all 300 objects arrive in S3" "for i in \$(seq 600); do test \$(count a) = 300 && exit 0; sleep 0.1; done; exit 1"
check "the objects hold the bytes closed" "for f in d1/f1 d5/f17 d10/f30; do s3ctl get s3://$B/a/\$f - | cmp - $E2E_TMP/src/\$f || exit 1; done"
check "the staging links are gone once uploaded" "for i in \$(seq 100); do test \$(find $STAGE/.s3fs-pending -maxdepth 1 -type f | wc -l) = 0 && exit 0; sleep 0.1; done; exit 1"
check "fsync waits for S3" "python3 -c \"
import os
fd = os.open('$M/synced', os.O_WRONLY | os.O_CREAT, 0o644)
os.write(fd, b'durable')
os.fsync(fd)
os.system('$S3CTL_BIN --endpoint $S3FS_TEST_ENDPOINT --path-style get s3://$B/synced - > $E2E_TMP/synced.out')
os.close(fd)
\" && test \"\$(cat $E2E_TMP/synced.out)\" = durable"
unmount_one "$MS"

# 2. kill -9 with closes accepted and not uploaded (uploads held back to 20 KB/s).
unmount_one "$M"
mount_ours "$B" "$M" "async_close,tmpdir=$STAGE,meta_cache=$META,max_upload_bps=20000"
PID=$(daemon_pid "$M")
check "cp -r of 300 files returns with uploads pending" "cp -r $E2E_TMP/src $M/crash"
ACCEPTED=$(pending)
log "     closes waiting for their upload when cp returned: $ACCEPTED of 300 (in S3: $(count crash))"
check "most closes were still waiting" "test $ACCEPTED -ge 100"
kill -9 "$PID"
abort_mount "$M"
BEFORE=$(count crash)
log "     in S3 at the kill: $BEFORE of 300"
check "the kill left files out of S3" "test $BEFORE -lt 300"
mount_ours "$B" "$M" "async_close,tmpdir=$STAGE,meta_cache=$META"
check "the next mount uploaded them and said so" "grep -q 'closed files a stopped mount had not uploaded' $E2E_TMP/s3fs-mnt.log"
log "     $(grep -o 'upload journal: [0-9]* closed files.*' "$E2E_TMP/s3fs-mnt.log" | tail -n 1)"
check "all 300 files are in S3 after the remount" "test \$(count crash) = 300"
check "every file holds the bytes closed (through the mount and in S3)" "diff -r $E2E_TMP/src $M/crash && for f in d2/f3 d9/f29; do s3ctl get s3://$B/crash/\$f - | cmp - $E2E_TMP/src/\$f || exit 1; done"
check "nothing is left in the staging directory" "test \$(find $STAGE/.s3fs-pending -maxdepth 1 -type f | wc -l) = 0"
check "no upload is left" "test -z \"\$(s3ctl mpu ls s3://$B/)\""
finish
