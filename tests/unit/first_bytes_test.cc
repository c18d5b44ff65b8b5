// FirstBytes (the first bytes a lookup's GET brought, for the file's first reader) and
// ObjectReader::Seed (a reader starting with them): versions, age, memory bounds, requests.
#include "s3fs/read/first_bytes.h"

#include <gtest/gtest.h>

#include "fake_range_source.h"
#include "s3fs/read/object_reader.h"

namespace s3fs::read {
namespace {

using namespace std::chrono_literals;
using testing::FakeSource;
using testing::kMiB;
using testing::Pattern;
using testing::ReaderOptions;

struct FirstBytesTest : ::testing::Test {
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>();
};

TEST_F(FirstBytesTest, HandsOutTheBytesOnceAndOnlyForTheSameVersion) {
  FirstBytes fb(kMiB, 1000ms, clock);
  fb.Put("a", "etag1", "hello");
  fb.Put("b", "etag2", "world");
  EXPECT_EQ(fb.bytes(), 10u);
  EXPECT_EQ(fb.Take("a", "other-etag"), std::nullopt);  // another version: dropped
  EXPECT_EQ(fb.Take("a", "etag1"), std::nullopt);
  auto b = fb.Take("b", "etag2");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(*b, "world");
  EXPECT_EQ(fb.Take("b", "etag2"), std::nullopt);  // taken
  EXPECT_EQ(fb.size(), 0u);
  EXPECT_EQ(fb.bytes(), 0u);
  fb.Put("c", "", "x");
  EXPECT_EQ(fb.Take("c", ""), std::nullopt);  // an unknown version is never matched
}

TEST_F(FirstBytesTest, BytesOlderThanMaxAgeAreNotServedAndGoAway) {
  FirstBytes fb(kMiB, 1000ms, clock);
  fb.Put("a", "e", "old");
  fb.Put("b", "e", "new");
  clock->Advance(600ms);
  fb.Put("c", "e", "newer");
  clock->Advance(600ms);
  EXPECT_EQ(fb.Take("a", "e"), std::nullopt);  // 1.2 s after its lookup
  EXPECT_EQ(fb.size(), 1u);                    // "b" expired too: dropped by the Take
  EXPECT_EQ(fb.Take("c", "e").value_or(""), "newer");
  fb.Put("d", "e", "d");
  clock->Advance(1500ms);
  fb.Put("e", "e", "e");  // puts drop expired entries first
  EXPECT_EQ(fb.size(), 1u);
  EXPECT_EQ(fb.bytes(), 1u);
}

TEST_F(FirstBytesTest, CapacityEvictsTheOldestFirst) {
  FirstBytes fb(300, 1000ms, clock);
  fb.Put("a", "e", std::string(100, 'a'));
  fb.Put("b", "e", std::string(100, 'b'));
  fb.Put("c", "e", std::string(100, 'c'));
  fb.Put("d", "e", std::string(150, 'd'));  // "a" and "b" make room
  EXPECT_EQ(fb.bytes(), 250u);
  EXPECT_EQ(fb.Take("a", "e"), std::nullopt);
  EXPECT_EQ(fb.Take("b", "e"), std::nullopt);
  EXPECT_TRUE(fb.Take("c", "e").has_value());
  fb.Put("big", "e", std::string(301, 'x'));  // larger than the whole capacity
  EXPECT_EQ(fb.Take("big", "e"), std::nullopt);
  fb.Put("d", "e2", "replaced");  // a new version of a key replaces the old one
  EXPECT_EQ(fb.Take("d", "e"), std::nullopt);
  EXPECT_EQ(fb.bytes(), 0u);
}

TEST(ObjectReaderSeed, ASmallObjectSeededWholeNeedsNoRequest) {
  const std::string body = Pattern(100000);
  auto src = std::make_shared<FakeSource>(body);
  auto budget = std::make_shared<ReadBudget>(64 * kMiB);
  ObjectReader r(src, body.size(), ReaderOptions(), budget);
  r.Seed(body);
  std::string out;
  for (uint64_t off = 0; off < body.size(); off += 16384) {
    ASSERT_TRUE(r.Read(off, 16384, &out).ok());
    ASSERT_TRUE(out == body.substr(off, 16384)) << off;
  }
  EXPECT_EQ(src->requests().size(), 0u);
  EXPECT_EQ(r.stats().bytes_served, body.size());
}

TEST(ObjectReaderSeed, ALargeObjectFetchesOnlyWhatFollowsTheSeed) {
  const std::string body = Pattern(20 * kMiB);
  auto src = std::make_shared<FakeSource>(body);
  auto budget = std::make_shared<ReadBudget>(64 * kMiB);
  ObjectReader r(src, body.size(), ReaderOptions(), budget);
  r.Seed(body.substr(0, 128 << 10));
  std::string out;
  for (uint64_t off = 0; off < body.size(); off += 128 << 10) {
    ASSERT_TRUE(r.Read(off, 128 << 10, &out).ok());
    ASSERT_TRUE(out == body.substr(off, 128 << 10)) << off;
  }
  ASSERT_FALSE(src->requests().empty());
  for (auto [off, len] : src->requests()) EXPECT_GE(off, 128u << 10) << "refetched " << off;
  EXPECT_EQ(src->bytes_sent(), body.size() - (128 << 10));  // each byte once, the seed's none
}

TEST(ObjectReaderSeed, IgnoredWhenAnotherReaderAlreadyHoldsTheStart) {
  const std::string body = Pattern(4 * kMiB);
  auto src = std::make_shared<FakeSource>(body);
  auto budget = std::make_shared<ReadBudget>(64 * kMiB);
  auto table = std::make_shared<PartTable>();
  ObjectReader first(src, body.size(), ReaderOptions(), budget, table);
  std::string out;
  ASSERT_TRUE(first.Read(0, 4096, &out).ok());
  const uint64_t used = budget->used();
  ObjectReader second(src, body.size(), ReaderOptions(), budget, table);
  second.Seed(std::string(128 << 10, 'X'));  // (must not be served: the table has [0, ...))
  EXPECT_EQ(budget->used(), used);
  ASSERT_TRUE(second.Read(0, 4096, &out).ok());
  EXPECT_TRUE(out == body.substr(0, 4096));
}

}  // namespace
}  // namespace s3fs::read
