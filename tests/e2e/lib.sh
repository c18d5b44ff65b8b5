# Shared helpers for the end-to-end tests: real mounts of RGW buckets driven by real tools.
# Every step runs under `timeout`; every mount is unmounted in the EXIT trap; a stuck FUSE
# connection is aborted through /sys/fs/fuse/connections/N/abort, so a bug fails a test but
# never hangs CI. Needs S3FS_TEST_ENDPOINT/ACCESS_KEY/SECRET_KEY (scripts/test sets them).
# E2E_KEEP=1 keeps the scratch directory (logs, captured output) for a look after a failure.
set -euo pipefail

: "${S3FS_TEST_ENDPOINT:?S3FS_TEST_ENDPOINT is not set: run through scripts/test (e2e tests never skip)}"
: "${S3FS_TEST_ACCESS_KEY:?}" "${S3FS_TEST_SECRET_KEY:?}"
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
S3FS_BIN=${S3FS_BIN:-$REPO/build/src/cli/s3fs}
S3CTL_BIN=${S3CTL_BIN:-$REPO/build/src/cli/s3ctl}
PEER_S3FS=/usr/bin/s3fs
export AWS_ACCESS_KEY_ID=$S3FS_TEST_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3FS_TEST_SECRET_KEY
E2E_TMP=$(mktemp -d /tmp/s3fs-e2e.XXXXXX)
PASSWD=$E2E_TMP/passwd
echo "$S3FS_TEST_ACCESS_KEY:$S3FS_TEST_SECRET_KEY" > "$PASSWD"
chmod 600 "$PASSWD"
MOUNTS=()
BUCKETS=()
FAILURES=0
CHECKS=0

log() { printf '[e2e %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

S3CTL_CMD="timeout 120 $S3CTL_BIN --endpoint $S3FS_TEST_ENDPOINT --path-style"
s3ctl() { $S3CTL_CMD "$@"; }
export S3CTL_CMD
export -f s3ctl  # usable inside check/expect_fail steps

make_bucket() {
  local b="e2e-$1-$$-$RANDOM"
  s3ctl mb "s3://$b" >/dev/null
  BUCKETS+=("$b")
  # Callers use $(make_bucket ...), a subshell: the EXIT trap reads the names from this file.
  echo "$b" >> "$E2E_TMP/buckets"
  echo "$b"
}

# fuse connection id of a mount point (for abort).
conn_id() { mountpoint -d "$1" 2>/dev/null | cut -d: -f2; }

abort_mount() {
  local mnt=$1 id
  id=$(conn_id "$mnt" || true)
  if [ -n "$id" ] && [ -e "/sys/fs/fuse/connections/$id/abort" ]; then
    echo 1 > "/sys/fs/fuse/connections/$id/abort" || true
  fi
  umount -l "$mnt" 2>/dev/null || true
}

unmount_one() {
  local mnt=$1
  mountpoint -q "$mnt" || return 0
  if ! timeout 60 fusermount3 -u "$mnt" 2>/dev/null; then
    timeout 20 umount "$mnt" 2>/dev/null || abort_mount "$mnt"
  fi
}

cleanup() {
  local rc=$?
  for m in "${MOUNTS[@]}"; do unmount_one "$m"; done
  local all
  all=$({ printf '%s\n' "${BUCKETS[@]}"; cat "$E2E_TMP/buckets" 2>/dev/null || true; } | sort -u)
  for b in $all; do
    # Best effort: empty and remove test buckets.
    local keys
    keys=$(s3ctl ls -r "s3://$b" 2>/dev/null | awk '{print $3}' || true)
    if [ -n "$keys" ]; then
      # shellcheck disable=SC2086
      printf '%s\n' $keys | sed "s|^|s3://$b/|" | xargs -r -n 500 timeout 120 "$S3CTL_BIN" \
        --endpoint "$S3FS_TEST_ENDPOINT" --path-style rm >/dev/null 2>&1 || true
    fi
    s3ctl rb "s3://$b" >/dev/null 2>&1 || true
  done
  [ -n "${E2E_KEEP:-}" ] || rm -rf "$E2E_TMP"
  exit $rc
}
trap cleanup EXIT

# mount_ours BUCKET MNT [extra -o options]
mount_ours() {
  local b=$1 mnt=$2 extra=${3:-}
  mkdir -p "$mnt"
  local opts="url=$S3FS_TEST_ENDPOINT,use_path_request_style,passwd_file=$PASSWD,logfile=$E2E_TMP/s3fs-$(basename "$mnt").log,dbglevel=info"
  [ -n "$extra" ] && opts="$opts,$extra"
  MOUNTS+=("$mnt")
  timeout 60 "$S3FS_BIN" "$b" "$mnt" -o "$opts"
}

mount_peer() {
  local b=$1 mnt=$2 extra=${3:-}
  mkdir -p "$mnt"
  local opts="url=$S3FS_TEST_ENDPOINT,use_path_request_style,passwd_file=$PASSWD"
  [ -n "$extra" ] && opts="$opts,$extra"
  MOUNTS+=("$mnt")
  timeout 60 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$PEER_S3FS" "$b" "$mnt" -o "$opts"
  for _ in $(seq 50); do mountpoint -q "$mnt" && return 0; sleep 0.1; done
  log "peer s3fs did not mount $mnt"
  return 1
}

# check "description" command... : runs under a timeout, records pass/fail, never exits.
check() {
  local desc=$1
  shift
  CHECKS=$((CHECKS + 1))
  if timeout "${STEP_TIMEOUT:-120}" bash -c "$*" >"$E2E_TMP/step.out" 2>&1; then
    log "ok   $desc"
  else
    FAILURES=$((FAILURES + 1))
    log "FAIL $desc"
    sed 's/^/       /' "$E2E_TMP/step.out" | tail -n 20
  fi
}

# expect_fail "description" command...: the command must fail (non-zero) within the timeout.
expect_fail() {
  local desc=$1
  shift
  CHECKS=$((CHECKS + 1))
  local rc=0
  timeout "${STEP_TIMEOUT:-120}" bash -c "$*" >"$E2E_TMP/step.out" 2>&1 || rc=$?
  if [ $rc -ne 0 ] && [ $rc -ne 124 ]; then
    log "ok   $desc"
  else
    FAILURES=$((FAILURES + 1))
    log "FAIL $desc (exit $rc)"
    sed 's/^/       /' "$E2E_TMP/step.out" | tail -n 20
  fi
}

finish() {
  log "$CHECKS checks, $FAILURES failed"
  [ "$FAILURES" -eq 0 ]
}
