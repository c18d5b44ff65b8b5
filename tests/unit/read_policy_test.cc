// ReadPolicy: scripted access patterns in, plans out (no I/O).
#include "s3fs/read/read_policy.h"

#include <gtest/gtest.h>

namespace s3fs::read {
namespace {

constexpr uint64_t kMiB = 1ULL << 20;

ReadPolicyOptions Opts() {
  ReadPolicyOptions o;
  o.part_size = 8 * kMiB;
  o.window_min = 1 * kMiB;
  o.window_max = 64 * kMiB;
  o.seek_tolerance = 2 * kMiB;
  o.retain_behind = 2 * kMiB;
  o.random_block = 4096;
  o.random_after = 2;
  o.sequential_after = 3;
  return o;
}

TEST(ReadPolicy, SequentialWindowDoublesUpToTheCap) {
  ReadPolicy p(Opts(), 1024 * kMiB);
  std::vector<uint64_t> windows;
  for (uint64_t off = 0; off < 16 * (128 << 10); off += 128 << 10) {
    ReadPlan plan = p.OnRead(off, 128 << 10);
    EXPECT_EQ(plan.mode, AccessMode::kSequential);
    EXPECT_FALSE(plan.reset);
    EXPECT_EQ(plan.need_begin, off);
    EXPECT_EQ(plan.need_end, off + (128 << 10));
    EXPECT_EQ(plan.ahead_end, plan.need_end + p.window());
    EXPECT_LE(plan.part_len, 8 * kMiB);
    windows.push_back(p.window());
  }
  EXPECT_EQ(windows[0], 1 * kMiB);
  EXPECT_EQ(windows[1], 2 * kMiB);
  EXPECT_EQ(windows[2], 4 * kMiB);
  EXPECT_EQ(windows[6], 64 * kMiB);
  EXPECT_EQ(windows.back(), 64 * kMiB);
  EXPECT_EQ(p.seeks(), 0);
}

TEST(ReadPolicy, AStreamStartsWithASmallGetForTheFirstByte) {
  ReadPolicy p(Opts(), 1024 * kMiB);
  ReadPlan plan = p.OnRead(0, 4096);
  EXPECT_EQ(plan.demand_len, 256u << 10);  // one small GET answers first...
  EXPECT_EQ(plan.part_len, kMiB);          // ...while the window is requested alongside
  plan = p.OnRead(4096, 128 << 10);
  EXPECT_EQ(plan.demand_len, plan.part_len);
  plan = p.OnRead(600 * kMiB, 2 * kMiB);  // a seek starts a new stream; big reads get all
  EXPECT_EQ(plan.demand_len, kMiB);       // (capped by the part size of the new window)
}

TEST(ReadPolicy, ReadAheadStopsAtTheEndOfTheObject) {
  ReadPolicy p(Opts(), 3 * kMiB);
  ReadPlan plan = p.OnRead(0, 128 << 10);
  EXPECT_EQ(plan.ahead_end, (128 << 10) + kMiB);
  plan = p.OnRead(3 * kMiB - 4096, 8192);
  EXPECT_EQ(plan.need_end, 3 * kMiB);
  EXPECT_EQ(plan.ahead_end, 3 * kMiB);
}

TEST(ReadPolicy, KernelReorderingIsNotASeek) {
  ReadPolicy p(Opts(), 1024 * kMiB);
  p.OnRead(0, kMiB);
  p.OnRead(2 * kMiB, kMiB);  // arrived before the read of [1, 2) MiB
  ReadPlan plan = p.OnRead(kMiB, kMiB);
  EXPECT_FALSE(plan.reset);
  EXPECT_EQ(plan.mode, AccessMode::kSequential);
  EXPECT_EQ(p.seeks(), 0);
  // Growth only on forward progress: the late read did not double the window again.
  EXPECT_EQ(p.window(), 2 * kMiB);
}

TEST(ReadPolicy, BackwardSeekKeepsWhatIsRetained) {
  ReadPolicy p(Opts(), 1024 * kMiB);
  for (uint64_t off = 0; off < 8 * kMiB; off += kMiB) p.OnRead(off, kMiB);
  ReadPlan plan = p.OnRead(7 * kMiB, 4096);  // 1 MiB back: within the tolerance
  EXPECT_FALSE(plan.reset);
  EXPECT_EQ(plan.keep_from, 5 * kMiB);
  plan = p.OnRead(1 * kMiB, 4096);  // far back: a seek
  EXPECT_TRUE(plan.reset);
  EXPECT_EQ(p.window(), 1 * kMiB);
  EXPECT_EQ(p.seeks(), 1);
}

TEST(ReadPolicy, ScatteredReadsSwitchToRandomAndFetchOnlyTheBlock) {
  ReadPolicy p(Opts(), 1024 * kMiB);
  p.OnRead(500 * kMiB, 4096);
  ReadPlan plan = p.OnRead(100 * kMiB + 10, 100);
  EXPECT_EQ(plan.mode, AccessMode::kSequential);  // one seek is not a pattern yet
  EXPECT_TRUE(plan.reset);
  plan = p.OnRead(900 * kMiB + 5000, 3000);
  EXPECT_EQ(plan.mode, AccessMode::kRandom);
  EXPECT_EQ(plan.need_begin, 900 * kMiB + 4096);
  EXPECT_EQ(plan.need_end, 900 * kMiB + 8192);
  EXPECT_EQ(plan.ahead_end, plan.need_end);
  EXPECT_EQ(plan.part_len, 4096u);
  EXPECT_TRUE(p.WouldSeek(10 * kMiB));
  EXPECT_FALSE(p.WouldSeek(900 * kMiB + 8192));
}

TEST(ReadPolicy, AdjacentReadsLeaveRandomMode) {
  ReadPolicy p(Opts(), 1024 * kMiB);
  p.OnRead(500 * kMiB, 4096);
  p.OnRead(100 * kMiB, 4096);
  p.OnRead(900 * kMiB, 4096);
  ASSERT_EQ(p.mode(), AccessMode::kRandom);
  p.OnRead(900 * kMiB + 4096, 4096);
  p.OnRead(900 * kMiB + 8192, 4096);
  EXPECT_EQ(p.mode(), AccessMode::kRandom);
  ReadPlan plan = p.OnRead(900 * kMiB + 12288, 4096);
  EXPECT_EQ(plan.mode, AccessMode::kSequential);
  EXPECT_EQ(p.window(), 1 * kMiB);  // starts small again
  EXPECT_EQ(plan.ahead_end, 900 * kMiB + 16384 + kMiB);
}

TEST(ReadPolicy, StridedReadsWithinTheToleranceStaySequential) {
  ReadPolicy p(Opts(), 1024 * kMiB);
  for (uint64_t off = 0; off < 64 * kMiB; off += kMiB) {
    ReadPlan plan = p.OnRead(off, 64 << 10);
    EXPECT_EQ(plan.mode, AccessMode::kSequential);
  }
  EXPECT_EQ(p.seeks(), 0);
}

}  // namespace
}  // namespace s3fs::read
