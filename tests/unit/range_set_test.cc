// RangeSet against a byte-map model under random operations, plus the edge cases by name.
#include "s3fs/write/range_set.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace s3fs::write {
namespace {

TEST(RangeSet, AddMergesOverlappingAndAdjacent) {
  RangeSet s;
  s.Add(10, 20);
  s.Add(30, 40);
  s.Add(20, 25);  // adjacent to the first
  EXPECT_EQ(s.Ranges(), (std::vector<Range>{{10, 25}, {30, 40}}));
  s.Add(5, 35);
  EXPECT_EQ(s.Ranges(), (std::vector<Range>{{5, 40}}));
  s.Add(7, 7);  // empty
  EXPECT_EQ(s.Total(), 35u);
}

TEST(RangeSet, RemoveSplitsAndClips) {
  RangeSet s;
  s.Add(0, 100);
  s.Remove(10, 20);
  EXPECT_EQ(s.Ranges(), (std::vector<Range>{{0, 10}, {20, 100}}));
  s.Clip(50);
  EXPECT_EQ(s.Ranges(), (std::vector<Range>{{0, 10}, {20, 50}}));
  EXPECT_TRUE(s.Contains(20, 50));
  EXPECT_FALSE(s.Contains(5, 25));
  EXPECT_TRUE(s.Intersects(5, 25));
  EXPECT_FALSE(s.Intersects(10, 20));
  EXPECT_EQ(s.Missing(0, 60), (std::vector<Range>{{10, 20}, {50, 60}}));
}

TEST(RangeSet, MatchesAByteModelUnderRandomOperations) {
  constexpr uint64_t kSize = 300;
  std::mt19937_64 rng(7);
  for (int round = 0; round < 50; ++round) {
    RangeSet s;
    std::vector<bool> model(kSize, false);
    for (int op = 0; op < 40; ++op) {
      uint64_t a = rng() % kSize;
      uint64_t b = a + rng() % (kSize - a + 1);
      if (rng() % 3 == 0) {
        s.Remove(a, b);
        for (uint64_t i = a; i < b; ++i) model[i] = false;
      } else {
        s.Add(a, b);
        for (uint64_t i = a; i < b; ++i) model[i] = true;
      }
      uint64_t qa = rng() % kSize;
      uint64_t qb = qa + rng() % (kSize - qa + 1);
      bool all = true;
      bool any = false;
      std::vector<Range> missing;
      for (uint64_t i = qa; i < qb; ++i) {
        all = all && model[i];
        any = any || model[i];
        if (!model[i]) {
          if (!missing.empty() && missing.back().end == i) {
            missing.back().end++;
          } else {
            missing.push_back({i, i + 1});
          }
        }
      }
      ASSERT_EQ(s.Contains(qa, qb), all);
      ASSERT_EQ(s.Intersects(qa, qb), any);
      ASSERT_EQ(s.Missing(qa, qb), missing);
      uint64_t total = 0;
      for (bool v : model) total += v;
      ASSERT_EQ(s.Total(), total);
      auto ranges = s.Ranges();
      for (size_t i = 1; i < ranges.size(); ++i) ASSERT_LT(ranges[i - 1].end, ranges[i].begin);
    }
  }
}

}  // namespace
}  // namespace s3fs::write
