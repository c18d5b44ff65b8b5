#!/usr/bin/env bash
# Error paths a newcomer hits, each one line with the fix and exit status 1, quickly: bad secret,
# unknown access key, no credentials at all, missing bucket, dead endpoint, missing or non-empty
# mount point (and one with a live s3fs mount), unknown option, passwd file readable by others or
# the group, FUSE not available, /dev/fuse closed to a non-root user, allow_other as a non-root
# user without user_allow_other (those three, and their fixes, with /dev and /etc/fuse.conf
# made up in a private mount namespace), clock skew and wrong region (from the simulator); and a
# live mount whose
# server goes away (errors within a bounded time, no hang, recovery when it returns).
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
  [ -n "${M_KEEP:-}" ] || ! mountpoint -q "$M" || unmount_one "$M"
  return 0
}

one_line_failure "bad secret" "the secret key is wrong" "$S3FS_BIN" "$B" "$M" -o "$OPTS,passwd_file=$BAD"
UNKNOWN=$E2E_TMP/unknown
echo "no-such-access-key:$S3FS_TEST_SECRET_KEY" > "$UNKNOWN"
chmod 600 "$UNKNOWN"
one_line_failure "unknown access key" "unknown access key (InvalidAccessKeyId)" "$S3FS_BIN" "$B" "$M" -o "$OPTS,passwd_file=$UNKNOWN"
if [ -e /etc/passwd-s3fs ]; then
  FAILURES=$((FAILURES + 1))
  log "FAIL no credentials: /etc/passwd-s3fs exists on this machine, the check needs it absent"
else
  mkdir -p "$E2E_TMP/home"
  one_line_failure "no credentials at all" "no credentials found.*give -o passwd_file=FILE" \
    env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_PROFILE HOME="$E2E_TMP/home" \
    AWS_EC2_METADATA_DISABLED=true "$S3FS_BIN" "$B" "$M" -o "$OPTS"
fi
one_line_failure "missing bucket" "does not exist" "$S3FS_BIN" "no-such-bucket-$$" "$M" -o "$OPTS,passwd_file=$PASSWD"
one_line_failure "dead endpoint" "cannot reach" "$S3FS_BIN" "$B" "$M" -o "url=http://127.0.0.1:1,use_path_request_style,passwd_file=$PASSWD"
one_line_failure "missing mount point" "mount point" "$S3FS_BIN" "$B" "$E2E_TMP/nope" -o "$OPTS,passwd_file=$PASSWD"
one_line_failure "unknown option" "unknown option" "$S3FS_BIN" "$B" "$M" -o "$OPTS,passwd_file=$PASSWD,no_such_option"
chmod 644 "$BAD"
one_line_failure "world-readable passwd file" "accessible by others: run chmod 600" "$S3FS_BIN" "$B" "$M" -o "$OPTS,passwd_file=$BAD"
chmod 640 "$BAD"
one_line_failure "group-readable passwd file" "accessible by its group: run chmod 600" "$S3FS_BIN" "$B" "$M" -o "$OPTS,passwd_file=$BAD"
MOUNTS+=("$M")
check "mount for the next check" "timeout 60 $S3FS_BIN $B $M -o $OPTS,passwd_file=$PASSWD"
# shellcheck disable=SC2034 # M_KEEP: one_line_failure must not unmount the first mount
M_KEEP=1 one_line_failure "mount point already mounted (no stacked second mount)" "is already mounted (s3fs:$B): unmount it first with fusermount3 -u" \
  "$S3FS_BIN" "$B" "$M" -o "$OPTS,passwd_file=$PASSWD"
check "still one mount there" "test \$(grep -c \" $M \" /proc/mounts) = 1"
unmount_one "$M"
echo leftover > "$M/local-file"
one_line_failure "non-empty mount point" "is not empty (use -o nonempty" "$S3FS_BIN" "$B" "$M" -o "$OPTS,passwd_file=$PASSWD"
rm "$M/local-file"

# FUSE as the machine may have it, whatever this one has: each case runs in a private mount
# namespace whose /dev is a tmpfs with null, zero, random, urandom and, unless MODE is none, a
# fuse device node of mode MODE, and whose /etc/fuse.conf is CONF. in_ns MODE CONF command...
# shellcheck disable=SC2016,SC2089 # a script for the inner sh
NS='mode=$1 conf=$2 && shift 2 && mount --make-rprivate / && d=$(mktemp -d) &&
  mount -t tmpfs none "$d" && for n in null zero random urandom; do
    touch "$d/$n" && mount --bind "/dev/$n" "$d/$n" || exit 1; done &&
  { [ "$mode" = none ] || { mknod "$d/fuse" c 10 229 && chmod "$mode" "$d/fuse"; }; } &&
  mount --move "$d" /dev && mount --bind "$conf" /etc/fuse.conf && exec "$@"'
IN_NS=(unshare --mount sh -c "$NS" sh)  # for one_line_failure, which runs a command
in_ns() { unshare --mount sh -c "$NS" sh "$@"; }  # for check steps (NS exported)
# shellcheck disable=SC2090
export NS
export -f in_ns
CONF_NO=$E2E_TMP/fuse.conf.default  # Debian's: user_allow_other commented out
CONF_YES=$E2E_TMP/fuse.conf.allow
printf '# mount_max = 1000\n#user_allow_other\n' > "$CONF_NO"
printf 'user_allow_other\n' > "$CONF_YES"
one_line_failure "FUSE not available (no /dev/fuse)" "FUSE is not available: /dev/fuse is missing (as root: modprobe fuse" \
  "${IN_NS[@]}" none "$CONF_NO" "$S3FS_BIN" "$B" "$M" -o "$OPTS,passwd_file=$PASSWD"

# A non-root user (nobody) with its own mount point and passwd file.
chmod 711 "$E2E_TMP"
NM=$E2E_TMP/nobody-mnt
NP=$E2E_TMP/nobody-passwd
mkdir -p "$NM"
cp "$PASSWD" "$NP"
chown 65534:65534 "$NM" "$NP"
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/nonexistent)
# (M=: one_line_failure unmounts $M if the mount happened after all)
M=$NM one_line_failure "non-root user, /dev/fuse closed to it (0600)" "/dev/fuse is not readable and writable by this user.*chmod 0666 /dev/fuse" \
  "${IN_NS[@]}" 0600 "$CONF_NO" "${NOBODY[@]}" "$S3FS_BIN" "$B" "$NM" -o "$OPTS,passwd_file=$NP"
M=$NM one_line_failure "allow_other as non-root without user_allow_other" \
  "needs the line user_allow_other in /etc/fuse.conf (as root: echo user_allow_other >> /etc/fuse.conf)" \
  "${IN_NS[@]}" 0666 "$CONF_NO" "${NOBODY[@]}" "$S3FS_BIN" "$B" "$NM" -o "$OPTS,passwd_file=$NP,allow_other"
# The fixes work: mount as nobody (through fusermount3), write, unmount; with allow_other (and
# user_allow_other) root sees the files too, without it root is refused (FUSE's rule).
cat > "$E2E_TMP/nobody-mount.sh" <<SH
set -u
N="${NOBODY[*]}"
trap '\$N fusermount3 -u -z $NM 2>/dev/null' EXIT
\$N $S3FS_BIN $B $NM -o $OPTS,passwd_file=$NP\$1 || exit 1
\$N sh -c 'echo n > $NM/by-nobody && test "\$(cat $NM/by-nobody)" = n' || exit 1
if [ -n "\$1" ]; then test "\$(cat $NM/by-nobody)" = n; else ! cat $NM/by-nobody 2>/dev/null; fi || exit 1
\$N fusermount3 -u $NM && ! mountpoint -q $NM
SH
check "non-root user, /dev/fuse 0666: mounts, writes, unmounts; root is refused" \
  "in_ns 0666 $CONF_NO sh $E2E_TMP/nobody-mount.sh ''"
check "non-root user with user_allow_other: allow_other mounts, root reads the files" \
  "in_ns 0666 $CONF_YES sh $E2E_TMP/nobody-mount.sh ,allow_other"

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
  # Clock skew and wrong region, as AWS answers them (the simulator's knobs).
  sim_faults() { curl -sf -X POST "$EP2/__sim/faults?$1" >/dev/null; }
  sim_faults "skew=3600"
  one_line_failure "clock skew (RequestTimeTooSkewed)" "clock is off (RequestTimeTooSkewed): fix the time" \
    "$S3FS_BIN" dying "$M" -o "url=$EP2,use_path_request_style,passwd_file=$PASSWD"
  sim_faults "region=eu-west-1"
  one_line_failure "wrong region names the right one" "is in another region: use -o endpoint=eu-west-1" \
    "$S3FS_BIN" dying "$M" -o "url=$EP2,use_path_request_style,passwd_file=$PASSWD,endpoint=us-east-1"
  sim_faults ""
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
