#!/usr/bin/env bash
# Write-back through a real mount: parts leave while a file is written and the object appears
# only at close; big sequential writes with the daemon's memory printed; overwrite, append
# and truncate of big objects rebuilt with server-side copies (bytes uploaded printed); a
# multi-GiB write staged on a small tmpfs (staging disk and RSS printed); kill -9 mid-copy of a
# big file and of a tree loses no closed file, shows no partial object, and the next mount
# aborts the uploads left behind through its journal (no grace period).
source "$(dirname "$0")/lib.sh"
B=$(make_bucket writes)
M=$E2E_TMP/mnt
mount_ours "$B" "$M"
daemon_pid() { pgrep -f -x "$S3FS_BIN $B $1 -o .*" | head -1; }
uploads() { s3ctl mpu ls "s3://$B/$1" 2>/dev/null | grep -c . || true; }

# 1. Streaming: a writer stops after 64 MiB without closing; parts are already in S3.
python3 - "$M/stream.bin" "$E2E_TMP/stream.src" "$E2E_TMP/go" <<'PY' &
import os, sys, time
data = os.urandom(64 << 20)
open(sys.argv[2], "wb").write(data)
with open(sys.argv[1], "wb") as f:
    for i in range(0, len(data), 1 << 20):
        f.write(data[i:i + (1 << 20)])
    f.flush()
    open(sys.argv[3] + ".written", "w").close()
    while not os.path.exists(sys.argv[3]):
        time.sleep(0.05)
PY
WRITER=$!
check "the writer wrote 64 MiB" "for i in \$(seq 600); do test -e $E2E_TMP/go.written && exit 0; sleep 0.1; done; exit 1"
check "an upload is in progress before close" "test \$($S3CTL_CMD mpu ls s3://$B/stream | grep -c stream.bin) = 1"
expect_fail "no object is visible before close" "$S3CTL_CMD head s3://$B/stream.bin"
touch "$E2E_TMP/go"
for _ in $(seq 600); do kill -0 "$WRITER" 2>/dev/null || break; sleep 0.1; done
WRITER_RC=0
wait "$WRITER" || WRITER_RC=$?
check "close completes the upload" "test $WRITER_RC = 0"
check "the object is the bytes written" "$S3CTL_CMD get s3://$B/stream.bin - | cmp - $E2E_TMP/stream.src"
check "no upload is left" "test -z \"\$($S3CTL_CMD mpu ls s3://$B/)\""

# 2. A big sequential write (dd conv=fsync, 1 GiB), the daemon's peak memory printed.
PID=$(daemon_pid "$M")
check "1 GiB with dd conv=fsync" "dd if=/dev/urandom of=$E2E_TMP/big.src bs=1M count=1024 status=none && dd if=$E2E_TMP/big.src of=$M/big.bin bs=1M conv=fsync status=none"
log "     daemon peak RSS after 1 GiB written: $(awk '/VmHWM/ {print $2/1024 " MiB"}' /proc/$PID/status)"
check "1 GiB read back" "cmp $E2E_TMP/big.src $M/big.bin"

# 3. In-place edits of the 1 GiB object.
cp "$E2E_TMP/big.src" "$E2E_TMP/edit.ref"
rebuilt() { grep 'rebuilt from its edits' "$E2E_TMP/s3fs-mnt.log" | tail -n 1 | sed 's/.*big.bin //'; }
uploaded_by_last_edit() { rebuilt | sed -n 's/.*copied in S3, \([0-9]*\) uploaded/\1/p'; }
check "1 MiB overwrite in the middle" \
  "head -c 1048576 /dev/urandom > $E2E_TMP/patch && dd if=$E2E_TMP/patch of=$M/big.bin bs=1M seek=512 conv=notrunc status=none && dd if=$E2E_TMP/patch of=$E2E_TMP/edit.ref bs=1M seek=512 conv=notrunc status=none && cmp $E2E_TMP/edit.ref $M/big.bin"
log "     overwrite: $(rebuilt)"
check "the overwrite uploaded at most two 8 MiB cells, not the object" "test \"\$(grep 'rebuilt from its edits' $E2E_TMP/s3fs-mnt.log | tail -n 1 | sed -n 's/.*copied in S3, \([0-9]*\) uploaded/\1/p')\" -le $((16 << 20))"
check "append 5 MiB" \
  "head -c 5242880 /dev/urandom > $E2E_TMP/tail && cat $E2E_TMP/tail >> $M/big.bin && cat $E2E_TMP/tail >> $E2E_TMP/edit.ref && cmp $E2E_TMP/edit.ref $M/big.bin"
log "     append: $(rebuilt)"
check "truncate down and up" \
  "truncate -s 100M $M/big.bin && truncate -s 100M $E2E_TMP/edit.ref && truncate -s 120M $M/big.bin && truncate -s 120M $E2E_TMP/edit.ref && cmp $E2E_TMP/edit.ref $M/big.bin"
check "edits survive a remount" "fusermount3 -u $M && $S3FS_BIN $B $M -o url=$S3FS_TEST_ENDPOINT,use_path_request_style,passwd_file=$PASSWD && cmp $E2E_TMP/edit.ref $M/big.bin"

log "     truncate: $(rebuilt)"
s3ctl rm "s3://$B/big.bin" >/dev/null 2>&1 || true
rm -f "$E2E_TMP/big.src" "$E2E_TMP/edit.ref"

# 3b. A service that allows fewer parts per upload (multipart_max_parts=20, 5 MiB parts): a
# 300 MiB file, larger than part size x part limit (as 98 GiB is for s3fs-fuse's defaults and
# S3's 10,000 parts), is written, and edited, within the limit; the multipart ETag's -N suffix
# is the number of parts.
M3=$E2E_TMP/mnt-parts
mount_ours "$B" "$M3" "multipart_size=5,multipart_max_parts=20"
head -c $((300 << 20)) /dev/urandom > "$E2E_TMP/parts.src"
parts() { $S3CTL_CMD head "s3://$B/parts.bin" | tr -d '"' | sed -n 's/.*[Ee][Tt]ag[^-]*-\([0-9]*\).*/\1/p' | head -n 1; }
export B
export -f parts
check "300 MiB written with 5 MiB parts and at most 20 parts" "cp $E2E_TMP/parts.src $M3/parts.bin && cmp $E2E_TMP/parts.src $M3/parts.bin && n=\$(parts) && echo parts=\$n && test -n \"\$n\" && test \$n -le 20"
log "     streamed: $(parts) parts"
check "an edit of it is rebuilt within the limit too" "printf 'edited' | dd of=$M3/parts.bin bs=1 seek=$((150 << 20)) conv=notrunc status=none && printf 'edited' | dd of=$E2E_TMP/parts.src bs=1 seek=$((150 << 20)) conv=notrunc status=none && n=\$(parts) && echo parts=\$n && test \$n -le 20 && cmp $E2E_TMP/parts.src $M3/parts.bin"
unmount_one "$M3"
s3ctl rm "s3://$B/parts.bin" >/dev/null 2>&1 || true
rm -f "$E2E_TMP/parts.src"

# 4. A big sequential write staged on a small tmpfs: the staging copy of each part is released
# once S3 has it, so the write needs disk only for the parts in flight. The size adapts to the
# machine's free memory (RGW's memstore keeps the object in RAM); 5 GiB on a CI machine.
# The test RGW's memstore OSD holds 8 GiB: its garbage (deleted and rewritten objects) is
# collected first, and the object is deleted and collected right after the check.
gc_rgw() {
  [ -n "${S3FS_RGW_DIR:-}" ] || return 0
  CEPH_CONF=$S3FS_RGW_DIR/ceph.conf timeout 300 radosgw-admin gc process --include-all \
    >/dev/null 2>&1 || true
}
gc_rgw
avail_mib=$(awk '/MemAvailable/ {print int($2 / 1024)}' /proc/meminfo)
BIG_MIB=${WRITES_BIG_MIB:-$(( avail_mib / 3 < 5120 ? avail_mib / 3 : 5120 ))}
STAGE=$E2E_TMP/stage
mkdir -p "$STAGE"
mount -t tmpfs -o size=384m tmpfs "$STAGE"
MOUNTS+=("$STAGE")
M2=$E2E_TMP/mnt2
mount_ours "$B" "$M2" "tmpdir=$STAGE"
PID2=$(daemon_pid "$M2")
( peak=0; while [ ! -e "$E2E_TMP/big.done" ]; do
    u=$(df --output=used -k "$STAGE" | tail -n 1); [ "$u" -gt "$peak" ] && peak=$u
    echo "$peak" > "$E2E_TMP/stage.peak"; sleep 0.2; done ) &
SAMPLER=$!
t0=$(date +%s.%N)
STEP_TIMEOUT=900 check "$BIG_MIB MiB written through a 384 MiB staging tmpfs" "openssl enc -aes-128-ctr -nosalt -pass pass:s3fs-writes -in /dev/zero 2>/dev/null | head -c $(( BIG_MIB << 20 )) | dd of=$M2/huge.bin bs=1M iflag=fullblock status=none && test \$(stat -c %s $M2/huge.bin) = $(( BIG_MIB << 20 ))"
t1=$(date +%s.%N)
touch "$E2E_TMP/big.done"
wait "$SAMPLER" 2>/dev/null || true
log "     $BIG_MIB MiB in $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}') s ($(awk -v a="$t0" -v b="$t1" -v m="$BIG_MIB" 'BEGIN {printf "%.0f", m / (b - a)}') MiB/s); staging peak $(( $(cat "$E2E_TMP/stage.peak") / 1024 )) MiB; daemon peak RSS $(awk '/VmHWM/ {print int($2/1024)}' /proc/$PID2/status) MiB"
STEP_TIMEOUT=900 check "the big object reads back identical (sha256)" "test \"\$(cat $M2/huge.bin | sha256sum)\" = \"\$(openssl enc -aes-128-ctr -nosalt -pass pass:s3fs-writes -in /dev/zero 2>/dev/null | head -c $(( BIG_MIB << 20 )) | sha256sum)\""
unmount_one "$M2"
s3ctl rm "s3://$B/huge.bin" >/dev/null 2>&1 || true
gc_rgw

# 5. kill -9 in the middle of a copy.
check "a closed file before the crash" "cp $E2E_TMP/stream.src $M/closed.bin"
head -c $((200 << 20)) /dev/urandom > "$E2E_TMP/crash.src"
PID=$(daemon_pid "$M")
( cp "$E2E_TMP/crash.src" "$M/crash.bin" 2>/dev/null ) &
CP=$!
check "the copy is streaming parts" "for i in \$(seq 300); do $S3CTL_CMD mpu ls s3://$B/crash | grep -q crash.bin && exit 0; sleep 0.1; done; exit 1"
kill -9 "$PID"
abort_mount "$M"
wait "$CP" 2>/dev/null || true
check "an upload was left behind by the crash" "$S3CTL_CMD mpu ls s3://$B/crash | grep -q crash.bin"
# Default options: the stale-upload sweep would wait 24 h; the journal knows the upload was ours.
mount_ours "$B" "$M"
check "the next mount aborted it (journal)" "test -z \"\$($S3CTL_CMD mpu ls s3://$B/)\""
check "and said so in its log" "grep -q 'left unfinished' $E2E_TMP/s3fs-mnt.log"
expect_fail "no partial object is visible" "$S3CTL_CMD head s3://$B/crash.bin"
check "the file closed before the crash is intact" "cmp $E2E_TMP/stream.src $M/closed.bin"

# 6. kill -9 in the middle of a tree copy: rsync copies in name order, so the 150 small files
# (a*) are closed before the big ones (z*) stream; the kill lands while a big one streams.
mkdir -p "$E2E_TMP/tree"
for i in $(seq 100 249); do head -c $(( (i * 7919) % 300000 + 1 )) /dev/urandom > "$E2E_TMP/tree/a$i"; done
for i in 1 2 3; do head -c $(( 120 << 20 )) /dev/urandom > "$E2E_TMP/tree/z$i"; done
PID=$(daemon_pid "$M")
( rsync -r --inplace "$E2E_TMP/tree/" "$M/tree/" 2>/dev/null ) &
CP=$!
check "a big file of the tree is streaming" "for i in \$(seq 1200); do $S3CTL_CMD mpu ls s3://$B/tree | grep -q z && exit 0; sleep 0.05; done; exit 1"
kill -9 "$PID"
abort_mount "$M"
wait "$CP" 2>/dev/null || true
mount_ours "$B" "$M"
check "every file of the tree in S3 is complete, the 150 closed ones at least" "n=0; for f in \$(cd $M/tree && find . -type f); do cmp $M/tree/\$f $E2E_TMP/tree/\$f || exit 1; n=\$((n + 1)); done; echo \$n files; test \$n -ge 150"
log "     $(cd "$M/tree" && find . -type f | wc -l) of 153 files were complete before the kill"
check "no upload is left after the remount" "test -z \"\$($S3CTL_CMD mpu ls s3://$B/)\""
check "no staging file is left behind" "test -z \"\$(ls -A /tmp | grep '^\.s3fs-staging' || true)\""
finish
