#include "s3fs/read/first_bytes.h"

#include <iterator>
#include <utility>

namespace s3fs::read {

FirstBytes::FirstBytes(uint64_t capacity, std::chrono::milliseconds max_age,
                       std::shared_ptr<Clock> clock)
    : capacity_(capacity), max_age_(max_age), clock_(std::move(clock)) {}

FirstBytes::~FirstBytes() = default;

void FirstBytes::EraseLocked(Order::iterator it) {
  bytes_ -= it->bytes.size();
  by_key_.erase(it->key);
  order_.erase(it);
}

void FirstBytes::DropExpiredLocked(std::chrono::steady_clock::time_point now) {
  while (!order_.empty() && now - order_.front().at > max_age_) EraseLocked(order_.begin());
}

void FirstBytes::Put(const std::string& key, const std::string& etag, std::string bytes) {
  const uint64_t n = bytes.size();
  const auto now = clock_->Monotonic();
  std::lock_guard lock(mu_);
  DropExpiredLocked(now);
  if (auto it = by_key_.find(key); it != by_key_.end()) EraseLocked(it->second);
  if (n == 0 || n > capacity_) return;
  while (!order_.empty() && bytes_ + n > capacity_) EraseLocked(order_.begin());
  order_.push_back(Entry{key, etag, std::move(bytes), now});
  by_key_[key] = std::prev(order_.end());
  bytes_ += n;
}

std::optional<std::string> FirstBytes::Take(const std::string& key, const std::string& etag) {
  std::lock_guard lock(mu_);
  DropExpiredLocked(clock_->Monotonic());
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return std::nullopt;
  std::optional<std::string> out;
  if (!etag.empty() && it->second->etag == etag) {
    out = std::move(it->second->bytes);
    bytes_ -= out->size();
    it->second->bytes.clear();
  }
  EraseLocked(it->second);  // (another version's bytes are of no use any more either)
  return out;
}

void FirstBytes::Forget(const std::string& key) {
  std::lock_guard lock(mu_);
  if (auto it = by_key_.find(key); it != by_key_.end()) EraseLocked(it->second);
}

uint64_t FirstBytes::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

size_t FirstBytes::size() const {
  std::lock_guard lock(mu_);
  return order_.size();
}

}  // namespace s3fs::read
