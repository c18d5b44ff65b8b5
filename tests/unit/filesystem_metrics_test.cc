// The filesystem core's and read path's metrics (Options::metrics) over the in-memory object
// store: dirty bytes, uploads in flight, stat cache hits and misses, read-ahead fetched vs
// served, the metadata cache's callback metrics.
#include <fcntl.h>

#include <gtest/gtest.h>

#include "s3fs/fs/filesystem.h"
#include "s3fs/meta/metadata_store.h"
#include "tests/fakes/fake_object_store.h"

namespace s3fs::fs {
namespace {

using s3fs::testing::FakeObjectStore;
using namespace std::chrono_literals;

double Sample(const std::string& text, const std::string& series) {
  size_t at = 0;
  while ((at = text.find(series + " ", at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') return std::stod(text.substr(at + series.size() + 1));
    at += series.size();
  }
  return -1;
}

class FsMetricsTest : public ::testing::Test {
 protected:
  void Make(Options o = {}) {
    store_ = std::make_shared<FakeObjectStore>();
    clock_ = std::make_shared<FakeClock>(std::chrono::system_clock::time_point(1800000000s));
    registry_ = std::make_shared<metrics::Registry>();
    o.metrics = registry_;
    auto f = Filesystem::Create(o, store_, clock_);
    ASSERT_TRUE(f.ok());
    fs_ = std::move(f).value();
  }
  double Get(const std::string& series) const { return Sample(registry_->Render(), series); }

  Caller caller_{1000, 1000, 022};
  std::shared_ptr<FakeObjectStore> store_;
  std::shared_ptr<FakeClock> clock_;
  std::shared_ptr<metrics::Registry> registry_;
  std::unique_ptr<Filesystem> fs_;
};

TEST_F(FsMetricsTest, DirtyBytesFollowWritesUntilUploaded) {
  Make();
  EXPECT_EQ(Get("s3fs_dirty_bytes"), 0);
  auto c = fs_->Create(kRootIno, "f", S_IFREG | 0644, O_WRONLY | O_CREAT, caller_);
  ASSERT_TRUE(c.ok());
  const Ino ino = c->first.attr.ino;
  const uint64_t fh = c->second;
  ASSERT_TRUE(fs_->Write(ino, fh, 0, "hello", 5).ok());
  EXPECT_EQ(Get("s3fs_dirty_bytes"), 5);
  ASSERT_TRUE(fs_->Write(ino, fh, 3, "0123456789", 10).ok());  // overlaps: size 13
  EXPECT_EQ(Get("s3fs_dirty_bytes"), 13);
  ASSERT_TRUE(fs_->Flush(ino, fh).ok());
  EXPECT_EQ(Get("s3fs_dirty_bytes"), 0);
  EXPECT_EQ(Get("s3fs_uploads_in_flight"), 0);
  ASSERT_TRUE(fs_->Write(ino, fh, 13, "x", 1).ok());
  EXPECT_EQ(Get("s3fs_dirty_bytes"), 1);  // written since the upload; the rest is in S3
  ASSERT_TRUE(fs_->Release(ino, fh).ok());
  EXPECT_EQ(Get("s3fs_dirty_bytes"), 0);
  EXPECT_EQ(store_->Body("f"), "hel0123456789x");
  EXPECT_EQ(Get("s3fs_upload_parts_in_flight"), 0);
}

TEST_F(FsMetricsTest, DirtyFileDroppedWithoutUploadLeavesTheGauge) {
  Make();
  auto c = fs_->Create(kRootIno, "gone", S_IFREG | 0644, O_WRONLY | O_CREAT, caller_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(fs_->Write(c->first.attr.ino, c->second, 0, "abc", 3).ok());
  EXPECT_EQ(Get("s3fs_dirty_bytes"), 3);
  ASSERT_TRUE(fs_->Unlink(kRootIno, "gone").ok());
  ASSERT_TRUE(fs_->Release(c->first.attr.ino, c->second).ok());
  EXPECT_EQ(Get("s3fs_dirty_bytes"), 0);
}

TEST_F(FsMetricsTest, StatCacheHitsMissesAndNegativeHits) {
  Make();
  store_->Seed("a", "data");
  ASSERT_TRUE(fs_->Lookup(kRootIno, "a").ok());  // miss: asks the store
  EXPECT_EQ(Get("s3fs_stat_cache_lookups_total{result=\"miss\"}"), 1);
  auto again = fs_->Lookup(kRootIno, "a");  // fresh in memory
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(Get("s3fs_stat_cache_lookups_total{result=\"hit\"}"), 1);
  ASSERT_TRUE(fs_->GetAttr(again->attr.ino).ok());
  EXPECT_EQ(Get("s3fs_stat_cache_lookups_total{result=\"hit\"}"), 2);
  EXPECT_EQ(fs_->Lookup(kRootIno, "nope").error(), ENOENT);
  EXPECT_EQ(fs_->Lookup(kRootIno, "nope").error(), ENOENT);  // remembered
  EXPECT_EQ(Get("s3fs_stat_cache_lookups_total{result=\"negative_hit\"}"), 1);
}

TEST_F(FsMetricsTest, ReadAheadFetchedAndServed) {
  Options o;
  o.read_chunk_min = 64 << 10;
  o.read_part_size = 64 << 10;
  o.read_parts_ahead = 4;
  Make(o);
  const std::string body(1 << 20, 'r');
  store_->Seed("big", body);
  auto e = fs_->Lookup(kRootIno, "big");
  ASSERT_TRUE(e.ok());
  auto fh = fs_->Open(e->attr.ino, O_RDONLY);
  ASSERT_TRUE(fh.ok());
  std::string chunk;
  uint64_t served = 0;
  for (uint64_t off = 0; off < 256 << 10; off += 32 << 10) {
    auto n = fs_->Read(e->attr.ino, *fh, off, 32 << 10, &chunk);
    ASSERT_TRUE(n.ok());
    served += *n;
  }
  ASSERT_TRUE(fs_->Release(e->attr.ino, *fh).ok());
  EXPECT_EQ(Get("s3fs_read_bytes_served_total"), static_cast<double>(served));
  EXPECT_GE(Get("s3fs_read_bytes_fetched_total"), static_cast<double>(served));
  EXPECT_GE(Get("s3fs_read_parts_total"), 2);
  EXPECT_EQ(Get("s3fs_read_ahead_memory_limit_bytes"), static_cast<double>(o.read_ahead_memory));
}

TEST_F(FsMetricsTest, MetadataCacheLookupsAreExposed) {
  Options o;
  auto meta = meta::MakeMemoryMetadataStore();
  o.meta_cache = meta;
  Make(o);
  store_->Seed("x", "1");
  ASSERT_TRUE(fs_->Lookup(kRootIno, "x").ok());
  const auto stats = meta->GetStats();
  EXPECT_EQ(Get("s3fs_metadata_cache_lookups_total{result=\"hit\"}"),
            static_cast<double>(stats.hits));
  EXPECT_EQ(Get("s3fs_metadata_cache_lookups_total{result=\"miss\"}"),
            static_cast<double>(stats.misses));
  EXPECT_GE(stats.misses, 1u);
  EXPECT_EQ(Get("s3fs_metadata_cache_entries{kind=\"object\"}"),
            static_cast<double>(stats.objects));
}

}  // namespace
}  // namespace s3fs::fs
