#!/usr/bin/env bash
# user.s3.* xattrs on a real mount (docs/xattrs.md), checked against what s3ctl sees on RGW:
# tags, storage class (xattr and mount option), content type, ETag, presigned URLs fetched by
# curl, SSE-KMS and SSE-C mounts, RGW's 501 for copies of encrypted objects, and that
# cp --preserve=xattr / rsync -X copy real user xattrs and never the virtual ones.
source "$(dirname "$0")/lib.sh"

B=$(make_bucket xattr)
M=$E2E_TMP/m
L=$E2E_TMP/local
mkdir -p "$L"
head -c 100000 /dev/urandom > "$L/data"
mount_ours "$B" "$M"
check "write a file" "cp $L/data $M/f && cmp $L/data $M/f"

g() { getfattr --only-values -n "$1" "$2"; }
export -f g

check "tags set through the mount reach S3" \
  "setfattr -n user.s3.tags -v 'team=data&env=dev%20box' $M/f && s3ctl tag get s3://$B/f | grep -qx 'env=dev box' && s3ctl tag get s3://$B/f | grep -qx team=data"
check "one tag set and read" \
  "setfattr -n user.s3.tag.owner -v alice $M/f && [ \"\$(g user.s3.tag.owner $M/f)\" = alice ] && [ \$(s3ctl tag get s3://$B/f | wc -l) -eq 3 ]"
check "tags set by another client read through the mount" \
  "s3ctl tag set s3://$B/f a=1 b=2 && [ \"\$(g user.s3.tags $M/f)\" = 'a=1&b=2' ]"
check "one tag removed" "setfattr -x user.s3.tag.a $M/f && [ \"\$(s3ctl tag get s3://$B/f)\" = b=2 ]"
ELEVEN=$(for i in $(seq 0 10); do printf 'k%s=v&' "$i"; done)
expect_fail "eleven tags refused" "setfattr -n user.s3.tags -v '${ELEVEN%&}' $M/f"
check "the refusal says E2BIG" "setfattr -n user.s3.tags -v '${ELEVEN%&}' $M/f 2>&1 | grep -q 'Argument list too long'"
check "the log names the limit" "grep -q 'at most 10' $E2E_TMP/s3fs-m.log"
check "tags untouched by the refusal" "[ \"\$(s3ctl tag get s3://$B/f)\" = b=2 ]"

check "storage class reads STANDARD" "[ \"\$(g user.s3.storage_class $M/f)\" = STANDARD ]"
check "storage class -> STANDARD_IA in place" \
  "setfattr -n user.s3.storage_class -v STANDARD_IA $M/f && s3ctl head s3://$B/f | grep -qx 'storage-class: STANDARD_IA' && cmp $L/data $M/f"
check "metadata and tags survive the class change" \
  "[ \"\$(stat -c %a $M/f)\" = 644 ] && [ \"\$(s3ctl tag get s3://$B/f)\" = b=2 ]"
check "storage class -> back to STANDARD" \
  "setfattr -n user.s3.storage_class -v STANDARD $M/f && ! s3ctl head s3://$B/f | grep -q STANDARD_IA && [ \"\$(g user.s3.storage_class $M/f)\" = STANDARD ]"
expect_fail "unknown storage class refused" "setfattr -n user.s3.storage_class -v PLATINUM $M/f"

check "content type set in place" \
  "setfattr -n user.s3.content_type -v text/csv $M/f && s3ctl head s3://$B/f | grep -qx 'content-type: text/csv'"
check "etag is the MD5 of a single-part file" "[ \"\$(g user.s3.etag $M/f)\" = \"\$(md5sum < $L/data | cut -d' ' -f1)\" ]"
check "last_modified is ISO 8601" "g user.s3.last_modified $M/f | grep -Eq '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T'"
check "presigned URL serves the content to curl" \
  "curl -sf -o $E2E_TMP/dl \"\$(g user.s3.presigned_url $M/f)\" && cmp $L/data $E2E_TMP/dl"
expect_fail "read-only names refuse writes" "setfattr -n user.s3.etag -v x $M/f"
expect_fail "unknown user.s3 names are not stored" "setfattr -n user.s3.colour -v x $M/f"
check "virtual names are not listed" "! getfattr -d -m - $M/f 2>/dev/null | grep -q user.s3"

check "cp --preserve=xattr copies user xattrs in" \
  "setfattr -n user.color -v red $L/data && cp --preserve=xattr $L/data $M/x && [ \"\$(g user.color $M/x)\" = red ]"
check "cp --preserve=xattr copies them out, without user.s3.*" \
  "setfattr -n user.s3.tag.t -v 1 $M/x && cp --preserve=xattr $M/x $L/out && [ \"\$(g user.color $L/out)\" = red ] && ! getfattr -d -m - $L/out | grep -q user.s3"
check "rsync -X keeps user xattrs both ways" \
  "mkdir -p $L/rs && cp --preserve=xattr $L/data $L/rs/a && rsync -aX $L/rs/ $M/rs/ && [ \"\$(g user.color $M/rs/a)\" = red ] && rsync -aX $M/rs/ $L/rs2/ && [ \"\$(g user.color $L/rs2/a)\" = red ]"
unmount_one "$M"

mount_ours "$B" "$M" "storage_class=STANDARD_IA"
check "storage_class= mount option applies to new files" \
  "cp $L/data $M/ia && s3ctl head s3://$B/ia | grep -qx 'storage-class: STANDARD_IA' && [ \"\$(g user.s3.storage_class $M/ia)\" = STANDARD_IA ]"
unmount_one "$M"

mount_ours "$B" "$M" "use_sse=kmsid:testkey-1"
check "SSE-KMS mount writes encrypted objects" \
  "cp $L/data $M/kms && s3ctl head s3://$B/kms | grep -qx 'sse: aws:kms' && cmp $L/data $M/kms"
check "user.s3.sse and the key id" \
  "[ \"\$(g user.s3.sse $M/kms)\" = aws:kms ] && [ \"\$(g user.s3.sse_kms_key_id $M/kms)\" = testkey-1 ]"
# RGW answers 501 to CopyObject of encrypted objects: a clear error, the object untouched.
check "class change of an encrypted object fails clearly" \
  "! setfattr -n user.s3.storage_class -v STANDARD_IA $M/kms 2>$E2E_TMP/err && grep -q 'not supported' $E2E_TMP/err"
check "the encrypted object is untouched" \
  "cmp $L/data $M/kms && ! s3ctl head s3://$B/kms | grep -q STANDARD_IA && grep -q 'could not be rewritten' $E2E_TMP/s3fs-m.log"
unmount_one "$M"

# A raw 32-byte key with no newline, no whitespace at its ends and no leading '#' (the key file
# is read line by line, as s3fs-fuse's): random bytes had a 12% chance of holding a newline.
python3 -c 'import secrets, sys; sys.stdout.write(secrets.token_hex(16))' > "$E2E_TMP/ssec.key"
chmod 600 "$E2E_TMP/ssec.key"
mount_ours "$B" "$M" "use_sse=custom:$E2E_TMP/ssec.key"
check "SSE-C mount writes and reads back" "cp $L/data $M/ssec && cmp $L/data $M/ssec"
check "user.s3.sse says SSE-C" "[ \"\$(g user.s3.sse $M/ssec)\" = SSE-C ]"
unmount_one "$M"
# A new key in front (base64, as `openssl rand -base64 32` writes it), the old one after it:
# new files use the new key, old files stay readable (s3fs-fuse's key-file rotation).
{ head -c 32 /dev/urandom | base64; base64 < "$E2E_TMP/ssec.key"; } > "$E2E_TMP/ssec2.keys"
chmod 600 "$E2E_TMP/ssec2.keys"
mount_ours "$B" "$M" "use_sse=custom:$E2E_TMP/ssec2.keys"
check "rotated key file: old SSE-C objects stay readable" "cmp $L/data $M/ssec"
check "rotated key file: new objects use the new key" "cp $L/data $M/ssec2 && cmp $L/data $M/ssec2"
unmount_one "$M"
mount_ours "$B" "$M" "use_sse=custom:$E2E_TMP/ssec.key"
expect_fail "the old key alone cannot read the new object" "cat $M/ssec2 > /dev/null"
unmount_one "$M"
expect_fail "the SSE-C object cannot be read without the key" "s3ctl get s3://$B/ssec -"
mount_ours "$B" "$M"
expect_fail "a mount without the key fails to read it" "cat $M/ssec > /dev/null"
unmount_one "$M"

finish
