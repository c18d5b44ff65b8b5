#!/usr/bin/env bash
# Metrics (docs/metrics.md) on a real mount: metrics_port serves valid Prometheus text on
# 127.0.0.1 only, metrics_file is rewritten atomically every metrics_interval and at unmount,
# and the counters move by what cp, ls, cat and getfattr did (S3 requests and bytes, multipart
# parts, presigned URLs, FUSE operations and bytes, read-ahead fetched vs served, dirty bytes).
source "$(dirname "$0")/lib.sh"

PROM="python3 $(cd "$(dirname "$0")" && pwd)/prom.py"
export PROM

B=$(make_bucket metrics)
M=$E2E_TMP/m
L=$E2E_TMP/local
mkdir -p "$L"
FILE=$E2E_TMP/s3fs.prom
# A port nobody listens on (the socket table is read, nothing is sent).
PORT=
for _ in $(seq 50); do
  p=$((20000 + RANDOM % 20000))
  if [ -z "$(ss -ltnH "sport = :$p")" ]; then PORT=$p; break; fi
done
[ -n "$PORT" ] || { log "no free port"; exit 1; }
URL=http://127.0.0.1:$PORT/metrics
export URL FILE E2E_TMP

# Objects that exist before the mount: reading them needs GETs.
head -c 3000000 /dev/urandom > "$L/r1"
head -c 100000 /dev/urandom > "$L/r2"
s3ctl put "$L/r1" "s3://$B/in/r1" >/dev/null
s3ctl put "$L/r2" "s3://$B/in/r2" >/dev/null
for i in 1 2 3 4 5; do head -c 10000 /dev/urandom > "$L/w$i"; done
head -c $((24 << 20)) /dev/urandom > "$L/big"  # > 16 MiB part + 4 MiB slack: streamed, 2 parts

mount_ours "$B" "$M" "metrics_port=$PORT,metrics_file=$FILE,metrics_interval=1"

scrape() { curl -sf --max-time 10 "$URL" > "$1"; }
# v FILE NAME [L=V ...]: sum of the matching samples
v() { $PROM sum "$@"; }
export -f scrape v

check "the endpoint answers and its text is valid" "scrape $E2E_TMP/s0 && $PROM check $E2E_TMP/s0"
check "the file exists at mount and is valid" "$PROM check $FILE"
check "Content-Type is the Prometheus text format" \
  "curl -sfI --max-time 10 $URL | tr -d '\r' | grep -qix 'content-type: text/plain; version=0.0.4; charset=utf-8'"
check "other paths are 404" "[ \$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' http://127.0.0.1:$PORT/) = 404 ]"
check "the port is bound to 127.0.0.1 only" \
  "[ \"\$(ss -ltnH 'sport = :$PORT' | awk '{print \$4}')\" = 127.0.0.1:$PORT ]"
M2=$E2E_TMP/m2
mkdir -p "$M2"
MOUNTS+=("$M2")
check "a second mount on the same port fails, naming the option" \
  "! timeout 60 $S3FS_BIN $B $M2 -o url=$S3FS_TEST_ENDPOINT,use_path_request_style,passwd_file=$PASSWD,metrics_port=$PORT 2>$E2E_TMP/err; cat $E2E_TMP/err; grep -q 'metrics_port=$PORT: cannot listen on 127.0.0.1:$PORT' $E2E_TMP/err && ! mountpoint -q $M2"
check "the breaker is closed" "[ \$(v $E2E_TMP/s0 s3_circuit_breaker_state state=closed) = 1 ]"

check "ls and cat of objects written before the mount" \
  "ls -l $M/in >/dev/null && cmp $L/r1 $M/in/r1 && cmp $L/r2 $M/in/r2"
check "a presigned URL through the xattr" "getfattr --only-values -n user.s3.presigned_url $M/in/r2 | grep -q '^http'"
check "scrape after reading" "scrape $E2E_TMP/s1"
READ_BYTES=$((3000000 + 100000))
check "GetObject received at least the bytes read" \
  "[ \$(v $E2E_TMP/s1 s3_bytes_transferred_total operation=GetObject direction=received) -ge $READ_BYTES ]"
check "FUSE read bytes at least the bytes read" \
  "[ \$(v $E2E_TMP/s1 s3fs_fuse_bytes_total direction=read) -ge $READ_BYTES ]"
check "read-ahead: served covers the reads, fetched covers served" \
  "s=\$(v $E2E_TMP/s1 s3fs_read_bytes_served_total); f=\$(v $E2E_TMP/s1 s3fs_read_bytes_fetched_total); [ \$s -ge $READ_BYTES ] && [ \$f -ge \$s ] && [ \$(v $E2E_TMP/s1 s3fs_read_parts_total) -ge 2 ]"
check "FUSE lookups, reads and directory reads counted" \
  "[ \$(v $E2E_TMP/s1 s3fs_fuse_ops_total op=lookup) -gt 0 ] && [ \$(v $E2E_TMP/s1 s3fs_fuse_ops_total op=read) -gt 0 ] && [ \$((\$(v $E2E_TMP/s1 s3fs_fuse_ops_total op=readdir) + \$(v $E2E_TMP/s1 s3fs_fuse_ops_total op=readdirplus))) -gt 0 ]"
check "FUSE latency histogram counts every operation" \
  "[ \$(v $E2E_TMP/s1 s3fs_fuse_op_duration_seconds_count op=read) = \$(v $E2E_TMP/s1 s3fs_fuse_ops_total op=read) ]"
check "ListObjectsV2 requests and listed objects counted" \
  "[ \$(v $E2E_TMP/s1 s3_requests_total operation=ListObjectsV2) -gt 0 ] && [ \$(v $E2E_TMP/s1 s3_objects_listed_total) -ge 2 ]"
check "the presigned URL counted" "[ \$(v $E2E_TMP/s1 s3_presigned_urls_total operation=GetObject) -ge 1 ]"

check "cp of five small files and a 24 MiB one" \
  "for i in 1 2 3 4 5; do cp $L/w\$i $M/w\$i; done && cp $L/big $M/big && cmp $L/big $M/big"
check "scrape after writing" "scrape $E2E_TMP/s2 && $PROM check $E2E_TMP/s2"
d() { echo $(($(v "$E2E_TMP/s2" "$@") - $(v "$E2E_TMP/s1" "$@"))); }
export -f d
check "one FUSE create per file written" "[ \$(d s3fs_fuse_ops_total op=create) = 6 ]"
check "PutObject once per small file" "[ \$(d s3_requests_total operation=PutObject status=200) -ge 5 ]"
check "PutObject durations as many as PutObjects" \
  "[ \$(v $E2E_TMP/s2 s3_request_duration_seconds_count operation=PutObject) = \$(v $E2E_TMP/s2 s3_requests_total operation=PutObject) ]"
check "the big file went as multipart parts" \
  "[ \$(d s3_multipart_parts_total status=ok) -ge 2 ] && [ \$(d s3_requests_total operation=CompleteMultipartUpload status=200) = 1 ]"
WRITTEN=$((5 * 10000 + (24 << 20)))
check "bytes sent cover the bytes written" "[ \$(d s3_bytes_transferred_total direction=sent) -ge $WRITTEN ]"
check "FUSE write bytes are the bytes written" "[ \$(d s3fs_fuse_bytes_total direction=write) = $WRITTEN ]"
check "nothing dirty or uploading once closed" \
  "[ \$(v $E2E_TMP/s2 s3fs_dirty_bytes) = 0 ] && [ \$(v $E2E_TMP/s2 s3fs_uploads_in_flight) = 0 ] && [ \$(v $E2E_TMP/s2 s3fs_upload_parts_in_flight) = 0 ]"
# Names looked up before they exist are 404s (ObjectError): HEADs (no body, no code) and the
# ranged GETs a lookup asks instead of the file's HEAD (lookup_prefetch: NoSuchKey); nothing
# else may fail.
check "no S3 errors but lookups of absent names" \
  "grep '^s3_errors_total' $E2E_TMP/s2; [ \$(v $E2E_TMP/s2 s3_errors_total) = \$((\$(v $E2E_TMP/s2 s3_errors_total error_type=ObjectError s3_code=) + \$(v $E2E_TMP/s2 s3_errors_total error_type=ObjectError s3_code=NoSuchKey))) ] && [ \$(v $E2E_TMP/s2 s3_requests_total status=404) = \$(v $E2E_TMP/s2 s3_errors_total) ]"
check "a missing file is an ENOENT error reply" \
  "! stat $M/no-such-file 2>/dev/null && scrape $E2E_TMP/s3 && [ \$(v $E2E_TMP/s3 s3fs_fuse_op_errors_total op=lookup errno=ENOENT) -ge 1 ]"

check "the file catches up within the interval" \
  "for _ in \$(seq 50); do [ \$(v $FILE s3fs_fuse_ops_total op=create) = 6 ] && exit 0; sleep 0.2; done; exit 1"
unmount_one "$M"
# The daemon writes the file a last time after its final uploads, then closes the port.
check "the port is closed after unmount" \
  "for _ in \$(seq 150); do [ -z \"\$(ss -ltnH 'sport = :$PORT')\" ] && exit 0; sleep 0.2; done; exit 1"
check "the file's last write happened at unmount and is valid" \
  "$PROM check $FILE && [ \$(v $FILE s3fs_fuse_ops_total op=release) -ge \$(v $E2E_TMP/s2 s3fs_fuse_ops_total op=release) ] && [ \$(v $FILE s3_requests_total operation=PutObject) -ge \$(v $E2E_TMP/s2 s3_requests_total operation=PutObject) ]"
check "no temporary file left" "[ ! -e $FILE.tmp ]"

# metrics_file alone, with an interval longer than the test: written at mount and at unmount.
F2=$E2E_TMP/second.prom
mount_ours "$B" "$M" "metrics_file=$F2,metrics_interval=3600"
check "second mount: file written at mount" "$PROM check $F2 && [ \$(v $F2 s3fs_fuse_ops_total op=create) = 0 ]"
check "second mount: cp one file" "cp $L/w1 $M/again && cmp $L/w1 $M/again"
check "second mount: not rewritten before the interval" "[ \$(v $F2 s3fs_fuse_ops_total op=create) = 0 ]"
unmount_one "$M"
check "second mount: rewritten at unmount" \
  "for _ in \$(seq 150); do [ \"\$(v $F2 s3fs_fuse_ops_total op=create)\" = 1 ] && exit 0; sleep 0.2; done; exit 1"

check "s3ctl --metrics writes its requests' metrics" \
  "s3ctl --metrics $E2E_TMP/ctl.prom head s3://$B/in/r1 >/dev/null && $PROM check $E2E_TMP/ctl.prom && [ \$(v $E2E_TMP/ctl.prom s3_requests_total operation=HeadObject bucket=$B status=200) = 1 ]"
expect_fail "a relative metrics_file is refused" "$S3FS_BIN $B $M -o metrics_file=rel.prom"

finish
