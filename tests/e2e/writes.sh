#!/usr/bin/env bash
# Write-back through a real mount: parts leave while a file is written and the object appears
# only at close; big sequential writes with the daemon's memory printed; overwrite, append
# and truncate of big objects; kill -9 mid-copy loses no closed file, shows no partial object,
# and the next mount aborts the upload left behind.
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

# 2. A big sequential write (dd conv=fsync), the daemon's peak memory printed.
PID=$(daemon_pid "$M")
check "300 MiB with dd conv=fsync" "dd if=/dev/urandom of=$E2E_TMP/big.src bs=1M count=300 status=none && dd if=$E2E_TMP/big.src of=$M/big.bin bs=1M conv=fsync status=none"
log "     daemon peak RSS after 300 MiB written: $(awk '/VmHWM/ {print $2/1024 " MiB"}' /proc/$PID/status)"
check "300 MiB read back" "cmp $E2E_TMP/big.src $M/big.bin"

# 3. In-place edits of a big object.
cp "$E2E_TMP/big.src" "$E2E_TMP/edit.ref"
check "1 MiB overwrite in the middle" \
  "head -c 1048576 /dev/urandom > $E2E_TMP/patch && dd if=$E2E_TMP/patch of=$M/big.bin bs=1M seek=150 conv=notrunc status=none && dd if=$E2E_TMP/patch of=$E2E_TMP/edit.ref bs=1M seek=150 conv=notrunc status=none && cmp $E2E_TMP/edit.ref $M/big.bin"
check "append 5 MiB" \
  "head -c 5242880 /dev/urandom > $E2E_TMP/tail && cat $E2E_TMP/tail >> $M/big.bin && cat $E2E_TMP/tail >> $E2E_TMP/edit.ref && cmp $E2E_TMP/edit.ref $M/big.bin"
check "truncate down and up" \
  "truncate -s 100M $M/big.bin && truncate -s 100M $E2E_TMP/edit.ref && truncate -s 120M $M/big.bin && truncate -s 120M $E2E_TMP/edit.ref && cmp $E2E_TMP/edit.ref $M/big.bin"
check "edits survive a remount" "fusermount3 -u $M && $S3FS_BIN $B $M -o url=$S3FS_TEST_ENDPOINT,use_path_request_style,passwd_file=$PASSWD && cmp $E2E_TMP/edit.ref $M/big.bin"

# 4. kill -9 in the middle of a copy.
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
mount_ours "$B" "$M" "abort_stale_uploads=0"
check "the next mount aborted it" "test -z \"\$($S3CTL_CMD mpu ls s3://$B/)\""
expect_fail "no partial object is visible" "$S3CTL_CMD head s3://$B/crash.bin"
check "the file closed before the crash is intact" "cmp $E2E_TMP/stream.src $M/closed.bin"
finish
