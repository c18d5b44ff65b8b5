#include "s3fs/common/clock.h"

#include <gtest/gtest.h>

namespace s3fs {
namespace {

using namespace std::chrono_literals;

TEST(FakeClock, SleepAdvancesBothClocks) {
  FakeClock c;
  auto wall = c.Now();
  auto mono = c.Monotonic();
  c.SleepFor(1500ms);
  EXPECT_EQ(c.Now() - wall, 1500ms);
  EXPECT_EQ(c.Monotonic() - mono, 1500ms);
  EXPECT_EQ(c.TotalSlept(), 1500ms);
  c.Advance(2s);
  EXPECT_EQ(c.TotalSlept(), 1500ms);
  EXPECT_EQ(c.Monotonic() - mono, 3500ms);
}

TEST(RealClock, MonotonicMoves) {
  auto c = RealClock::Instance();
  auto a = c->Monotonic();
  c->SleepFor(2ms);
  EXPECT_GE(c->Monotonic() - a, 2ms);
}

}  // namespace
}  // namespace s3fs
