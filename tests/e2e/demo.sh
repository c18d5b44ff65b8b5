#!/usr/bin/env bash
# The README's first command, scripts/demo, run for real (twice: it must be re-runnable) with an
# RGW of its own on the test port + 20, its data dir and mount point in the scratch directory,
# and the build directory of the binaries under test (incremental, never a fresh build). Checks
# its output: the s3ctl round-trip checksum, the presigned GET, the listing of the files copied
# through the mount, and the closing instructions; then follows them (unmount, stop the server).
# In CI (.ci/run -> scripts/test on a fresh clone) this is the demo run from a clean clone.
source "$(dirname "$0")/lib.sh"
TEST_PORT=${S3FS_TEST_ENDPOINT##*:}
TEST_PORT=${TEST_PORT%%/*}
DEMO_PORT=${E2E_DEMO_PORT:-$((TEST_PORT + 20))}
DEMO_DIR=$E2E_TMP/demo-rgw
DEMO_MNT=$E2E_TMP/demo-mnt
BUILD_DIR=$(cd "$(dirname "$S3FS_BIN")/../.." && pwd)
MOUNTS+=("$DEMO_MNT")
stop_demo_rgw() { "$REPO/tests/servers/rgw" stop "$DEMO_DIR" >/dev/null 2>&1 || true; }
trap 'unmount_one "$DEMO_MNT"; stop_demo_rgw; cleanup' EXIT
if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$DEMO_PORT/"; then
  FAILURES=$((FAILURES + 1))
  log "FAIL port $DEMO_PORT is taken (set E2E_DEMO_PORT)"
  finish
fi

run_demo() {  # run_demo N: scripts/demo with the test's settings, output in demo-N.out
  S3FS_DEMO_RGW_PORT=$DEMO_PORT S3FS_DEMO_RGW_DIR=$DEMO_DIR S3FS_DEMO_MNT=$DEMO_MNT \
    S3FS_DEMO_BUILD=$BUILD_DIR timeout 600 "$REPO/scripts/demo" > "$E2E_TMP/demo-$1.out" 2>&1
}
demo_output_ok() {  # demo_output_ok N
  local out=$E2E_TMP/demo-$1.out
  grep -q '^checksum ok: ' "$out" &&
    grep -qx 'presigned GET with plain curl: hello from s3ctl' "$out" &&
    grep -q "^$DEMO_MNT/photos/2024:" "$out" && grep -qE ' big\.bin$' "$out" &&
    grep -qE ' note\.txt$' "$out" && grep -qE ' hello\.txt$' "$out" &&
    grep -qE ' photos/2024/big\.bin$' "$out" &&
    grep -q "unmount: *fusermount3 -u $DEMO_MNT" "$out" &&
    grep -q "stop server: *tests/servers/rgw stop $DEMO_DIR" "$out"
}
export -f demo_output_ok
export E2E_TMP DEMO_MNT DEMO_DIR

t0=$SECONDS
rc=0
run_demo 1 || rc=$?
log "     first run: exit $rc in $((SECONDS - t0)) s"
check "scripts/demo succeeds" "test $rc = 0 || { tail -n 30 $E2E_TMP/demo-1.out; exit 1; }"
check "its output: checksum ok, presigned GET, the copied files listed, how to unmount and stop" \
  "demo_output_ok 1 || { cat $E2E_TMP/demo-1.out; exit 1; }"
check "the demo mount is up, with the files" \
  "mountpoint -q $DEMO_MNT && cmp $DEMO_MNT/photos/2024/big.bin $DEMO_MNT/s3ctl/big.bin && test \"\$(cat $DEMO_MNT/photos/note.txt)\" = 'written through the mount'"
check "it used its own RGW on port $DEMO_PORT, not the test RGW" \
  "grep -q 'RGW at http://127.0.0.1:$DEMO_PORT' $E2E_TMP/demo-1.out && curl -s -o /dev/null http://127.0.0.1:$DEMO_PORT/"

t0=$SECONDS
rc=0
run_demo 2 || rc=$?
log "     second run: exit $rc in $((SECONDS - t0)) s"
check "running it again works (same server, same bucket, mounted afresh)" \
  "test $rc = 0 && grep -q 'already running' $E2E_TMP/demo-2.out && demo_output_ok 2 && mountpoint -q $DEMO_MNT || { tail -n 30 $E2E_TMP/demo-2.out; exit 1; }"
check "a single mount after two runs" "test \$(grep -c \" $DEMO_MNT \" /proc/mounts) = 1"

# Follow the instructions it printed.
UNMOUNT=$(sed -n 's/^ *unmount: *//p' "$E2E_TMP/demo-2.out")
STOP=$(sed -n 's/^ *stop server: *//p' "$E2E_TMP/demo-2.out")
check "its unmount command unmounts" "timeout 60 $UNMOUNT && ! mountpoint -q $DEMO_MNT"
check "its stop command stops the server" \
  "cd $REPO && timeout 60 $STOP && ! curl -s -o /dev/null --max-time 2 http://127.0.0.1:$DEMO_PORT/ && ! test -e $DEMO_DIR"
finish
