// Retry policy (which errors, how many attempts, how long to wait) and the per-endpoint
// circuit breaker. Both are pure logic over an injected Clock/Random, tested with fakes.
#ifndef S3FS_S3_RETRY_H_
#define S3FS_S3_RETRY_H_

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include "s3fs/common/clock.h"
#include "s3fs/common/random.h"
#include "s3fs/s3/error.h"

namespace s3fs::s3 {

struct RetryRule {
  int max_attempts = 1;                  // total attempts including the first
  std::chrono::milliseconds base{1000};  // first backoff ceiling, doubled per attempt
  std::chrono::milliseconds cap{20000};  // backoff ceiling
};

// Defaults from the client specification §7.1: SlowDown 5 attempts (Retry-After or 1 s
// exponential), InternalError/ServiceUnavailable 3 (1 s), timeouts and connection failures 3
// (500 ms), interrupted streams 2 (1 s). Backoff uses full jitter: uniform(0, ceiling).
struct RetryPolicy {
  RetryRule slow_down{5, std::chrono::milliseconds(1000), std::chrono::milliseconds(20000)};
  RetryRule server{3, std::chrono::milliseconds(1000), std::chrono::milliseconds(20000)};
  RetryRule network{3, std::chrono::milliseconds(500), std::chrono::milliseconds(10000)};
  RetryRule stream{2, std::chrono::milliseconds(1000), std::chrono::milliseconds(10000)};

  // Sets every rule's max_attempts to 1 + retries (s3fs-fuse's `retries` option).
  void SetRetries(int retries);
  // The rule that applies to `e`, or nullptr when `e` is not retryable.
  const RetryRule* RuleFor(const S3Error& e) const;
  // Delay before attempt number `attempts_made + 1`, or nullopt when no attempt is left.
  std::optional<std::chrono::milliseconds> NextDelay(const S3Error& e, int attempts_made,
                                                     Random& random) const;
};

struct CircuitBreakerConfig {
  // Consecutive failures that open the circuit. 8: under 14% random 5xx/resets (the fault
  // campaign) a run of 5 opened it in one of about eight campaigns and cut the mount off for
  // 30 s; a run of 8 is 0.14^3 (~1/3,000) as likely. A dead endpoint fails every attempt.
  int failure_threshold = 8;
  int success_threshold = 3;                       // successes in half-open that close it
  std::chrono::milliseconds reset_timeout{30000};  // open -> half-open
  // The consecutive failures must span this long (a dead endpoint keeps failing through the
  // retries' backoff) unless there are 4 x failure_threshold of them: a burst of parallel
  // requests broken at once by a flaky connection does not cut a mount off for 30 s.
  std::chrono::milliseconds min_failure_span{1000};
  bool enabled = true;
};

// Counts consecutive failures (errors that say the endpoint is unhealthy: network, 5xx) and
// short-circuits requests while open. A well-formed 4xx answer is a success for the breaker.
class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };
  // Told about each state change (under the breaker's lock: must be cheap, must not call back).
  using Listener = std::function<void(State from, State to)>;
  CircuitBreaker(CircuitBreakerConfig config, std::shared_ptr<Clock> clock);
  // Set before the breaker is shared between threads.
  void SetListener(Listener listener) { listener_ = std::move(listener); }
  // True if a request may be sent now (moves open -> half-open after the timeout).
  bool Allow();
  void OnSuccess();
  void OnFailure();
  State state() const;
  static std::string_view StateName(State s);
  // Whether `e` counts as an endpoint failure.
  static bool IsEndpointFailure(const S3Error& e);

 private:
  void MoveToLocked(State to);

  CircuitBreakerConfig config_;
  std::shared_ptr<Clock> clock_;
  mutable std::mutex mu_;
  State state_ = State::kClosed;
  int failures_ = 0;
  int successes_ = 0;
  std::chrono::steady_clock::time_point first_failure_at_{};
  std::chrono::steady_clock::time_point opened_at_{};
  Listener listener_;
};

}  // namespace s3fs::s3

#endif  // S3FS_S3_RETRY_H_
