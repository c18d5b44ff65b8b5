// Readers of one object version sharing parts (SharedParts, PartTable): GETs issued by many
// readers against one, a GET in flight awaited instead of repeated, a failed shared GET seen by
// every reader waiting for it, a broken one continued once, versions kept apart, the budget.
#include "s3fs/read/shared_parts.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "fake_range_source.h"
#include "s3fs/read/object_reader.h"

namespace s3fs::read {
namespace {

using testing::FakeSource;
using testing::kMiB;
using testing::Pattern;
using testing::ReaderOptions;

// Waits (up to 10 s) until `pred` holds.
template <typename F>
bool Eventually(F pred) {
  for (int i = 0; i < 10000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

// Reads all of `body` sequentially in 128 KiB reads; counts wrong or failed reads in *bad.
void ReadAll(ObjectReader& r, const std::string& body, std::atomic<int>* bad) {
  std::string out;
  for (uint64_t off = 0; off < body.size(); off += 128 << 10) {
    auto n = r.Read(off, 128 << 10, &out);
    if (!n.ok() || out != body.substr(off, 128 << 10)) ++*bad;
  }
}

TEST(SharedParts, EightReadersOfOneObjectIssueAboutTheGetsOfOne) {
  const std::string body = Pattern(96 * kMiB);
  std::atomic<int> bad{0};
  auto budget = std::make_shared<ReadBudget>(256 * kMiB);
  auto alone = std::make_shared<FakeSource>(body, 16, std::chrono::milliseconds(2));
  {
    ObjectReader r(alone, body.size(), ReaderOptions(), budget);
    ReadAll(r, body, &bad);
  }
  const size_t one_reader = alone->requests().size();

  SharedParts shared;
  auto src = std::make_shared<FakeSource>(body, 16, std::chrono::milliseconds(2));
  std::vector<std::unique_ptr<ObjectReader>> readers;
  for (int i = 0; i < 8; ++i) {
    readers.push_back(std::make_unique<ObjectReader>(src, body.size(), ReaderOptions(), budget,
                                                     shared.Attach("big.bin", "\"e1\"")));
  }
  EXPECT_EQ(shared.size(), 1u);
  std::vector<std::thread> threads;
  for (auto& r : readers) threads.emplace_back([&, rp = r.get()] { ReadAll(*rp, body, &bad); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
  uint64_t shared_parts = 0;
  for (auto& r : readers) shared_parts += r->stats().parts_shared;
  EXPECT_GT(shared_parts, 0u);
  // Every byte fetched about once (not 8 times), in about as many GETs as one reader issues.
  EXPECT_LE(src->bytes_sent(), body.size() + body.size() / 8) << src->bytes_sent();
  EXPECT_LE(src->requests().size(), one_reader * 3 / 2 + 8)
      << src->requests().size() << " GETs for 8 readers, " << one_reader << " for one";
  readers.clear();
  EXPECT_EQ(shared.size(), 0u);  // the table goes with its last reader
  EXPECT_TRUE(budget->WaitIdle(std::chrono::seconds(5)));
}

// Two readers of one object version over one asynchronous source, its GETs held.
struct TwoReaders {
  explicit TwoReaders(size_t size)
      : body(Pattern(size)),
        src(std::make_shared<FakeSource>(body, 4)),
        a(src, body.size(), ReaderOptions(), budget, shared.Attach("k", "e")),
        b(src, body.size(), ReaderOptions(), budget, shared.Attach("k", "e")) {
    src->Hold();
  }
  const std::string body;
  std::shared_ptr<FakeSource> src;
  std::shared_ptr<ReadBudget> budget = std::make_shared<ReadBudget>(256 * kMiB);
  SharedParts shared;
  ObjectReader a, b;
};

TEST(SharedParts, AReaderWaitsForAGetInFlightInsteadOfIssuingIt) {
  TwoReaders t(32 * kMiB);
  const std::string& body = t.body;
  auto& src = t.src;
  ObjectReader& a = t.a;
  ObjectReader& b = t.b;
  std::string out_a, out_b;
  std::thread ta([&] { ASSERT_TRUE(a.Read(0, 4096, &out_a).ok()); });
  // a plans all its parts (counted) before it sends the first: wait until all are sent.
  ASSERT_TRUE(Eventually([&] {
    const size_t sent = src->requests().size();
    return sent > 0 && sent == a.stats().requests;
  }));
  const size_t issued_by_a = src->requests().size();
  std::thread tb([&] { ASSERT_TRUE(b.Read(0, 4096, &out_b).ok()); });
  ASSERT_TRUE(Eventually([&] { return b.stats().parts_shared > 0; }));  // b waits on a's GET
  src->Release();
  ta.join();
  tb.join();
  EXPECT_TRUE(out_a == body.substr(0, 4096));
  EXPECT_TRUE(out_b == body.substr(0, 4096));
  EXPECT_EQ(b.stats().requests, 0u);
  EXPECT_EQ(src->requests().size(), issued_by_a);
}

TEST(SharedParts, AFailedSharedGetIsSeenByEveryReaderWaitingForIt) {
  // Failures a reader does not fetch again (transient ones with no byte received are fetched
  // again: ObjectReader.ATransientFailureWithNoBytesIsFetchedAgainWithinTheBudget).
  for (const char* kind : {"AccessDenied", "PreconditionFailed"}) {
    SCOPED_TRACE(kind);
    const std::string body = Pattern(32 * kMiB);
    auto budget = std::make_shared<ReadBudget>(256 * kMiB);
    auto src = std::make_shared<FakeSource>(body, 4);
    SharedParts shared;
    std::vector<std::unique_ptr<ObjectReader>> readers;
    for (int i = 0; i < 3; ++i) {
      readers.push_back(std::make_unique<ObjectReader>(src, body.size(), ReaderOptions(), budget,
                                                       shared.Attach("k", "e")));
    }
    src->Hold();
    src->FailNext(0, kind);  // the first GET (the part the reads need) fails before any byte
    std::vector<s3::S3Result<size_t>> results(3, size_t{0});
    std::vector<std::string> outs(3);
    std::thread first([&] { results[0] = readers[0]->Read(0, 4096, &outs[0]); });
    ASSERT_TRUE(Eventually([&] { return !src->requests().empty(); }));
    std::vector<std::thread> others;
    for (int i = 1; i < 3; ++i) {
      others.emplace_back([&, i] { results[i] = readers[i]->Read(0, 4096, &outs[i]); });
    }
    ASSERT_TRUE(Eventually([&] {
      return readers[1]->stats().parts_shared > 0 && readers[2]->stats().parts_shared > 0;
    }));
    const size_t issued = src->requests().size();
    src->Release();
    first.join();
    for (auto& t : others) t.join();
    for (auto& r : results) {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error().kind, kind);
    }
    EXPECT_EQ(src->requests().size(), issued);  // nobody fetched it again meanwhile
    // The failure is not kept: a later read fetches again (a version change fails again).
    std::string out;
    auto again = readers[1]->Read(0, 4096, &out);
    EXPECT_TRUE(again.ok());
    EXPECT_TRUE(out == body.substr(0, 4096));
    EXPECT_GT(src->requests().size(), issued);
  }
}

TEST(SharedParts, ABrokenSharedGetIsContinuedOnceForAllReaders) {
  TwoReaders t(16 * kMiB);
  const std::string& body = t.body;
  auto& src = t.src;
  ObjectReader& a = t.a;
  ObjectReader& b = t.b;
  src->FailNext(100000, "RequestTimeout");  // the first part breaks after 100,000 bytes
  std::string out_a, out_b;
  std::thread ta([&] { ASSERT_TRUE(a.Read(0, 512 << 10, &out_a).ok()); });
  ASSERT_TRUE(Eventually([&] { return !src->requests().empty(); }));
  std::thread tb([&] { ASSERT_TRUE(b.Read(0, 512 << 10, &out_b).ok()); });
  ASSERT_TRUE(Eventually([&] { return b.stats().parts_shared > 0; }));
  src->Release();
  ta.join();
  tb.join();
  EXPECT_TRUE(out_a == body.substr(0, 512 << 10));
  EXPECT_TRUE(out_b == body.substr(0, 512 << 10));
  EXPECT_EQ(a.stats().resumes + b.stats().resumes, 1u);
  int continuations = 0;
  for (auto [off, len] : src->requests()) continuations += off == 100000 ? 1 : 0;
  EXPECT_EQ(continuations, 1);
  // Nothing was asked twice: the broken part (the first request) counts for what it delivered.
  auto reqs = src->requests();
  ASSERT_FALSE(reqs.empty());
  reqs[0].second = 100000;
  std::sort(reqs.begin(), reqs.end());
  for (size_t i = 1; i < reqs.size(); ++i) {
    EXPECT_GE(reqs[i].first, reqs[i - 1].first + reqs[i - 1].second) << "asked twice: " << i;
  }
}

TEST(SharedParts, ReadersOfAnotherVersionNeverSeeTheOldParts) {
  const std::string v1 = Pattern(8 * kMiB, 1);
  const std::string v2 = Pattern(8 * kMiB, 2);
  auto budget = std::make_shared<ReadBudget>(256 * kMiB);
  SharedParts shared;
  auto t1 = shared.Attach("k", "\"v1\"");
  auto t2 = shared.Attach("k", "\"v2\"");
  EXPECT_NE(t1, t2);
  EXPECT_EQ(shared.Attach("k", "\"v1\""), t1);
  EXPECT_NE(shared.Attach("k", ""), shared.Attach("k", ""));  // version unknown: not shared
  auto src1 = std::make_shared<FakeSource>(v1);
  auto src2 = std::make_shared<FakeSource>(v2);
  ObjectReader old_reader(src1, v1.size(), ReaderOptions(), budget, t1);
  ObjectReader new_reader(src2, v2.size(), ReaderOptions(), budget, t2);
  std::string out;
  for (uint64_t off = 0; off < v1.size(); off += kMiB) {
    ASSERT_TRUE(old_reader.Read(off, kMiB, &out).ok());
    ASSERT_TRUE(out == v1.substr(off, kMiB));
    ASSERT_TRUE(new_reader.Read(off, kMiB, &out).ok());
    ASSERT_TRUE(out == v2.substr(off, kMiB)) << off;
  }
  EXPECT_EQ(src2->bytes_sent(), v2.size());
  EXPECT_EQ(new_reader.stats().parts_shared, 0u);
}

TEST(SharedParts, EightReadersOfOneObjectStayWithinTheBudget) {
  const std::string body = Pattern(128 * kMiB);
  auto budget = std::make_shared<ReadBudget>(32 * kMiB);
  auto src = std::make_shared<FakeSource>(body, 8, std::chrono::milliseconds(1));
  SharedParts shared;
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      ObjectReader r(src, body.size(), ReaderOptions(), budget, shared.Attach("k", "e"));
      ReadAll(r, body, &bad);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_LE(budget->peak(), 32 * kMiB);
  EXPECT_TRUE(budget->WaitIdle(std::chrono::seconds(5)));
}

TEST(PartTable, FindsLivePartsOnlyAndForgetsFailedOnes) {
  auto budget = std::make_shared<ReadBudget>(64 * kMiB);
  PartTable t;
  std::lock_guard lock(t.mu());
  budget->Acquire(100);
  auto a = std::make_shared<Part>(0, 100, budget);
  t.AddLocked(a);
  {
    budget->Acquire(50);
    auto b = std::make_shared<Part>(200, 50, budget);
    t.AddLocked(b);
    EXPECT_EQ(t.FindLocked(210), b);
    EXPECT_EQ(t.NextBeginLocked(100), 200u);
  }  // nobody holds b any more: gone, and its charge with it
  EXPECT_EQ(t.FindLocked(210), nullptr);
  EXPECT_EQ(t.NextBeginLocked(100), UINT64_MAX);
  EXPECT_EQ(budget->used(), 100u);
  EXPECT_EQ(t.FindLocked(99), a);
  EXPECT_EQ(t.FindLocked(100), nullptr);
  t.ForgetLocked(*a);
  EXPECT_EQ(t.FindLocked(0), nullptr);
  EXPECT_EQ(t.SizeLocked(), 0u);
}

}  // namespace
}  // namespace s3fs::read
