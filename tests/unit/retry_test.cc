#include "s3fs/s3/retry.h"

#include <gtest/gtest.h>

namespace s3fs::s3 {
namespace {

using namespace std::chrono_literals;

S3Error Err(Category c, const char* kind, bool retryable) {
  S3Error e;
  e.category = c;
  e.kind = kind;
  e.retryable = retryable;
  return e;
}

TEST(RetryPolicy, AttemptsPerCategory) {
  RetryPolicy p;
  FixedRandom r(0.999999);
  auto count = [&](const S3Error& e) {
    int attempts = 1;
    while (p.NextDelay(e, attempts, r)) ++attempts;
    return attempts;
  };
  EXPECT_EQ(count(Err(Category::kServer, "SlowDown", true)), 5);
  EXPECT_EQ(count(Err(Category::kServer, "InternalError", true)), 3);
  EXPECT_EQ(count(Err(Category::kServer, "ServiceUnavailable", true)), 3);
  EXPECT_EQ(count(Err(Category::kNetwork, "Timeout", true)), 3);
  EXPECT_EQ(count(Err(Category::kNetwork, "ConnectionFailed", true)), 3);
  EXPECT_EQ(count(Err(Category::kTransfer, "StreamInterrupted", true)), 2);
  EXPECT_EQ(count(Err(Category::kObject, "ObjectNotFound", false)), 1);
  EXPECT_EQ(count(Err(Category::kAccess, "AccessDenied", false)), 1);
}

TEST(RetryPolicy, ExponentialCeilingWithFullJitter) {
  RetryPolicy p;
  FixedRandom top(0.999999);
  S3Error e = Err(Category::kNetwork, "Timeout", true);
  EXPECT_NEAR(p.NextDelay(e, 1, top)->count(), 500, 1);
  EXPECT_NEAR(p.NextDelay(e, 2, top)->count(), 1000, 1);
  FixedRandom zero(0.0);
  EXPECT_EQ(p.NextDelay(e, 1, zero)->count(), 0);
  FixedRandom half(0.5);
  S3Error s = Err(Category::kServer, "SlowDown", true);
  EXPECT_EQ(p.NextDelay(s, 3, half)->count(), 2000);  // ceiling 4 s, half of it
  EXPECT_EQ(p.NextDelay(s, 4, top)->count(), 7999);
}

TEST(RetryPolicy, RetryAfterWins) {
  RetryPolicy p;
  FixedRandom r(0.1);
  S3Error e = Err(Category::kServer, "SlowDown", true);
  e.retry_after = 3000ms;
  EXPECT_EQ(p.NextDelay(e, 1, r)->count(), 3000);
}

TEST(RetryPolicy, SetRetries) {
  RetryPolicy p;
  p.SetRetries(0);
  FixedRandom r(0.5);
  EXPECT_FALSE(p.NextDelay(Err(Category::kServer, "SlowDown", true), 1, r).has_value());
  p.SetRetries(9);
  EXPECT_TRUE(p.NextDelay(Err(Category::kNetwork, "Timeout", true), 9, r).has_value());
  EXPECT_FALSE(p.NextDelay(Err(Category::kNetwork, "Timeout", true), 10, r).has_value());
}

// The rule's tests use a threshold of 5 (the default is 8; BreakerDefaults checks it).
CircuitBreakerConfig FiveFailures() {
  CircuitBreakerConfig c;
  c.failure_threshold = 5;
  return c;
}

// `n` failures half a second apart: a dead endpoint failing through the retries' backoff.
void FailThroughBackoff(CircuitBreaker& b, FakeClock& clock, int n) {
  for (int i = 0; i < n; ++i) {
    b.OnFailure();
    clock.Advance(500ms);
  }
}

TEST(CircuitBreaker, BreakerDefaults) {
  auto clock = std::make_shared<FakeClock>();
  CircuitBreaker b(CircuitBreakerConfig{}, clock);
  FailThroughBackoff(b, *clock, 7);
  EXPECT_EQ(b.state(), CircuitBreaker::State::kClosed);
  b.OnFailure();
  EXPECT_EQ(b.state(), CircuitBreaker::State::kOpen);
}

TEST(CircuitBreaker, OpensHalfOpensCloses) {
  auto clock = std::make_shared<FakeClock>();
  CircuitBreaker b(FiveFailures(), clock);
  FailThroughBackoff(b, *clock, 4);
  EXPECT_EQ(b.state(), CircuitBreaker::State::kClosed);
  b.OnFailure();
  EXPECT_EQ(b.state(), CircuitBreaker::State::kOpen);
  EXPECT_FALSE(b.Allow());
  clock->Advance(29s);
  EXPECT_FALSE(b.Allow());
  clock->Advance(1s);
  EXPECT_TRUE(b.Allow());
  EXPECT_EQ(b.state(), CircuitBreaker::State::kHalfOpen);
  b.OnSuccess();
  b.OnSuccess();
  EXPECT_EQ(b.state(), CircuitBreaker::State::kHalfOpen);
  b.OnSuccess();
  EXPECT_EQ(b.state(), CircuitBreaker::State::kClosed);
}

TEST(CircuitBreaker, FailureInHalfOpenReopens) {
  auto clock = std::make_shared<FakeClock>();
  CircuitBreaker b(FiveFailures(), clock);
  for (int i = 0; i < 20; ++i) b.OnFailure();  // a burst this long opens it at once
  ASSERT_EQ(b.state(), CircuitBreaker::State::kOpen);
  clock->Advance(30s);
  ASSERT_TRUE(b.Allow());
  b.OnFailure();
  EXPECT_EQ(b.state(), CircuitBreaker::State::kOpen);
  EXPECT_FALSE(b.Allow());
}

TEST(CircuitBreaker, SuccessResetsConsecutiveCount) {
  auto clock = std::make_shared<FakeClock>();
  CircuitBreaker b(FiveFailures(), clock);
  for (int i = 0; i < 4; ++i) b.OnFailure();
  b.OnSuccess();
  for (int i = 0; i < 4; ++i) b.OnFailure();
  EXPECT_EQ(b.state(), CircuitBreaker::State::kClosed);
}

TEST(CircuitBreaker, ABurstOfParallelFailuresDoesNotOpenIt) {
  // 16 connections broken at the same moment, then the retries succeed.
  auto clock = std::make_shared<FakeClock>();
  CircuitBreaker b(FiveFailures(), clock);
  for (int i = 0; i < 16; ++i) b.OnFailure();
  EXPECT_EQ(b.state(), CircuitBreaker::State::kClosed);
  EXPECT_TRUE(b.Allow());
  b.OnSuccess();
  clock->Advance(5s);
  for (int i = 0; i < 4; ++i) b.OnFailure();  // the count started again at the success
  EXPECT_EQ(b.state(), CircuitBreaker::State::kClosed);
  b.OnFailure();
  EXPECT_EQ(b.state(), CircuitBreaker::State::kClosed);  // 5, but all within a moment
  clock->Advance(1s);
  b.OnFailure();
  EXPECT_EQ(b.state(), CircuitBreaker::State::kOpen);  // still failing a second later
}

TEST(CircuitBreaker, WhatCountsAsEndpointFailure) {
  EXPECT_TRUE(CircuitBreaker::IsEndpointFailure(Err(Category::kNetwork, "Timeout", true)));
  EXPECT_TRUE(CircuitBreaker::IsEndpointFailure(Err(Category::kServer, "InternalError", true)));
  EXPECT_FALSE(CircuitBreaker::IsEndpointFailure(Err(Category::kObject, "ObjectNotFound", false)));
  EXPECT_FALSE(CircuitBreaker::IsEndpointFailure(Err(Category::kAccess, "AccessDenied", false)));
}

}  // namespace
}  // namespace s3fs::s3
