#include "s3fs/read/read_budget.h"

#include <algorithm>

namespace s3fs::read {

bool ReadBudget::TryAcquire(uint64_t n) {
  std::vector<std::string> freed;  // released after the lock
  std::lock_guard lock(mu_);
  if (used_ + n > readahead_limit_) return false;
  used_ += n;
  peak_ = std::max(peak_, used_);
  TrimPoolLocked(&freed);
  return true;
}

void ReadBudget::Acquire(uint64_t n) {
  std::vector<std::string> freed;
  std::lock_guard lock(mu_);
  used_ += n;
  peak_ = std::max(peak_, used_);
  TrimPoolLocked(&freed);
}

void ReadBudget::TrimPoolLocked(std::vector<std::string>* freed) {
  // Buffers kept for reuse count too: in use + pooled stays within the read-ahead share.
  while (!pool_.empty() && used_ + pooled_ > readahead_limit_) {
    pooled_ -= pool_.back().capacity();
    freed->push_back(std::move(pool_.back()));
    pool_.pop_back();
  }
}

void ReadBudget::Release(uint64_t n) {
  std::vector<std::string> freed;  // released after the lock
  std::lock_guard lock(mu_);
  used_ -= std::min(n, used_);
  if (used_ != 0) return;
  // Nothing is being read: the kept buffers go back to the system.
  freed.swap(pool_);
  pooled_ = 0;
  idle_.notify_all();
}

bool ReadBudget::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return idle_.wait_for(lock, timeout, [&] { return used_ == 0; });
}

std::string ReadBudget::TakeBuffer(uint64_t n) {
  {
    std::lock_guard lock(mu_);
    for (auto it = pool_.begin(); it != pool_.end(); ++it) {
      // Close to the size asked: a kept buffer's pages are resident, but only `n` is charged.
      if (it->capacity() >= n && it->capacity() <= n + n / 8) {
        std::string buf = std::move(*it);
        pooled_ -= buf.capacity();
        pool_.erase(it);
        buf.clear();
        return buf;
      }
    }
  }
  std::string buf;
  buf.reserve(n);
  return buf;
}

void ReadBudget::ReturnBuffer(std::string buf) {
  const uint64_t limit = std::min<uint64_t>(capacity_ / 4, 64ULL << 20);
  std::lock_guard lock(mu_);
  if (buf.capacity() < 4096 || pooled_ + buf.capacity() > limit ||
      used_ + pooled_ + buf.capacity() > readahead_limit_) {
    return;  // freed on return
  }
  pooled_ += buf.capacity();
  pool_.push_back(std::move(buf));
}

uint64_t ReadBudget::pooled() const {
  std::lock_guard lock(mu_);
  return pooled_;
}

uint64_t ReadBudget::used() const {
  std::lock_guard lock(mu_);
  return used_;
}

uint64_t ReadBudget::peak() const {
  std::lock_guard lock(mu_);
  return peak_;
}

}  // namespace s3fs::read
