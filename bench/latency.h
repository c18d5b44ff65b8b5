// Per-iteration latency percentiles for google-benchmark loops: time each iteration, then
// report p50/p99 (microseconds) as counters.
#ifndef S3FS_BENCH_LATENCY_H_
#define S3FS_BENCH_LATENCY_H_

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <vector>

class LatencyRecorder {
 public:
  void Start() { t0_ = std::chrono::steady_clock::now(); }
  void Stop() {
    samples_.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0_).count());
  }
  void Report(benchmark::State& state) {
    if (samples_.empty()) return;
    std::sort(samples_.begin(), samples_.end());
    auto at = [&](double q) {
      return samples_[std::min(samples_.size() - 1, static_cast<size_t>(q * samples_.size()))];
    };
    state.counters["p50_us"] = at(0.50);
    state.counters["p99_us"] = at(0.99);
  }

 private:
  std::chrono::steady_clock::time_point t0_;
  std::vector<double> samples_;
};

#endif  // S3FS_BENCH_LATENCY_H_
