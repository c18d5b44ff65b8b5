// The filesystem core over an in-memory object store: layout on the wire, request counts,
// POSIX semantics, error paths.
#include "s3fs/fs/filesystem.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/xattr.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "s3fs/fs/layout.h"
#include "tests/fakes/fake_object_store.h"

namespace s3fs::fs {
namespace {

using s3fs::testing::FakeObjectStore;
using namespace std::chrono_literals;

class FsTest : public ::testing::Test {
 protected:
  void SetUp() override { Make(Options{}); }

  void Make(Options o) {
    store_ = std::make_shared<FakeObjectStore>();
    clock_ = std::make_shared<FakeClock>(std::chrono::system_clock::time_point(1800000000s));
    o.uid = 1000;
    o.gid = 1000;
    opts_ = o;
    auto f = Filesystem::Create(o, store_, clock_);
    ASSERT_TRUE(f.ok());
    fs_ = std::move(f).value();
  }

  Ino LookupIno(Ino parent, const std::string& name) {
    auto e = fs_->Lookup(parent, name);
    EXPECT_TRUE(e.ok()) << name << " errno " << (e.ok() ? 0 : e.error());
    return e.ok() ? e->attr.ino : 0;
  }

  // Creates `name` in `parent` with `data`, closes it.
  Ino WriteFile(Ino parent, const std::string& name, const std::string& data,
                uint32_t mode = 0644) {
    auto c = fs_->Create(parent, name, S_IFREG | mode, O_WRONLY | O_CREAT, caller_);
    EXPECT_TRUE(c.ok());
    if (!c.ok()) return 0;
    Ino ino = c->first.attr.ino;
    uint64_t fh = c->second;
    if (!data.empty()) {
      auto w = fs_->Write(ino, fh, 0, data.data(), data.size());
      EXPECT_TRUE(w.ok());
    }
    EXPECT_TRUE(fs_->Flush(ino, fh).ok());
    EXPECT_TRUE(fs_->Release(ino, fh).ok());
    return ino;
  }

  std::string ReadAll(Ino ino, size_t chunk_size = 4096) {
    auto fh = fs_->Open(ino, O_RDONLY);
    EXPECT_TRUE(fh.ok());
    std::string all;
    std::string chunk;
    uint64_t off = 0;
    while (true) {
      auto n = fs_->Read(ino, *fh, off, chunk_size, &chunk);
      EXPECT_TRUE(n.ok());
      if (!n.ok() || *n == 0) break;
      all += chunk;
      off += *n;
    }
    EXPECT_TRUE(fs_->Release(ino, *fh).ok());
    return all;
  }

  std::vector<std::string> Names(Ino dir) {
    auto fh = fs_->OpenDir(dir);
    EXPECT_TRUE(fh.ok());
    auto entries = fs_->ReadDir(dir, *fh, 0, 100000);
    EXPECT_TRUE(entries.ok());
    std::vector<std::string> names;
    for (const auto& e : *entries) names.push_back(e.name);
    EXPECT_TRUE(fs_->ReleaseDir(dir, *fh).ok());
    return names;
  }

  Options opts_;
  Caller caller_{1000, 1000, 022};
  std::shared_ptr<FakeObjectStore> store_;
  std::shared_ptr<FakeClock> clock_;
  std::unique_ptr<Filesystem> fs_;
};

TEST_F(FsTest, NewFileIsOnePutWithS3fsMetadata) {
  // The parent was listed just before (as the kernel's lookup of a new name after readdir):
  // the negative lookup and the create cost no request; close costs one PUT.
  Names(kRootIno);
  store_->ResetCalls();
  EXPECT_EQ(fs_->Lookup(kRootIno, "new.txt").error(), ENOENT);
  EXPECT_EQ(store_->TotalCalls(), 0);
  WriteFile(kRootIno, "new.txt", "hello", 0640);
  EXPECT_EQ(store_->TotalCalls(), 1);
  EXPECT_EQ(store_->Calls("Put"), 1);
  ASSERT_TRUE(store_->Has("new.txt"));
  EXPECT_EQ(store_->Body("new.txt"), "hello");
  auto meta = store_->Meta("new.txt");
  EXPECT_EQ(meta["mode"], "33184");  // 0100640
  EXPECT_EQ(meta["uid"], "1000");
  EXPECT_EQ(meta["gid"], "1000");
  EXPECT_EQ(meta["mtime"], "1800000000");
}

TEST_F(FsTest, EmptyFileIsCreatedAtClose) {
  WriteFile(kRootIno, "empty", "");
  ASSERT_TRUE(store_->Has("empty"));
  EXPECT_EQ(store_->Body("empty"), "");
}

TEST_F(FsTest, ReadsObjectsWrittenByOtherTools) {
  store_->Seed("dir/a.txt", "content of a",
               {{"mode", "33261"}, {"uid", "7"}, {"gid", "8"}, {"mtime", "1577934245.5"}});
  store_->Seed("dir/sub/deep.txt", "deep");
  store_->Seed("plain", "no metadata");
  Ino dir = LookupIno(kRootIno, "dir");
  auto dattr = fs_->GetAttr(dir);
  ASSERT_TRUE(dattr.ok());
  EXPECT_TRUE(S_ISDIR(dattr->mode));  // implicit directory, no marker
  Ino a = LookupIno(dir, "a.txt");
  auto attr = fs_->GetAttr(a);
  ASSERT_TRUE(attr.ok());
  EXPECT_EQ(attr->mode, 0100755u);
  EXPECT_EQ(attr->uid, 7u);
  EXPECT_EQ(attr->gid, 8u);
  EXPECT_EQ(attr->size, 12u);
  EXPECT_EQ(attr->mtime.tv_sec, 1577934245);
  EXPECT_EQ(attr->mtime.tv_nsec, 500000000);
  EXPECT_EQ(ReadAll(a), "content of a");
  Ino plain = LookupIno(kRootIno, "plain");
  auto pattr = fs_->GetAttr(plain);
  EXPECT_EQ(pattr->mode, 0100644u);
  EXPECT_EQ(pattr->uid, 1000u);  // mount's owner
  EXPECT_EQ(Names(dir), (std::vector<std::string>{".", "..", "a.txt", "sub"}));
}

TEST_F(FsTest, MkdirWritesMarkerLikeS3fs) {
  auto d = fs_->MkDir(kRootIno, "newdir", 0755, caller_);
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(store_->Has("newdir/"));
  EXPECT_EQ(store_->ContentType("newdir/"), "application/x-directory");
  EXPECT_EQ(store_->Meta("newdir/")["mode"], "493");  // permission bits only
  EXPECT_TRUE(S_ISDIR(d->attr.mode));
  // A new directory is known empty: lookups inside need no request.
  store_->ResetCalls();
  EXPECT_EQ(fs_->Lookup(d->attr.ino, "x").error(), ENOENT);
  EXPECT_EQ(store_->TotalCalls(), 0);
  // A marker with x-directory but no trailing slash reads as a directory too.
  store_->Seed("olddir", "", {}, "application/x-directory");
  Ino old = LookupIno(kRootIno, "olddir");
  EXPECT_TRUE(S_ISDIR(fs_->GetAttr(old)->mode));
}

TEST_F(FsTest, RmdirRefusesNonEmpty) {
  auto d = fs_->MkDir(kRootIno, "d", 0755, caller_);
  ASSERT_TRUE(d.ok());
  WriteFile(d->attr.ino, "f", "x");
  EXPECT_EQ(fs_->RmDir(kRootIno, "d").error(), ENOTEMPTY);
  ASSERT_TRUE(fs_->Unlink(d->attr.ino, "f").ok());
  ASSERT_TRUE(fs_->RmDir(kRootIno, "d").ok());
  EXPECT_FALSE(store_->Has("d/"));
  EXPECT_EQ(fs_->Lookup(kRootIno, "d").error(), ENOENT);
}

TEST_F(FsTest, SymlinkAndFifoLayout) {
  auto l = fs_->Symlink("../target/file", kRootIno, "link", caller_);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(store_->Body("link"), "../target/file");
  EXPECT_EQ(store_->Meta("link")["mode"], "41471");  // 0120777
  EXPECT_TRUE(S_ISLNK(l->attr.mode));
  Make(opts_);  // fresh mount, same objects? (new store) -> re-seed to test reading
  store_->Seed("link2", "t", {{"mode", "41471"}});
  Ino ln = LookupIno(kRootIno, "link2");
  EXPECT_EQ(*fs_->ReadLink(ln), "t");
  auto fifo = fs_->MkNod(kRootIno, "pipe", S_IFIFO | 0644, caller_);
  ASSERT_TRUE(fifo.ok());
  EXPECT_EQ(store_->Meta("pipe")["mode"], "4516");  // 010644
  EXPECT_TRUE(S_ISFIFO(fifo->attr.mode));
  EXPECT_EQ(fs_->MkNod(kRootIno, "dev", S_IFCHR | 0644, caller_).error(), EPERM);
}

TEST_F(FsTest, ChmodChownUtimensPersistViaSelfCopy) {
  Ino f = WriteFile(kRootIno, "f", "data");
  store_->ResetCalls();
  SetAttrRequest req;
  req.mode = 0600;
  req.uid = 42;
  req.mtime = timespec{1600000000, 7};
  auto a = fs_->SetAttr(f, req, std::nullopt, caller_);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->mode, 0100600u);
  EXPECT_EQ(store_->Calls("Copy"), 1);
  auto meta = store_->Meta("f");
  EXPECT_EQ(meta["mode"], "33152");
  EXPECT_EQ(meta["uid"], "42");
  EXPECT_EQ(meta["mtime"], "1600000000.000000007");
  EXPECT_EQ(store_->Body("f"), "data");
  // A fresh mount sees the same.
  auto fresh = Filesystem::Create(opts_, store_, clock_);
  ASSERT_TRUE(fresh.ok());
  auto e = (*fresh)->Lookup(kRootIno, "f");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->attr.mode, 0100600u);
  EXPECT_EQ(e->attr.uid, 42u);
}

TEST_F(FsTest, ChmodOnImplicitDirectoryCreatesMarker) {
  store_->Seed("implicit/child", "x");
  Ino d = LookupIno(kRootIno, "implicit");
  SetAttrRequest req;
  req.mode = 0700;
  ASSERT_TRUE(fs_->SetAttr(d, req, std::nullopt, caller_).ok());
  ASSERT_TRUE(store_->Has("implicit/"));
  EXPECT_EQ(store_->Meta("implicit/")["mode"], "448");
}

TEST_F(FsTest, TruncateOpenAppendOverwrite) {
  Ino f = WriteFile(kRootIno, "f", "0123456789");
  // Overwrite in the middle.
  auto fh = fs_->Open(f, O_RDWR);
  ASSERT_TRUE(fh.ok());
  ASSERT_TRUE(fs_->Write(f, *fh, 2, "ab", 2).ok());
  ASSERT_TRUE(fs_->Release(f, *fh).ok());
  EXPECT_EQ(store_->Body("f"), "01ab456789");
  // Append.
  fh = fs_->Open(f, O_WRONLY | O_APPEND);
  ASSERT_TRUE(fs_->Write(f, *fh, 0, "XY", 2).ok());
  ASSERT_TRUE(fs_->Release(f, *fh).ok());
  EXPECT_EQ(store_->Body("f"), "01ab456789XY");
  // O_TRUNC without writes still truncates in S3.
  fh = fs_->Open(f, O_WRONLY | O_TRUNC);
  ASSERT_TRUE(fs_->Release(f, *fh).ok());
  EXPECT_EQ(store_->Body("f"), "");
  // truncate(2) on a path, up and down.
  WriteFile(kRootIno, "g", "abcdef");
  Ino g = LookupIno(kRootIno, "g");
  SetAttrRequest shrink;
  shrink.size = 3;
  ASSERT_TRUE(fs_->SetAttr(g, shrink, std::nullopt, caller_).ok());
  EXPECT_EQ(store_->Body("g"), "abc");
  SetAttrRequest grow;
  grow.size = 5;
  ASSERT_TRUE(fs_->SetAttr(g, grow, std::nullopt, caller_).ok());
  EXPECT_EQ(store_->Body("g"), std::string("abc\0\0", 5));
}

TEST_F(FsTest, UploadFailureIsEioFromCloseNeverSilent) {
  auto c = fs_->Create(kRootIno, "f", S_IFREG | 0644, O_WRONLY | O_CREAT, caller_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(fs_->Write(c->first.attr.ino, c->second, 0, "x", 1).ok());
  s3::S3Error e;
  e.category = s3::Category::kServer;
  e.kind = "InternalError";
  e.retryable = true;
  store_->FailNext("Put", e);
  auto flush = fs_->Flush(c->first.attr.ino, c->second);
  ASSERT_FALSE(flush.ok());
  EXPECT_EQ(flush.error(), EIO);
  // fsync retries the upload and succeeds.
  ASSERT_TRUE(fs_->Fsync(c->first.attr.ino, c->second, false).ok());
  EXPECT_EQ(store_->Body("f"), "x");
  ASSERT_TRUE(fs_->Release(c->first.attr.ino, c->second).ok());
}

TEST_F(FsTest, ServerErrorIsNeverEnoent) {
  s3::S3Error e;
  e.category = s3::Category::kServer;
  e.kind = "ServiceUnavailable";
  store_->FailNext("Head", e, 10);
  auto r = fs_->Lookup(kRootIno, "anything");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), EIO);
  s3::S3Error t;
  t.category = s3::Category::kNetwork;
  t.kind = "Timeout";
  store_->FailNext("Head", t, 10);
  store_->FailNext("List", t, 10);  // a second miss lists the directory: that fails too
  EXPECT_EQ(fs_->Lookup(kRootIno, "other").error(), ETIMEDOUT);
}

TEST_F(FsTest, RenameFileAndDirectory) {
  Ino f = WriteFile(kRootIno, "a", "A");
  (void)f;
  ASSERT_TRUE(fs_->Rename(kRootIno, "a", kRootIno, "b", 0).ok());
  EXPECT_FALSE(store_->Has("a"));
  EXPECT_EQ(store_->Body("b"), "A");
  EXPECT_EQ(fs_->Lookup(kRootIno, "a").error(), ENOENT);
  // RENAME_NOREPLACE and RENAME_EXCHANGE.
  WriteFile(kRootIno, "c", "C");
  EXPECT_EQ(fs_->Rename(kRootIno, "b", kRootIno, "c", RENAME_NOREPLACE).error(), EEXIST);
  EXPECT_EQ(fs_->Rename(kRootIno, "b", kRootIno, "c", RENAME_EXCHANGE).error(), EINVAL);
  ASSERT_TRUE(fs_->Rename(kRootIno, "b", kRootIno, "c", 0).ok());
  EXPECT_EQ(store_->Body("c"), "A");
  // Directory with children, some implicit.
  auto d = fs_->MkDir(kRootIno, "d", 0755, caller_);
  ASSERT_TRUE(d.ok());
  for (int i = 0; i < 50; ++i) WriteFile(d->attr.ino, "f" + std::to_string(i), "x");
  store_->Seed("d/sub/deep", "deep");
  ASSERT_TRUE(fs_->Rename(kRootIno, "d", kRootIno, "e", 0).ok());
  EXPECT_FALSE(store_->Has("d/"));
  EXPECT_FALSE(store_->Has("d/f0"));
  EXPECT_TRUE(store_->Has("e/"));
  EXPECT_TRUE(store_->Has("e/f49"));
  EXPECT_EQ(store_->Body("e/sub/deep"), "deep");
  Ino e = LookupIno(kRootIno, "e");
  EXPECT_EQ(Names(e).size(), 2u + 50u + 1u);
  // Into its own subtree: EINVAL.
  Ino sub = LookupIno(e, "sub");
  EXPECT_EQ(fs_->Rename(kRootIno, "e", sub, "x", 0).error(), EINVAL);
  // Over a non-empty directory: ENOTEMPTY; file over dir: EISDIR.
  auto g = fs_->MkDir(kRootIno, "g", 0755, caller_);
  ASSERT_TRUE(g.ok());
  WriteFile(g->attr.ino, "x", "1");
  auto h = fs_->MkDir(kRootIno, "h", 0755, caller_);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(fs_->Rename(kRootIno, "h", kRootIno, "g", 0).error(), ENOTEMPTY);
  EXPECT_EQ(fs_->Rename(kRootIno, "c", kRootIno, "g", 0).error(), EISDIR);
}

TEST_F(FsTest, RenameOfFileBeingWrittenCarriesItsData) {
  auto c = fs_->Create(kRootIno, "tmp", S_IFREG | 0644, O_WRONLY | O_CREAT, caller_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(fs_->Write(c->first.attr.ino, c->second, 0, "saved", 5).ok());
  ASSERT_TRUE(fs_->Fsync(c->first.attr.ino, c->second, false).ok());
  ASSERT_TRUE(fs_->Release(c->first.attr.ino, c->second).ok());
  WriteFile(kRootIno, "doc", "old");
  // Editor-style save: write temp, fsync, rename over.
  ASSERT_TRUE(fs_->Rename(kRootIno, "tmp", kRootIno, "doc", 0).ok());
  EXPECT_EQ(store_->Body("doc"), "saved");
  EXPECT_FALSE(store_->Has("tmp"));
}

TEST_F(FsTest, UnlinkWhileOpenKeepsReaderWorking) {
  Ino f = WriteFile(kRootIno, "f", std::string(10000, 'z'));
  auto fh = fs_->Open(f, O_RDONLY);
  ASSERT_TRUE(fh.ok());
  ASSERT_TRUE(fs_->Unlink(kRootIno, "f").ok());
  EXPECT_EQ(fs_->Lookup(kRootIno, "f").error(), ENOENT);
  std::string out;
  auto n = fs_->Read(f, *fh, 9000, 1000, &out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(out, std::string(1000, 'z'));
  EXPECT_TRUE(store_->Has("f"));  // deleted at last close
  ASSERT_TRUE(fs_->Release(f, *fh).ok());
  EXPECT_FALSE(store_->Has("f"));
}

TEST_F(FsTest, ReaderPinnedToVersion) {
  Ino f = WriteFile(kRootIno, "f", std::string(3 << 20, 'a'));
  auto fh = fs_->Open(f, O_RDONLY);
  std::string out;
  ASSERT_TRUE(fs_->Read(f, *fh, 0, 4096, &out).ok());
  store_->Seed("f", std::string(3 << 20, 'b'));  // another client overwrites
  auto r = fs_->Read(f, *fh, 2 << 20, 4096, &out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), EIO);
  ASSERT_TRUE(fs_->Release(f, *fh).ok());
}

TEST_F(FsTest, ConcurrentReadsOfOneHandleReturnTheRightBytes) {
  // The kernel reads one file from several threads at once (async read-ahead).
  std::string data(24 << 20, '\0');
  for (size_t i = 0; i < data.size(); i += 4) {
    uint32_t v = static_cast<uint32_t>(i);
    std::memcpy(&data[i], &v, 4);
  }
  store_->Seed("pattern", data);
  Ino f = LookupIno(kRootIno, "pattern");
  auto fh = fs_->Open(f, O_RDONLY);
  ASSERT_TRUE(fh.ok());
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 8; ++t) {
    readers.emplace_back([&, t] {
      std::string out;
      for (uint64_t off = static_cast<uint64_t>(t) * (128 << 10); off < data.size();
           off += 8 * (128 << 10)) {
        auto n = fs_->Read(f, *fh, off, 128 << 10, &out);
        if (!n.ok() || out != data.substr(off, 128 << 10)) bad++;
      }
    });
  }
  for (auto& r : readers) r.join();
  EXPECT_EQ(bad.load(), 0);
  ASSERT_TRUE(fs_->Release(f, *fh).ok());
}

TEST_F(FsTest, SequentialReadWindowGrows) {
  Ino f = WriteFile(kRootIno, "big", std::string(40 << 20, 'q'));
  store_->ResetCalls();
  auto fh = fs_->Open(f, O_RDONLY);
  std::string out;
  for (uint64_t off = 0; off < (40u << 20); off += 128 << 10) {
    auto n = fs_->Read(f, *fh, off, 128 << 10, &out);
    ASSERT_TRUE(n.ok());
    ASSERT_EQ(*n, 128u << 10);
  }
  ASSERT_TRUE(fs_->Release(f, *fh).ok());
  // The window doubles from 1 MiB (GETs of 1, 1, 1, 2, 4 MiB), then 8 MiB parts: a handful of
  // GETs, not 320, and no byte fetched twice.
  EXPECT_LE(store_->Calls("Read"), 10);
  EXPECT_EQ(store_->bytes_read(), 40u << 20);
}

TEST_F(FsTest, NamesTooLong) {
  EXPECT_EQ(fs_->Lookup(kRootIno, std::string(256, 'n')).error(), ENAMETOOLONG);
  // Deep paths: the whole key is limited to 1024 bytes.
  Ino dir = kRootIno;
  for (int i = 0; i < 4; ++i) {
    auto d = fs_->MkDir(dir, std::string(250, static_cast<char>('a' + i)), 0755, caller_);
    ASSERT_TRUE(d.ok());
    dir = d->attr.ino;
  }
  EXPECT_EQ(fs_->Create(dir, std::string(30, 'x'), S_IFREG | 0644, O_CREAT, caller_).error(),
            ENAMETOOLONG);
}

TEST_F(FsTest, HardLinksUnsupported) {
  Ino f = WriteFile(kRootIno, "f", "x");
  EXPECT_EQ(fs_->Link(f, kRootIno, "g").error(), ENOTSUP);
}

TEST_F(FsTest, UserXattrsInS3fsFormat) {
  Ino f = WriteFile(kRootIno, "f", "x");
  ASSERT_TRUE(fs_->SetXattr(f, "user.color", "blue", 0).ok());
  EXPECT_EQ(store_->Meta("f")["xattr"], "%7B%22user.color%22%3A%22Ymx1ZQ%3D%3D%22%7D");
  EXPECT_EQ(*fs_->GetXattr(f, "user.color"), "blue");
  EXPECT_EQ(fs_->SetXattr(f, "user.color", "red", XATTR_CREATE).error(), EEXIST);
  EXPECT_EQ(fs_->SetXattr(f, "user.none", "v", XATTR_REPLACE).error(), ENODATA);
  EXPECT_EQ(fs_->GetXattr(f, "user.none").error(), ENODATA);
  EXPECT_EQ(fs_->SetXattr(f, "security.selinux", "x", 0).error(), ENOTSUP);
  EXPECT_EQ(*fs_->ListXattr(f), (std::vector<std::string>{"user.color"}));
  ASSERT_TRUE(fs_->RemoveXattr(f, "user.color").ok());
  EXPECT_EQ(store_->Meta("f").count("xattr"), 0u);
  EXPECT_EQ(store_->Body("f"), "x");
}

TEST_F(FsTest, ReadOnlyMount) {
  Options o;
  o.read_only = true;
  Make(o);
  store_->Seed("f", "x");
  Ino f = LookupIno(kRootIno, "f");
  EXPECT_EQ(fs_->Open(f, O_WRONLY).error(), EROFS);
  EXPECT_EQ(fs_->Create(kRootIno, "n", S_IFREG | 0644, O_CREAT, caller_).error(), EROFS);
  EXPECT_EQ(fs_->Unlink(kRootIno, "f").error(), EROFS);
  EXPECT_EQ(fs_->MkDir(kRootIno, "d", 0755, caller_).error(), EROFS);
  EXPECT_EQ(ReadAll(f), "x");
}

TEST_F(FsTest, PrefixMount) {
  Options o;
  o.prefix = "base/dir";
  Make(o);
  store_->Seed("base/dir/inside", "yes");
  store_->Seed("outside", "no");
  EXPECT_EQ(Names(kRootIno), (std::vector<std::string>{".", "..", "inside"}));
  WriteFile(kRootIno, "new", "n");
  EXPECT_TRUE(store_->Has("base/dir/new"));
}

TEST_F(FsTest, ListingReusesMetadataForUnchangedObjects) {
  for (int i = 0; i < 30; ++i) store_->Seed("d/f" + std::to_string(i), "x", {{"mode", "33188"}});
  Ino d = LookupIno(kRootIno, "d");
  store_->ResetCalls();
  Names(d);
  EXPECT_EQ(store_->Calls("Head"), 30);  // first listing: metadata fetched (in parallel)
  store_->ResetCalls();
  Names(d);
  EXPECT_EQ(store_->TotalCalls(), 0);  // within the TTL the listing itself is cached
  clock_->Advance(61s);
  store_->ResetCalls();
  Names(d);
  EXPECT_EQ(store_->Calls("List"), 1);
  EXPECT_EQ(store_->Calls("Head"), 0);  // same ETags: no metadata fetched again
  store_->Seed("d/f3", "changed", {{"mode", "33261"}});
  clock_->Advance(61s);
  store_->ResetCalls();
  Names(d);
  EXPECT_EQ(store_->Calls("Head"), 1);
  Ino f3 = LookupIno(d, "f3");
  EXPECT_EQ(fs_->GetAttr(f3)->mode, 0100755u);
}

TEST_F(FsTest, ListAttrsOnlyNeedsNoHead) {
  Options o;
  o.list_attrs_only = true;
  Make(o);
  for (int i = 0; i < 10; ++i) store_->Seed("f" + std::to_string(i), "x", {{"mode", "33261"}});
  store_->ResetCalls();
  EXPECT_EQ(Names(kRootIno).size(), 12u);
  EXPECT_EQ(store_->Calls("Head"), 0);
  EXPECT_EQ(store_->Calls("List"), 1);
}

TEST_F(FsTest, DirectoryAndFileOfSameNameShowDirectory) {
  store_->Seed("same", "file");
  store_->Seed("same/child", "c");
  auto names = Names(kRootIno);
  EXPECT_EQ(std::count(names.begin(), names.end(), "same"), 1);
}

TEST_F(FsTest, StatTtlExpiryRefetches) {
  store_->Seed("f", "1");
  Ino f = LookupIno(kRootIno, "f");
  store_->Seed("f", "22");
  EXPECT_EQ(fs_->GetAttr(f)->size, 1u);  // cached
  clock_->Advance(61s);
  EXPECT_EQ(fs_->GetAttr(f)->size, 2u);
}

TEST_F(FsTest, StatCacheIntervalExpireCountsFromLastUse) {
  store_->Seed("f", "1");
  store_->Seed("d/x", "x");
  Options o = opts_;
  o.stat_ttl_from_access = true;  // stat_cache_interval_expire=60
  auto made = Filesystem::Create(o, store_, clock_);
  ASSERT_TRUE(made.ok());
  auto fs = std::move(made).value();
  Ino f = fs->Lookup(kRootIno, "f")->attr.ino;
  Ino d = fs->Lookup(kRootIno, "d")->attr.ino;
  auto list = [&] {
    auto fh = fs->OpenDir(d);
    auto entries = fs->ReadDir(d, *fh, 0, 100);
    EXPECT_TRUE(fs->ReleaseDir(d, *fh).ok());
    return entries->size() - 2;  // without . and ..
  };
  EXPECT_EQ(list(), 1u);
  store_->Seed("f", "22");
  store_->Seed("d/y", "y");
  // Used every 40 s: still the first answers 200 s after they were fetched.
  for (int i = 0; i < 5; ++i) {
    clock_->Advance(40s);
    EXPECT_EQ(fs->GetAttr(f)->size, 1u) << i;
    EXPECT_EQ(list(), 1u) << i;
  }
  EXPECT_EQ(fs->Lookup(kRootIno, "f")->attr.size, 1u);
  // 61 s without a use: expired, fetched again.
  clock_->Advance(61s);
  EXPECT_EQ(fs->GetAttr(f)->size, 2u);
  EXPECT_EQ(list(), 2u);
  // By default (stat_cache_expire) the lifetime counts from the fetch, whatever the uses.
  Ino g = LookupIno(kRootIno, "f");
  store_->Seed("f", "333");
  clock_->Advance(40s);
  EXPECT_EQ(fs_->GetAttr(g)->size, 2u);
  clock_->Advance(40s);
  EXPECT_EQ(fs_->GetAttr(g)->size, 3u);
}

TEST_F(FsTest, NegativeCacheExpires) {
  EXPECT_EQ(fs_->Lookup(kRootIno, "later").error(), ENOENT);
  store_->Seed("later", "x");
  EXPECT_EQ(fs_->Lookup(kRootIno, "later").error(), ENOENT);
  clock_->Advance(11s);
  EXPECT_TRUE(fs_->Lookup(kRootIno, "later").ok());
}

}  // namespace
}  // namespace s3fs::fs

namespace s3fs::fs {
namespace {

std::string Bytes(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131) >> 7);
  return s;
}

TEST_F(FsTest, RandomReaderOfASmallObjectFetchesItWholeOnce) {
  std::string body = Bytes(8 << 20);
  store_->Seed("db.sqlite", body);
  Ino f = LookupIno(kRootIno, "db.sqlite");
  auto fh = fs_->Open(f, O_RDONLY);
  ASSERT_TRUE(fh.ok());
  store_->ResetCalls();
  std::string out;
  // Jumps of more than 2 MiB (smaller ones may be the kernel's reordered read-ahead).
  const uint64_t offsets[] = {6000000, 100000, 7000000, 4096, 5000000, 777777};
  int ranged_before_third_seek = 0;
  for (uint64_t off : offsets) {
    if (off == 4096) ranged_before_third_seek = store_->Calls("Read");
    auto n = fs_->Read(f, *fh, off, 4096, &out);
    ASSERT_TRUE(n.ok());
    EXPECT_TRUE(out == body.substr(off, 4096)) << off;
  }
  EXPECT_EQ(store_->Calls("GetToFile"), 1);  // the third seek fetched it whole...
  EXPECT_GT(ranged_before_third_seek, 0);
  EXPECT_EQ(store_->Calls("Read"), ranged_before_third_seek);  // ...and no ranged GET after
  EXPECT_TRUE(fs_->Release(f, *fh).ok());
  // The copy lives while the file is open: a new open reads from S3 again.
  store_->ResetCalls();
  EXPECT_TRUE(ReadAll(f) == body);
  EXPECT_EQ(store_->Calls("GetToFile"), 0);
}

TEST_F(FsTest, RandomReaderOfALargeObjectKeepsRangedReads) {
  Options o;
  o.random_read_cache_max = 1 << 20;
  Make(o);
  std::string body = Bytes(8 << 20);
  store_->Seed("big.bin", body);
  Ino f = LookupIno(kRootIno, "big.bin");
  auto fh = fs_->Open(f, O_RDONLY);
  ASSERT_TRUE(fh.ok());
  std::string out;
  for (uint64_t off : {6000000u, 100000u, 7000000u, 4096u, 5000000u}) {
    ASSERT_TRUE(fs_->Read(f, *fh, off, 4096, &out).ok());
    EXPECT_TRUE(out == body.substr(off, 4096)) << off;
  }
  EXPECT_EQ(store_->Calls("GetToFile"), 0);
  EXPECT_TRUE(fs_->Release(f, *fh).ok());
}

}  // namespace
}  // namespace s3fs::fs

namespace s3fs::fs {
namespace {

TEST_F(FsTest, OpenAfterAnOverwriteElsewhereReadsTheNewVersion) {
  // Our metadata is from before another client replaced the object: the first read finds the
  // newer version (nothing was returned yet, so nothing can mix) instead of failing.
  store_->Seed("doc", std::string(5000, 'a'));
  Ino f = LookupIno(kRootIno, "doc");
  store_->Seed("doc", std::string(7000, 'b'));
  store_->ResetCalls();
  clock_->Advance(2s);  // the lookup's first bytes are only for an open right after it
  auto fh = fs_->Open(f, O_RDONLY);
  ASSERT_TRUE(fh.ok());
  std::string out;
  auto n = fs_->Read(f, *fh, 0, 4096, &out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(out, std::string(4096, 'b'));
  EXPECT_EQ(store_->Calls("Head"), 1);  // one check of the current version
  auto attr = fs_->GetAttr(f);
  ASSERT_TRUE(attr.ok());
  EXPECT_EQ(attr->size, 7000u);  // the node now describes the new version
  ASSERT_TRUE(fs_->Release(f, *fh).ok());
}

TEST_F(FsTest, KernelKeepsCachedPagesOnlyForTheSameVersion) {
  store_->Seed("doc", std::string(5000, 'a'));
  Ino f = LookupIno(kRootIno, "doc");
  auto open_keep = [&](int flags) {
    auto fh = fs_->Open(f, flags);
    EXPECT_TRUE(fh.ok());
    bool keep = fs_->KeepPageCache(*fh);
    std::string out;
    EXPECT_TRUE(fs_->Read(f, *fh, 0, 100, &out).ok());
    EXPECT_TRUE(fs_->Release(f, *fh).ok());
    return keep;
  };
  EXPECT_FALSE(open_keep(O_RDONLY));  // nothing cached yet
  EXPECT_TRUE(open_keep(O_RDONLY));   // same version: keep the pages
  {
    auto fh = fs_->Open(f, O_RDWR);
    ASSERT_TRUE(fh.ok());
    ASSERT_TRUE(fs_->Write(f, *fh, 0, "zz", 2).ok());
    ASSERT_TRUE(fs_->Release(f, *fh).ok());
  }
  EXPECT_FALSE(open_keep(O_RDONLY));  // written here: the pages are dropped once
  EXPECT_TRUE(open_keep(O_RDONLY));
  EXPECT_FALSE(fs_->KeepPageCache(987654));  // unknown handle
}

}  // namespace
}  // namespace s3fs::fs

namespace s3fs::fs {
namespace {

TEST_F(FsTest, ACatRightAfterItsLookupCostsOneRequestBeforeItsFirstByte) {
  // The lookup asks for the file's first bytes instead of a HEAD (one round trip either way):
  // the open and read that follow need no request.
  const std::string body(100000, 'q');
  store_->Seed("doc", body);
  store_->ResetCalls();
  Ino f = LookupIno(kRootIno, "doc");
  EXPECT_EQ(store_->Calls("HeadFirstBytes"), 1);
  EXPECT_EQ(store_->Calls("Head"), 1);  // the directory marker "doc/", in parallel
  auto attr = fs_->GetAttr(f);
  ASSERT_TRUE(attr.ok());
  EXPECT_EQ(attr->size, body.size());
  EXPECT_EQ(ReadAll(f, 32768), body);
  EXPECT_EQ(store_->Calls("Read"), 0);
}

TEST_F(FsTest, ALargeFileReadsOnFromWhereTheLookupsBytesEnd) {
  std::string body(3 << 20, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 7 % 251);
  store_->Seed("big", body);
  Ino f = LookupIno(kRootIno, "big");
  EXPECT_TRUE(ReadAll(f, 131072) == body);
}

TEST_F(FsTest, EmptyFilesAndDirectoriesResolveAsWithHeads) {
  store_->Seed("empty", "");
  store_->Seed("dir/x", "x");
  store_->ResetCalls();
  Ino e = LookupIno(kRootIno, "empty");
  auto attr = fs_->GetAttr(e);
  ASSERT_TRUE(attr.ok());
  EXPECT_EQ(attr->size, 0u);
  EXPECT_TRUE(S_ISREG(attr->mode));
  // S3 answers a ranged GET of an empty object with 416: a HEAD answers instead.
  EXPECT_EQ(store_->Calls("HeadFirstBytes"), 1);
  EXPECT_EQ(store_->Calls("Head"), 2);
  Ino d = LookupIno(kRootIno, "dir");
  auto dattr = fs_->GetAttr(d);
  ASSERT_TRUE(dattr.ok());
  EXPECT_TRUE(S_ISDIR(dattr->mode));
}

TEST_F(FsTest, LookupPrefetchZeroUsesHeadsOnly) {
  Options o;
  o.lookup_first_bytes = 0;
  Make(o);
  store_->Seed("doc", std::string(1000, 'z'));
  Ino f = LookupIno(kRootIno, "doc");
  EXPECT_EQ(store_->Calls("HeadFirstBytes"), 0);
  EXPECT_EQ(store_->Calls("Head"), 2);
  auto fh = fs_->Open(f, O_RDONLY);
  ASSERT_TRUE(fh.ok());
  std::string out;
  ASSERT_TRUE(fs_->Read(f, *fh, 0, 4096, &out).ok());
  EXPECT_EQ(out, std::string(1000, 'z'));
  EXPECT_EQ(store_->Calls("Read"), 1);
  ASSERT_TRUE(fs_->Release(f, *fh).ok());
}

}  // namespace
}  // namespace s3fs::fs
