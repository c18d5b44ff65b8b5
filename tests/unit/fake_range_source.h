// Test doubles for the read path: a scripted RangeSource over an in-memory body, and helpers.
#ifndef S3FS_TESTS_UNIT_FAKE_RANGE_SOURCE_H_
#define S3FS_TESTS_UNIT_FAKE_RANGE_SOURCE_H_

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "s3fs/read/object_reader.h"
#include "s3fs/read/range_source.h"

namespace s3fs::read::testing {

inline constexpr uint64_t kMiB = 1ULL << 20;

// The read tests' reader options: parts of `part`, a window from 1 MiB up to `window_max`.
inline ObjectReaderOptions ReaderOptions(uint64_t part = 8 * kMiB,
                                         uint64_t window_max = 64 * kMiB) {
  ObjectReaderOptions o;
  o.policy.part_size = part;
  o.policy.window_min = kMiB;
  o.policy.window_max = window_max;
  return o;
}

inline std::string Pattern(size_t n, uint32_t seed = 0) {
  std::string s(n, '\0');
  for (size_t i = 0; i + 4 <= n; i += 4) {
    uint32_t v = static_cast<uint32_t>(i) ^ seed;
    std::memcpy(&s[i], &v, 4);
  }
  return s;
}

inline s3::S3Error Err(const std::string& kind) {
  s3::S3Error e;
  e.kind = kind;
  e.message = kind;
  // As the S3 client classifies them (s3/error.cc): server-side and transfer failures are
  // transient.
  e.retryable = kind == "ServiceUnavailable" || kind == "InternalError" ||
                kind == "RequestTimeout" || kind == "IncompleteBody" || kind == "SlowDown";
  return e;
}

// Serves ranges of `body`. Synchronous by default (done runs inside Fetch); with `workers`
// > 0 fetches complete on background threads after `delay`, so several are in flight at once.
// `fail_next` scripts failures: the next fetch delivers `deliver` bytes and then fails with
// `kind`. `Hold` keeps fetches in flight (asynchronous sources only) until `Release`.
class FakeSource final : public RangeSource {
 public:
  explicit FakeSource(std::string body, int workers = 0,
                      std::chrono::milliseconds delay = std::chrono::milliseconds(0))
      : body_(std::move(body)), delay_(delay) {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { Work(); });
  }
  ~FakeSource() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
      held_ = false;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }

  void Fetch(uint64_t offset, uint64_t len, std::string* dst, Done done) override {
    std::unique_lock lock(mu_);
    requests_.emplace_back(offset, len);
    Job job{offset, len, dst, std::move(done), 0, ""};
    if (!failures_.empty()) {
      job.deliver = failures_.front().first;
      job.fail_kind = failures_.front().second;
      failures_.pop_front();
    }
    if (threads_.empty()) {
      lock.unlock();
      Run(job);
      return;
    }
    ++in_flight_;
    max_in_flight_ = std::max(max_in_flight_, in_flight_);
    queue_.push_back(std::move(job));
    cv_.notify_one();
  }

  void FailNext(uint64_t deliver, const std::string& kind) {
    std::lock_guard lock(mu_);
    failures_.emplace_back(deliver, kind);
  }
  void Hold() {
    std::lock_guard lock(mu_);
    held_ = true;
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      held_ = false;
    }
    cv_.notify_all();
  }
  std::vector<std::pair<uint64_t, uint64_t>> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  uint64_t bytes_sent() {
    std::lock_guard lock(mu_);
    return bytes_sent_;
  }
  int max_in_flight() {
    std::lock_guard lock(mu_);
    return max_in_flight_;
  }

 private:
  struct Job {
    uint64_t offset, len;
    std::string* dst;
    Done done;
    uint64_t deliver;
    std::string fail_kind;
  };

  void Run(Job& job) {
    uint64_t end = std::min<uint64_t>(body_.size(), job.offset + job.len);
    uint64_t n = job.offset < end ? end - job.offset : 0;
    if (!job.fail_kind.empty()) n = std::min(n, job.deliver);
    job.dst->append(body_, job.offset, n);
    {
      std::lock_guard lock(mu_);
      bytes_sent_ += n;
    }
    if (job.fail_kind.empty()) {
      job.done(s3::S3Status());
    } else {
      job.done(Fail(Err(job.fail_kind)));
    }
  }

  void Work() {
    for (;;) {
      Job job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || (!queue_.empty() && !held_); });
        if (queue_.empty()) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
      Run(job);
      std::lock_guard lock(mu_);
      --in_flight_;
    }
  }

  const std::string body_;
  const std::chrono::milliseconds delay_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  std::deque<std::pair<uint64_t, std::string>> failures_;
  std::vector<std::pair<uint64_t, uint64_t>> requests_;
  uint64_t bytes_sent_ = 0;
  int in_flight_ = 0;
  int max_in_flight_ = 0;
  bool stop_ = false;
  bool held_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace s3fs::read::testing

#endif  // S3FS_TESTS_UNIT_FAKE_RANGE_SOURCE_H_
