// Clock: the only way code in this project reads time or sleeps, so tests can drive time with
// FakeClock. Implementations are safe for concurrent use.
#ifndef S3FS_COMMON_CLOCK_H_
#define S3FS_COMMON_CLOCK_H_

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace s3fs {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (used for signatures, object times).
  virtual std::chrono::system_clock::time_point Now() const = 0;
  // Monotonic time (used for timeouts, backoff, TTLs).
  virtual std::chrono::steady_clock::time_point Monotonic() const = 0;
  // Blocks the calling thread for `d` of this clock's time.
  virtual void SleepFor(std::chrono::nanoseconds d) = 0;
};

// The real clock. Shared process-wide instance via RealClock::Instance().
class RealClock final : public Clock {
 public:
  static std::shared_ptr<Clock> Instance();
  std::chrono::system_clock::time_point Now() const override;
  std::chrono::steady_clock::time_point Monotonic() const override;
  void SleepFor(std::chrono::nanoseconds d) override;
};

// A clock that moves only when told. SleepFor() advances time immediately (so code that sleeps
// under test runs instantly) and records the total slept.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::chrono::system_clock::time_point start =
                         std::chrono::system_clock::time_point(std::chrono::seconds(1440000000)));
  std::chrono::system_clock::time_point Now() const override;
  std::chrono::steady_clock::time_point Monotonic() const override;
  void SleepFor(std::chrono::nanoseconds d) override;
  void Advance(std::chrono::nanoseconds d);
  void SetNow(std::chrono::system_clock::time_point t);
  std::chrono::nanoseconds TotalSlept() const;

 private:
  mutable std::mutex mu_;
  std::chrono::system_clock::time_point wall_;
  std::chrono::steady_clock::time_point mono_;
  std::chrono::nanoseconds slept_{0};
};

}  // namespace s3fs

#endif  // S3FS_COMMON_CLOCK_H_
