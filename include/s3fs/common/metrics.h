// Metrics: a small registry of counters, gauges and fixed-bucket histograms, with labels, and
// its rendering in the Prometheus text exposition format (version 0.0.4).
//
// Contract:
//  - A family has a name, a help text, a type and a fixed list of label names. Its series
//    (one per distinct tuple of label values) are created on first use and never removed.
//  - Observation cost: Counter/Gauge/Histogram updates are relaxed atomics. Finding a series
//    by its label values (Family::With) is lock-free and allocation-free once that series
//    exists: a hash and a scan of the family's series; only the first use of a label tuple
//    takes the family's mutex and allocates. Hot paths should keep the returned reference.
//  - Cardinality is bounded: a family holds at most kMaxSeries series; further label tuples
//    all share one series whose label values are "_overflow".
//  - Callback families are read at render time (disk cache or budget statistics that their
//    owners already keep); a callback that returns nullopt (its source is gone) is skipped.
//  - Registering a name again returns the existing family when type and labels match (two
//    clients can share one registry); a mismatch is a programming error (asserted; the
//    second family is then kept apart and not rendered).
//  - Render() may run concurrently with any update; each value is read atomically (a
//    histogram's buckets are read one by one, so its sum may lag its counts by in-flight
//    observations).
//
// Thread safety: every method may be called from any thread.
#ifndef S3FS_COMMON_METRICS_H_
#define S3FS_COMMON_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace s3fs::metrics {

enum class Type { kCounter, kGauge, kHistogram };

class Counter {
 public:
  void Inc(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void Set(int64_t v) { v_.store(v, std::memory_order_relaxed); }
  void Add(int64_t d) { v_.fetch_add(d, std::memory_order_relaxed); }
  void Sub(int64_t d) { v_.fetch_sub(d, std::memory_order_relaxed); }
  int64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

// +1 on a gauge for the guard's lifetime (something "in flight").
class GaugeGuard {
 public:
  explicit GaugeGuard(Gauge& g) : g_(&g) { g_->Add(1); }
  ~GaugeGuard() { g_->Sub(1); }
  GaugeGuard(const GaugeGuard&) = delete;
  GaugeGuard& operator=(const GaugeGuard&) = delete;

 private:
  Gauge* g_;
};

// Counts observations into buckets by upper bound (`le`, inclusive), plus their sum. The
// bounds are sorted ascending and outlive the histogram (the family owns them).
class Histogram {
 public:
  explicit Histogram(std::span<const double> bounds);
  // NaN is ignored; values above the last bound land in the +Inf bucket.
  void Observe(double v);
  std::span<const double> bounds() const { return bounds_; }
  // Non-cumulative count of bucket `i` (i == bounds().size() is +Inf).
  uint64_t bucket(size_t i) const { return counts_[i].load(std::memory_order_relaxed); }
  uint64_t count() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::span<const double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

// Bucket bounds in seconds for request and operation latencies: 0.5 ms to 60 s.
std::span<const double> LatencyBuckets();

inline constexpr size_t kMaxSeries = 256;

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, Type type, std::vector<std::string> labels);
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return name_; }
  Type type() const { return type_; }
  const std::vector<std::string>& label_names() const { return labels_; }
  // Appends this family (HELP, TYPE and every series) in the text format.
  void Render(std::string* out) const;

 protected:
  // Appends the samples of every series.
  virtual void RenderSeries(std::string* out) const = 0;

 private:
  const std::string name_;
  const std::string help_;
  const Type type_;
  const std::vector<std::string> labels_;
};

template <typename M>
class Family final : public FamilyBase {
 public:
  Family(std::string name, std::string help, Type type, std::vector<std::string> labels,
         std::vector<double> bounds = {});
  ~Family() override;

  // The series of these label values (one per label name, in order; missing ones are "",
  // extra ones ignored). The reference stays valid as long as the registry.
  M& With(std::initializer_list<std::string_view> values);

 private:
  struct Series;
  M& Get(std::span<const std::string_view> values);
  void RenderSeries(std::string* out) const override;
  Series* Find(uint64_t hash, std::span<const std::string_view> values, size_t from,
               size_t to) const;

  const std::vector<double> bounds_;  // histograms only
  std::array<std::atomic<Series*>, kMaxSeries> slots_{};
  std::atomic<size_t> count_{0};
  std::mutex mu_;  // creation of series
  std::vector<std::unique_ptr<Series>> owned_;
  std::unique_ptr<Series> overflow_;
  std::atomic<Series*> overflow_used_{nullptr};
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

// Values read at render time. Each series is a tuple of label values and a callback.
class CallbackFamily final : public FamilyBase {
 public:
  using Fn = std::function<std::optional<double>()>;
  CallbackFamily(std::string name, std::string help, Type type, std::vector<std::string> labels);
  // Adds a series (or replaces the callback of the series with these values); `fn` runs on
  // the rendering thread, must be cheap and must not call back into the registry.
  void Add(std::initializer_list<std::string_view> values, Fn fn);

 private:
  void RenderSeries(std::string* out) const override;
  mutable std::mutex mu_;
  std::vector<std::pair<std::vector<std::string>, Fn>> series_;
};

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  CounterFamily& AddCounter(std::string name, std::string help,
                            std::vector<std::string> labels = {});
  GaugeFamily& AddGauge(std::string name, std::string help, std::vector<std::string> labels = {});
  HistogramFamily& AddHistogram(std::string name, std::string help, std::vector<std::string> labels,
                                std::span<const double> bounds = LatencyBuckets());
  // `type` is kCounter or kGauge (a callback counter must be monotonic).
  CallbackFamily& AddCallback(std::string name, std::string help, Type type,
                              std::vector<std::string> labels = {});

  // Unlabelled shortcuts: the family's only series.
  Counter& SimpleCounter(std::string name, std::string help) {
    return AddCounter(std::move(name), std::move(help)).With({});
  }
  Gauge& SimpleGauge(std::string name, std::string help) {
    return AddGauge(std::move(name), std::move(help)).With({});
  }

  // Every family in registration order, in the Prometheus text format 0.0.4.
  std::string Render() const;

 private:
  template <typename F, typename... Extra>
  F& Add(std::string name, std::string help, Type type, std::vector<std::string> labels,
         Extra&&... extra);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<FamilyBase>> families_;
  std::vector<std::unique_ptr<FamilyBase>> conflicting_;  // kept alive, never rendered
};

// The Content-Type of Render()'s output.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

// Text-format escaping: help text (\ and newline) and label values (\, " and newline).
std::string EscapeHelp(std::string_view s);
std::string EscapeLabelValue(std::string_view s);
// A sample value: integers as such, +Inf/-Inf/NaN, otherwise the shortest round-trip form.
std::string FormatValue(double v);

}  // namespace s3fs::metrics

#endif  // S3FS_COMMON_METRICS_H_
