// Random: injected source of randomness (retry jitter, multipart ids in fakes) so tests can
// make it deterministic. Implementations are safe for concurrent use.
#ifndef S3FS_COMMON_RANDOM_H_
#define S3FS_COMMON_RANDOM_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <random>

namespace s3fs {

class Random {
 public:
  virtual ~Random() = default;
  // Uniform in [0, 1).
  virtual double Uniform01() = 0;
};

// Mersenne twister seeded from std::random_device (or a fixed seed for tests).
class DefaultRandom final : public Random {
 public:
  DefaultRandom() : gen_(std::random_device{}()) {}
  explicit DefaultRandom(uint64_t seed) : gen_(seed) {}
  double Uniform01() override {
    std::lock_guard lock(mu_);
    return std::uniform_real_distribution<double>(0.0, 1.0)(gen_);
  }

 private:
  std::mutex mu_;
  std::mt19937_64 gen_;
};

// Always returns the same value: for tests that need exact backoff figures.
class FixedRandom final : public Random {
 public:
  explicit FixedRandom(double v) : v_(v) {}
  double Uniform01() override { return v_; }

 private:
  double v_;
};

}  // namespace s3fs

#endif  // S3FS_COMMON_RANDOM_H_
