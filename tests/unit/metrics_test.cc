#include "s3fs/common/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace s3fs::metrics {
namespace {

TEST(MetricsTest, CounterRendersHelpTypeAndLabels) {
  Registry r;
  auto& f = r.AddCounter("s3_requests_total", "S3 requests.", {"operation", "status"});
  f.With({"GetObject", "200"}).Inc();
  f.With({"GetObject", "200"}).Inc(2);
  f.With({"PutObject", "500"}).Inc();
  EXPECT_EQ(r.Render(),
            "# HELP s3_requests_total S3 requests.\n"
            "# TYPE s3_requests_total counter\n"
            "s3_requests_total{operation=\"GetObject\",status=\"200\"} 3\n"
            "s3_requests_total{operation=\"PutObject\",status=\"500\"} 1\n");
}

TEST(MetricsTest, SameLabelTupleIsSameSeries) {
  Registry r;
  auto& f = r.AddCounter("c_total", "h", {"a", "b"});
  Counter& x = f.With({"ab", ""});
  Counter& y = f.With({"a", "b"});  // same concatenation, different tuple
  EXPECT_NE(&x, &y);
  EXPECT_EQ(&x, &f.With({"ab", ""}));
  std::string key = "a";
  EXPECT_EQ(&y, &f.With({key, "b"}));
}

TEST(MetricsTest, UnlabelledGaugeAndNegativeValues) {
  Registry r;
  Gauge& g = r.SimpleGauge("s3fs_dirty_bytes", "Dirty bytes.");
  g.Add(10);
  g.Sub(25);
  EXPECT_EQ(r.Render(),
            "# HELP s3fs_dirty_bytes Dirty bytes.\n"
            "# TYPE s3fs_dirty_bytes gauge\n"
            "s3fs_dirty_bytes -15\n");
  {
    GaugeGuard guard(g);
    EXPECT_EQ(g.value(), -14);
  }
  EXPECT_EQ(g.value(), -15);
}

TEST(MetricsTest, EscapesHelpAndLabelValues) {
  Registry r;
  auto& f = r.AddCounter("e_total", "back\\slash and\nnewline", {"v"});
  f.With({"q\"uote\\back\nline"}).Inc();
  EXPECT_EQ(r.Render(),
            "# HELP e_total back\\\\slash and\\nnewline\n"
            "# TYPE e_total counter\n"
            "e_total{v=\"q\\\"uote\\\\back\\nline\"} 1\n");
}

TEST(MetricsTest, HistogramBucketsAreCumulativeAndInclusive) {
  Registry r;
  const double bounds[] = {0.1, 1, 0.5};  // sorted by the registry
  auto& f = r.AddHistogram("d_seconds", "Durations.", {"op"}, bounds);
  Histogram& h = f.With({"x"});
  h.Observe(0.05);
  h.Observe(0.1);  // le is inclusive
  h.Observe(0.7);
  h.Observe(3);             // +Inf
  h.Observe(std::nan(""));  // ignored
  EXPECT_EQ(h.count(), 4u);
  EXPECT_EQ(r.Render(),
            "# HELP d_seconds Durations.\n"
            "# TYPE d_seconds histogram\n"
            "d_seconds_bucket{op=\"x\",le=\"0.1\"} 2\n"
            "d_seconds_bucket{op=\"x\",le=\"0.5\"} 2\n"
            "d_seconds_bucket{op=\"x\",le=\"1\"} 3\n"
            "d_seconds_bucket{op=\"x\",le=\"+Inf\"} 4\n"
            "d_seconds_sum{op=\"x\"} 3.85\n"
            "d_seconds_count{op=\"x\"} 4\n");
}

TEST(MetricsTest, UnlabelledHistogramHasOnlyLe) {
  Registry r;
  const double bounds[] = {1};
  r.AddHistogram("h", "H.", {}, bounds).With({}).Observe(2);
  EXPECT_EQ(r.Render(),
            "# HELP h H.\n# TYPE h histogram\n"
            "h_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 1\nh_sum 2\nh_count 1\n");
}

TEST(MetricsTest, LatencyBucketsAscend) {
  auto b = LatencyBuckets();
  ASSERT_GT(b.size(), 8u);
  for (size_t i = 1; i < b.size(); ++i) EXPECT_LT(b[i - 1], b[i]);
  EXPECT_EQ(b.front(), 0.0005);
  EXPECT_EQ(b.back(), 60);
}

TEST(MetricsTest, RegisteringTwiceReturnsTheSameFamily) {
  Registry r;
  auto& a = r.AddCounter("x_total", "X.", {"l"});
  auto& b = r.AddCounter("x_total", "X.", {"l"});
  EXPECT_EQ(&a, &b);
  a.With({"1"}).Inc();
  std::string out = r.Render();
  EXPECT_EQ(out.find("# TYPE x_total"), out.rfind("# TYPE x_total"));
}

TEST(MetricsTest, CallbackFamilySkipsGoneSources) {
  Registry r;
  auto& f = r.AddCallback("cache_lookups_total", "Lookups.", Type::kCounter, {"result"});
  auto source = std::make_shared<int>(7);
  std::weak_ptr<int> weak = source;
  f.Add({"hit"}, [weak]() -> std::optional<double> {
    auto s = weak.lock();
    if (!s) return std::nullopt;
    return *s;
  });
  f.Add({"miss"}, [] { return std::optional<double>(0.25); });
  EXPECT_EQ(r.Render(),
            "# HELP cache_lookups_total Lookups.\n# TYPE cache_lookups_total counter\n"
            "cache_lookups_total{result=\"hit\"} 7\ncache_lookups_total{result=\"miss\"} 0.25\n");
  source.reset();
  EXPECT_EQ(r.Render(),
            "# HELP cache_lookups_total Lookups.\n# TYPE cache_lookups_total counter\n"
            "cache_lookups_total{result=\"miss\"} 0.25\n");
  // A new source for the same series replaces the old one (never two samples of one series).
  f.Add({"miss"}, [] { return std::optional<double>(3); });
  EXPECT_EQ(r.Render(),
            "# HELP cache_lookups_total Lookups.\n# TYPE cache_lookups_total counter\n"
            "cache_lookups_total{result=\"miss\"} 3\n");
}

TEST(MetricsTest, CardinalityIsBounded) {
  Registry r;
  auto& f = r.AddCounter("many_total", "M.", {"k"});
  for (size_t i = 0; i < kMaxSeries + 10; ++i) f.With({std::to_string(i)}).Inc();
  Counter& over = f.With({"another"});
  EXPECT_EQ(over.value(), 10u);
  std::string out = r.Render();
  EXPECT_NE(out.find("many_total{k=\"_overflow\"} 10\n"), std::string::npos);
  EXPECT_NE(out.find("many_total{k=\"0\"} 1\n"), std::string::npos);
  // The first kMaxSeries tuples keep their own series.
  EXPECT_EQ(&f.With({"5"}), &f.With({"5"}));
  EXPECT_EQ(f.With({"5"}).value(), 1u);
}

TEST(MetricsTest, FormatValue) {
  EXPECT_EQ(FormatValue(3), "3");
  EXPECT_EQ(FormatValue(-2), "-2");
  EXPECT_EQ(FormatValue(0.25), "0.25");
  EXPECT_EQ(FormatValue(1e300), "1e+300");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
}

TEST(MetricsTest, ConcurrentUpdatesAndNewSeriesAreCounted) {
  Registry r;
  auto& f = r.AddCounter("t_total", "T.", {"thread", "op"});
  auto& h = r.AddHistogram("t_seconds", "T.", {"op"});
  constexpr int kThreads = 4;
  constexpr int kIters = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIters; ++i) {
        f.With({"shared", std::to_string(i % 7)}).Inc();
        f.With({std::to_string(t), "x"}).Inc();
        h.With({std::to_string(i % 3)}).Observe(0.001);
      }
    });
  }
  std::string during = r.Render();  // rendering while writers run is safe
  for (auto& th : threads) th.join();
  uint64_t shared = 0;
  for (int op = 0; op < 7; ++op) shared += f.With({"shared", std::to_string(op)}).value();
  EXPECT_EQ(shared, uint64_t{kThreads} * kIters);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(f.With({std::to_string(t), "x"}).value(), uint64_t{kIters});
  }
  uint64_t observed = 0;
  for (int op = 0; op < 3; ++op) observed += h.With({std::to_string(op)}).count();
  EXPECT_EQ(observed, uint64_t{kThreads} * kIters);
  EXPECT_FALSE(during.empty());
}

}  // namespace
}  // namespace s3fs::metrics
