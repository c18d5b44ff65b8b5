#!/usr/bin/env bash
# Fault campaign (issue #5, docs/errors.md "Fault campaign"). Everything runs against our own
# in-memory S3 simulator (bench/sim/s3sim.cc, loopback profile), never RGW:
#  1. fault-free baseline: a 1 GiB file and a 2,000-file tree copied in with cp, the mount
#     remounted (nothing left in the page cache), copied out again and compared; wall times.
#  2. the same while the simulator injects 10% 503 SlowDown (Retry-After: 1), 2% 500, 1%
#     connection resets mid-body, 0.2% 5 s stalls and 1% truncated bodies: every file intact,
#     no command fails, no FUSE operation answered with an error, retries in the metrics.
#  3. a dead endpoint under a live mount: stat, ls, cat and write+close fail with EIO/ETIMEDOUT
#     within a bound derived from the mount's timeouts and retries, no process left in D state;
#     the simulator restarted on the same port: the same mount works again once its circuit
#     breaker has half-opened, and the breaker's transitions are in the metrics.
# The figures (wall times, requests retried, bytes re-fetched, breaker transitions, error
# latency, recovery time) are printed at the end.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
S3FS_BIN=${S3FS_BIN:-$HERE/../../build/src/cli/s3fs}
S3SIM_BIN=${S3SIM_BIN:-$(dirname "$S3FS_BIN")/../../bench/s3sim}

# A port nobody listens on (the socket table is read, nothing is sent).
PORT=
for _ in $(seq 50); do
  p=$((20000 + RANDOM % 20000))
  if [ -z "$(ss -ltnH "sport = :$p")" ]; then PORT=$p; break; fi
done
[ -n "$PORT" ] || { echo "faults.sh: no free port" >&2; exit 1; }
SIM_EP=http://127.0.0.1:$PORT
# lib.sh mounts S3FS_TEST_ENDPOINT: here that is the simulator (it checks no signatures, so
# the RGW credentials of scripts/test, or any, do).
export S3FS_TEST_ENDPOINT=$SIM_EP
export S3FS_TEST_ACCESS_KEY=${S3FS_TEST_ACCESS_KEY:-sim-access-key}
export S3FS_TEST_SECRET_KEY=${S3FS_TEST_SECRET_KEY:-sim-secret-key}
source "$HERE/lib.sh"

PROM="python3 $HERE/prom.py"
v() { $PROM sum "$@"; }
export PROM
export -f v

SIM_PID=
on_exit() {
  local rc=$?
  set +e
  for m in "${MOUNTS[@]}"; do unmount_one "$m"; done
  if [ -n "$SIM_PID" ]; then
    kill -CONT "$SIM_PID" 2>/dev/null
    kill "$SIM_PID" 2>/dev/null
    wait "$SIM_PID" 2>/dev/null
  fi
  # FAULTS_KEEP=DIR keeps the daemons' logs, metrics files and simulator stats.
  [ -z "${FAULTS_KEEP:-}" ] || { mkdir -p "$FAULTS_KEEP" && cp "$E2E_TMP"/*.log "$E2E_TMP"/*.prom "$E2E_TMP"/*.json "$FAULTS_KEEP"/ 2>/dev/null; }
  (exit $rc)
  cleanup
}
trap on_exit EXIT

if [ ! -x "$S3SIM_BIN" ]; then
  log "FAIL $S3SIM_BIN is not built (meson builds bench/s3sim; set S3SIM_BIN)"
  exit 1
fi

start_sim() {
  "$S3SIM_BIN" --port "$PORT" --profile loopback >>"$E2E_TMP/sim.log" 2>&1 &
  SIM_PID=$!
  for _ in $(seq 100); do
    curl -sf --max-time 2 -o /dev/null "$SIM_EP/__sim/stats" && return 0
    sleep 0.05
  done
  log "the simulator did not start on $SIM_EP"
  return 1
}
stop_sim() {
  kill "$SIM_PID" 2>/dev/null || true
  wait "$SIM_PID" 2>/dev/null || true
  SIM_PID=
}
simctl() { curl -sf --max-time 10 -X POST "$SIM_EP/__sim/$1" >/dev/null; }
sim_stats() { curl -sf --max-time 10 "$SIM_EP/__sim/stats"; }
# sim_sum JSON FIELD: FIELD summed over the operations of a /__sim/stats answer.
sim_sum() {
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(sum(v[sys.argv[2]] for k,v in d.items() if k != "_faults"))' "$1" "$2"
}
sim_faults() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])["_faults"])' "$1"; }
FAULTS='503=0.10&500=0.02&reset=0.01&stall=0.002&stall_ms=5000&truncate=0.01'

# Wall time of a check, in seconds with 0.1 s resolution.
now_ms() { echo $(($(date +%s%N) / 1000000)); }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }
declare -A T
timed() {  # KEY desc command...
  local key=$1 desc=$2
  shift 2
  local t0
  t0=$(now_ms)
  check "$desc" "$@"
  T[$key]=$(($(now_ms) - t0))
}

# Unmounts and waits for the daemon to exit: its last metrics_file write follows the unmount.
unmount_wait() {
  local pid
  pid=$(pgrep -f -- " $1 -o " | head -1 || true)
  unmount_one "$1"
  [ -n "$pid" ] || return 0
  for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  log "FAIL the daemon of $1 did not exit within 60 s of the unmount"
  FAILURES=$((FAILURES + 1))
}

# cp -r of every second-level entry of $1 (40 directories of 50 files, one big file) into
# the same place under $2, all at once: a serial cp pays each injected SlowDown's 1 s
# Retry-After in turn.
par_cp() {
  local pids=() rc=0 e p rel
  for e in "$1"/*/*; do
    rel=${e#"$1"/}
    mkdir -p "$2/${rel%/*}" || return 1
    cp -r "$e" "$2/${rel%/*}/" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  return $rc
}
export -f par_cp

start_sim

# ---------- data ----------
L=$E2E_TMP/local
mkdir -p "$L"
check "1 GiB of random data" "head -c \$((1 << 30)) /dev/urandom > $L/big && sha256sum < $L/big > $L/big.sha256"
# 2,000 files in 8 x 5 directories: mostly 0-64 KiB, some up to 1 MiB, eight of 2-6 MiB and
# one of 20 MiB (a multipart upload inside the tree).
check "a 2,000-file tree" "python3 - $L/tree <<'EOF'
import os, random, sys
root = sys.argv[1]
rnd = random.Random(5)
for d in range(8):
    for s in range(5):
        p = os.path.join(root, 'd%d' % d, 's%d' % s)
        os.makedirs(p)
        for f in range(50):
            r = rnd.random()
            if f == 0 and s == 0:
                size = rnd.randint(2 << 20, 6 << 20)
            elif r < 0.03:
                size = 0
            elif r < 0.55:
                size = rnd.randint(1, 4096)
            elif r < 0.93:
                size = rnd.randint(4096, 65536)
            else:
                size = rnd.randint(65536, 1 << 20)
            with open(os.path.join(p, 'f%02d' % f), 'wb') as out:
                out.write(os.urandom(size))
with open(os.path.join(root, 'd0', 'large'), 'wb') as out:
    out.write(os.urandom(20 << 20))
EOF
test \$(find $L/tree -type f | wc -l) = 2001"
TREE_BYTES=$(du -sb --apparent-size "$L/tree" | awk '{print $1}')
TREE_FILES=$(find "$L/tree" -type f | wc -l)
BIG_BYTES=$((1 << 30))

M=$E2E_TMP/mnt
META=$E2E_TMP/meta
OUT=$E2E_TMP/out
STEP_TIMEOUT=300

# run_campaign NAME BUCKET FAULTS|-: write phase, remount, read phase, each with its own
# metrics file ($E2E_TMP/NAME-w.prom, NAME-r.prom); sim stats per phase in NAME-*.json.
# retries=7: 8 attempts per error class. At 10% SlowDown the default 5 attempts leave each S3
# operation a ~1e-5 chance to fail (5 SlowDowns in a row), ~10% per run of ~4,500 operations;
# with 8 it is ~1e-8.
# The adaptive slow-down stays on (the default): the injected 503s are random, not clustered,
# so they must be retried without holding the request rate down (when every 503 halved the
# rate, the read phase crawled at 1-2 requests/s into the test timeout).
CAMPAIGN_OPTS="retries=7,meta_cache=$META,metrics_interval=5"
run_campaign() {
  local name=$1 bucket=$2 faults=$3
  s3ctl mb "s3://$bucket" >/dev/null
  mount_ours "$bucket" "$M" "$CAMPAIGN_OPTS,metrics_file=$E2E_TMP/$name-w.prom"
  simctl reset
  [ "$faults" = - ] || simctl "faults?$faults"
  timed "$name-wbig" "$name: cp of the 1 GiB file into the mount" "cp $L/big $M/big"
  timed "$name-wtree" "$name: cp -r of the 2,000-file tree into the mount" "mkdir $M/tree && par_cp $L/tree $M/tree"
  simctl faults
  sim_stats > "$E2E_TMP/$name-w.json"
  unmount_wait "$M"
  # Remounted: the kernel's page cache of the files is gone, reads go to S3.
  mount_ours "$bucket" "$M" "$CAMPAIGN_OPTS,metrics_file=$E2E_TMP/$name-r.prom"
  simctl reset
  [ "$faults" = - ] || simctl "faults?$faults"
  mkdir -p "$OUT"
  timed "$name-rbig" "$name: cp of the 1 GiB file out of the mount" "cp $M/big $OUT/big"
  timed "$name-rtree" "$name: cp -r of the tree out of the mount" "mkdir $OUT/tree && par_cp $M/tree $OUT/tree"
  simctl faults
  sim_stats > "$E2E_TMP/$name-r.json"
  check "$name: the 1 GiB file is intact (sha256)" "sha256sum < $OUT/big | cmp - $L/big.sha256"
  check "$name: every file of the tree is intact (diff -r)" "diff -r $L/tree $OUT/tree && test \$(find $OUT/tree -type f | wc -l) = $TREE_FILES"
  check "$name: ls -lR of the mount lists every file" "test \$(ls -lR $M/tree | grep -c '^-') = $TREE_FILES"
  unmount_wait "$M"
  rm -rf "$OUT"
  # The simulator keeps objects in memory: drop the big one before the next run.
  s3ctl rm "s3://$bucket/big" >/dev/null
}

# sum over both phases of a campaign: psum NAME METRIC [L=V...]
psum() {
  local name=$1
  shift
  echo $(($(v "$E2E_TMP/$name-w.prom" "$@") + $(v "$E2E_TMP/$name-r.prom" "$@")))
}

log "---- 1. fault-free baseline"
run_campaign base base-bucket -
log "---- 2. the same with faults: $FAULTS"
run_campaign faults faults-bucket "$FAULTS"

for ph in w r; do
  check "faults ($ph): metrics file valid" "$PROM check $E2E_TMP/faults-$ph.prom"
done
check "faults: the client retried (s3_retries_total > 0 in both phases)" \
  "[ \$(v $E2E_TMP/faults-w.prom s3_retries_total) -gt 0 ] && [ \$(v $E2E_TMP/faults-r.prom s3_retries_total) -gt 0 ]"
check "faults: the simulator injected faults in both phases" \
  "[ \$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"_faults\"])' $E2E_TMP/faults-w.json) -gt 0 ] && [ \$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"_faults\"])' $E2E_TMP/faults-r.json) -gt 0 ]"
# Every FUSE operation answered without an error, but lookups of names that did not exist yet
# and cp's questions for extended attributes the mount does not have.
check "faults: no FUSE operation failed (but ENOENT lookups of new names, xattr probes)" \
  "rc=0; for f in $E2E_TMP/faults-w.prom $E2E_TMP/faults-r.prom; do grep -H '^s3fs_fuse_op_errors_total' \$f || true; bad=\$((\$(v \$f s3fs_fuse_op_errors_total) - \$(v \$f s3fs_fuse_op_errors_total op=lookup errno=ENOENT) - \$(v \$f s3fs_fuse_op_errors_total op=getxattr errno=EOPNOTSUPP) - \$(v \$f s3fs_fuse_op_errors_total op=getxattr errno=ENODATA) - \$(v \$f s3fs_fuse_op_errors_total op=listxattr errno=EOPNOTSUPP))); [ \$bad = 0 ] || rc=1; done; [ \$rc = 0 ] || grep -h -E ' (warning|error) ' $E2E_TMP/s3fs-*.log | grep -v -E 'retrying in|asked to slow down' | tail -8; exit \$rc"
check "faults: the breaker stayed closed" \
  "[ \$(v $E2E_TMP/faults-w.prom s3_circuit_breaker_transitions_total) = 0 ] && [ \$(v $E2E_TMP/faults-r.prom s3_circuit_breaker_transitions_total) = 0 ]"

# ---------- 3. dead endpoint ----------
log "---- 3. dead endpoint under a live mount"
RETRIES=1
CT=2
RW=5
# One S3 request: (retries + 1) attempts of at most connect + read/write timeout each, plus
# the network backoff (at most 0.5 s after the first attempt, 1 s after the second). A
# filesystem operation stops at its first failed request; allow two of them.
REQ_BOUND=$(((RETRIES + 1) * (CT + RW) + RETRIES))
BOUND=$((2 * REQ_BOUND))
M2=$E2E_TMP/mnt2
F2=$E2E_TMP/dead.prom
s3ctl mb s3://dying >/dev/null
s3ctl put "$L/tree/d1/s1/f01" s3://dying/pre >/dev/null
# stat_cache_expire=1: names are looked up in S3 again a second after they were seen (else a
# fresh cached listing of the root rightly answers "no such file" without asking S3).
mount_ours dying "$M2" "retries=$RETRIES,connect_timeout=$CT,readwrite_timeout=$RW,stat_cache_expire=1,meta_cache=off,metrics_file=$F2,metrics_interval=1"
check "dead: the mount works" "echo alive > $M2/f && test \"\$(cat $M2/f)\" = alive && stat $M2/pre >/dev/null"
# A writer holding a file open across the outage: its close must report the failed upload.
FLAG=$E2E_TMP/go
WOUT=$E2E_TMP/writer.out
python3 - "$M2/held" "$FLAG" >"$WOUT" 2>&1 <<'EOF' &
import errno, os, sys, time
path, flag = sys.argv[1], sys.argv[2]
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
print("opened", flush=True)
while not os.path.exists(flag):
    time.sleep(0.02)
try:
    os.write(fd, b"x" * 100000)
    os.close(fd)
    print("close succeeded")
    sys.exit(0)
except OSError as e:
    print("%s: %s" % (errno.errorcode.get(e.errno, e.errno), e.strerror))
    sys.exit(1)
EOF
WPID=$!
for _ in $(seq 100); do grep -qs opened "$WOUT" && break; sleep 0.05; done
stop_sim
T_DEAD=$(now_ms)
sleep 1.5  # the cached attributes and listings expire

# bounded_fail KEY desc command: the command fails with EIO or ETIMEDOUT within $BOUND s; no
# process touching the mount is left in D state. Records the latency in T[KEY].
stuck_in_d() { ps -eo stat=,args= | awk '$1 ~ /^D/' | grep -F "$M2" || true; }
bounded_fail() {
  local key=$1 desc=$2
  shift 2
  CHECKS=$((CHECKS + 1))
  local t0 pid rc=0 over=0 d
  t0=$(now_ms)
  bash -c "$*" >"$E2E_TMP/bf.out" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    if [ $(($(now_ms) - t0)) -gt $((BOUND * 1000)) ]; then over=1; break; fi
    sleep 0.02
  done
  T[$key]=$(($(now_ms) - t0))
  d=$(stuck_in_d)
  if [ $over = 1 ]; then
    pkill -9 -P "$pid" 2>/dev/null || true
    kill -9 "$pid" 2>/dev/null || true
  fi
  wait "$pid" || rc=$?
  if [ $over = 0 ] && [ $rc -ne 0 ] && [ -z "$d" ] &&
    grep -qE 'Input/output error|timed out|EIO|ETIMEDOUT' "$E2E_TMP/bf.out"; then
    log "ok   $desc: $(secs "${T[$key]}") s: $(grep -m1 -E 'Input/output error|timed out|EIO|ETIMEDOUT' "$E2E_TMP/bf.out")"
  else
    FAILURES=$((FAILURES + 1))
    log "FAIL $desc (exit $rc, $(secs "${T[$key]}") s, bound $BOUND s)"
    [ -z "$d" ] || log "     in D state: $d"
    sed 's/^/       /' "$E2E_TMP/bf.out" | tail -n 20
  fi
}
bounded_fail dstat "dead: stat of a name never seen fails" "stat $M2/never-seen"
bounded_fail dls "dead: ls of a directory never listed fails" "ls $M2/dir-never-listed"
bounded_fail dcat "dead: cat of a file whose data is not cached fails" "cat $M2/pre"
bounded_fail dwrite "dead: write+close of a file open across the outage reports the failed upload" \
  "touch $FLAG; while kill -0 $WPID 2>/dev/null; do sleep 0.02; done; cat $WOUT; ! grep -qE '^(EIO|ETIMEDOUT)' $WOUT"
wait "$WPID" 2>/dev/null || true
check "dead: no process on the mount and no s3fs thread in D state" \
  "sleep 1; [ -z \"\$(ps -eo stat=,args= | awk '\$1 ~ /^D/' | grep -e '$M2' -e s3fs)\" ]"
# Operations keep failing; after 8 failed requests spanning 1 s the breaker opens and later
# operations fail at once, without a request.
check "dead: repeated operations open the breaker" \
  "for i in \$(seq 60); do stat $M2/probe\$i >/dev/null 2>&1; [ \$(v $F2 s3_circuit_breaker_transitions_total state=open) -ge 1 ] && exit 0; sleep 0.25; done; exit 1"
bounded_fail dopen "dead: with the breaker open, stat fails at once" "stat $M2/while-open"
T_OPEN=$(now_ms)
start_sim
s3ctl mb s3://dying >/dev/null
T_BACK=$(now_ms)
# The breaker lets a probe through 30 s after it opened (docs/errors.md); allow 30 s more.
# Recovered means through S3: a write whose fsync and close succeed (bash ignores close()
# errors, and a failed upload's data stays readable in the mount) and an object the simulator
# holds.
timed recover "dead: the same mount works again once the endpoint is back (no remount)" \
  "for i in \$(seq 240); do python3 -c 'import os,sys; fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644); os.write(fd, b\"back\\n\"); os.fsync(fd); os.close(fd)' $M2/h 2>/dev/null && break; sleep 0.25; done; test \"\$(cat $M2/h)\" = back && s3ctl get s3://dying/h $E2E_TMP/h.got && test \"\$(cat $E2E_TMP/h.got)\" = back"
T_OK=$(now_ms)
check "dead: the mount lists again" "ls $M2 | grep -qx h"
check "dead: breaker transitions closed->open->half_open->closed in the metrics" \
  "sleep 2; $PROM check $F2 && grep '^s3_circuit_breaker' $F2 && [ \$(v $F2 s3_circuit_breaker_transitions_total state=open) -ge 1 ] && [ \$(v $F2 s3_circuit_breaker_transitions_total state=half_open) -ge 1 ] && [ \$(v $F2 s3_circuit_breaker_transitions_total state=closed) -ge 1 ] && [ \$(v $F2 s3_circuit_breaker_state state=closed) = 1 ]"
unmount_one "$M2"

# ---------- figures ----------
fig() { printf '[e2e figures] %-44s %14s %14s\n' "$@"; }
mb_s() { awk -v b="$1" -v ms="$2" 'BEGIN { printf "%.0f", b / 1048576 / (ms / 1000) }'; }
get_rx() { psum "$1" s3_bytes_transferred_total operation=GetObject direction=received; }
sent() { psum "$1" s3_bytes_transferred_total direction=sent; }
fig "" "fault-free" "faults"
for k in wbig:"cp 1 GiB in (s)" wtree:"cp -r 2,001 files in (s)" rbig:"cp 1 GiB out (s)" rtree:"cp -r 2,001 files out (s)"; do
  fig "${k#*:}" "$(secs "${T[base-${k%%:*}]}")" "$(secs "${T[faults-${k%%:*}]}")"
done
tb=$((T[base-wbig] + T[base-wtree] + T[base-rbig] + T[base-rtree]))
tf=$((T[faults-wbig] + T[faults-wtree] + T[faults-rbig] + T[faults-rtree]))
fig "total wall time (s)" "$(secs $tb)" "$(secs $tf) ($(awk -v a=$tf -v b=$tb 'BEGIN{printf "%.1fx", a/b}'))"
fig "1 GiB in / out (MiB/s)" "$(mb_s $BIG_BYTES "${T[base-wbig]}") / $(mb_s $BIG_BYTES "${T[base-rbig]}")" \
  "$(mb_s $BIG_BYTES "${T[faults-wbig]}") / $(mb_s $BIG_BYTES "${T[faults-rbig]}")"
sb=$(($(sim_sum "$(cat "$E2E_TMP/base-w.json")" requests) + $(sim_sum "$(cat "$E2E_TMP/base-r.json")" requests)))
sf=$(($(sim_sum "$(cat "$E2E_TMP/faults-w.json")" requests) + $(sim_sum "$(cat "$E2E_TMP/faults-r.json")" requests)))
fig "HTTP requests the simulator answered" "$sb" "$sf"
fb=$(($(sim_faults "$(cat "$E2E_TMP/base-w.json")") + $(sim_faults "$(cat "$E2E_TMP/base-r.json")")))
ff=$(($(sim_faults "$(cat "$E2E_TMP/faults-w.json")") + $(sim_faults "$(cat "$E2E_TMP/faults-r.json")")))
fig "faults injected (simulator _faults)" "$fb" "$ff"
fig "S3 operations (s3_requests_total)" "$(psum base s3_requests_total)" "$(psum faults s3_requests_total)"
fig "requests retried (s3_retries_total)" "$(psum base s3_retries_total)" "$(psum faults s3_retries_total)"
for op in PutObject UploadPart GetObject HeadObject ListObjectsV2 CompleteMultipartUpload; do
  fig "  of which $op" "$(psum base s3_retries_total operation=$op)" "$(psum faults s3_retries_total operation=$op)"
done
fig "S3 operations ended in error (non-404)" \
  "$(($(psum base s3_errors_total) - $(psum base s3_errors_total error_type=ObjectError)))" \
  "$(($(psum faults s3_errors_total) - $(psum faults s3_errors_total error_type=ObjectError)))"
fig "GetObject bytes received" "$(get_rx base)" "$(get_rx faults)"
fig "bytes re-fetched (faults - fault-free)" "" "$(($(get_rx faults) - $(get_rx base)))"
fig "  = streamed GETs broken mid-body, resumed:" "" ""
fig "ranged GETs resumed (s3fs_read_resumes_total)" "$(psum base s3fs_read_resumes_total)" "$(psum faults s3fs_read_resumes_total)"
fig "bytes sent" "$(sent base)" "$(sent faults)"
fig "bytes re-sent (faults - fault-free)" "" "$(($(sent faults) - $(sent base)))"
fig "breaker transitions" "$(psum base s3_circuit_breaker_transitions_total)" "$(psum faults s3_circuit_breaker_transitions_total)"
fig "data: 1 GiB + tree bytes" "$BIG_BYTES + $TREE_BYTES" ""
log "dead endpoint (retries=$RETRIES connect_timeout=$CT readwrite_timeout=$RW, bound $BOUND s): stat $(secs "${T[dstat]}") s, ls $(secs "${T[dls]}") s, cat $(secs "${T[dcat]}") s, write+close $(secs "${T[dwrite]}") s, stat with the breaker open $(secs "${T[dopen]}") s"
log "recovery: first successful write+read through the same mount $(secs $((T_OK - T_BACK))) s after the endpoint came back (it was down $(secs $((T_BACK - T_DEAD))) s; the breaker had opened $(secs $((T_BACK - T_OPEN))) s before it came back)"
log "breaker transitions (dead endpoint mount): open $(v "$F2" s3_circuit_breaker_transitions_total state=open), half_open $(v "$F2" s3_circuit_breaker_transitions_total state=half_open), closed $(v "$F2" s3_circuit_breaker_transitions_total state=closed)"
finish
