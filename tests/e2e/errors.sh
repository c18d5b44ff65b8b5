#!/usr/bin/env bash
# Error paths: bad credentials, missing bucket, dead endpoint, bad mount point, unknown option
# (each one line and a non-zero exit, quickly), and a live mount whose server goes away
# (errors within a bounded time, no hang, recovery when it returns).
source "$(dirname "$0")/lib.sh"
B=$(make_bucket errors)
M=$E2E_TMP/mnt
mkdir -p "$M"
BAD=$E2E_TMP/bad
echo "$S3FS_TEST_ACCESS_KEY:wrong-secret" > "$BAD"
chmod 600 "$BAD"
OPTS="url=$S3FS_TEST_ENDPOINT,use_path_request_style"

one_line_failure() {  # desc, expected text, command...
  local desc=$1 want=$2
  shift 2
  CHECKS=$((CHECKS + 1))
  local rc=0 t0=$SECONDS
  timeout 60 "$@" > "$E2E_TMP/out" 2>&1 || rc=$?
  local lines
  lines=$(grep -c . "$E2E_TMP/out" || true)
  if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -qi -- "$want" "$E2E_TMP/out" && [ "$lines" -le 2 ]; then
    log "ok   $desc ($((SECONDS - t0)) s): $(head -1 "$E2E_TMP/out")"
  else
    FAILURES=$((FAILURES + 1))
    log "FAIL $desc (exit $rc, $lines lines)"
    sed 's/^/       /' "$E2E_TMP/out" | head
  fi
  mountpoint -q "$M" && unmount_one "$M"
  return 0
}

one_line_failure "bad secret" "credentials" "$S3FS_BIN" "$B" "$M" -o "$OPTS,passwd_file=$BAD"
one_line_failure "missing bucket" "does not exist" "$S3FS_BIN" "no-such-bucket-$$" "$M" -o "$OPTS,passwd_file=$PASSWD"
one_line_failure "dead endpoint" "cannot reach" "$S3FS_BIN" "$B" "$M" -o "url=http://127.0.0.1:1,use_path_request_style,passwd_file=$PASSWD"
one_line_failure "missing mount point" "mount point" "$S3FS_BIN" "$B" "$E2E_TMP/nope" -o "$OPTS,passwd_file=$PASSWD"
one_line_failure "unknown option" "unknown option" "$S3FS_BIN" "$B" "$M" -o "$OPTS,passwd_file=$PASSWD,no_such_option"
chmod 644 "$BAD"
one_line_failure "world-readable passwd file" "chmod 600" "$S3FS_BIN" "$B" "$M" -o "$OPTS,passwd_file=$BAD"

# A live mount whose server dies: a second S3 endpoint of our own (the in-memory simulator),
# so the shared RGW stays up, killed under the mount and started again.
S3SIM_BIN=${S3SIM_BIN:-$(dirname "$S3FS_BIN")/../../bench/s3sim}  # beside the s3fs under test
PORT2=${E2E_SIM_PORT:-9390}
EP2=http://127.0.0.1:$PORT2
start_sim() {
  "$S3SIM_BIN" --port "$PORT2" --profile loopback 2>/dev/null &
  SIM_PID=$!
  for _ in $(seq 50); do curl -s -o /dev/null "$EP2/__sim/stats" && break; sleep 0.1; done
  timeout 30 "$S3CTL_BIN" --endpoint "$EP2" --path-style mb s3://dying >/dev/null
}
if [ -x "$S3SIM_BIN" ]; then
  start_sim
  M2=$E2E_TMP/mnt2
  mkdir -p "$M2"
  MOUNTS+=("$M2")
  timeout 60 "$S3FS_BIN" dying "$M2" -o "url=$EP2,use_path_request_style,passwd_file=$PASSWD,retries=1,connect_timeout=2,readwrite_timeout=5,stat_cache_expire=1"
  check "mount on the second server works" "echo alive > $M2/f && test \"\$(cat $M2/f)\" = alive"
  kill "$SIM_PID"
  wait "$SIM_PID" 2>/dev/null || true
  sleep 2
  STEP_TIMEOUT=90
  t0=$SECONDS
  expect_fail "ls fails (no hang) while the server is down" "ls $M2/newdir-never-seen"
  expect_fail "stat of an uncached name fails while the server is down" "stat $M2/other"
  expect_fail "write+close reports the failed upload" "echo data > $M2/g"
  log "     3 failing operations returned within $((SECONDS - t0)) s"
  check "no s3fs thread is stuck in D state" "! ps -eo stat,comm | grep -E '^D.*s3fs'"
  start_sim
  check "the mount works again once the server is back" \
    "for i in \$(seq 40); do echo back > $M2/h 2>/dev/null && break; sleep 1; done; test \"\$(cat $M2/h)\" = back"
  unmount_one "$M2"
  kill "$SIM_PID" 2>/dev/null || true
else
  FAILURES=$((FAILURES + 1))
  log "FAIL $S3SIM_BIN is not built (scripts/build builds it)"
fi
finish
