#include "s3fs/s3/retry.h"

#include <algorithm>

#include "s3fs/common/log.h"

namespace s3fs::s3 {

void RetryPolicy::SetRetries(int retries) {
  int attempts = std::max(1, retries + 1);
  slow_down.max_attempts = attempts;
  server.max_attempts = attempts;
  network.max_attempts = attempts;
  stream.max_attempts = attempts;
}

const RetryRule* RetryPolicy::RuleFor(const S3Error& e) const {
  if (!e.retryable) return nullptr;
  if (e.kind == "SlowDown") return &slow_down;
  switch (e.category) {
    case Category::kServer:
      return &server;
    case Category::kNetwork:
      return &network;
    case Category::kTransfer:
      return &stream;
    default:
      return nullptr;
  }
}

std::optional<std::chrono::milliseconds> RetryPolicy::NextDelay(const S3Error& e, int attempts_made,
                                                                Random& random) const {
  const RetryRule* rule = RuleFor(e);
  if (rule == nullptr || attempts_made >= rule->max_attempts) return std::nullopt;
  if (e.retry_after) return std::min(*e.retry_after, rule->cap * 3);
  int shift = std::clamp(attempts_made - 1, 0, 30);
  auto ceiling = std::min<int64_t>(rule->cap.count(), rule->base.count() << shift);
  auto jittered = static_cast<int64_t>(random.Uniform01() * static_cast<double>(ceiling));
  return std::chrono::milliseconds(jittered);
}

CircuitBreaker::CircuitBreaker(CircuitBreakerConfig config, std::shared_ptr<Clock> clock)
    : config_(config), clock_(std::move(clock)) {}

bool CircuitBreaker::Allow() {
  if (!config_.enabled) return true;
  std::lock_guard lock(mu_);
  if (state_ != State::kOpen) return true;
  if (clock_->Monotonic() - opened_at_ >= config_.reset_timeout) {
    MoveToLocked(State::kHalfOpen);
    successes_ = 0;
    S3FS_LOG_INFO("circuit breaker half-open: probing the endpoint");
    return true;
  }
  return false;
}

void CircuitBreaker::OnSuccess() {
  if (!config_.enabled) return;
  std::lock_guard lock(mu_);
  failures_ = 0;
  if (state_ == State::kHalfOpen && ++successes_ >= config_.success_threshold) {
    MoveToLocked(State::kClosed);
    S3FS_LOG_WARN("circuit breaker closed: endpoint healthy again");
  }
}

void CircuitBreaker::OnFailure() {
  if (!config_.enabled) return;
  std::lock_guard lock(mu_);
  const auto now = clock_->Monotonic();
  bool trip = state_ == State::kHalfOpen;
  if (state_ == State::kClosed) {
    if (failures_++ == 0) first_failure_at_ = now;
    trip = failures_ >= config_.failure_threshold &&
           (now - first_failure_at_ >= config_.min_failure_span ||
            failures_ >= 4 * config_.failure_threshold);
  }
  if (trip) {
    MoveToLocked(State::kOpen);
    opened_at_ = now;
    failures_ = 0;
    S3FS_LOG_WARN("circuit breaker open: endpoint failing; requests fail fast for {} ms",
                  config_.reset_timeout.count());
  }
}

void CircuitBreaker::MoveToLocked(State to) {
  const State from = state_;
  state_ = to;
  if (listener_ && from != to) listener_(from, to);
}

CircuitBreaker::State CircuitBreaker::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

std::string_view CircuitBreaker::StateName(State s) {
  switch (s) {
    case State::kClosed:
      return "closed";
    case State::kOpen:
      return "open";
    case State::kHalfOpen:
      return "half_open";
  }
  return "closed";
}

bool CircuitBreaker::IsEndpointFailure(const S3Error& e) {
  return e.category == Category::kNetwork || e.category == Category::kServer ||
         (e.category == Category::kTransfer && e.kind == "StreamInterrupted");
}

}  // namespace s3fs::s3
