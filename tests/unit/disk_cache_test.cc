// DiskCache and CachingRangeSource: blocks stored and read back, versions kept apart, the
// cache surviving a reopen but not an unclean stop, LRU eviction under the cap, damaged maps,
// one mount per directory, and a second reader served without any request.
#include "s3fs/read/disk_cache.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "s3fs/read/caching_source.h"
#include "s3fs/read/object_reader.h"

namespace s3fs::read {
namespace {

constexpr uint64_t kBlock = 64 << 10;

std::string Bytes(size_t n, int seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 31 + seed * 7) >> 3);
  return s;
}

class DiskCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/s3fs-dcache-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = std::string(tmpl) + "/cache";
  }
  void TearDown() override {
    std::filesystem::remove_all(std::filesystem::path(dir_).parent_path());
  }

  std::shared_ptr<DiskCache> OpenCache(uint64_t max_bytes = 0) {
    DiskCacheOptions o;
    o.dir = dir_;
    o.block_size = kBlock;
    o.max_bytes = max_bytes;
    o.min_free_bytes = 0;
    auto c = DiskCache::Open(o);
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error());
    return c.ok() ? *c : nullptr;
  }

  std::string dir_;
};

TEST_F(DiskCacheTest, WholeBlocksAreStoredAndReadBack) {
  auto c = OpenCache();
  const std::string body = Bytes(10 * kBlock + 100, 1);
  // [kBlock/2, 5.5 blocks): blocks 1..4 are whole in it, 0 and 5 are not.
  c->Store("k", "e1", body.size(), kBlock / 2,
           std::string_view(body).substr(kBlock / 2, 5 * kBlock));
  c->Flush();
  std::string out;
  EXPECT_TRUE(c->TryRead("k", "e1", body.size(), kBlock + 10, 3 * kBlock, &out));
  EXPECT_TRUE(out == body.substr(kBlock + 10, 3 * kBlock));
  out.clear();
  EXPECT_FALSE(c->TryRead("k", "e1", body.size(), 0, 100, &out));  // block 0 is not whole
  EXPECT_FALSE(c->TryRead("k", "e1", body.size(), 4 * kBlock, kBlock + 1, &out));  // block 5
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(c->stats().bytes, 4 * kBlock);
  // The short last block is stored when the data reaches the end of the object.
  c->Store("k", "e1", body.size(), 9 * kBlock, std::string_view(body).substr(9 * kBlock));
  c->Flush();
  EXPECT_TRUE(c->TryRead("k", "e1", body.size(), 10 * kBlock, 100, &out));
  EXPECT_TRUE(out == body.substr(10 * kBlock));
}

TEST_F(DiskCacheTest, AnotherVersionIsAMiss) {
  auto c = OpenCache();
  const std::string body = Bytes(4 * kBlock, 2);
  c->Store("k", "e1", body.size(), 0, body);
  c->Flush();
  std::string out;
  EXPECT_FALSE(c->TryRead("k", "e2", body.size(), 0, kBlock, &out));
  EXPECT_FALSE(c->TryRead("other", "e1", body.size(), 0, kBlock, &out));
  EXPECT_TRUE(c->TryRead("k", "e1", body.size(), 0, kBlock, &out));
}

TEST_F(DiskCacheTest, SurvivesAReopenButNotAnUncleanStop) {
  const std::string body = Bytes(4 * kBlock, 3);
  {
    auto c = OpenCache();
    c->Store("k", "e1", body.size(), 0, body);
  }  // closed cleanly (the pending store is written first)
  {
    auto c = OpenCache();
    std::string out;
    EXPECT_TRUE(c->TryRead("k", "e1", body.size(), 0, body.size(), &out));
    EXPECT_TRUE(out == body);
  }
  ASSERT_EQ(::unlink((dir_ + "/CLEAN").c_str()), 0);  // as if the daemon had been killed
  auto c = OpenCache();
  std::string out;
  EXPECT_FALSE(c->TryRead("k", "e1", body.size(), 0, kBlock, &out));
  EXPECT_EQ(c->stats().bytes, 0u);
}

TEST_F(DiskCacheTest, EvictsLeastRecentlyUsedUnderTheCap) {
  auto c = OpenCache(5 * kBlock);
  const std::string a = Bytes(2 * kBlock, 4), b = Bytes(2 * kBlock, 5), d = Bytes(2 * kBlock, 6);
  c->Store("a", "e", a.size(), 0, a);
  c->Store("b", "e", b.size(), 0, b);
  c->Flush();
  std::string out;
  EXPECT_TRUE(c->TryRead("a", "e", a.size(), 0, kBlock, &out));  // a is now the more recent
  c->Store("d", "e", d.size(), 0, d);
  c->Flush();
  EXPECT_LE(c->stats().bytes, 5 * kBlock);
  EXPECT_EQ(c->stats().evictions, 1u);
  out.clear();
  EXPECT_FALSE(c->TryRead("b", "e", b.size(), 0, kBlock, &out));
  EXPECT_TRUE(c->TryRead("a", "e", a.size(), 0, kBlock, &out));
  EXPECT_TRUE(c->TryRead("d", "e", d.size(), 0, kBlock, &out));
}

TEST_F(DiskCacheTest, AnObjectLargerThanTheCacheFillsItOnce) {
  auto c = OpenCache(4 * kBlock);
  const std::string body = Bytes(10 * kBlock, 11);
  for (uint64_t off = 0; off < body.size(); off += kBlock) {
    c->Store("big", "e", body.size(), off, std::string_view(body).substr(off, kBlock));
  }
  c->Flush();
  EXPECT_EQ(c->stats().bytes, 4 * kBlock);
  EXPECT_EQ(c->stats().evictions, 0u);
  std::string out;
  EXPECT_TRUE(c->TryRead("big", "e", body.size(), 0, 4 * kBlock, &out));  // the first four
  EXPECT_FALSE(c->TryRead("big", "e", body.size(), 4 * kBlock, 1, &out));
}

TEST_F(DiskCacheTest, DamagedMapsAreDroppedAtOpen) {
  const std::string body = Bytes(2 * kBlock, 7);
  {
    auto c = OpenCache();
    c->Store("k", "e1", body.size(), 0, body);
    c->Store("j", "e1", body.size(), 0, body);
  }
  int damaged = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir_)) {
    if (f.path().extension() == ".map" && damaged++ == 0) {
      std::ofstream(f.path(), std::ios::trunc) << "garbage";
    }
  }
  ASSERT_EQ(damaged, 2);
  auto c = OpenCache();
  EXPECT_EQ(c->stats().objects, 1u);
  EXPECT_EQ(c->stats().bytes, 2 * kBlock);
  std::string out;
  EXPECT_TRUE(c->TryRead("k", "e1", body.size(), 0, kBlock, &out) ||
              c->TryRead("j", "e1", body.size(), 0, kBlock, &out));
}

TEST_F(DiskCacheTest, FullQueueWaitsForRoomSoNothingReadIsLost) {
  DiskCacheOptions o;
  o.dir = dir_;
  o.block_size = kBlock;
  o.max_bytes = 0;
  o.min_free_bytes = 0;
  o.queue_bytes = 2 * kBlock;  // default wait: stores wait for the writer
  auto c = DiskCache::Open(o);
  ASSERT_TRUE(c.ok());
  const std::string body = Bytes(64 * kBlock, 12);
  for (uint64_t off = 0; off < body.size(); off += 2 * kBlock) {
    (*c)->Store("k", "e1", body.size(), off, std::string_view(body).substr(off, 2 * kBlock));
  }
  (*c)->Flush();
  EXPECT_EQ((*c)->stats().dropped_stores, 0u);
  std::string out;
  EXPECT_TRUE((*c)->TryRead("k", "e1", body.size(), 0, body.size(), &out));
  EXPECT_TRUE(out == body);
}

TEST_F(DiskCacheTest, OneMountPerDirectory) {
  auto c = OpenCache();
  DiskCacheOptions o;
  o.dir = dir_;
  auto second = DiskCache::Open(o);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().find("in use"), std::string::npos);
}

TEST_F(DiskCacheTest, DeleteOnCloseEmptiesIt) {
  const std::string body = Bytes(2 * kBlock, 8);
  {
    DiskCacheOptions o;
    o.dir = dir_;
    o.block_size = kBlock;
    o.delete_on_close = true;
    auto c = DiskCache::Open(o);
    ASSERT_TRUE(c.ok());
    (*c)->Store("k", "e1", body.size(), 0, body);
  }
  auto c = OpenCache();
  std::string out;
  EXPECT_FALSE(c->TryRead("k", "e1", body.size(), 0, kBlock, &out));
}

TEST_F(DiskCacheTest, FullQueueDropsStoresAfterTheWait) {
  DiskCacheOptions o;
  o.dir = dir_;
  o.block_size = kBlock;
  o.queue_bytes = 2 * kBlock;
  o.queue_wait = std::chrono::milliseconds(0);  // no waiting for room
  auto c = DiskCache::Open(o);
  ASSERT_TRUE(c.ok());
  const std::string body = Bytes(64 * kBlock, 9);
  for (uint64_t off = 0; off < body.size(); off += 4 * kBlock) {
    (*c)->Store("k", "e1", body.size(), off, std::string_view(body).substr(off, 4 * kBlock));
  }
  (*c)->Flush();
  EXPECT_GT((*c)->stats().dropped_stores, 0u);
}

// A source counting what reaches "S3".
class CountingSource final : public RangeSource {
 public:
  explicit CountingSource(std::string body) : body_(std::move(body)) {}
  void Fetch(uint64_t offset, uint64_t len, std::string* dst, Done done) override {
    ++requests;
    dst->append(body_, offset, std::min<uint64_t>(len, body_.size() - offset));
    done(s3::S3Status());
  }
  int requests = 0;

 private:
  std::string body_;
};

TEST_F(DiskCacheTest, SecondReaderOfTheSameVersionSendsNoRequest) {
  auto c = OpenCache();
  const std::string body = Bytes(8 << 20, 10);
  auto budget = std::make_shared<ReadBudget>(64 << 20);
  auto s3 = std::make_shared<CountingSource>(body);
  auto read_all = [&](const std::string& etag) {
    ObjectReaderOptions ro;
    ro.policy.align = c->block_size();  // as the filesystem sets it with a disk cache
    ObjectReader r(std::make_shared<CachingRangeSource>(c, "obj", etag, body.size(), s3),
                   body.size(), ro, budget);
    std::string all, out;
    for (uint64_t off = 0; off < body.size(); off += 128 << 10) {
      EXPECT_TRUE(r.Read(off, 128 << 10, &out).ok());
      all += out;
    }
    return all;
  };
  EXPECT_TRUE(read_all("e1") == body);
  const int first = s3->requests;
  EXPECT_GT(first, 0);
  c->Flush();
  EXPECT_TRUE(read_all("e1") == body);
  EXPECT_EQ(s3->requests, first);  // every byte from disk
  EXPECT_TRUE(read_all("e2") == body);
  EXPECT_GT(s3->requests, first);  // a new version goes to S3
}

}  // namespace
}  // namespace s3fs::read
