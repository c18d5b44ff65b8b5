#!/usr/bin/env bash
# s3ctl put/get of a large file against the local RGW versus `rclone copyto` on the same server
# in the same run: wall time, MB/s and CPU seconds (user+sys) of each client.
#
#   bench/s3ctl_vs_rclone.sh [SIZE_MIB=1024] [REPEATS=3]
#
# Needs a running RGW (tests/servers/rgw start) and a built s3ctl (build/src/cli/s3ctl).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MIB=${1:-1024}
REPEATS=${2:-3}
S3CTL=${S3CTL_BIN:-build/src/cli/s3ctl}
RGW_DIR=${RGW_DIR:-.rgw}
[ -x "$S3CTL" ] || { echo "s3ctl not built at $S3CTL" >&2; exit 1; }
[ -f "$RGW_DIR/env" ] || { echo "no RGW env at $RGW_DIR/env: run tests/servers/rgw start" >&2; exit 1; }
# shellcheck disable=SC1091
source "$RGW_DIR/env"
export AWS_ACCESS_KEY_ID=$S3FS_TEST_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3FS_TEST_SECRET_KEY
command -v rclone >/dev/null || { echo "rclone missing: apt-get install rclone" >&2; exit 1; }

WORK=$(mktemp -d /tmp/s3ctl-bench.XXXXXX)
RCLONE_CONF=$WORK/rclone.conf
cat > "$RCLONE_CONF" <<CONF
[rgw]
type = s3
provider = Other
access_key_id = $S3FS_TEST_ACCESS_KEY
secret_access_key = $S3FS_TEST_SECRET_KEY
endpoint = $S3FS_TEST_ENDPOINT
region = ${S3FS_TEST_REGION:-us-east-1}
force_path_style = true
CONF
BUCKET=bench-xfer-$$
S3=("$S3CTL" --endpoint "$S3FS_TEST_ENDPOINT" --region "${S3FS_TEST_REGION:-us-east-1}" --path-style)
cleanup() {
  "${S3[@]}" rm "s3://$BUCKET/s3ctl.bin" "s3://$BUCKET/rclone.bin" >/dev/null 2>&1 || true
  "${S3[@]}" rb "s3://$BUCKET" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
"${S3[@]}" mb "s3://$BUCKET" >/dev/null
head -c $((SIZE_MIB << 20)) /dev/urandom > "$WORK/src.bin"
SUM=$(sha256sum < "$WORK/src.bin" | cut -d' ' -f1)

# Runs a command; prints "wall_s cpu_s" (cpu = user + sys of the client process).
measure() {
  local t0 t1 user sys
  t0=$(date +%s.%N)
  if ! /usr/bin/time -f '%U %S' -o "$WORK/time" "$@" >/dev/null 2>"$WORK/err"; then
    cat "$WORK/err" >&2
    return 1
  fi
  t1=$(date +%s.%N)
  read -r user sys < "$WORK/time"
  echo "$(echo "$t1 - $t0" | bc -l) $(echo "$user + $sys" | bc -l)"
}

declare -A WALL CPU
for r in $(seq "$REPEATS"); do
  for tool in s3ctl rclone; do
    if [ "$tool" = s3ctl ]; then
      put=("${S3[@]}" put "$WORK/src.bin" "s3://$BUCKET/s3ctl.bin")
      get=("${S3[@]}" get "s3://$BUCKET/s3ctl.bin" "$WORK/back.bin")
    else
      put=(env -u AWS_CA_BUNDLE rclone --config "$RCLONE_CONF" copyto "$WORK/src.bin" "rgw:$BUCKET/rclone.bin")
      get=(env -u AWS_CA_BUNDLE rclone --config "$RCLONE_CONF" copyto "rgw:$BUCKET/rclone.bin" "$WORK/back.bin")
    fi
    sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
    read -r w c <<<"$(measure "${put[@]}")"
    WALL[$tool-put]+="$w "; CPU[$tool-put]+="$c "
    rm -f "$WORK/back.bin"
    read -r w c <<<"$(measure "${get[@]}")"
    WALL[$tool-get]+="$w "; CPU[$tool-get]+="$c "
    [ "$(sha256sum < "$WORK/back.bin" | cut -d' ' -f1)" = "$SUM" ] || { echo "$tool: checksum mismatch" >&2; exit 1; }
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
printf '%-8s %-4s %10s %10s %10s   (median of %d, %d MiB, RGW %s)\n' tool op wall_s MB/s cpu_s "$REPEATS" "$SIZE_MIB" "$S3FS_TEST_ENDPOINT"
for op in put get; do
  for tool in s3ctl rclone; do
    w=$(echo "${WALL[$tool-$op]}" | median)
    c=$(echo "${CPU[$tool-$op]}" | median)
    printf '%-8s %-4s %10.2f %10.1f %10.2f\n' "$tool" "$op" "$w" "$(echo "$SIZE_MIB * 1.048576 / $w" | bc -l)" "$c"
  done
done
