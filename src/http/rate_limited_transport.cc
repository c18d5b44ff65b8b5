// RateLimitedTransport (see the header for the contract).
//
// Design: every request goes through its partition's queue (a heap ordered by the earliest
// time it may start, then by arrival). Admit() moves requests from the queue into flight while
// a concurrency slot is free, giving each the start time its token buckets allow (paced
// request starts, paid-for bytes) as a delay for the wrapped transport. Completions give the
// slot back, settle the bytes actually received, feed the adaptive rate and admit the next
// requests. The lock is never held while calling the wrapped transport or a completion.
#include "s3fs/http/rate_limited_transport.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "s3fs/common/log.h"
#include "s3fs/common/strings.h"

namespace s3fs::http {

namespace {

using TimePoint = std::chrono::steady_clock::time_point;
using Duration = std::chrono::steady_clock::duration;

Duration Seconds(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

// Bytes a `Range: bytes=A-B` header asks for (0 when absent or open-ended).
uint64_t RangeLength(const Request& r) {
  auto range = r.headers.Get("Range");
  if (!range) return 0;
  std::string_view v = str::Trim(*range);
  if (!str::StartsWith(v, "bytes=")) return 0;
  v.remove_prefix(6);
  size_t dash = v.find('-');
  if (dash == std::string_view::npos || v.find(',') != std::string_view::npos) return 0;
  uint64_t first = 0;
  uint64_t last = 0;
  if (!str::ParseUint64(v.substr(0, dash), &first) ||
      !str::ParseUint64(v.substr(dash + 1), &last) || last < first) {
    return 0;
  }
  return last - first + 1;
}

}  // namespace

std::string BucketPartition(std::string_view url, std::string_view service_host) {
  size_t scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  size_t path = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path);
  std::string_view host = authority;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(0, host.find(']') + 1);
  } else if (size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (str::ToLower(host) != str::ToLower(service_host)) return str::ToLower(authority);
  std::string_view p = path == std::string_view::npos ? std::string_view() : rest.substr(path);
  if (!p.empty() && p.front() == '/') p.remove_prefix(1);
  p = p.substr(0, p.find_first_of("/?#"));
  return str::ToLower(authority) + "/" + std::string(p);
}

class RateLimitedTransport::State {
 public:
  State(std::weak_ptr<Transport> inner, RateLimits limits, std::shared_ptr<Clock> clock)
      : inner_(std::move(inner)), limits_(std::move(limits)), clock_(std::move(clock)) {}

  static void Send(const std::shared_ptr<State>& self, Request request, Completion done,
                   std::chrono::milliseconds delay) {
    std::vector<Ready> ready;
    {
      std::lock_guard lock(self->mu_);
      if (self->stopped_) {
        ready.push_back(Ready{std::move(request), std::move(done), {}, {}, {}, 0, true});
      } else {
        std::string key = self->limits_.partition ? self->limits_.partition(request) : "";
        Partition& p = self->PartitionFor(key);
        const TimePoint now = self->clock_->Monotonic();
        p.queue.push_back(Waiting{now + delay, self->seq_++, std::move(request), std::move(done)});
        std::push_heap(p.queue.begin(), p.queue.end(), Later);
        self->Admit(key, p, now, &ready);
      }
    }
    Dispatch(self, std::move(ready));
  }

  // Fails every queued request; later sends fail at once.
  void Stop() {
    std::vector<Waiting> aborted;
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
      for (auto& [key, p] : parts_) {
        for (auto& w : p.queue) aborted.push_back(std::move(w));
        p.queue.clear();
      }
    }
    for (auto& w : aborted) {
      if (w.done)
        w.done(
            Fail(TransportError{TransportError::Kind::kAborted, "transport is shutting down", 0}));
    }
  }

  RateLimitStats Stats() const {
    std::lock_guard lock(mu_);
    RateLimitStats s;
    for (const auto& [key, p] : parts_) {
      s.queued += p.queue.size();
      s.in_flight += static_cast<uint64_t>(p.in_flight);
    }
    s.slowdowns = slowdowns_;
    if (!parts_.empty()) s.allowed_rps = parts_.begin()->second.allowed_rps;
    return s;
  }

 private:
  struct Waiting {
    TimePoint not_before;
    uint64_t seq;
    Request request;
    Completion done;
  };
  // Heap order: the earliest start on top, FIFO among equals.
  static bool Later(const Waiting& a, const Waiting& b) {
    return a.not_before != b.not_before ? a.not_before > b.not_before : a.seq > b.seq;
  }

  struct Partition {
    std::vector<Waiting> queue;  // a heap ordered by Later
    int in_flight = 0;
    TimePoint next_start{};  // paced starts: the earliest start of the next request
    TimePoint up_paid{};     // when the upload bytes charged so far are paid for
    TimePoint down_paid{};   // same for downloads
    double allowed_rps = 0;  // 0 = unlimited
    double restore_rps = 0;  // rate before the slow-down (0 = not slowed down)
    TimePoint last_slowdown{};
    TimePoint window_start{};  // answers counted for the slow-down decision since then
    int window_answers = 0;
    int window_throttled = 0;
    // The share of 503/429 answers a service gives anyway (at random, whatever the rate): the
    // answers of the windows that did not slow down, the last ~kBaselineAnswers of them.
    double base_answers = 0;
    double base_throttled = 0;
    std::deque<TimePoint> recent_starts;  // the last second of starts (measures the rate)
  };

  // A request leaving the lock: to send (with `delay`) or to fail (`abort`).
  struct Ready {
    Request request;
    Completion done;
    std::string key;
    std::chrono::milliseconds delay{0};
    TimePoint start{};
    uint64_t precharged = 0;
    bool abort = false;
  };

  Partition& PartitionFor(const std::string& key) {
    auto it = parts_.find(key);
    if (it != parts_.end()) return it->second;
    Partition& p = parts_[key];
    p.allowed_rps = limits_.requests_per_sec;
    return p;
  }

  // Moves requests from the queue into flight while slots are free (requires mu_).
  void Admit(const std::string& key, Partition& p, TimePoint now, std::vector<Ready>* out) {
    while (!p.queue.empty() &&
           (limits_.max_concurrent <= 0 || p.in_flight < limits_.max_concurrent)) {
      std::pop_heap(p.queue.begin(), p.queue.end(), Later);
      Waiting w = std::move(p.queue.back());
      p.queue.pop_back();
      TimePoint start = std::max(now, w.not_before);
      if (p.allowed_rps > 0) start = std::max(start, p.next_start);
      const uint64_t up = w.request.BodySize();
      if (limits_.upload_bytes_per_sec > 0 && up > 0) start = std::max(start, p.up_paid);
      if (limits_.download_bytes_per_sec > 0) start = std::max(start, p.down_paid);
      if (p.allowed_rps > 0) p.next_start = start + Seconds(1.0 / p.allowed_rps);
      if (limits_.upload_bytes_per_sec > 0 && up > 0) {
        p.up_paid = start + Seconds(static_cast<double>(up) /
                                    static_cast<double>(limits_.upload_bytes_per_sec));
      }
      uint64_t precharged = 0;
      if (limits_.download_bytes_per_sec > 0) {
        precharged = RangeLength(w.request);
        p.down_paid = start + Seconds(static_cast<double>(precharged) /
                                      static_cast<double>(limits_.download_bytes_per_sec));
      }
      if (limits_.adaptive) {
        while (!p.recent_starts.empty() &&
               (p.recent_starts.front() <= now - std::chrono::seconds(1) ||
                p.recent_starts.size() >= 100000)) {
          p.recent_starts.pop_front();
        }
        p.recent_starts.push_back(start);
      }
      p.in_flight++;
      auto delay = std::chrono::ceil<std::chrono::milliseconds>(start - now);
      out->push_back(
          Ready{std::move(w.request), std::move(w.done), key, delay, start, precharged, false});
    }
  }

  // Requests started within the last second before `now`.
  static double MeasuredRate(Partition& p, TimePoint now) {
    while (!p.recent_starts.empty() && p.recent_starts.front() <= now - std::chrono::seconds(1)) {
      p.recent_starts.pop_front();
    }
    size_t n = 0;
    for (TimePoint t : p.recent_starts) n += t <= now ? 1 : 0;
    return static_cast<double>(n);
  }

  // Counts one answer in the current one-second window; true when throttled answers cluster:
  // at least `adaptive_min_throttled` and `adaptive_throttled_percent` of the window, and far
  // more than the service's baseline share explains (4 standard deviations of the binomial
  // above it: a service that refuses 10% of requests at random slows a window down about once
  // in a thousand, one whose rate cap was hit at once).
  bool Throttled(Partition& p, bool throttled, TimePoint started, TimePoint now) {
    // Answers to requests sent before the last slow-down were sent at the old rate.
    if (p.restore_rps > 0 && started < p.last_slowdown) return false;
    if (now - p.window_start >= std::chrono::seconds(1)) {
      LearnBaseline(p);
      p.window_start = now;
      p.window_answers = 0;
      p.window_throttled = 0;
    }
    p.window_answers++;
    if (throttled) p.window_throttled++;
    if (!throttled || p.window_throttled < std::max(limits_.adaptive_min_throttled, 1) ||
        p.window_throttled * 100 < p.window_answers * limits_.adaptive_throttled_percent) {
      return false;
    }
    const double n = p.window_answers;
    // Never above the cluster share itself (a few all-refused windows of an idle mount).
    const double base = p.base_answers > 0 ? std::min(p.base_throttled / p.base_answers,
                                                      limits_.adaptive_throttled_percent / 100.0)
                                           : 0;
    return p.window_throttled >= n * base + 4 * std::sqrt(n * base * (1 - base)) + 1;
  }

  // A window at the full rate that did not slow down tells the baseline share: not a slowing
  // one (the cluster itself), and not one while slowed down (recovering towards a cap, windows
  // just under the trigger would teach the cap's share as the baseline, step by step).
  void LearnBaseline(Partition& p) const {
    constexpr double kBaselineAnswers = 1000;
    if (p.restore_rps > 0) return;
    p.base_answers += p.window_answers;
    p.base_throttled += p.window_throttled;
    if (p.base_answers > kBaselineAnswers) {
      const double keep = kBaselineAnswers / p.base_answers;
      p.base_answers *= keep;
      p.base_throttled *= keep;
    }
  }

  void SlowDown(Partition& p, TimePoint now) {
    const double base = p.allowed_rps > 0 ? p.allowed_rps : MeasuredRate(p, now);
    const double floor = std::max(limits_.adaptive_floor_rps, 0.001);
    if (p.restore_rps == 0) p.restore_rps = std::max(base, floor);
    p.allowed_rps = std::max(floor, base / 2);
    p.last_slowdown = now;
    p.window_start = now;
    p.window_answers = 0;
    p.window_throttled = 0;
    slowdowns_++;
    S3FS_LOG_WARN("server asked to slow down (503/429): request rate limited to {:.1f}/s",
                  p.allowed_rps);
  }

  void Recover(Partition& p) {
    if (p.restore_rps == 0) return;
    p.allowed_rps += (p.restore_rps / 10) / p.allowed_rps;
    if (p.allowed_rps >= p.restore_rps) {
      p.allowed_rps = limits_.requests_per_sec;
      p.restore_rps = 0;
      S3FS_LOG_INFO("request rate back to {}", p.allowed_rps > 0 ? "its limit" : "unlimited");
    }
  }

  void OnDone(const Ready& r, const Result<Response, TransportError>& result,
              std::vector<Ready>* next) {
    std::lock_guard lock(mu_);
    Partition& p = PartitionFor(r.key);
    p.in_flight--;
    const TimePoint now = clock_->Monotonic();
    if (limits_.download_bytes_per_sec > 0) {
      const uint64_t got = result.ok() ? result->bytes_received : result.error().bytes_received;
      const double rate = static_cast<double>(limits_.download_bytes_per_sec);
      if (got > r.precharged) {
        p.down_paid =
            std::max(p.down_paid, now) + Seconds(static_cast<double>(got - r.precharged) / rate);
      } else if (got < r.precharged) {
        p.down_paid =
            std::max(now, p.down_paid - Seconds(static_cast<double>(r.precharged - got) / rate));
      }
    }
    if (limits_.adaptive && result.ok()) {
      const bool throttled = result->status == 503 || result->status == 429;
      if (Throttled(p, throttled, r.start, now)) {
        SlowDown(p, now);
      } else if (!throttled && result->status < 500) {
        Recover(p);
      }
    }
    if (!stopped_) Admit(r.key, p, now, next);
  }

  static void Dispatch(const std::shared_ptr<State>& self, std::vector<Ready> ready) {
    for (auto& r : ready) {
      std::shared_ptr<Transport> inner = r.abort ? nullptr : self->inner_.lock();
      if (!inner) {
        if (!r.abort) {
          std::lock_guard lock(self->mu_);
          self->PartitionFor(r.key).in_flight--;
        }
        if (r.done) {
          r.done(Fail(
              TransportError{TransportError::Kind::kAborted, "transport is shutting down", 0}));
        }
        continue;
      }
      Request request = std::move(r.request);
      const std::chrono::milliseconds delay = r.delay;
      auto meta = std::make_shared<Ready>(std::move(r));
      inner->SendAsync(
          std::move(request),
          [self, meta](Result<Response, TransportError> result) {
            std::vector<Ready> next;
            self->OnDone(*meta, result, &next);
            Dispatch(self, std::move(next));
            Completion done = std::move(meta->done);
            if (done) done(std::move(result));
          },
          delay);
    }
  }

  const std::weak_ptr<Transport> inner_;
  const RateLimits limits_;
  const std::shared_ptr<Clock> clock_;
  mutable std::mutex mu_;
  bool stopped_ = false;                    // guarded by mu_
  uint64_t seq_ = 0;                        // guarded by mu_
  uint64_t slowdowns_ = 0;                  // guarded by mu_
  std::map<std::string, Partition> parts_;  // guarded by mu_
};

RateLimitedTransport::RateLimitedTransport(std::shared_ptr<Transport> inner, RateLimits limits,
                                           std::shared_ptr<Clock> clock)
    : inner_(std::move(inner)),
      state_(std::make_shared<State>(inner_, std::move(limits), std::move(clock))) {}

RateLimitedTransport::~RateLimitedTransport() { state_->Stop(); }

void RateLimitedTransport::SendAsync(Request request, Completion done,
                                     std::chrono::milliseconds delay) {
  State::Send(state_, std::move(request), std::move(done), delay);
}

RateLimitStats RateLimitedTransport::Stats() const { return state_->Stats(); }

}  // namespace s3fs::http
