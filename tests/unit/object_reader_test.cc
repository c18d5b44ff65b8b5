// ObjectReader over scripted RangeSources: requests issued, bytes fetched, data returned,
// memory budget, resumption after a failure, version change, many readers at once.
#include "s3fs/read/object_reader.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "fake_range_source.h"

namespace s3fs::read {
namespace {

using testing::FakeSource;
using testing::kMiB;
using testing::Pattern;
using testing::ReaderOptions;

TEST(ObjectReader, SequentialReadFetchesEachByteOnceInFewRequests) {
  const std::string body = Pattern(100 * kMiB + 12345);
  auto src = std::make_shared<FakeSource>(body);
  auto budget = std::make_shared<ReadBudget>(256 * kMiB);
  ObjectReader r(src, body.size(), ReaderOptions(), budget);
  std::string out;
  for (uint64_t off = 0; off < body.size(); off += 128 << 10) {
    auto n = r.Read(off, 128 << 10, &out);
    ASSERT_TRUE(n.ok());
    ASSERT_EQ(*n, std::min<uint64_t>(128 << 10, body.size() - off));
    ASSERT_TRUE(out == body.substr(off, *n)) << off;
  }
  EXPECT_EQ(src->bytes_sent(), body.size());
  // 1, 1, 1, 2, 4 MiB while the window grows, then 8 MiB parts: 17 for 100 MiB, not 800.
  EXPECT_LE(r.stats().requests, 20u);
  for (auto [off, len] : src->requests()) EXPECT_LE(len, 8 * kMiB);
  EXPECT_EQ(r.stats().bytes_served, body.size());
  EXPECT_EQ(r.mode(), AccessMode::kSequential);
}

TEST(ObjectReader, SequentialReaderKeepsSeveralPartsInFlight) {
  const std::string body = Pattern(96 * kMiB);
  auto src = std::make_shared<FakeSource>(body, 16, std::chrono::milliseconds(5));
  auto budget = std::make_shared<ReadBudget>(256 * kMiB);
  ObjectReader r(src, body.size(), ReaderOptions(8 * kMiB, 64 * kMiB), budget);
  std::string out;
  for (uint64_t off = 0; off < body.size(); off += kMiB) {
    ASSERT_TRUE(r.Read(off, kMiB, &out).ok());
    ASSERT_TRUE(out == body.substr(off, kMiB)) << off;
  }
  EXPECT_GE(src->max_in_flight(), 4);  // parallel ranged GETs ahead of the reader
  EXPECT_LE(src->max_in_flight(), 64 / 8 + 2);
  EXPECT_EQ(src->bytes_sent(), body.size());
}

TEST(ObjectReader, RandomReadsFetchAtMostTwiceWhatTheyRead) {
  const std::string body = Pattern(512 * kMiB);
  auto src = std::make_shared<FakeSource>(body);
  auto budget = std::make_shared<ReadBudget>(256 * kMiB);
  ObjectReader r(src, body.size(), ReaderOptions(), budget);
  std::mt19937_64 rng(7);
  std::string out;
  uint64_t read = 0;
  for (int i = 0; i < 3000; ++i) {
    uint64_t off = rng() % (body.size() / 4096) * 4096;
    auto n = r.Read(off, 4096, &out);
    ASSERT_TRUE(n.ok());
    ASSERT_TRUE(out == body.substr(off, 4096)) << off;
    read += *n;
  }
  EXPECT_EQ(r.mode(), AccessMode::kRandom);
  EXPECT_LE(src->bytes_sent(), 2 * read) << "fetched " << src->bytes_sent() << " for " << read;
  // Random mode keeps nothing around: the budget holds at most the last block or two.
  EXPECT_LE(budget->used(), 2 * kMiB);
}

TEST(ObjectReader, StridedReadsBeyondTheToleranceFetchOnlyWhatIsRead) {
  const std::string body = Pattern(1024 * kMiB / 4);
  auto src = std::make_shared<FakeSource>(body);
  auto budget = std::make_shared<ReadBudget>(256 * kMiB);
  ObjectReader r(src, body.size(), ReaderOptions(), budget);
  std::string out;
  uint64_t read = 0;
  for (uint64_t off = 0; off < body.size(); off += 4 * kMiB) {
    ASSERT_TRUE(r.Read(off, 64 << 10, &out).ok());
    ASSERT_TRUE(out == body.substr(off, 64 << 10));
    read += out.size();
  }
  EXPECT_LE(src->bytes_sent(), 2 * read + 4 * kMiB);  // the first reads still look sequential
}

TEST(ObjectReader, BackwardSeekWithinTheRetainedWindowIsServedFromMemory) {
  const std::string body = Pattern(64 * kMiB);
  auto src = std::make_shared<FakeSource>(body);
  auto budget = std::make_shared<ReadBudget>(256 * kMiB);
  ObjectReader r(src, body.size(), ReaderOptions(), budget);
  std::string out;
  for (uint64_t off = 0; off < 16 * kMiB; off += 128 << 10)
    ASSERT_TRUE(r.Read(off, 128 << 10, &out).ok());
  const size_t before = src->requests().size();
  ASSERT_TRUE(r.Read(15 * kMiB, 128 << 10, &out).ok());
  EXPECT_TRUE(out == body.substr(15 * kMiB, 128 << 10));
  ASSERT_TRUE(r.Read(14 * kMiB + 4096, 4096, &out).ok());
  EXPECT_TRUE(out == body.substr(14 * kMiB + 4096, 4096));
  EXPECT_EQ(src->requests().size(), before);
}

TEST(ObjectReader, FarSeekDropsReadAheadAndStartsSmall) {
  const std::string body = Pattern(256 * kMiB);
  auto src = std::make_shared<FakeSource>(body);
  auto budget = std::make_shared<ReadBudget>(256 * kMiB);
  ObjectReader r(src, body.size(), ReaderOptions(), budget);
  std::string out;
  for (uint64_t off = 0; off < 32 * kMiB; off += 128 << 10)
    ASSERT_TRUE(r.Read(off, 128 << 10, &out).ok());
  EXPECT_GT(budget->used(), 16 * kMiB);  // read-ahead held
  const size_t before = src->requests().size();
  ASSERT_TRUE(r.Read(200 * kMiB, 4096, &out).ok());
  EXPECT_TRUE(out == body.substr(200 * kMiB, 4096));
  auto reqs = src->requests();
  ASSERT_GT(reqs.size(), before);
  EXPECT_EQ(reqs[before].first, 200 * kMiB);
  EXPECT_LE(reqs[before].second, kMiB);     // the window started small again
  EXPECT_LE(budget->used(), 2 * kMiB + 1);  // the old read-ahead was dropped
}

TEST(ObjectReader, ReadAheadStaysWithinTheBudgetAndDemandStillProgresses) {
  const std::string body = Pattern(64 * kMiB);
  auto src = std::make_shared<FakeSource>(body);
  auto budget = std::make_shared<ReadBudget>(4 * kMiB);
  ObjectReader r(src, body.size(), ReaderOptions(), budget);
  std::string out;
  for (uint64_t off = 0; off < body.size(); off += 128 << 10) {
    ASSERT_TRUE(r.Read(off, 128 << 10, &out).ok());
    ASSERT_TRUE(out == body.substr(off, 128 << 10));
    // Read-ahead never exceeds the budget; beyond it only the bytes a read needs are fetched.
    ASSERT_LE(budget->used(), 4 * kMiB + (128 << 10));
  }
  EXPECT_EQ(src->bytes_sent(), body.size());
}

TEST(ObjectReader, FailedPartContinuesFromTheLastByteReceived) {
  const std::string body = Pattern(16 * kMiB);
  auto src = std::make_shared<FakeSource>(body);
  auto budget = std::make_shared<ReadBudget>(256 * kMiB);
  ObjectReader r(src, body.size(), ReaderOptions(), budget);
  src->FailNext(300000, "RequestTimeout");  // the first GET breaks after 300,000 bytes
  std::string out;
  ASSERT_TRUE(r.Read(0, 512 << 10, &out).ok());
  EXPECT_TRUE(out == body.substr(0, 512 << 10));
  auto reqs = src->requests();
  bool continued = false;
  for (auto [off, len] : reqs) continued |= off == 300000;
  EXPECT_TRUE(continued);
  EXPECT_EQ(r.stats().resumes, 1u);
  for (uint64_t off = 512 << 10; off < body.size(); off += 512 << 10) {
    ASSERT_TRUE(r.Read(off, 512 << 10, &out).ok());
    ASSERT_TRUE(out == body.substr(off, 512 << 10));
  }
  EXPECT_EQ(src->bytes_sent(), body.size());  // nothing fetched twice
}

TEST(ObjectReader, RepeatedFailuresGiveUp) {
  const std::string body = Pattern(4 * kMiB);
  auto src = std::make_shared<FakeSource>(body);
  auto budget = std::make_shared<ReadBudget>(256 * kMiB);
  ObjectReaderOptions o = ReaderOptions();
  o.max_resumes = 2;
  ObjectReader r(src, body.size(), o, budget);
  for (int i = 0; i < 10; ++i) src->FailNext(1000, "InternalError");
  std::string out;
  auto n = r.Read(500000, 4096, &out);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().kind, "InternalError");
}

TEST(ObjectReader, ATransientFailureWithNoBytesIsFetchedAgainWithinTheBudget) {
  const std::string body = Pattern(4 * kMiB);
  auto src = std::make_shared<FakeSource>(body);
  auto budget = std::make_shared<ReadBudget>(256 * kMiB);
  ObjectReader r(src, body.size(), ReaderOptions(), budget);
  src->FailNext(0, "ServiceUnavailable");  // the client's retries were spent on this one
  std::string out;
  ASSERT_TRUE(r.Read(0, 4096, &out).ok());
  EXPECT_TRUE(out == body.substr(0, 4096));
  EXPECT_EQ(r.stats().resumes, 1u);
  // A failure that is not transient is returned at once.
  ObjectReader r2(src, body.size(), ReaderOptions(), budget);
  src->FailNext(0, "AccessDenied");
  auto n = r2.Read(1 * kMiB, 4096, &out);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().kind, "AccessDenied");
  // Transient ones that keep failing end after max_resumes attempts.
  ObjectReaderOptions o = ReaderOptions();
  o.max_resumes = 2;
  ObjectReader r3(src, body.size(), o, budget);
  for (int i = 0; i < 10; ++i) src->FailNext(0, "ServiceUnavailable");
  n = r3.Read(2 * kMiB, 4096, &out);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().kind, "ServiceUnavailable");
}

TEST(ObjectReader, AnObjectGoneAfterSomeBytesIsAnErrorAtOnce) {
  const std::string body = Pattern(4 * kMiB);
  auto src = std::make_shared<FakeSource>(body);
  auto budget = std::make_shared<ReadBudget>(256 * kMiB);
  ObjectReader r(src, body.size(), ReaderOptions(), budget);
  src->FailNext(4096, "ObjectNotFound");  // deleted while its body was arriving
  std::string out;
  auto n = r.Read(0, 8192, &out);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().kind, "ObjectNotFound");
  EXPECT_EQ(r.stats().resumes, 0u);  // not fetched again for what cannot come back
}

TEST(ObjectReader, VersionChangeIsAnErrorNeverMixedData) {
  const std::string body = Pattern(4 * kMiB);
  auto src = std::make_shared<FakeSource>(body);
  auto budget = std::make_shared<ReadBudget>(256 * kMiB);
  ObjectReader r(src, body.size(), ReaderOptions(), budget);
  src->FailNext(4096, "PreconditionFailed");
  std::string out;
  auto n = r.Read(0, 8192, &out);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().kind, "PreconditionFailed");
  EXPECT_EQ(r.stats().resumes, 0u);
}

TEST(ObjectReader, ReadsPastTheEndAreShort) {
  const std::string body = Pattern(10000);
  auto src = std::make_shared<FakeSource>(body);
  auto budget = std::make_shared<ReadBudget>(256 * kMiB);
  ObjectReader r(src, body.size(), ReaderOptions(), budget);
  std::string out;
  auto n = r.Read(8192, 4096, &out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 10000u - 8192);
  EXPECT_TRUE(out == body.substr(8192));
  n = r.Read(10000, 4096, &out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
}

TEST(ObjectReader, ManyReadersShareTheBudget) {
  constexpr int kReaders = 8;
  auto budget = std::make_shared<ReadBudget>(32 * kMiB);
  std::vector<std::string> bodies;
  for (int i = 0; i < kReaders; ++i) bodies.push_back(Pattern(48 * kMiB, i * 7919));
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kReaders; ++i) {
    threads.emplace_back([&, i] {
      auto src = std::make_shared<FakeSource>(bodies[i], 4, std::chrono::milliseconds(1));
      ObjectReader r(src, bodies[i].size(), ReaderOptions(), budget);
      std::string out;
      for (uint64_t off = 0; off < bodies[i].size(); off += 128 << 10) {
        if (!r.Read(off, 128 << 10, &out).ok() || out != bodies[i].substr(off, 128 << 10)) bad++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
  // Read-ahead stayed within the budget; beyond it only the bytes each read needs.
  // (A part just served may be released a moment later by its fetch thread: 2 per reader.)
  EXPECT_LE(budget->peak(), 32 * kMiB + kReaders * 2 * (128 << 10));
  EXPECT_TRUE(budget->WaitIdle(std::chrono::seconds(5)));
}

TEST(ObjectReader, ClosingWithPartsInFlightReturnsTheirMemoryWhenTheyEnd) {
  const std::string body = Pattern(64 * kMiB);
  auto budget = std::make_shared<ReadBudget>(256 * kMiB);
  auto src = std::make_shared<FakeSource>(body, 8, std::chrono::milliseconds(50));
  {
    ObjectReader r(src, body.size(), ReaderOptions(), budget);
    std::string out;
    for (uint64_t off = 0; off < 8 * kMiB; off += 128 << 10)
      ASSERT_TRUE(r.Read(off, 128 << 10, &out).ok());
    EXPECT_GT(budget->used(), 0u);
  }  // destroyed while read-ahead GETs are still running
  EXPECT_TRUE(budget->WaitIdle(std::chrono::seconds(10)));
  EXPECT_EQ(budget->used(), 0u);
}

TEST(ObjectReader, SlicesServeThePartsInPlaceAndOutliveTheReader) {
  const std::string body = Pattern(3 * kMiB + 777);
  auto src = std::make_shared<FakeSource>(body);
  auto budget = std::make_shared<ReadBudget>(256 * kMiB);
  std::vector<Slice> first;
  std::vector<Slice> across;
  {
    // Parts of at most 1 MiB: a read of the whole object is one slice per part, in order.
    ObjectReader r(src, body.size(), ReaderOptions(kMiB, kMiB), budget);
    auto n = r.ReadSlices(0, 4096, &first);
    ASSERT_TRUE(n.ok());
    ASSERT_EQ(*n, 4096u);
    n = r.ReadSlices(0, body.size(), &across);
    ASSERT_TRUE(n.ok());
    ASSERT_EQ(*n, body.size());
    EXPECT_GE(across.size(), 4u);
    for (const Slice& s : across) EXPECT_LE(s.size, kMiB);
    // Later reads of a part hand out the same bytes (no copy): one buffer per part.
    EXPECT_EQ(across[0].data, first[0].data);
    std::vector<Slice> again;
    ASSERT_TRUE(r.ReadSlices(100, 50, &again).ok());
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].data, first[0].data + 100);
    EXPECT_EQ(src->bytes_sent(), body.size());
  }  // the reader is gone
  EXPECT_EQ(std::string(first[0].data, first[0].size), body.substr(0, 4096));
  std::string joined;
  for (const Slice& s : across) joined.append(s.data, s.size);
  EXPECT_TRUE(joined == body);
  // Held slices keep their parts charged to the budget until they are dropped.
  EXPECT_GT(budget->used(), 0u);
  first.clear();
  across.clear();
  EXPECT_TRUE(budget->WaitIdle(std::chrono::seconds(10)));
  EXPECT_EQ(budget->used(), 0u);
}

}  // namespace
}  // namespace s3fs::read

namespace s3fs::read {
namespace {

TEST(ReadBudget, BuffersKeptForReuseCountAgainstTheBudget) {
  ReadBudget b(32 << 20);
  ASSERT_TRUE(b.TryAcquire(8 << 20));
  std::string buf = b.TakeBuffer(8 << 20);
  EXPECT_GE(buf.capacity(), 8u << 20);
  b.Release(8 << 20);
  b.ReturnBuffer(std::move(buf));
  EXPECT_GE(b.pooled(), 8u << 20);             // kept: 0 in use + 8 pooled fits in 32
  std::string again = b.TakeBuffer(15 << 19);  // 7.5 MiB
  EXPECT_GE(again.capacity(), 8u << 20);       // the kept buffer is handed out again
  EXPECT_EQ(b.pooled(), 0u);
  b.ReturnBuffer(std::move(again));
  // Using the read-ahead share (7/8: 28 MiB) frees what is kept: in use + kept stay within it.
  ASSERT_TRUE(b.TryAcquire(26 << 20));
  EXPECT_LE(b.used() + b.pooled(), 28u << 20);
  EXPECT_FALSE(b.TryAcquire(4 << 20));  // read-ahead stops short of the last eighth
  b.Acquire(4 << 20);                   // needed now: allowed there (and beyond)
  EXPECT_EQ(b.pooled(), 0u);
  b.Release(30 << 20);
  EXPECT_TRUE(b.WaitIdle(std::chrono::milliseconds(0)));
}

TEST(ReadBudget, KeptBuffersAreFreedWhenNothingIsRead) {
  ReadBudget b(64 << 20);
  ASSERT_TRUE(b.TryAcquire(16 << 20));
  std::string one = b.TakeBuffer(8 << 20);
  std::string two = b.TakeBuffer(8 << 20);
  b.ReturnBuffer(std::move(one));
  b.Release(8 << 20);
  EXPECT_GE(b.pooled(), 8u << 20);  // a reader is still reading: kept for its next part
  b.ReturnBuffer(std::move(two));
  b.Release(8 << 20);
  EXPECT_EQ(b.pooled(), 0u);  // nothing read any more: given back
}

}  // namespace
}  // namespace s3fs::read
