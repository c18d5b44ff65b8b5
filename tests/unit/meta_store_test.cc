// The metadata cache: record encoding, the LMDB store (persistence, overlay, tree erase, LRU
// eviction by count and by size, corruption and foreign files, concurrency, two mounts sharing
// one environment) and the in-memory store's contract.
#include <fcntl.h>
#include <lmdb.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "s3fs/meta/metadata_store.h"
#include "s3fs/meta/records.h"

namespace s3fs::meta {
namespace {

ObjectRecord File(const std::string& etag, uint64_t size = 10) {
  ObjectRecord r;
  r.kind = Kind::kFile;
  r.size = size;
  r.etag = etag;
  r.last_modified_ns = 1700000000LL * 1000000000;
  r.content_type = "text/plain";
  r.storage_class = "STANDARD";
  r.sse = "AES256";
  r.metadata = {{"mode", "33188"}, {"uid", "1000"}};
  r.fetched_at_ns = 1800000000LL * 1000000000;
  return r;
}

TEST(MetaRecords, ObjectRoundTrips) {
  ObjectRecord r = File("\"abc\"", 123);
  r.sse_kms_key_id = "key-1";
  r.version_id = "v1";
  r.sse_customer_algorithm = "AES256";
  auto back = DecodeObject(EncodeObject(r));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, r);
  ObjectRecord absent;
  absent.kind = Kind::kAbsent;
  absent.fetched_at_ns = 5;
  EXPECT_EQ(*DecodeObject(EncodeObject(absent)), absent);
}

TEST(MetaRecords, DirRoundTrips) {
  DirRecord d;
  d.listed_at_ns = 42;
  d.children = {{"a", false, "\"e1\"", 3, 7}, {"sub", true, "", 0, 0}};
  auto back = DecodeDir(EncodeDir(d));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, d);
}

TEST(MetaRecords, RejectsTruncatedGarbageAndOtherVersions) {
  std::string enc = EncodeObject(File("\"x\""));
  for (size_t n = 0; n < enc.size(); ++n) {
    EXPECT_FALSE(DecodeObject(enc.substr(0, n)).has_value()) << "prefix " << n;
  }
  EXPECT_FALSE(DecodeObject(enc + "z").has_value());
  std::string other = enc;
  other[0] = static_cast<char>(kRecordVersion + 1);
  EXPECT_FALSE(DecodeObject(other).has_value());
  EXPECT_FALSE(DecodeDir(enc).has_value());  // an object record is not a listing
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string junk(rng() % 64, '\0');
    for (auto& c : junk) c = static_cast<char>(rng());
    (void)DecodeObject(junk);  // must not crash or over-read (ASan/valgrind runs)
    (void)DecodeDir(junk);
  }
}

class LmdbStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/s3fs-meta-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::shared_ptr<MetadataStore> Open(uint64_t max_entries = 1000000,
                                      uint64_t max_bytes = 64ULL << 20) {
    LmdbOptions o;
    o.dir = dir_;
    o.max_entries = max_entries;
    o.max_bytes = max_bytes;
    o.batch_delay_ms = 1;
    return OpenLmdbMetadataStore(o);
  }

  std::string dir_;
};

TEST_F(LmdbStoreTest, PersistsAcrossReopen) {
  {
    auto s = Open();
    s->PutObject("a/b.txt", File("\"1\""));
    DirRecord d;
    d.listed_at_ns = 9;
    d.children = {{"b.txt", false, "\"1\"", 10, 0}};
    s->PutDir("a", d);
    // Visible before any commit.
    EXPECT_EQ(s->GetObject("a/b.txt")->etag, "\"1\"");
  }
  auto s = Open();
  auto r = s->GetObject("a/b.txt");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, File("\"1\""));
  ASSERT_TRUE(s->GetDir("a").has_value());
  EXPECT_EQ(s->GetDir("a")->children.size(), 1u);
  EXPECT_FALSE(s->GetObject("a/none").has_value());
  Stats st = s->GetStats();
  EXPECT_TRUE(st.persistent);
  EXPECT_EQ(st.objects, 1u);
  EXPECT_EQ(st.dirs, 1u);
  EXPECT_EQ(st.resets, 0u);
}

TEST_F(LmdbStoreTest, EraseTreeRemovesThePathAndBelowOnly) {
  auto s = Open();
  for (const char* p : {"a", "a/x", "a/y/z", "a-b", "a.c", "ab", "b/a"}) s->PutObject(p, File(p));
  s->PutDir("a", DirRecord{});
  s->PutDir("a/y", DirRecord{});
  s->Flush();
  s->EraseTree("a");
  // Before and after the commit.
  for (int round = 0; round < 2; ++round) {
    for (const char* gone : {"a", "a/x", "a/y/z"}) EXPECT_FALSE(s->GetObject(gone)) << gone;
    for (const char* kept : {"a-b", "a.c", "ab", "b/a"}) EXPECT_TRUE(s->GetObject(kept)) << kept;
    EXPECT_FALSE(s->GetDir("a"));
    EXPECT_FALSE(s->GetDir("a/y"));
    s->Flush();
  }
  // A put after the erase wins.
  s->PutObject("a/x", File("\"new\""));
  EXPECT_EQ(s->GetObject("a/x")->etag, "\"new\"");
  s->Flush();
  EXPECT_EQ(s->GetObject("a/x")->etag, "\"new\"");
  EXPECT_EQ(s->GetStats().objects, 5u);
}

TEST_F(LmdbStoreTest, RootListingAndLongPaths) {
  auto s = Open();
  DirRecord root;
  root.listed_at_ns = 5;
  root.children = {{"a", false, "\"e\"", 1, 1}};
  s->PutDir("", root);              // the mount root's listing: an empty path
  std::string long_path(900, 'x');  // longer than LMDB's 511-byte keys (S3 allows 1024)
  s->PutObject(long_path, File("long"));
  s->PutObject("ok", File("ok"));
  s->Flush();
  EXPECT_EQ(s->GetStats().resets, 0u);
  ASSERT_TRUE(s->GetDir(""));
  EXPECT_EQ(s->GetDir("")->children.size(), 1u);
  EXPECT_FALSE(s->GetObject(long_path));  // not persisted: a miss, never an error
  EXPECT_TRUE(s->GetObject("ok"));
  s->EraseTree("");
  s->Flush();
  EXPECT_FALSE(s->GetDir(""));
  EXPECT_FALSE(s->GetObject("ok"));
}

TEST_F(LmdbStoreTest, EntryCapEvictsLeastRecentlyUsed) {
  auto s = Open(/*max_entries=*/100);
  for (int i = 0; i < 100; ++i) s->PutObject("f" + std::to_string(i), File("e"));
  s->Flush();
  // Use the oldest ten, then push twenty more records in.
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(s->GetObject("f" + std::to_string(i)));
  s->Flush();
  for (int i = 100; i < 120; ++i) s->PutObject("f" + std::to_string(i), File("e"));
  s->Flush();
  Stats st = s->GetStats();
  EXPECT_LE(st.objects, 100u);
  EXPECT_GT(st.evicted, 0u);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(s->GetObject("f" + std::to_string(i))) << i;
  for (int i = 100; i < 120; ++i) EXPECT_TRUE(s->GetObject("f" + std::to_string(i))) << i;
  EXPECT_FALSE(s->GetObject("f10"));  // the least recently used went first
}

TEST_F(LmdbStoreTest, FullMapEvictsInsteadOfFailing) {
  auto s = Open(/*max_entries=*/10000000, /*max_bytes=*/1 << 20);
  ObjectRecord big = File("e");
  big.metadata["xattr"] = std::string(2000, 'x');
  for (int i = 0; i < 3000; ++i) {  // ~6 MB of records into a 1 MiB map
    s->PutObject("k" + std::to_string(i), big);
    if (i % 100 == 99) s->Flush();
  }
  s->Flush();
  Stats st = s->GetStats();
  EXPECT_GT(st.evicted, 0u);
  EXPECT_LE(st.file_bytes, 1u << 20);
  EXPECT_TRUE(s->GetObject("k2999"));  // the newest are kept
  EXPECT_EQ(st.resets, 0u);
}

TEST_F(LmdbStoreTest, GarbageFileIsSetAsideAndRebuilt) {
  {
    auto s = Open();
    s->PutObject("x", File("e"));
  }
  {
    std::ofstream f(dir_ + "/data.mdb", std::ios::binary | std::ios::trunc);
    std::mt19937 rng(1);
    for (int i = 0; i < 65536; ++i) f.put(static_cast<char>(rng()));
  }
  auto s = Open();
  EXPECT_FALSE(s->GetObject("x"));
  EXPECT_EQ(s->GetStats().resets, 1u);
  EXPECT_TRUE(s->GetStats().persistent);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/data.mdb.bad"));
  s->PutObject("y", File("e"));
  s->Flush();
  EXPECT_TRUE(s->GetObject("y"));
}

TEST_F(LmdbStoreTest, TruncatedFileIsSetAsideAndRebuilt) {
  {
    auto s = Open();
    for (int i = 0; i < 2000; ++i) s->PutObject("k" + std::to_string(i), File("e"));
  }
  auto size = std::filesystem::file_size(dir_ + "/data.mdb");
  ASSERT_GT(size, 64u * 1024);
  std::filesystem::resize_file(dir_ + "/data.mdb", size / 2);
  auto s = Open();
  EXPECT_EQ(s->GetStats().resets, 1u);
  EXPECT_FALSE(s->GetObject("k1"));
  s->PutObject("k1", File("e"));
  s->Flush();
  EXPECT_TRUE(s->GetObject("k1"));
}

TEST_F(LmdbStoreTest, OtherFormatVersionIsSetAside) {
  {
    auto s = Open();
    s->PutObject("x", File("e"));
  }
  {
    // Rewrite the format stamp as a future version would.
    MDB_env* env = nullptr;
    ASSERT_EQ(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 4);
    ASSERT_EQ(mdb_env_open(env, dir_.c_str(), 0, 0600), 0);
    MDB_txn* txn = nullptr;
    ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
    MDB_dbi info;
    ASSERT_EQ(mdb_dbi_open(txn, "info", 0, &info), 0);
    std::string k = "format", v = "s3fs-meta/99";
    MDB_val kv{k.size(), k.data()}, vv{v.size(), v.data()};
    ASSERT_EQ(mdb_put(txn, info, &kv, &vv, 0), 0);
    ASSERT_EQ(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
  }
  auto s = Open();
  EXPECT_EQ(s->GetStats().resets, 1u);
  EXPECT_FALSE(s->GetObject("x"));
}

TEST_F(LmdbStoreTest, UnwritableDirectoryRunsWithoutAFile) {
  LmdbOptions o;
  o.dir = "/proc/self/s3fs-cannot-create-this";
  auto s = OpenLmdbMetadataStore(o);
  EXPECT_FALSE(s->GetStats().persistent);
  s->PutObject("a", File("e"));
  EXPECT_TRUE(s->GetObject("a"));  // the overlay answers until it is flushed
  s->Flush();
  EXPECT_FALSE(s->GetObject("a"));
}

TEST_F(LmdbStoreTest, ConcurrentReadersAndWriters) {
  auto s = Open();
  std::atomic<bool> bad{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        std::string p = "t" + std::to_string(t) + "/" + std::to_string(i);
        s->PutObject(p, File(p));
        auto r = s->GetObject(p);
        if (!r || r->etag != p) bad = true;
        if (i % 50 == 0) {
          // Tree erases race with other threads' puts and reads of other paths.
          std::string scratch = "s" + std::to_string(t);
          s->PutObject(scratch + "/k", File("s"));
          s->EraseTree(scratch);
          if (s->GetObject(scratch + "/k")) bad = true;
        }
        // Read another thread's older record.
        if (i > 10) {
          std::string q = "t" + std::to_string((t + 1) % 8) + "/0";
          auto other = s->GetObject(q);
          if (other && other->etag != q) bad = true;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  s->Flush();
  EXPECT_FALSE(bad);
  EXPECT_TRUE(s->GetObject("t3/499"));
}

TEST_F(LmdbStoreTest, TwoMountsShareOneEnvironment) {
  // Two mounts are two processes (LMDB forbids opening one environment twice in a process).
  auto a = Open();
  a->PutObject("from-a", File("1"));
  a->Flush();
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int rc = 0;
    {
      auto b = Open();
      if (!b->GetObject("from-a")) rc = 1;
      for (int i = 0; i < 200; ++i) b->PutObject("y" + std::to_string(i), File("b"));
      b->Flush();
    }
    ::_exit(rc);
  }
  for (int i = 0; i < 200; ++i) a->PutObject("x" + std::to_string(i), File("a"));
  a->Flush();
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the second mount did not see the first one's record";
  EXPECT_TRUE(a->GetObject("y199"));
  EXPECT_EQ(a->GetStats().objects, 401u);
}

TEST(MemoryStore, KeepsTheContract) {
  auto s = MakeMemoryMetadataStore(3);
  s->PutObject("a", File("1"));
  s->PutObject("a/b", File("2"));
  s->PutObject("c", File("3"));
  ASSERT_TRUE(s->GetObject("a"));  // a is now the most recently used
  s->PutObject("d", File("4"));    // evicts a/b
  EXPECT_FALSE(s->GetObject("a/b"));
  EXPECT_TRUE(s->GetObject("a"));
  s->EraseTree("a");
  EXPECT_FALSE(s->GetObject("a"));
  EXPECT_TRUE(s->GetObject("c"));
}

TEST(CacheDir, OnePerEndpointBucketAndPrefix) {
  std::string a = CacheDirFor("/base", "http://h:1", "bkt", "");
  EXPECT_EQ(a.rfind("/base/bkt-", 0), 0u);
  EXPECT_EQ(a, CacheDirFor("/base/", "http://h:1", "bkt", ""));
  EXPECT_NE(a, CacheDirFor("/base", "http://h:2", "bkt", ""));
  EXPECT_NE(a, CacheDirFor("/base", "http://h:1", "bkt", "p/"));
  EXPECT_NE(a, CacheDirFor("/base", "http://h:1", "bkt2", ""));
  std::string odd = CacheDirFor("/b", "", "a/../x", "");
  EXPECT_EQ(odd.find('/', 3), std::string::npos) << odd;  // one component: no path walk
}

}  // namespace
}  // namespace s3fs::meta
