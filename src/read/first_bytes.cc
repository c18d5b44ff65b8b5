#include "s3fs/read/first_bytes.h"

#include <iterator>
#include <utility>

namespace s3fs::read {

FirstBytes::FirstBytes(uint64_t capacity, std::chrono::milliseconds max_age,
                       std::shared_ptr<ReadBudget> budget, std::shared_ptr<Clock> clock)
    : capacity_(capacity),
      max_age_(max_age),
      budget_(std::move(budget)),
      clock_(std::move(clock)) {}

FirstBytes::~FirstBytes() {
  std::lock_guard lock(mu_);
  while (!order_.empty()) EraseLocked(order_.begin());
}

void FirstBytes::EraseLocked(Order::iterator it) {
  bytes_ -= it->bytes.size();
  if (budget_) budget_->Release(it->bytes.size());
  by_key_.erase(it->key);
  order_.erase(it);
}

void FirstBytes::Put(const std::string& key, const std::string& etag, std::string bytes) {
  const uint64_t n = bytes.size();
  std::lock_guard lock(mu_);
  if (auto it = by_key_.find(key); it != by_key_.end()) EraseLocked(it->second);
  if (n == 0 || n > capacity_) return;
  const auto now = clock_->Monotonic();
  // Oldest first: expired entries, then as many as the new one needs room for.
  while (!order_.empty() && (bytes_ + n > capacity_ || now - order_.front().at > max_age_)) {
    EraseLocked(order_.begin());
  }
  if (budget_ && !budget_->TryAcquire(n)) return;  // read-ahead needs the memory more
  order_.push_back(Entry{key, etag, std::move(bytes), now});
  by_key_[key] = std::prev(order_.end());
  bytes_ += n;
}

std::optional<std::string> FirstBytes::Take(const std::string& key, const std::string& etag) {
  std::lock_guard lock(mu_);
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return std::nullopt;
  Entry& e = *it->second;
  const uint64_t n = e.bytes.size();
  std::optional<std::string> out;
  if (!etag.empty() && e.etag == etag && clock_->Monotonic() - e.at <= max_age_) {
    out = std::move(e.bytes);
  }
  bytes_ -= n;
  if (budget_) budget_->Release(n);
  order_.erase(it->second);
  by_key_.erase(it);
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
