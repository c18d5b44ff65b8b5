// RateLimitedTransport: an http::Transport decorator that enforces client-side limits before
// requests reach the wrapped transport: requests per second, requests in flight, and bytes per
// second up and down; after a 503 (or 429) answer it slows down on its own.
//
// Contract:
//  - Never blocks and owns no thread. A request waits in a queue for a concurrency slot; once
//    it has one, the time its tokens allow is handed to the wrapped transport as the send
//    `delay` (the wrapped transport's timer does the waiting). Queued requests are admitted
//    when a request in flight completes, in order of their earliest start time (a retry's
//    backoff `delay` counts: a request waiting for backoff never overtakes one that is due).
//  - Requests per second: starts are paced at least 1/rate apart (no bursts).
//  - Bytes per second: an upload's body size is charged when it starts; a download's size
//    when it is known (a `Range: bytes=A-B` header is charged at start, the rest of what
//    arrived at completion). A request starts only once the bytes charged before it are paid
//    for at the rate: the average over any long window stays at the rate, while a single
//    request moves at line speed.
//  - Adaptive slow-down (on by default): when 503/429 answers cluster — within one second of
//    answers at least `adaptive_min_throttled` of them and at least `adaptive_throttled_percent`
//    of all — the allowed request rate is halved (from the configured rate, or from the rate
//    measured over the last second when none is configured), never below
//    `adaptive_floor_rps`. Scattered 503s (a service that fails a few requests at random) are
//    left to the retry policy: halving at each of them would hold the rate near the floor.
//    So the window's share must also stand 4 standard deviations (binomial) above the
//    baseline share: the share of the last ~1000 answers of windows at the full rate that did
//    not slow down, at most `adaptive_throttled_percent` (0 until some are seen). A service
//    refusing 10% at random is slowed about once in a thousand windows; a healthy one hitting
//    its cap at once.
//    Answers to requests sent before the last slow-down are not counted. Every later success
//    adds back
//    (rate before the slow-down / 10) / (allowed rate) requests/s, i.e. a tenth of the lost
//    rate per second of successful requests at the allowed rate, until the rate before the
//    slow-down is reached (the limit is lifted again when none was configured).
//  - Per-bucket isolation (`partition`): every partition key (e.g. the bucket of the URL) gets
//    limits and slow-down state of its own; without it one set is shared by all requests.
//  - Each completion is called exactly once. Destroying the decorator fails queued requests
//    with kAborted; requests already handed to the wrapped transport complete through it.
//
// Thread safety: SendAsync may be called from any thread, including completion callbacks.
#ifndef S3FS_HTTP_RATE_LIMITED_TRANSPORT_H_
#define S3FS_HTTP_RATE_LIMITED_TRANSPORT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "s3fs/common/clock.h"
#include "s3fs/http/transport.h"

namespace s3fs::http {

struct RateLimits {
  double requests_per_sec = 0;          // 0 = no fixed limit
  int max_concurrent = 0;               // requests in flight (0 = no limit)
  uint64_t upload_bytes_per_sec = 0;    // request bodies (0 = no limit)
  uint64_t download_bytes_per_sec = 0;  // response bodies (0 = no limit)
  bool adaptive = true;                 // slow down after 503/429 answers
  double adaptive_floor_rps = 1;        // the slow-down never goes below this
  int adaptive_min_throttled = 3;       // 503/429 answers within a second that slow down...
  int adaptive_throttled_percent = 20;  // ...when they are at least this share of the answers
  // Maps a request to its partition (its own limits); null = one shared set.
  std::function<std::string(const Request&)> partition;

  // True when something is limited or adaptive (otherwise no decorator is needed).
  bool Any() const {
    return requests_per_sec > 0 || max_concurrent > 0 || upload_bytes_per_sec > 0 ||
           download_bytes_per_sec > 0 || adaptive;
  }
};

// The bucket of an S3 URL, for RateLimits::partition: the first path segment when the URL's
// host is `service_host` (path-style), else the host itself (virtual-hosted:
// BUCKET.service_host). Example: ("http://h:80/b/k?x", "h") -> "h/b".
std::string BucketPartition(std::string_view url, std::string_view service_host);

// Counters for tests and diagnostics (summed over partitions).
struct RateLimitStats {
  uint64_t queued = 0;     // requests waiting for a concurrency slot now
  uint64_t in_flight = 0;  // requests handed to the wrapped transport and not completed
  uint64_t slowdowns = 0;  // 503/429 answers that lowered the rate
  double allowed_rps = 0;  // current allowed rate of the first partition (0 = unlimited)
};

class RateLimitedTransport final : public Transport {
 public:
  RateLimitedTransport(std::shared_ptr<Transport> inner, RateLimits limits,
                       std::shared_ptr<Clock> clock);
  ~RateLimitedTransport() override;
  RateLimitedTransport(const RateLimitedTransport&) = delete;
  RateLimitedTransport& operator=(const RateLimitedTransport&) = delete;

  void SendAsync(Request request, Completion done,
                 std::chrono::milliseconds delay = std::chrono::milliseconds(0)) override;

  RateLimitStats Stats() const;

  class State;  // shared with the completions in flight

 private:
  std::shared_ptr<Transport> inner_;
  std::shared_ptr<State> state_;
};

}  // namespace s3fs::http

#endif  // S3FS_HTTP_RATE_LIMITED_TRANSPORT_H_
