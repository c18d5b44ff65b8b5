#include "s3fs/common/clock.h"

#include <thread>

namespace s3fs {

std::shared_ptr<Clock> RealClock::Instance() {
  static const std::shared_ptr<Clock> clock = std::make_shared<RealClock>();
  return clock;
}

std::chrono::system_clock::time_point RealClock::Now() const {
  return std::chrono::system_clock::now();
}

std::chrono::steady_clock::time_point RealClock::Monotonic() const {
  return std::chrono::steady_clock::now();
}

void RealClock::SleepFor(std::chrono::nanoseconds d) {
  if (d.count() > 0) std::this_thread::sleep_for(d);
}

FakeClock::FakeClock(std::chrono::system_clock::time_point start)
    : wall_(start), mono_(std::chrono::steady_clock::time_point(std::chrono::hours(1))) {}

std::chrono::system_clock::time_point FakeClock::Now() const {
  std::lock_guard lock(mu_);
  return wall_;
}

std::chrono::steady_clock::time_point FakeClock::Monotonic() const {
  std::lock_guard lock(mu_);
  return mono_;
}

void FakeClock::SleepFor(std::chrono::nanoseconds d) {
  std::lock_guard lock(mu_);
  if (d.count() <= 0) return;
  wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
  mono_ += d;
  slept_ += d;
}

void FakeClock::Advance(std::chrono::nanoseconds d) {
  std::lock_guard lock(mu_);
  wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
  mono_ += d;
}

void FakeClock::SetNow(std::chrono::system_clock::time_point t) {
  std::lock_guard lock(mu_);
  wall_ = t;
}

std::chrono::nanoseconds FakeClock::TotalSlept() const {
  std::lock_guard lock(mu_);
  return slept_;
}

}  // namespace s3fs
