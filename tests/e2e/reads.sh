#!/usr/bin/env bash
# The read path through a real mount, every byte checked against the source file: sequential,
# backward, strided, random 4 KiB, random sizes, 8 concurrent readers (daemon memory within the
# read-ahead budget), a reader racing an overwrite by another client (EIO, never mixed data),
# and, on the S3 simulator with injected truncated bodies and resets, reads that continue from
# the last byte received.
source "$(dirname "$0")/lib.sh"
S3SIM_BIN=${S3SIM_BIN:-$(dirname "$S3FS_BIN")/../../bench/s3sim}  # beside the s3fs under test
B=$(make_bucket reads)
M=$E2E_TMP/mnt
head -c $((200 << 20)) /dev/urandom > "$E2E_TMP/big.src"
check "a 200 MiB object uploaded by another client" "$S3CTL_CMD put $E2E_TMP/big.src s3://$B/big.bin"
# Ranged reads only (no whole-object download for random readers), a small budget to check.
mount_ours "$B" "$M" "random_read_cache_max=0,read_ahead_memory=64"
daemon_pid() { pgrep -f -x "$S3FS_BIN $B $1 -o .*" | head -1; }

cat > "$E2E_TMP/patterns.py" <<'PY'
import os, random, sys
mnt_file, src_file, pattern = sys.argv[1:4]
src = open(src_file, "rb").read()
size = len(src)
f = os.open(mnt_file, os.O_RDONLY)
def check(off, n):
    got = os.pread(f, n, off)
    want = src[off:off + n]
    if got != want:
        sys.exit(f"{pattern}: {len(got)} bytes at {off} differ from the source ({len(want)} expected)")
rnd = random.Random(42)
if pattern == "backward":
    for off in range(size - (1 << 20), -1, -(1 << 20)):
        check(off, 1 << 20)
elif pattern == "strided":
    for off in range(0, size, 3 << 20):
        check(off, 64 << 10)
elif pattern == "random4k":
    for _ in range(3000):
        check(rnd.randrange(size // 4096) * 4096, 4096)
elif pattern == "randomsizes":
    for _ in range(1500):
        off = rnd.randrange(size)
        check(off, rnd.choice([1, 100, 4095, 4096, 65537, 1 << 20, 3 << 20]))
elif pattern == "mixed":
    for i in range(400):
        if i % 50 < 25:
            off = (i * (1 << 20)) % size  # sequential runs...
        else:
            off = rnd.randrange(size)  # ...then jumps
        check(off, 128 << 10)
elif pattern == "tail":
    check(size - 10, 100)  # short at the end
    if os.pread(f, 10, size) != b"":
        sys.exit("read past the end returned bytes")
PY
check "sequential (cmp)" "cmp $E2E_TMP/big.src $M/big.bin"
for p in backward strided random4k randomsizes mixed tail; do
  # Each pattern on a cold page cache, so the reads reach the daemon.
  check "$p reads return the source's bytes" \
    "echo 3 > /proc/sys/vm/drop_caches; python3 $E2E_TMP/patterns.py $M/big.bin $E2E_TMP/big.src $p"
done

# A fresh daemon, so its peak memory is that of the 8 readers (the old one gone first: it has
# the same command line).
OLD_PID=$(daemon_pid "$M")
check "remounted" "fusermount3 -u $M"
for _ in $(seq 100); do kill -0 "$OLD_PID" 2>/dev/null || break; sleep 0.1; done
# meson test sets MALLOC_PERTURB_, which makes glibc write every buffer it hands out: the
# daemon's untouched reserved pages (FUSE and libcurl receive buffers) would count (+15 MiB).
unset MALLOC_PERTURB_
mount_ours "$B" "$M" "random_read_cache_max=0,read_ahead_memory=64"
PID=$(daemon_pid "$M")
echo 3 > /proc/sys/vm/drop_caches
check "8 concurrent sequential readers" \
  "for i in \$(seq 8); do (cmp $E2E_TMP/big.src $M/big.bin && echo ok) & done | grep -c ok | grep -qx 8"
HWM=$(awk '/VmHWM/ {print int($2/1024)}' /proc/$PID/status)
log "     daemon peak RSS with 8 readers and read_ahead_memory=64: $HWM MiB"
# Read-ahead and kept buffers stop at 7/8 of the budget; the rest is for the bytes reads wait
# for and the daemon's own ~15 MiB (measured 68-70 MiB).
check "daemon memory stayed near the read-ahead budget ($HWM MiB)" "test $HWM -le 80"

# A reader racing an overwrite by another client: old bytes or EIO, never the new ones.
head -c $((200 << 20)) /dev/urandom > "$E2E_TMP/new.src"
cat > "$E2E_TMP/race.py" <<'PY'
import errno, os, subprocess, sys
mnt_file, old_file, new_file, put = sys.argv[1:5]
old = open(old_file, "rb").read()
f = os.open(mnt_file, os.O_RDONLY)
if os.pread(f, 1 << 20, 0) != old[:1 << 20]:
    sys.exit("first MiB differs before the overwrite")
subprocess.run(put, shell=True, check=True)
eio = 0
for off in [190 << 20, 100 << 20, 2 << 20, 199 << 20]:
    try:
        got = os.pread(f, 65536, off)
    except OSError as e:
        if e.errno != errno.EIO:
            raise
        eio += 1
        continue
    if got != old[off:off + 65536]:
        sys.exit(f"read at {off} after the overwrite returned bytes of neither version")
if eio == 0:
    sys.exit("no read past the fetched window failed: the reader was not pinned to its version")
print(f"{eio} reads failed with EIO, the rest returned the old bytes")
PY
echo 3 > /proc/sys/vm/drop_caches
check "a reader racing an overwrite gets the old bytes or EIO" \
  "python3 $E2E_TMP/race.py $M/big.bin $E2E_TMP/big.src $E2E_TMP/new.src '$S3CTL_CMD put $E2E_TMP/new.src s3://$B/big.bin'"
check "a new open after the overwrite and a remount reads the new object" \
  "fusermount3 -u $M && $S3FS_BIN $B $M -o url=$S3FS_TEST_ENDPOINT,use_path_request_style,passwd_file=$PASSWD && cmp $E2E_TMP/new.src $M/big.bin"

# Metadata cached here, object replaced elsewhere, file never read here: the first read finds
# the new version instead of failing (no byte of the old one was served, none can mix).
head -c $((3 << 20)) /dev/urandom > "$E2E_TMP/a.src"
head -c $((3 << 20)) /dev/urandom > "$E2E_TMP/b.src"
check "a file whose metadata is cached" "$S3CTL_CMD put $E2E_TMP/a.src s3://$B/swap.bin && stat $M/swap.bin"
sleep 1.2  # (a lookup's first bytes serve only an open within a second of it)
check "replaced by another client" "$S3CTL_CMD put $E2E_TMP/b.src s3://$B/swap.bin"
check "reading it returns the new version, not EIO" "cmp $E2E_TMP/b.src $M/swap.bin"

# A lookup of a name nothing listed answers with the file's first 128 KiB (a ranged GET in place
# of the HEAD, lookup_prefetch): the read right after it starts without a GET, and the GET's
# headers carry what a HEAD's do (modes); an empty object (416 to the GET) is HEADed.
head -c 100000 /dev/urandom > "$E2E_TMP/small.src"
check "files with modes written through the mount" \
  "mkdir -p $M/fb1 $M/fb2 $M/fb3 && cp $E2E_TMP/small.src $M/fb1/small && chmod 640 $M/fb1/small && cp $E2E_TMP/a.src $M/fb2/mid && : > $M/fb3/empty && chmod 604 $M/fb3/empty"
MF=$E2E_TMP/first-bytes.prom
check "remounted with a metrics file" "fusermount3 -u $M"
mount_ours "$B" "$M" "metrics_file=$MF,metrics_interval=1,meta_cache=off"  # lookups ask S3
echo 3 > /proc/sys/vm/drop_caches
check "a 100 KB file read right after its lookup" "cmp $E2E_TMP/small.src $M/fb1/small"
check "its mode came with the GET's headers" "[ \$(stat -c %a $M/fb1/small) = 640 ]"
check "a 3 MiB file read right after its lookup" "cmp $E2E_TMP/a.src $M/fb2/mid"
check "an empty file has its size and mode" "[ \$(stat -c %s:%a $M/fb3/empty) = 0:604 ]"
sleep 1.5  # the metrics file is rewritten every second
PROM="python3 $(cd "$(dirname "$0")" && pwd)/prom.py"
USED=$($PROM sum "$MF" s3fs_read_first_bytes_used_bytes_total 2>/dev/null || echo 0)
log "     bytes the readers took from their lookups: $USED"
check "both readers started from their lookup's bytes (100000 + 131072)" "test ${USED%.*} = 231072"

# Truncated bodies and connection resets injected by the simulator: every read completes with
# the right bytes (the client retries what failed before any byte, the reader continues a
# part from its last byte).
if [ ! -x "$S3SIM_BIN" ]; then
  log "FAIL: $S3SIM_BIN missing (build with -Dbenchmarks=true)"
  FAILURES=$((FAILURES + 1))
else
  SIM_PORT=${S3FS_E2E_SIM_PORT:-9231}  # another one when e2e runs of two trees share the machine
  "$S3SIM_BIN" --port $SIM_PORT --profile loopback >"$E2E_TMP/sim.log" 2>&1 &
  SIM_PID=$!
  # cleanup sees the script's status in $? (a bare failing command here would stop the trap
  # under set -e before cleanup ran).
  trap 'rc=$?; kill $SIM_PID 2>/dev/null || true; (exit $rc) || cleanup; cleanup' EXIT
  SIM="timeout 120 $S3CTL_BIN --endpoint http://127.0.0.1:$SIM_PORT --path-style"
  check "the simulator is up" "for i in \$(seq 50); do curl -s -o /dev/null http://127.0.0.1:$SIM_PORT/ && exit 0; sleep 0.1; done; exit 1"
  check "a 200 MiB object on the simulator" "$SIM mb s3://faults && $SIM put $E2E_TMP/big.src s3://faults/big.bin"
  M2=$E2E_TMP/mnt-sim
  mkdir -p "$M2"
  MOUNTS+=("$M2")
  check "mounted on the simulator" "timeout 60 $S3FS_BIN faults $M2 -o url=http://127.0.0.1:$SIM_PORT,use_path_request_style,passwd_file=$PASSWD,logfile=$E2E_TMP/s3fs-sim.log,dbglevel=info,random_read_cache_max=0,read_part_size=2"
  check "faults switched on (10% truncated bodies, 5% resets)" \
    "curl -sf -X POST 'http://127.0.0.1:$SIM_PORT/__sim/faults?truncate=0.1&reset=0.05'"
  echo 3 > /proc/sys/vm/drop_caches
  check "sequential read under faults returns every byte" "cmp $E2E_TMP/big.src $M2/big.bin"
  check "random reads under faults return the source's bytes" \
    "echo 3 > /proc/sys/vm/drop_caches; python3 $E2E_TMP/patterns.py $M2/big.bin $E2E_TMP/big.src randomsizes"
  # Readers of one object version share what is fetched (and continue broken GETs for each
  # other): 8 at once, under the same faults, read the right bytes and fetch it about once.
  got_bytes() {
    curl -sf "http://127.0.0.1:$SIM_PORT/__sim/stats" |
      python3 -c 'import json,sys; print(json.load(sys.stdin).get("GetObject", {}).get("bytes_out", 0))'
  }
  export -f got_bytes
  check "remounted (a fresh page cache)" "fusermount3 -u $M2 && timeout 60 $S3FS_BIN faults $M2 -o url=http://127.0.0.1:$SIM_PORT,use_path_request_style,passwd_file=$PASSWD,logfile=$E2E_TMP/s3fs-sim.log,dbglevel=info,random_read_cache_max=0,read_part_size=2"
  curl -sf -X POST "http://127.0.0.1:$SIM_PORT/__sim/reset" >/dev/null
  echo 3 > /proc/sys/vm/drop_caches
  check "8 concurrent readers of one file under faults" \
    "for i in \$(seq 8); do (cmp $E2E_TMP/big.src $M2/big.bin && echo ok) & done | grep -c ok | grep -qx 8"
  FETCHED=$(got_bytes)
  log "     8 readers of a 200 MiB object fetched $((FETCHED >> 20)) MiB"
  check "they fetched it about once, not 8 times" "test $FETCHED -le $((250 << 20))"

  RESUMED=$(grep -c "continuing" "$E2E_TMP/s3fs-sim.log" || true)
  log "     parts continued after a broken body: $RESUMED"
  check "some parts were continued from their last byte" "test $RESUMED -gt 0"
  check "faults switched off" "curl -sf -X POST 'http://127.0.0.1:$SIM_PORT/__sim/faults?truncate=0&reset=0'"
  gets() {
    curl -sf "http://127.0.0.1:$SIM_PORT/__sim/stats" |
      python3 -c 'import json,sys; print(json.load(sys.stdin).get("GetObject", {}).get("requests", 0))'
  }
  export SIM_PORT
  export -f gets
  # The kernel keeps the pages of an unchanged object between opens (keep_cache).
  check "a first read of the file" "cat $M2/big.bin > /dev/null"
  curl -sf -X POST "http://127.0.0.1:$SIM_PORT/__sim/reset" >/dev/null
  check "a second read of the unchanged file" "cmp $E2E_TMP/big.src $M2/big.bin"
  check "needed no GET (served from the page cache)" "test \$(gets) = 0"

  # The data cache on disk (use_cache=DIR): a remount reads a file read before without any
  # GET; the cache stays under its cap and leaves ensure_diskfree free on its filesystem (a
  # 300 MiB tmpfs here, so the floor is what binds).
  CACHE=$E2E_TMP/cache
  mkdir -p "$CACHE"
  check "a 300 MiB tmpfs for the cache" "mount -t tmpfs -o size=300M s3fs-e2e-cache $CACHE"
  MOUNTS+=("$CACHE")  # unmounted after the mount that uses it
  CACHE_OPTS="url=http://127.0.0.1:$SIM_PORT,use_path_request_style,passwd_file=$PASSWD,logfile=$E2E_TMP/s3fs-sim.log,dbglevel=info,random_read_cache_max=0,use_cache=$CACHE"
  # Unmounts the simulator mount and waits for its daemon to exit (it closes the cache, which
  # one daemon at a time may use), then mounts again with the options given.
  remount_sim() {
    local pid
    pid=$(pgrep -f -x "$S3FS_BIN faults $M2 -o .*" | head -1 || true)
    mountpoint -q "$M2" && fusermount3 -u "$M2"
    for _ in $(seq 300); do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    timeout 60 "$S3FS_BIN" faults "$M2" -o "$CACHE_OPTS,$1"
  }
  export -f remount_sim
  export S3FS_BIN M2 CACHE_OPTS
  check "mounted with use_cache" "remount_sim max_cache_size=250,ensure_diskfree=20"
  check "first read (fills the cache)" "echo 3 > /proc/sys/vm/drop_caches; cmp $E2E_TMP/big.src $M2/big.bin"
  check "remounted" "remount_sim max_cache_size=250,ensure_diskfree=20"
  curl -sf -X POST "http://127.0.0.1:$SIM_PORT/__sim/reset" >/dev/null
  T0=$(date +%s.%N)
  check "read again after the remount" "echo 3 > /proc/sys/vm/drop_caches; cmp $E2E_TMP/big.src $M2/big.bin"
  log "     200 MiB from the data cache in $(echo "$(date +%s.%N) - $T0" | bc) s (incl. cmp)"
  check "needed no GET (served from the data cache)" "test \$(gets) = 0"
  check "a 150 MiB object on the simulator" "head -c $((150 << 20)) /dev/urandom > $E2E_TMP/mid.src && $SIM put $E2E_TMP/mid.src s3://faults/mid.bin"
  check "remounted with a 100 MiB free-space floor" "remount_sim max_cache_size=1000,ensure_diskfree=100"
  check "reading more than fits" "cmp $E2E_TMP/mid.src $M2/mid.bin && cmp $E2E_TMP/big.src $M2/big.bin"
  check "the cache left 100 MiB free (minus one write in flight)" \
    "sleep 1; test \$(df -m --output=avail $CACHE | tail -1) -ge 90"
  log "     cache tmpfs: $(df -m --output=used,avail $CACHE | tail -1 | awk '{print $1 " MiB used, " $2 " MiB free"}')"
  check "remounted with a 64 MiB cap" "remount_sim max_cache_size=64,ensure_diskfree=0"
  check "reading 350 MiB" "cmp $E2E_TMP/mid.src $M2/mid.bin && cmp $E2E_TMP/big.src $M2/big.bin"
  check "the cache holds at most its cap" "sleep 1; test \$(du -sm $CACHE | cut -f1) -le 66"
fi
finish
