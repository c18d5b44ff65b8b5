#!/usr/bin/env bash
# Client-side rate limits on real mounts (docs/configuration.md "Rate limits"): request rate,
# upload and download bytes per second, a concurrency cap of 1 that must not deadlock parallel
# multipart uploads or read-ahead, s3ctl's flags; and the adaptive slow-down against the S3
# simulator's request-rate cap (503 SlowDown): every file arrives, the log says the rate was
# lowered, and fewer requests are refused than with adaptive_slowdown=0.
source "$(dirname "$0")/lib.sh"
S3SIM_BIN=${S3SIM_BIN:-$(dirname "$S3FS_BIN")/../../bench/s3sim}

B=$(make_bucket rates)
M=$E2E_TMP/m
L=$E2E_TMP/local
mkdir -p "$L"
head -c $((2 * 1024 * 1024)) /dev/urandom > "$L/2m"
head -c $((512 * 1024)) /dev/urandom > "$L/512k"
head -c $((24 * 1024 * 1024)) /dev/urandom > "$L/24m"
s3ctl put "$L/2m" "s3://$B/2m" >/dev/null
export M L B

# elapsed_at_least SECONDS command...: runs the command, which must succeed and take that long.
elapsed_at_least() {
  local min=$1 t0 t1
  shift
  t0=$(date +%s.%N)
  bash -c "$*" || return 1
  t1=$(date +%s.%N)
  echo "took $(echo "$t1 - $t0" | bc) s (at least $min expected)"
  [ "$(echo "$t1 - $t0 >= $min" | bc)" = 1 ]
}
export -f elapsed_at_least

mount_ours "$B" "$M" "max_requests_per_sec=10"
check "max_requests_per_sec=10: 20 new files (a PUT each) take 2 s" \
  "elapsed_at_least 1.8 'for i in \$(seq 20); do echo \$i > $M/r\$i; done'"
unmount_one "$M"

mount_ours "$B" "$M" "max_download_bps=512K"
check "max_download_bps=512K: a 2 MiB file takes 2 s to read, and is right" \
  "elapsed_at_least 1.4 'cmp $L/2m $M/2m'"
unmount_one "$M"

mount_ours "$B" "$M" "max_upload_bps=1M"
check "max_upload_bps=1M: four 512 KiB files take 1.5 s to write" \
  "elapsed_at_least 1.4 'for i in 1 2 3 4; do cp $L/512k $M/u\$i; done' && cmp $L/512k $M/u4"
unmount_one "$M"

mount_ours "$B" "$M" "max_concurrent_requests=1,multipart_size=5"
check "max_concurrent_requests=1: a parallel multipart upload completes" "cp $L/24m $M/big && cmp $L/24m $M/big"
check "max_concurrent_requests=1: two readers at once" \
  "cat $M/big > $E2E_TMP/a & cat $M/2m > $E2E_TMP/b; wait; cmp $L/24m $E2E_TMP/a && cmp $L/2m $E2E_TMP/b"
check "max_concurrent_requests=1: ls -l of the bucket" "ls -l $M | grep -q big"
unmount_one "$M"

check "s3ctl --max-requests-per-sec 4: a 6-request multipart put takes over 1 s" \
  "elapsed_at_least 1.1 '$S3CTL_CMD --max-requests-per-sec 4 --part-size 5M --multipart-threshold 5M put $L/24m s3://$B/ctl >/dev/null' && $S3CTL_CMD get s3://$B/ctl - | cmp - $L/24m"
# One GET runs at line speed; the parts of a parallel get wait for the bytes before them.
check "s3ctl --max-download-bps 8M: 24 MiB in 5 MiB parts takes over 2 s" \
  "elapsed_at_least 2 '$S3CTL_CMD --max-download-bps 8M --part-size 5M get s3://$B/ctl $E2E_TMP/c >/dev/null' && cmp $L/24m $E2E_TMP/c"
expect_fail "bad values are refused" "$S3FS_BIN $B $M -o max_upload_bps=fast"

# ---- adaptive slow-down against a server that caps the request rate ------------------------------
if [ ! -x "$S3SIM_BIN" ]; then
  FAILURES=$((FAILURES + 1))
  log "FAIL $S3SIM_BIN is not built"
  finish
  exit 1
fi
SIM_PORT=${E2E_SIM_PORT2:-9391}
SIM=http://127.0.0.1:$SIM_PORT
"$S3SIM_BIN" --port "$SIM_PORT" --profile loopback --max-rps 30 2>/dev/null &
SIM_PID=$!
for _ in $(seq 50); do curl -s -o /dev/null "$SIM/__sim/stats" && break; sleep 0.1; done
timeout 30 "$S3CTL_BIN" --endpoint "$SIM" --path-style mb s3://slow >/dev/null
export SIM
# 8 writers x 25 files each, as fast as they can.
burst() {
  local dir=$1
  for w in $(seq 8); do
    (for i in $(seq 25); do echo "$w-$i" > "$dir/w$w-$i" || exit 1; done) &
  done
  wait
}
export -f burst
M2=$E2E_TMP/sim
mkdir -p "$M2"
MOUNTS+=("$M2")
timeout 60 "$S3FS_BIN" slow "$M2" -o "url=$SIM,use_path_request_style,passwd_file=$PASSWD,logfile=$E2E_TMP/adaptive.log,dbglevel=info"
curl -s -X POST "$SIM/__sim/reset" >/dev/null
check "adaptive: 200 files written through 503 SlowDown answers, all intact" \
  "burst $M2 && [ \$(ls $M2 | wc -l) = 200 ] && [ \"\$(cat $M2/w3-17)\" = 3-17 ]"
WITH=$(curl -s "$SIM/__sim/stats")
check "adaptive: the log says the rate was lowered" "grep -q 'server asked to slow down' $E2E_TMP/adaptive.log"
unmount_one "$M2"
mkdir -p "$M2"
timeout 60 "$S3FS_BIN" slow:/off "$M2" -o "url=$SIM,use_path_request_style,passwd_file=$PASSWD,logfile=$E2E_TMP/fixed.log,dbglevel=info,adaptive_slowdown=0"
curl -s -X POST "$SIM/__sim/reset" >/dev/null
check "adaptive_slowdown=0: the same burst also completes (retries only)" "burst $M2 && [ \$(ls $M2 | wc -l) = 200 ]"
WITHOUT=$(curl -s "$SIM/__sim/stats")
unmount_one "$M2"
refused() { echo "$1" | grep -o '"SlowDown":{"requests":[0-9]*' | grep -o '[0-9]*$' || echo 0; }
log "     503 SlowDown answers: $(refused "$WITH") with adaptive slow-down, $(refused "$WITHOUT") without"
check "adaptive_slowdown=0 logs no slow-down" "! grep -q 'server asked to slow down' $E2E_TMP/fixed.log"
check "the adaptive slow-down drew fewer 503 answers" "[ $(refused "$WITH") -lt $(refused "$WITHOUT") ]"
kill "$SIM_PID" 2>/dev/null || true
wait "$SIM_PID" 2>/dev/null || true

finish
