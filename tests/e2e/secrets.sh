#!/usr/bin/env bash
# Secrets never reach logs, error messages or crash output. Everything runs at the most verbose
# level (s3fs dbglevel=trace + curldbg + -d -d in the foreground, s3ctl -vv): mounts with an
# SSE-C key doing writes (single and multipart), reads, xattrs (tags, presigned URL) and
# errors (wrong secret, missing bucket, copy refused), a session token, a foreground mount killed with
# SIGABRT, and s3ctl put/get/head/ls/presign/errors. Then every captured log, stderr and stdout
# (except the presigned URLs themselves, which are the product) is searched for: the secret
# key, the wrong secret, the SSE-C key (raw and base64), the session token, Authorization
# header values, `Signature=`/`X-Amz-Signature=` values and the signatures of the URLs.
source "$(dirname "$0")/lib.sh"

B=$(make_bucket secrets)
M=$E2E_TMP/m
L=$E2E_TMP/local
OUT=$E2E_TMP/out  # everything captured goes under here
mkdir -p "$L" "$OUT"
head -c 200000 /dev/urandom > "$L/small"
head -c $((12 * 1024 * 1024)) /dev/urandom > "$L/big"

# Printable secrets, so that their raw form can be searched for too.
SSEC_RAW=$(head -c 24 /dev/urandom | base64 | tr '+/' 'AB')  # 32 printable bytes
SSEC_B64=$(printf %s "$SSEC_RAW" | base64)
printf %s "$SSEC_RAW" > "$E2E_TMP/ssec.key"
chmod 600 "$E2E_TMP/ssec.key"
TOKEN="FwoGZXIvYXdzEsecrettoken$(head -c 24 /dev/urandom | base64 | tr -d '+/=')"
WRONG_SECRET="wrongSecret$(head -c 18 /dev/urandom | base64 | tr -d '+/=')"
BADPW=$E2E_TMP/badpw
echo "$S3FS_TEST_ACCESS_KEY:$WRONG_SECRET" > "$BADPW"
chmod 600 "$BADPW"
VERBOSE="dbglevel=trace,curldbg"
export B M L OUT

# ---- a daemon mount with SSE-C, the most verbose log to a file -------------------------------
mount_ours "$B" "$M" "$VERBOSE,logfile=$OUT/mount1.log,use_sse=custom:$E2E_TMP/ssec.key,multipart_size=5"
check "SSE-C write and read back (single PUT)" "cp $L/small $M/small && cmp $L/small $M/small"
check "SSE-C write and read back (multipart)" "cp $L/big $M/big && cmp $L/big $M/big"
check "tags set and read" "setfattr -n user.s3.tags -v 'k=v' $M/small && getfattr -n user.s3.tags $M/small"
check "presigned URL read (kept apart: it is the product)" \
  "getfattr --only-values -n user.s3.presigned_url $M/small > $E2E_TMP/url1 && grep -q X-Amz-Signature= $E2E_TMP/url1"
# RGW answers 501 to a copy of an SSE-C object: an error path that sends the key twice.
expect_fail "metadata change (self-copy with the SSE-C key) refused by RGW" "chmod 600 $M/small"
check "a missing file is ENOENT" "! cat $M/nope 2>$OUT/enoent.err"
unmount_one "$M"
check "the log is verbose: request headers were logged" "grep -q 'curl > GET' $OUT/mount1.log"
check "the log is verbose: secret headers were seen and redacted" \
  "grep -qi 'authorization: \[redacted\]' $OUT/mount1.log && grep -qi 'x-amz-server-side-encryption-customer-key: \[redacted\]' $OUT/mount1.log"

# ---- error paths at the same level --------------------------------------------------------------
OPTS="url=$S3FS_TEST_ENDPOINT,use_path_request_style,$VERBOSE"
export OPTS BADPW
expect_fail "wrong secret: mount refused" \
  "timeout 60 $S3FS_BIN $B $M -o $OPTS,passwd_file=$BADPW,logfile=$OUT/badcred.log 2>$OUT/badcred.err"
expect_fail "missing bucket: mount refused" \
  "timeout 60 $S3FS_BIN no-such-bucket-$$ $M -o $OPTS,passwd_file=$PASSWD,logfile=$OUT/nobucket.log 2>$OUT/nobucket.err"
# RGW without STS ignores x-amz-security-token: the token is sent with every request.
MOUNTS+=("$M")
check "a session token from the environment is sent with every request" \
  "AWS_SESSION_TOKEN=$TOKEN timeout 60 $S3FS_BIN $B $M -o $OPTS,logfile=$OUT/token.log 2>$OUT/token.err && cp $L/small $M/plain && cmp $L/small $M/plain && grep -qi 'x-amz-security-token: \[redacted\]' $OUT/token.log"
unmount_one "$M"
check "an SSE-C key file readable by others is refused (mount and s3ctl)" \
  "cp -p $E2E_TMP/ssec.key $E2E_TMP/open.key && chmod 640 $E2E_TMP/open.key && ! timeout 60 $S3FS_BIN $B $M -o $OPTS,passwd_file=$PASSWD,use_sse=custom:$E2E_TMP/open.key 2>$OUT/openkey.err && grep -q 'chmod 600' $OUT/openkey.err && ! $S3CTL_BIN --endpoint $S3FS_TEST_ENDPOINT --path-style --sse c:$E2E_TMP/open.key head s3://$B/small 2>>$OUT/openkey.err && [ \$(grep -c 'chmod 600' $OUT/openkey.err) = 2 ]"
expect_fail "wrong SSE-C key file is refused" \
  "echo short > $E2E_TMP/short.key && chmod 600 $E2E_TMP/short.key && timeout 60 $S3FS_BIN $B $M -o $OPTS,passwd_file=$PASSWD,use_sse=custom:$E2E_TMP/short.key 2>$OUT/shortkey.err"

# ---- temporary credentials from a container endpoint (ECS style) on loopback -------------------
# The endpoint answers only with the right Authorization token; the credentials carry the
# session token (RGW without STS ignores it, so the real keys stand behind it).
CT_AUTH="ctAuth$(head -c 18 /dev/urandom | base64 | tr -d '+/=')"
mkdir -p "$E2E_TMP/ct"
printf '{"AccessKeyId":"%s","SecretAccessKey":"%s","Token":"%s","Expiration":"%s"}' \
  "$S3FS_TEST_ACCESS_KEY" "$S3FS_TEST_SECRET_KEY" "$TOKEN" "$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)" \
  > "$E2E_TMP/ct/creds.json"
timeout 600 python3 - "$E2E_TMP/ct" "$CT_AUTH" <<'PY' &
import http.server, os, sys
d, auth = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.headers.get("Authorization") != auth:
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = open(os.path.join(d, "creds.json"), "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(os.path.join(d, "port.tmp"), "w") as f:
    f.write(str(s.server_address[1]))
os.rename(os.path.join(d, "port.tmp"), os.path.join(d, "port"))
s.serve_forever()
PY
CT_PID=$!
for _ in $(seq 50); do [ -f "$E2E_TMP/ct/port" ] && break; sleep 0.1; done
CT_ENV="env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:$(cat "$E2E_TMP/ct/port")/creds AWS_CONTAINER_AUTHORIZATION_TOKEN=$CT_AUTH"
export CT_ENV
MOUNTS+=("$M")
check "container credentials with a session token: mount, write, read" \
  "$CT_ENV timeout 60 $S3FS_BIN $B $M -o $OPTS,ecs,logfile=$OUT/ecs.log 2>$OUT/ecs.err && cp $L/small $M/ecs && cmp $L/small $M/ecs && grep -qi 'x-amz-security-token: \[redacted\]' $OUT/ecs.log"
unmount_one "$M"
check "container credentials: the endpoint's Authorization was sent and redacted" \
  "grep -qi 'curl > GET /creds' $OUT/ecs.log && grep -qi 'authorization: \[redacted\]' $OUT/ecs.log"
expect_fail "container credentials: a wrong endpoint token is refused" \
  "$CT_ENV AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong-$CT_AUTH timeout 60 $S3FS_BIN $B $M -o $OPTS,ecs,logfile=$OUT/ecs-bad.log 2>$OUT/ecs-bad.err"
check "s3ctl with container credentials" \
  "$CT_ENV timeout 60 $S3CTL_BIN --endpoint $S3FS_TEST_ENDPOINT --path-style -vv ls s3://$B 2>$OUT/ecs-s3ctl.err >$OUT/ecs-s3ctl.out && grep -q ' ecs\$' $OUT/ecs-s3ctl.out"
kill "$CT_PID" 2>/dev/null || true
wait "$CT_PID" 2>/dev/null || true

# ---- a foreground mount with -d -d (FUSE tracing too), ended by SIGABRT -----------------------
mkdir -p "$M"
MOUNTS+=("$M")
(ulimit -c 0; exec timeout 300 "$S3FS_BIN" "$B" "$M" -f -d -d -o "$OPTS,passwd_file=$PASSWD,use_sse=custom:$E2E_TMP/ssec.key" >"$OUT/fg.out" 2>&1) &
FG=$!
for _ in $(seq 100); do mountpoint -q "$M" && break; sleep 0.1; done
check "foreground mount: write, read, xattrs" \
  "cp $L/small $M/fg && cmp $L/small $M/fg && cmp $L/big $M/big && setfattr -n user.s3.tag.x -v y $M/fg && getfattr -d -m - $M/fg"
check "foreground mount: presigned URL" "getfattr --only-values -n user.s3.presigned_url $M/fg > $E2E_TMP/url2"
pkill -ABRT -P "$FG" 2>/dev/null || true  # the s3fs child of `timeout`
wait "$FG" 2>/dev/null || true
abort_mount "$M"
check "the foreground output is verbose" "grep -q 'curl > PUT' $OUT/fg.out && grep -qi 'setxattr' $OUT/fg.out"

# ---- s3ctl, most verbose ------------------------------------------------------------------------
S3V="timeout 120 $S3CTL_BIN --endpoint $S3FS_TEST_ENDPOINT --path-style -vv"
export S3V
check "s3ctl put/get/head/ls with SSE-C" \
  "$S3V --sse c:$E2E_TMP/ssec.key put $L/big s3://$B/ctl 2>>$OUT/s3ctl.err >>$OUT/s3ctl.out && $S3V --sse c:$E2E_TMP/ssec.key get s3://$B/ctl $E2E_TMP/ctl 2>>$OUT/s3ctl.err >>$OUT/s3ctl.out && cmp $L/big $E2E_TMP/ctl && $S3V --sse c:$E2E_TMP/ssec.key head s3://$B/ctl 2>>$OUT/s3ctl.err >>$OUT/s3ctl.out && $S3V ls s3://$B 2>>$OUT/s3ctl.err >>$OUT/s3ctl.out"
check "s3ctl presign (URL kept apart)" \
  "$S3V presign s3://$B/small --expires 600 2>>$OUT/s3ctl.err > $E2E_TMP/url3 && grep -q X-Amz-Signature= $E2E_TMP/url3"
check "s3ctl presign PUT (URL kept apart)" \
  "$S3V presign s3://$B/up --method PUT 2>>$OUT/s3ctl.err > $E2E_TMP/url4 && grep -q X-Amz-Signature= $E2E_TMP/url4"
expect_fail "s3ctl: wrong secret" "$S3V --passwd-file $BADPW ls s3://$B 2>>$OUT/s3ctl-err.err >>$OUT/s3ctl-err.out"
check "s3ctl: with a session token" \
  "AWS_SESSION_TOKEN=$TOKEN $S3V ls s3://$B 2>$OUT/s3ctl-token.err >$OUT/s3ctl-token.out && grep -qi 'x-amz-security-token: \[redacted\]' $OUT/s3ctl-token.err"
expect_fail "s3ctl: SSE-C object without the key" "$S3V get s3://$B/ctl - 2>>$OUT/s3ctl-err.err >/dev/null"
expect_fail "s3ctl: missing bucket" "$S3V ls s3://no-such-bucket-$$ 2>>$OUT/s3ctl-err.err >>$OUT/s3ctl-err.out"
check "s3ctl -vv logged request headers" "grep -q 'curl > PUT' $OUT/s3ctl.err && grep -q 'curl > GET' $OUT/s3ctl-err.err"

# ---- the search ----------------------------------------------------------------------------------
# Every signature in the presigned URLs, which must appear nowhere else.
SIGS=$(cat "$E2E_TMP"/url* | grep -o 'X-Amz-Signature=[0-9a-f]*' | cut -d= -f2 | sort -u)
check "presigned URLs were produced" "[ \$(echo '$SIGS' | wc -w) -ge 3 ]"
FILES=$(find "$OUT" -type f | sort)
check "captured $(echo "$FILES" | wc -l) files of output" "[ \$(cat $OUT/* | wc -l) -gt 200 ]"
no_secret() {  # description, fixed string
  check "no $1 in any output" "! grep -rlF -- '$2' $OUT"
}
no_secret "secret key" "$S3FS_TEST_SECRET_KEY"
no_secret "access key id" "$S3FS_TEST_ACCESS_KEY"
no_secret "wrong secret" "$WRONG_SECRET"
no_secret "SSE-C key (raw)" "$SSEC_RAW"
no_secret "SSE-C key (base64)" "$SSEC_B64"
no_secret "session token" "$TOKEN"
no_secret "container endpoint token" "$CT_AUTH"
for s in $SIGS; do no_secret "presigned URL signature ${s:0:8}..." "$s"; done
check "no Authorization header value" "! grep -rEi 'authorization: *AWS4' $OUT"
check "no Signature= value" "! grep -rEi 'Signature=[0-9a-f]{16}' $OUT"
check "no X-Amz-Credential or security token value" "! grep -rEi 'X-Amz-(Credential|Security-Token)=[^[&]' $OUT"
check "no SSE-C key header value" "! grep -rEi 'customer-key: *[A-Za-z0-9+/]{20}' $OUT"

finish
