#!/usr/bin/env bash
# TLS against RGW's TLS endpoint (tests/servers/rgw with S3FS_RGW_SSL_PORT; scripts/test turns
# it on): a self-signed certificate for DNS:localhost. Untrusted, it is refused by s3fs and
# s3ctl with a message naming the certificate problem; trusted through ca_file= / --ca-file /
# AWS_CA_BUNDLE it is accepted; reached as https://127.0.0.1 (not in the certificate) it is a
# host name mismatch and refused. A server that speaks only TLS 1.1 is refused because the
# client offers nothing below TLS 1.2 (the server logs "unsupported protocol"), while curl
# allowed TLS 1.1 gets through to it.
source "$(dirname "$0")/lib.sh"
: "${S3FS_TEST_TLS_ENDPOINT:?S3FS_TEST_TLS_ENDPOINT is not set: start RGW with S3FS_RGW_SSL_PORT (scripts/test does)}"
: "${S3FS_TEST_TLS_CA:?}"
TLS=$S3FS_TEST_TLS_ENDPOINT
CA=$S3FS_TEST_TLS_CA
PORT=${TLS##*:}
MISMATCH=https://127.0.0.1:$PORT
unset AWS_CA_BUNDLE
B=$(make_bucket tls)
M=$E2E_TMP/m
mkdir -p "$M"
echo hello-tls > "$E2E_TMP/f"
export TLS CA MISMATCH B M
T="timeout 60 $S3CTL_BIN --path-style"
export T

# ---- s3ctl ---------------------------------------------------------------------------------
expect_fail "s3ctl: untrusted certificate refused" "$T --endpoint $TLS ls s3://$B"
check "s3ctl: the error names the certificate problem" \
  "! $T --endpoint $TLS ls s3://$B 2>$E2E_TMP/e1; grep -i certificate $E2E_TMP/e1 && grep -qi self.signed $E2E_TMP/e1 && grep -q -- --ca-file $E2E_TMP/e1"
check "s3ctl: exit code 1 and one line" \
  "rc=0; $T --endpoint $TLS ls s3://$B 2>$E2E_TMP/e2 || rc=\$?; [ \$rc = 1 ] && [ \$(wc -l < $E2E_TMP/e2) = 1 ]"
check "s3ctl: trusted with --ca-file" \
  "$T --endpoint $TLS --ca-file $CA put $E2E_TMP/f s3://$B/f && $T --endpoint $TLS --ca-file $CA get s3://$B/f - | grep -qx hello-tls"
check "s3ctl: trusted with AWS_CA_BUNDLE" "AWS_CA_BUNDLE=$CA $T --endpoint $TLS ls s3://$B | grep -q ' f\$'"
expect_fail "s3ctl: host name mismatch refused" "$T --endpoint $MISMATCH --ca-file $CA ls s3://$B"
check "s3ctl: the error names the host name" \
  "! $T --endpoint $MISMATCH --ca-file $CA ls s3://$B 2>$E2E_TMP/e3; grep -Eqi 'host ?name|subject' $E2E_TMP/e3 && grep -q 127.0.0.1 $E2E_TMP/e3"
check "s3ctl: --no-verify-tls is the only way past it" "$T --endpoint $MISMATCH --no-verify-tls ls s3://$B"

# ---- s3fs ----------------------------------------------------------------------------------
OPTS="use_path_request_style,passwd_file=$PASSWD"
export OPTS
expect_fail "s3fs: untrusted certificate refused" "timeout 60 $S3FS_BIN $B $M -o url=$TLS,$OPTS 2>$E2E_TMP/m1"
check "s3fs: the mount error names the certificate problem" \
  "cat $E2E_TMP/m1; grep -qi TLS $E2E_TMP/m1 && grep -qi self.signed $E2E_TMP/m1 && grep -q ca_file= $E2E_TMP/m1 && ! mountpoint -q $M"
expect_fail "s3fs: host name mismatch refused" \
  "timeout 60 $S3FS_BIN $B $M -o url=$MISMATCH,ca_file=$CA,$OPTS 2>$E2E_TMP/m2"
check "s3fs: the mount error names the host name" "cat $E2E_TMP/m2; grep -Eqi 'host ?name|subject' $E2E_TMP/m2"
MOUNTS+=("$M")
check "s3fs: trusted with ca_file=, files round-trip" \
  "timeout 60 $S3FS_BIN $B $M -o url=$TLS,ca_file=$CA,$OPTS && grep -qx hello-tls $M/f && echo written > $M/g && $T --endpoint $TLS --ca-file $CA get s3://$B/g - | grep -qx written"
unmount_one "$M"
check "s3fs: trusted with AWS_CA_BUNDLE" \
  "AWS_CA_BUNDLE=$CA timeout 60 $S3FS_BIN $B $M -o url=$TLS,$OPTS && grep -qx written $M/g"
unmount_one "$M"

# ---- nothing below TLS 1.2 is offered --------------------------------------------------------
OLD_PORT=$((PORT + 17))
timeout 60 openssl s_server -accept "$OLD_PORT" -cert "$CA" -key "$(dirname "$CA")/key.pem" \
  -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' -www > "$E2E_TMP/s_server.log" 2>&1 &
SSERVER=$!
for _ in $(seq 50); do (echo > /dev/tcp/127.0.0.1/$OLD_PORT) 2>/dev/null && break; sleep 0.1; done
export OLD_PORT
check "control: a client allowed TLS 1.1 gets through to the TLS 1.1 server" \
  "curl -sS -o /dev/null --cacert $CA --tlsv1.1 --tls-max 1.1 --ciphers 'DEFAULT:@SECLEVEL=0' https://localhost:$OLD_PORT/"
expect_fail "s3ctl refuses a server that speaks only TLS 1.1" \
  "$T --endpoint https://localhost:$OLD_PORT --ca-file $CA ls s3://$B 2>$E2E_TMP/old"
check "because it offered TLS 1.2+ only (protocol version alert; the server: unsupported protocol)" \
  "cat $E2E_TMP/old; grep -qi 'protocol version' $E2E_TMP/old && grep -q 'unsupported protocol' $E2E_TMP/s_server.log"
kill "$SSERVER" 2>/dev/null || true
wait "$SSERVER" 2>/dev/null || true

finish
