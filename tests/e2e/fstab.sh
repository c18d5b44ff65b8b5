#!/usr/bin/env bash
# The fstab lines of docs/configuration.md ("fstab lines"), taken from the page itself, mounted
# for real with `mount MNT` and exercised: S3-compatible endpoint with path style, read-only
# prefix mount, allow_other with uid/gid/umask (modes checked as other users), AWS with an
# instance role (a fake IMDSv2 on loopback hands out the test keys), what `mount -a` does with a
# failing line with and without nofail, and the units systemd-fstab-generator makes of the
# lines (systemd-analyze verify, network ordering, nofail, automount).
source "$(dirname "$0")/mount_ns.sh"
source "$(dirname "$0")/lib.sh"
ns_setup
B=$(make_bucket fstab)
DOC=$REPO/docs/configuration.md

# The block under "### fstab lines": its non-comment lines.
DOC_LINES=$(awk '/^### fstab lines/ {s = 1} s && /^```/ {n++; next} s && n == 1 && !/^#/ && NF' "$DOC")
doc_line() { awk -v m="$1" '$2 == m' <<< "$DOC_LINES"; }
# The doc line for mount point $1, made to use this test's bucket, mount point $2, passwd file
# and server.
adapted() {
  doc_line "$1" | sed -e "s|^mybucket|$B|" -e "s| $1 | $2 |" -e "s|passwd_file=/etc/passwd-s3fs|passwd_file=$PASSWD|" \
    -e "s|url=https://s3.example.com|url=$S3FS_TEST_ENDPOINT|"
}
check "the page gives one line per setup" \
  "for m in /mnt/s3 /mnt/photos /mnt/shared /mnt/aws /mnt/lazy; do test \$(awk -v m=\$m '\$2 == m' <<< \"$DOC_LINES\" | wc -l) = 1 || { echo \"no single line for \$m\"; exit 1; }; done"

# 1. S3-compatible endpoint, path style, passwd file.
M1=$E2E_TMP/s3
mkdir -p "$M1"
MOUNTS+=("$M1")
fstab_add "$(adapted /mnt/s3 "$M1")"
log "fstab: $(tail -n 1 /etc/fstab)"
check "S3-compatible line: mount MNT" "timeout 60 mount $M1 && mountpoint -q $M1"
check "S3-compatible line: the mount is this s3fs (not s3fs-fuse)" "grep \" $M1 \" /proc/mounts | grep -q '^s3fs:$B '"
check "S3-compatible line: write, read back, visible in the bucket" \
  "echo one > $M1/one && test \"\$(cat $M1/one)\" = one && $S3CTL_CMD head s3://$B/one >/dev/null"
check "S3-compatible line: umount" "timeout 60 umount $M1 && ! mountpoint -q $M1"

# 2. Read-only prefix mount.
check "prepare objects under photos/" "echo pic > $E2E_TMP/pic && $S3CTL_CMD put $E2E_TMP/pic s3://$B/photos/2024/pic.jpg >/dev/null"
M2=$E2E_TMP/photos
mkdir -p "$M2"
MOUNTS+=("$M2")
fstab_add "$(adapted /mnt/photos "$M2")"
check "read-only prefix line: mount MNT" "timeout 60 mount $M2 && mountpoint -q $M2 && grep \" $M2 \" /proc/mounts | grep -q ' ro[,]'"
check "read-only prefix line: shows only the prefix" \
  "test \"\$(cat $M2/2024/pic.jpg)\" = pic && ! test -e $M2/one && ! test -e $M2/photos"
check "read-only prefix line: writes fail with EROFS" \
  "! echo x 2>$E2E_TMP/ro.err > $M2/new; grep -q 'Read-only file system' $E2E_TMP/ro.err && ! rm $M2/2024/pic.jpg 2>/dev/null && test -f $M2/2024/pic.jpg"
check "read-only prefix line: without allow_other another user is refused" \
  "! setpriv --reuid=65534 --regid=65534 --clear-groups ls $M2 2>/dev/null"
check "read-only prefix line: umount" "timeout 60 umount $M2 && ! mountpoint -q $M2"

# 3. allow_other with uid=1000,gid=1000,umask=027: 0750 directories, 0640 files, for all users.
M3=$E2E_TMP/shared
mkdir -p "$M3"
MOUNTS+=("$M3")
fstab_add "$(adapted /mnt/shared "$M3")"
as() {  # as UID GID command...: run a command as another user with only that group
  local u=$1 g=$2
  shift 2
  setpriv --reuid="$u" --regid="$g" --clear-groups "$@"
}
export -f as
check "allow_other line: mount MNT" "timeout 60 mount $M3 && mountpoint -q $M3 && grep \" $M3 \" /proc/mounts | grep -q allow_other"
check "allow_other line: root of the mount is 1000:1000 0750" "test \"\$(stat -c '%u %g %a' $M3)\" = '1000 1000 750'"
check "allow_other line: files are 1000:1000 0640, directories 0750" \
  "test \"\$(stat -c '%u %g %a' $M3/one)\" = '1000 1000 640' && test \"\$(stat -c '%u %g %a' $M3/photos)\" = '1000 1000 750'"
check "allow_other line: the owner (uid 1000) reads, writes and creates" \
  "as 1000 1000 cat $M3/one && as 1000 1000 sh -c 'echo mine > $M3/by-1000 && echo more >> $M3/one' && test \"\$(cat $M3/by-1000)\" = mine"
check "allow_other line: the group (gid 1000) reads but cannot write" \
  "as 2000 1000 cat $M3/by-1000 && ! as 2000 1000 sh -c 'echo x >> $M3/by-1000' 2>/dev/null && ! as 2000 1000 touch $M3/by-group 2>/dev/null"
check "allow_other line: others (nobody) cannot even list" \
  "! as 65534 65534 ls $M3 2>/dev/null && ! as 65534 65534 cat $M3/one 2>/dev/null"
check "allow_other line: umount" "timeout 60 umount $M3 && ! mountpoint -q $M3"

# 4. AWS with an instance role: a fake IMDSv2 (token required) hands out the test keys.
cat > "$E2E_TMP/imds.py" <<'PY'
import datetime, http.server, json, os, sys
TOKEN = "imds-session-token"
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s token=%s\n" % (self.command, self.path, self.headers.get("X-aws-ec2-metadata-token") == TOKEN))
        sys.stderr.flush()
    def answer(self, code, body):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())
    def do_PUT(self):
        if self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self.answer(200, TOKEN)
        self.answer(400, "")
    def do_GET(self):
        if self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
            return self.answer(401, "")  # IMDSv2 only, as hardened instances are
        base = "/latest/meta-data/iam/security-credentials/"
        if self.path == base:
            return self.answer(200, "s3fs-test-role")
        if self.path == base + "s3fs-test-role":
            exp = datetime.datetime.utcnow() + datetime.timedelta(hours=6)
            return self.answer(200, json.dumps({"Code": "Success", "Type": "AWS-HMAC",
                "AccessKeyId": os.environ["KEY"], "SecretAccessKey": os.environ["SECRET"],
                "Token": "fake-session-token", "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ")}))
        self.answer(404, "")
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(srv.server_address[1]))
srv.serve_forever()
PY
KEY=$S3FS_TEST_ACCESS_KEY SECRET=$S3FS_TEST_SECRET_KEY python3 "$E2E_TMP/imds.py" "$E2E_TMP/imds.port" 2> "$E2E_TMP/imds.log" &
IMDS_PID=$!
trap 'kill $IMDS_PID 2>/dev/null || true; cleanup' EXIT
for _ in $(seq 50); do [ -s "$E2E_TMP/imds.port" ] && break; sleep 0.1; done
IMDS=http://127.0.0.1:$(cat "$E2E_TMP/imds.port")
M4=$E2E_TMP/aws
mkdir -p "$M4"
MOUNTS+=("$M4")
# Not AWS here: the test server's URL is added; the line's endpoint= (region) stays.
aws_line=$(adapted /mnt/aws "$M4")
fstab_add "${aws_line% 0 0},url=$S3FS_TEST_ENDPOINT,use_path_request_style 0 0"
log "fstab: $(tail -n 1 /etc/fstab)"
check "instance-role line: no keys anywhere in the line" "! tail -n 1 /etc/fstab | grep -qE 'passwd_file|$S3FS_TEST_SECRET_KEY'"
check "instance-role line: mount MNT (keys from the fake IMDSv2 only)" \
  "env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_EC2_METADATA_SERVICE_ENDPOINT=$IMDS timeout 60 mount $M4 && mountpoint -q $M4"
check "instance-role line: write and read back" "echo role > $M4/by-role && test \"\$(cat $M4/by-role)\" = role && $S3CTL_CMD head s3://$B/by-role >/dev/null"
check "instance-role line: IMDSv2 was used (token, then role, then its credentials)" \
  "grep -q 'PUT /latest/api/token' $E2E_TMP/imds.log && grep -q 'GET /latest/meta-data/iam/security-credentials/ token=True' $E2E_TMP/imds.log && grep -q 'GET /latest/meta-data/iam/security-credentials/s3fs-test-role token=True' $E2E_TMP/imds.log"
check "instance-role line: umount" "timeout 60 umount $M4 && ! mountpoint -q $M4"
kill "$IMDS_PID" 2>/dev/null || true
fstab_reset

# 5. nofail: what `mount -a` does with a failing line (a dead endpoint), with and without it.
# An fstab file of our own (-T): `mount -a` on the machine's would mount every line in it.
GOOD=$E2E_TMP/good
BROKEN=$E2E_TMP/broken
mkdir -p "$GOOD" "$BROKEN"
MOUNTS+=("$GOOD" "$BROKEN")
good_line=$(adapted /mnt/s3 "$GOOD")
broken_line=$(adapted /mnt/s3 "$BROKEN" | sed "s|url=$S3FS_TEST_ENDPOINT|url=http://127.0.0.1:1|")
mount_a() {  # mount_a NAME LINES...: `mount -a` of those lines; prints its exit status
  local f=$E2E_TMP/fstab.$1 rc=0
  shift
  printf '%s\n' "$@" > "$f"
  timeout 120 mount -a -T "$f" > "$E2E_TMP/mount-a.out" 2>&1 || rc=$?
  echo "$rc"
}
for variant in nofail plain; do
  line=$broken_line
  [ $variant = plain ] && line=${broken_line/_netdev,nofail,/_netdev,}
  rc=$(mount_a "$variant" "$line" "$good_line")
  log "     mount -a, failing line ($variant) + good line: exit $rc"
  check "mount -a ($variant failing line): exit 64, the good line is mounted, the bad one not" \
    "test $rc = 64 && mountpoint -q $GOOD && ! mountpoint -q $BROKEN"
  check "mount -a ($variant failing line): the failure is one line with the cause" \
    "grep -q 's3fs: cannot reach the endpoint http://127.0.0.1:1' $E2E_TMP/mount-a.out && test \$(grep -c s3fs: $E2E_TMP/mount-a.out) = 1"
  unmount_one "$GOOD"
  rc=$(mount_a "$variant-alone" "$line")
  log "     mount -a, failing line ($variant) alone: exit $rc"
  check "mount -a ($variant failing line alone): exit 32" "test $rc = 32"
done
check "mount MNT of a failing nofail line exits 1 with the one line" \
  "printf '%s\n' '$broken_line' > $E2E_TMP/fstab.one && ! timeout 60 mount -T $E2E_TMP/fstab.one $BROKEN 2> $E2E_TMP/one.err; grep -q 'cannot reach the endpoint' $E2E_TMP/one.err && ! mountpoint -q $BROKEN"

# 6. The units systemd makes of the page's lines (plus one without nofail).
GEN=/lib/systemd/system-generators/systemd-fstab-generator
if [ -x "$GEN" ] && command -v systemd-analyze >/dev/null; then
  G=$E2E_TMP/gen
  mkdir -p "$G/out"
  { echo "$DOC_LINES"; echo "mybucket /mnt/hard fuse.s3fs _netdev,passwd_file=/etc/passwd-s3fs 0 0"; } > "$G/fstab"
  check "systemd-fstab-generator runs on the lines" "SYSTEMD_FSTAB=$G/fstab $GEN $G/out $G/out $G/out && ls $G/out/*.mount"
  for u in mnt-s3 mnt-photos mnt-shared mnt-aws mnt-lazy mnt-hard; do
    check "systemd-analyze verify $u.mount: no diagnostics" \
      "cd $G/out && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no ./$u.mount > $G/$u.diag 2>&1; cat $G/$u.diag; ! grep -q . $G/$u.diag"
    check "$u.mount: After= and Wants=network-online.target, After=remote-fs-pre.target (_netdev)" \
      "cd $G/out && SYSTEMD_LOG_LEVEL=debug systemd-analyze verify --man=no ./$u.mount > $G/$u.log 2>&1; grep -P '^\t\t(After|Wants): network-online.target' $G/$u.log | wc -l | grep -qx 2 && grep -qP '^\t\tAfter: remote-fs-pre.target' $G/$u.log"
  done
  check "nofail lines are wanted by remote-fs.target, not required (boot goes on if they fail)" \
    "test -L $G/out/remote-fs.target.wants/mnt-s3.mount && ! test -e $G/out/remote-fs.target.requires/mnt-s3.mount && ! grep -q 'Before=remote-fs.target' $G/out/mnt-s3.mount"
  check "a line without nofail is required by remote-fs.target and ordered before it" \
    "test -L $G/out/remote-fs.target.requires/mnt-hard.mount && grep -q 'Before=remote-fs.target' $G/out/mnt-hard.mount"
  check "x-systemd.automount: an .automount wanted at boot, the .mount itself not" \
    "test -L $G/out/remote-fs.target.wants/mnt-lazy.automount && grep -q 'TimeoutIdleSec=10min' $G/out/mnt-lazy.automount && ! ls $G/out/*.target.*/mnt-lazy.mount 2>/dev/null && (cd $G/out && systemd-analyze verify --man=no ./mnt-lazy.automount)"
else
  FAILURES=$((FAILURES + 1))
  log "FAIL $GEN or systemd-analyze missing (install systemd)"
fi
finish
