// The filesystem over a metadata cache: what a second mount (a new Filesystem on the same
// cache) asks S3, under the TTLs and ETag validation rules of src/fs/meta_cache.cc.
#include <fcntl.h>
#include <linux/fs.h>

#include <gtest/gtest.h>

#include "s3fs/fs/filesystem.h"
#include "s3fs/fs/layout.h"
#include "tests/fakes/fake_object_store.h"

namespace s3fs::fs {
namespace {

using s3fs::testing::FakeObjectStore;
using namespace std::chrono_literals;

class FsMetaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::make_shared<FakeObjectStore>();
    clock_ = std::make_shared<FakeClock>(std::chrono::system_clock::time_point(1800000000s));
    cache_ = meta::MakeMemoryMetadataStore();
    for (int i = 0; i < 50; ++i) {
      StoredAttrs a;
      a.mode = S_IFREG | 0600;
      a.uid = 7;
      std::map<std::string, std::string> md;
      EncodeAttrs(a, &md);
      store_->Seed("dir/f" + std::to_string(i), "data" + std::to_string(i), md);
    }
    store_->Seed("dir/sub/", "", {}, std::string(kDirContentType));
    Mount();
  }

  // A new mount: fresh inodes, same bucket, same metadata cache.
  void Mount() {
    Options o;
    o.uid = 1000;
    o.gid = 1000;
    o.meta_cache = cache_;
    auto f = Filesystem::Create(o, store_, clock_);
    ASSERT_TRUE(f.ok());
    fs_ = std::move(f).value();
    store_->ResetCalls();
  }

  // `ls -l dir`: lookup, opendir, readdir all, releasedir. Returns the entries.
  std::vector<DirEntry> ListDir(const std::string& name) {
    auto e = fs_->Lookup(kRootIno, name);
    EXPECT_TRUE(e.ok());
    if (!e.ok()) return {};
    auto h = fs_->OpenDir(e->attr.ino);
    EXPECT_TRUE(h.ok());
    if (!h.ok()) return {};
    auto entries = fs_->ReadDir(e->attr.ino, *h, 0, 100000);
    EXPECT_TRUE(entries.ok());
    (void)fs_->ReleaseDir(e->attr.ino, *h);
    return entries.ok() ? *entries : std::vector<DirEntry>{};
  }

  // HEADs, and lookups' ranged GETs of a file's first bytes (asked instead of its HEAD).
  int Heads() { return store_->Calls("Head") + store_->Calls("HeadFirstBytes"); }

  std::shared_ptr<FakeObjectStore> store_;
  std::shared_ptr<FakeClock> clock_;
  std::shared_ptr<meta::MetadataStore> cache_;
  std::unique_ptr<Filesystem> fs_;
};

TEST_F(FsMetaTest, RemountListsButHeadsNoUnchangedFile) {
  auto first = ListDir("dir");
  ASSERT_EQ(first.size(), 53u);  // . .. 50 files, sub
  EXPECT_GT(Heads(), 50);        // the listing's 51 children, and the lookup
  clock_->Advance(1s);
  Mount();
  auto second = ListDir("dir");
  // Only the lookup of "dir" (an implicit directory: two HEADs and a one-key LIST) needs
  // requests besides the listing; the 50 files' metadata comes from the cache, validated by the
  // listing, and the subdirectory's from its record (checked when it is listed itself).
  EXPECT_EQ(store_->Calls("List"), 2);
  EXPECT_EQ(Heads(), 2);
  ASSERT_EQ(second.size(), first.size());
  for (size_t i = 2; i < second.size(); ++i) {
    EXPECT_EQ(second[i].name, first[i].name);
    EXPECT_EQ(second[i].attr.mode, first[i].attr.mode) << second[i].name;
    EXPECT_EQ(second[i].attr.uid, first[i].attr.uid);
    EXPECT_EQ(second[i].attr.size, first[i].attr.size);
  }
  EXPECT_EQ(second[3].attr.mode, S_IFREG | 0600u);
  EXPECT_EQ(second[3].attr.uid, 7u);
}

TEST_F(FsMetaTest, ChangedObjectsAreFetchedAgain) {
  ListDir("dir");
  // Another client rewrites one file and changes another's metadata only (same ETag).
  store_->Seed("dir/f1", "new content", {});
  StoredAttrs a;
  a.mode = S_IFREG | 0640;
  std::map<std::string, std::string> md;
  EncodeAttrs(a, &md);
  store_->ReplaceMetadata("dir/f2", md, clock_->Now() + 1s);
  clock_->Advance(10min);
  Mount();
  auto entries = ListDir("dir");
  std::map<std::string, Attr> by_name;
  for (auto& e : entries) by_name[e.name] = e.attr;
  EXPECT_EQ(by_name["f1"].size, 11u);
  EXPECT_EQ(by_name["f1"].mode, S_IFREG | 0644u);  // no mode metadata any more
  EXPECT_EQ(by_name["f2"].mode, S_IFREG | 0640u);
  EXPECT_EQ(by_name["f3"].mode, S_IFREG | 0600u);
  EXPECT_EQ(Heads(), 2 + 2);  // the lookup of dir, and the two changed files
}

TEST_F(FsMetaTest, ForgottenInodesAreAnsweredFromTheCacheWithinTheTtl) {
  auto d = fs_->Lookup(kRootIno, "dir");
  ASSERT_TRUE(d.ok());
  auto f = fs_->Lookup(d->attr.ino, "f1");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(fs_->Lookup(d->attr.ino, "nope").error(), ENOENT);
  fs_->Forget(f->attr.ino, 1);  // the kernel dropped it: the inode table forgets it
  store_->ResetCalls();
  auto again = fs_->Lookup(d->attr.ino, "f1");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->attr.mode, S_IFREG | 0600u);
  EXPECT_EQ(store_->TotalCalls(), 0);
  // Past the TTL the record is not trusted.
  clock_->Advance(2min);
  fs_->Forget(again->attr.ino, 1);
  EXPECT_TRUE(fs_->Lookup(d->attr.ino, "f1").ok());
  EXPECT_GT(Heads(), 0);
  // A new mount trusts no earlier record on age alone: it asks S3.
  clock_->Advance(1s);
  Mount();
  ASSERT_TRUE(fs_->Lookup(kRootIno, "dir").ok());
  EXPECT_GT(store_->TotalCalls(), 0);
}

TEST_F(FsMetaTest, OwnChangesUpdateTheCacheAtOnce) {
  Caller caller{1000, 1000, 022};
  auto d = fs_->Lookup(kRootIno, "dir");
  ASSERT_TRUE(d.ok());
  Ino dir = d->attr.ino;
  ListDir("dir");
  auto c = fs_->Create(dir, "new", S_IFREG | 0644, O_WRONLY | O_CREAT, caller);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(fs_->Write(c->first.attr.ino, c->second, 0, "hello", 5).ok());
  ASSERT_TRUE(fs_->Flush(c->first.attr.ino, c->second).ok());
  ASSERT_TRUE(fs_->Release(c->first.attr.ino, c->second).ok());
  auto f3 = fs_->Lookup(dir, "f3");
  ASSERT_TRUE(f3.ok());
  SetAttrRequest chmod;
  chmod.mode = 0700;
  ASSERT_TRUE(fs_->SetAttr(f3->attr.ino, chmod, std::nullopt, caller).ok());
  ASSERT_TRUE(fs_->Unlink(dir, "f4").ok());
  ASSERT_TRUE(fs_->Rename(dir, "f5", dir, "f5b", 0).ok());
  EXPECT_EQ(cache_->GetObject("dir/f4")->kind, meta::Kind::kAbsent);
  EXPECT_EQ(cache_->GetObject("dir/f5")->kind, meta::Kind::kAbsent);
  EXPECT_EQ(cache_->GetObject("dir/new")->size, 5u);
  EXPECT_FALSE(cache_->GetDir("dir"));  // the listing changed

  clock_->Advance(1s);
  Mount();
  auto entries = ListDir("dir");
  std::map<std::string, Attr> by_name;
  for (auto& e : entries) by_name[e.name] = e.attr;
  EXPECT_EQ(entries.size(), 53u);  // -f4, f5 -> f5b, +new
  EXPECT_EQ(by_name["new"].size, 5u);
  EXPECT_EQ(by_name["f3"].mode, S_IFREG | 0700u);
  EXPECT_EQ(by_name.count("f4"), 0u);
  EXPECT_EQ(by_name.count("f5"), 0u);
  EXPECT_EQ(by_name["f5b"].mode, S_IFREG | 0600u);
  // Lookup of dir (2 HEADs), and f5b: dropped at the rename, since a copy may carry a new
  // ETag. Our own upload and chmod were recorded as written.
  EXPECT_EQ(store_->Calls("List"), 2);
  EXPECT_EQ(Heads(), 3);
}

TEST_F(FsMetaTest, LookupsOfManyNamesListTheDirectoryOnce) {
  // rsync's receiver stats every name without reading the directory.
  auto d = fs_->Lookup(kRootIno, "dir");
  ASSERT_TRUE(d.ok());
  store_->ResetCalls();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(fs_->Lookup(d->attr.ino, "f" + std::to_string(i)).ok()) << i;
  }
  EXPECT_EQ(fs_->Lookup(d->attr.ino, "missing").error(), ENOENT);
  EXPECT_EQ(store_->Calls("List"), 1);  // at the second unknown name
  // The first name: the blind pair (file, marker); then each other child once (the first ones
  // one by one, then the rest of the listing in one parallel burst, incl. sub's marker); none
  // for "missing".
  EXPECT_EQ(Heads(), 2 + 49 + 1);
  // After a remount the same pass costs the listing alone: records validated by it.
  clock_->Advance(1s);
  Mount();
  d = fs_->Lookup(kRootIno, "dir");
  store_->ResetCalls();
  for (int i = 0; i < 50; ++i) {
    auto e = fs_->Lookup(d->attr.ino, "f" + std::to_string(i));
    ASSERT_TRUE(e.ok()) << i;
    EXPECT_EQ(e->attr.mode, S_IFREG | 0600u);
  }
  EXPECT_LE(store_->Calls("List"), 2);
  EXPECT_LE(Heads(), 2);  // the first name's probe, before the listing
}

TEST_F(FsMetaTest, DirectoryRecordsAreCheckedWhenTheDirectoryIsListed) {
  ListDir("dir");  // caches sub's marker record
  // Another client chmods sub (its marker gets new metadata and a new ETag).
  StoredAttrs a;
  a.mode = 0700;
  std::map<std::string, std::string> md;
  EncodeAttrs(a, &md);
  store_->Seed("dir/sub/", "", md, std::string(kDirContentType));
  clock_->Advance(10min);
  Mount();
  auto entries = ListDir("dir");
  std::map<std::string, Attr> by_name;
  for (auto& e : entries) by_name[e.name] = e.attr;
  EXPECT_EQ(by_name["sub"].mode, S_IFDIR | 0755u);  // the earlier mount's record
  auto d = fs_->Lookup(kRootIno, "dir");
  auto sub = fs_->Lookup(d->attr.ino, "sub");
  ASSERT_TRUE(sub.ok());
  auto h = fs_->OpenDir(sub->attr.ino);  // lists sub: its marker's ETag changed
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(fs_->GetAttr(sub->attr.ino)->mode, S_IFDIR | 0700u);
}

TEST_F(FsMetaTest, RenamedDirectoryTreeIsForgotten) {
  auto d = fs_->Lookup(kRootIno, "dir");
  ASSERT_TRUE(d.ok());
  ListDir("dir");
  auto sub = fs_->Lookup(d->attr.ino, "sub");
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(cache_->GetObject("dir/sub"));
  ASSERT_TRUE(fs_->Rename(kRootIno, "dir", kRootIno, "moved", 0).ok());
  EXPECT_EQ(cache_->GetObject("dir")->kind, meta::Kind::kAbsent);
  EXPECT_FALSE(cache_->GetObject("dir/sub"));
  EXPECT_FALSE(cache_->GetObject("dir/f1"));
  EXPECT_FALSE(cache_->GetDir("dir"));
}

TEST_F(FsMetaTest, ListAttrsOnlyMountsStillValidateByListing) {
  clock_->Advance(1s);
  Options o;
  o.meta_cache = cache_;
  o.list_attrs_only = true;
  auto f = Filesystem::Create(o, store_, clock_);
  ASSERT_TRUE(f.ok());
  fs_ = std::move(f).value();
  store_->ResetCalls();
  auto entries = ListDir("dir");
  EXPECT_EQ(entries.size(), 53u);
  EXPECT_EQ(Heads(), 2);  // the lookup of dir only
}

}  // namespace
}  // namespace s3fs::fs
