#!/usr/bin/env bash
# Real tools on a real mount: cp -a, rsync -a (and an unchanged re-run), tar, find, du, ls -lR,
# mv of a directory with 1,000 children, git. Prints the wall time of each step, and the same
# `cp -a` into a Debian s3fs-fuse mount on the same server for comparison.
source "$(dirname "$0")/lib.sh"
STEP_TIMEOUT=900
SRC=$E2E_TMP/src
N_SMALL=${E2E_TREE_FILES:-2000}
BIG_MB=${E2E_BIG_MB:-110}

log "generating a tree of $N_SMALL files + 2 x ${BIG_MB} MiB"
mkdir -p "$SRC"
python3 - "$SRC" "$N_SMALL" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(42)
for i in range(n):
    d = os.path.join(root, f"d{i % 20:02d}", f"s{(i // 20) % 10}")
    os.makedirs(d, exist_ok=True)
    size = rnd.choice([0, 10, 100, 1000, 4096, 20000, 100000]) if i % 100 else 3 * 1024 * 1024
    with open(os.path.join(d, f"f{i:05d}.dat"), "wb") as f:
        f.write(rnd.randbytes(size))
os.symlink("d00/s0/f00000.dat", os.path.join(root, "link-to-first"))
os.makedirs(os.path.join(root, "empty-dir"))
PY
head -c $((BIG_MB << 20)) /dev/urandom > "$SRC/big1.bin"
head -c $((BIG_MB << 20)) /dev/urandom > "$SRC/big2.bin"
chmod 600 "$SRC/big2.bin"
touch -d '2021-06-07 08:09:10' "$SRC/big1.bin"

B=$(make_bucket tools)
M=$E2E_TMP/mnt
mount_ours "$B" "$M"

timed() {
  local desc=$1
  shift
  local t0=$SECONDS
  check "$desc" "$@"
  log "     time: $((SECONDS - t0)) s  ($desc)"
  echo "$((SECONDS - t0))"  > "$E2E_TMP/last_time"
}

timed "cp -a of the tree into the mount" "cp -a $SRC $M/tree"
OURS_CP=$(cat "$E2E_TMP/last_time")
timed "diff -r source vs mount" "diff -r $SRC $M/tree"
check "checksums match" "(cd $SRC && find . -type f -print0 | sort -z | xargs -0 sha256sum) > $E2E_TMP/a.sum && (cd $M/tree && find . -type f -print0 | sort -z | xargs -0 sha256sum) > $E2E_TMP/b.sum && cmp $E2E_TMP/a.sum $E2E_TMP/b.sum"
check "cp -a kept modes and mtimes" "test \"\$(stat -c '%a %Y' $SRC/big2.bin $SRC/big1.bin)\" = \"\$(stat -c '%a %Y' $M/tree/big2.bin $M/tree/big1.bin)\""
check "symlink copied" "test \"\$(readlink $M/tree/link-to-first)\" = d00/s0/f00000.dat"
timed "rsync -a out of the mount" "rsync -a $M/tree/ $E2E_TMP/out/ && diff -r $SRC $E2E_TMP/out"
timed "rsync -a into the mount (second tree)" "rsync -a $SRC/ $M/rs/"
check "rsync re-run on an unchanged tree transfers nothing" \
  "rsync -a --stats $SRC/ $M/rs/ | grep -E 'Number of regular files transferred: 0'"
timed "tar cf from the mount, extract elsewhere" \
  "tar -C $M -cf $E2E_TMP/t.tar tree && mkdir -p $E2E_TMP/untar && tar -C $E2E_TMP/untar -xf $E2E_TMP/t.tar && diff -r $SRC $E2E_TMP/untar/tree"
check "find counts every entry" "test \$(find $M/tree | wc -l) -eq \$(find $SRC | wc -l)"
check "du -s works" "du -s $M/tree >/dev/null"
check "ls -lR works" "ls -lR $M/tree > /dev/null"
check "tar extract into the mount" "mkdir -p $M/x && tar -C $M/x -xf $E2E_TMP/t.tar && diff -r $SRC $M/x/tree"
mkdir -p "$E2E_TMP/many"
for i in $(seq 1000); do echo "$i" > "$E2E_TMP/many/f$i"; done
check "copy a directory of 1,000 files in" "cp -r $E2E_TMP/many $M/many"
timed "mv of a directory with 1,000 children" "mv $M/many $M/moved && test \$(ls $M/moved | wc -l) -eq 1000 && ! test -e $M/many && test \"\$(cat $M/moved/f777)\" = 777"
timed "git init, add, commit inside the mount" \
  "cd $M && mkdir repo && cd repo && git init -q && cp -r $SRC/d00 . && git add . && git -c user.email=t@t -c user.name=t commit -qm init && git log --oneline | grep -q init && git fsck"

# The same tree copy into Debian's s3fs-fuse on the same server, for comparison.
if [ -x "$PEER_S3FS" ]; then
  PB=$(make_bucket peer)
  PM=$E2E_TMP/peer
  if mount_peer "$PB" "$PM"; then
    t0=$SECONDS
    timeout 1800 cp -a "$SRC" "$PM/tree" || log "peer cp -a failed"
    PEER_CP=$((SECONDS - t0))
    log "tree copy ($N_SMALL files + 2 x ${BIG_MB} MiB, cp -a): ours ${OURS_CP} s, s3fs-fuse ${PEER_CP} s"
  fi
fi
finish
