#!/usr/bin/env bash
# The persistent metadata cache on a real mount: requests counted from the daemon's debug log
# (one "s3 op=NAME" line per request). N files (default 2000; METACACHE_FILES=10000 for the
# issue's full size) written by another client, then:
#   first mount, ls -l           -> LIST pages + one HEAD per file (in parallel)
#   ls -l again in that mount    -> 0 requests (within the TTL)
#   remount, ls -l               -> LIST pages only, 0 HEADs of files
#   10 objects changed by another client, remount, ls -l -> exactly those 10 HEADs
#   cache file garbage           -> the mount works, warns once, rebuilds
#   s3ctl cache stats/ls/clear   -> shows and clears the records
source "$(dirname "$0")/lib.sh"

N=${METACACHE_FILES:-2000}
B=$(make_bucket meta)
MNT=$E2E_TMP/mnt
CACHE=$E2E_TMP/metacache
LOG=$E2E_TMP/s3fs-mnt.log
OPTS="meta_cache=$CACHE,dbglevel=debug,stat_cache_expire=600"

log "seeding $N objects with mode 0600 metadata"
# Another client (s3ctl) writes them, 16 at a time.
echo x > "$E2E_TMP/one"
seq 1 "$N" | xargs -P 16 -I{} timeout 60 "$S3CTL_BIN" --endpoint "$S3FS_TEST_ENDPOINT" \
  --path-style --meta mode=33152 put "$E2E_TMP/one" "s3://$B/d/f{}" >/dev/null
s3ctl put "$E2E_TMP/one" "s3://$B/top" >/dev/null

count() { grep -a -c "s3 op=$1 " "$LOG" || true; }
ALL=$E2E_TMP/all-mounts.log
reset_log() { cat "$LOG" >> "$ALL" 2>/dev/null || true; : > "$LOG"; }
mount_it() {
  mount_ours "$B" "$MNT" "$OPTS"
  reset_log
}

mount_it
STEP_TIMEOUT=300 check "first ls -l lists $N files" "[ \$(ls -l $MNT/d | grep -c '^-rw-------') -eq $N ]"
LIST1=$(count ListObjectsV2)
HEAD1=$(count HeadObject)
log "first mount: $LIST1 LIST, $HEAD1 HEAD"
check "first ls -l HEADs every file" "[ $HEAD1 -ge $N ]"
reset_log
check "second ls -l in the same mount" "[ \$(ls -l $MNT/d | grep -c '^-rw-------') -eq $N ]"
LIST2=$(count ListObjectsV2)
HEAD2=$(count HeadObject)
log "same mount again: $LIST2 LIST, $HEAD2 HEAD"
check "second ls -l sends no request" "[ $((LIST2 + HEAD2)) -eq 0 ]"
unmount_one "$MNT"

mount_it
check "ls -l after remount" "[ \$(ls -l $MNT/d | grep -c '^-rw-------') -eq $N ]"
LIST3=$(count ListObjectsV2)
HEAD3=$(count HeadObject)
log "after remount: $LIST3 LIST, $HEAD3 HEAD"
# HEADs allowed: the lookup of d itself (file object and marker).
check "after remount only LIST pages, no HEAD per file" "[ $HEAD3 -le 2 ] && [ $LIST3 -le $((N / 1000 + 2)) ]"
unmount_one "$MNT"

log "another client rewrites 10 files without mode metadata"
echo changed > "$E2E_TMP/two"
for i in $(seq 1 10); do s3ctl put "$E2E_TMP/two" "s3://$B/d/f$i" >/dev/null; done
mount_it
check "ls -l sees the 10 changes" "[ \$(ls -l $MNT/d | grep -c '^-rw-r--r--.* 8 ') -eq 10 ]"
HEAD4=$(count HeadObject)
log "after 10 external changes: $HEAD4 HEAD"
check "exactly the 10 changed files are HEADed again" "[ $HEAD4 -ge 10 ] && [ $HEAD4 -le 12 ]"
unmount_one "$MNT"

check "s3ctl cache stats counts the records" \
  "$S3CTL_BIN --endpoint $S3FS_TEST_ENDPOINT cache stats s3://$B --cache-dir $CACHE | awk '/^records/ {exit !(\$2 >= $N)}'"
check "s3ctl cache ls shows a file record" \
  "$S3CTL_BIN --endpoint $S3FS_TEST_ENDPOINT cache ls s3://$B --cache-dir $CACHE | grep -q ' d/f7\$'"

reset_log
check "no metadata cache warning in normal use" "! grep -a 'metadata cache' $ALL | grep -aqv 'metadata cache in'"

log "garbage over the cache file"
DATA=$(ls "$CACHE"/*/data.mdb)
head -c 1048576 /dev/urandom > "$DATA"
reset_log
mount_ours "$B" "$MNT" "$OPTS"
check "mount with a garbage cache file works" "[ \$(ls -l $MNT/d | grep -c '^-') -eq $N ]"
check "the daemon warned about the cache once" "[ \$(grep -a -c 'set aside' $LOG) -eq 1 ]"
check "reads work" "grep -q changed $MNT/d/f1"
unmount_one "$MNT"

check "s3ctl cache clear" \
  "$S3CTL_BIN --endpoint $S3FS_TEST_ENDPOINT cache clear s3://$B --cache-dir $CACHE"
mount_it
check "after clear, ls -l HEADs again" "ls -l $MNT/d >/dev/null && [ \$(grep -a -c 's3 op=HeadObject ' $LOG) -ge $N ]"
unmount_one "$MNT"

mount_ours "$B" "$MNT" "meta_cache=off"
check "ls -l with the cache off" "[ \$(ls $MNT/d | wc -l) -eq $N ]"
unmount_one "$MNT"

finish
