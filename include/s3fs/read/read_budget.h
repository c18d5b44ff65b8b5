// ReadBudget: one memory budget for the read-ahead buffers of every open file of a mount.
//
// Read-ahead is optional work: a reader asks with TryAcquire and, when the read-ahead share of
// the budget (`readahead_limit`, 7/8 of it) is spent, fetches less ahead instead of growing
// (back-pressure, so many concurrent readers share the budget). The bytes a reader needs now
// must always be fetched: those use Acquire, which never refuses; they have the last eighth to
// themselves, which also covers the daemon's own memory (code, libraries, transfer buffers,
// ~15-20 MiB), so that the daemon's RSS stays within the budget (measured: 8 readers at the
// default 256 MiB). Beyond the whole capacity only demand reads go, bounded by the kernel's
// concurrent reads times their size.
//
// It also recycles part buffers: a buffer returned after use is kept (up to a quarter of the
// budget, at most 64 MiB) and handed out again, so a streaming reader does not fault in fresh
// pages for every ranged GET and freed memory does not pile up in the allocator. Kept buffers
// count against the read-ahead share: buffers in use plus kept ones stay within it (kept ones
// are freed first). When nothing is charged any more (no file is being read) the kept buffers
// are freed, so an idle daemon gives the memory back.
//
// Every buffer charged to the budget is released when its fetch has ended and no reader holds
// it any more, so `WaitIdle` lets an owner wait for the fetches still in flight before it tears
// down what they use (the S3 client).
//
// Thread safety: all methods may be called from any thread.
#ifndef S3FS_READ_READ_BUDGET_H_
#define S3FS_READ_READ_BUDGET_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace s3fs::read {

class ReadBudget {
 public:
  explicit ReadBudget(uint64_t capacity_bytes)
      : capacity_(capacity_bytes), readahead_limit_(capacity_bytes - capacity_bytes / 8) {}
  ReadBudget(const ReadBudget&) = delete;
  ReadBudget& operator=(const ReadBudget&) = delete;

  // Reserves `n` bytes if that keeps the total within the read-ahead share.
  bool TryAcquire(uint64_t n);
  // Reserves `n` bytes unconditionally (data a reader is waiting for).
  void Acquire(uint64_t n);
  void Release(uint64_t n);
  // An empty buffer with capacity for `n` bytes (recycled when one fits).
  std::string TakeBuffer(uint64_t n);
  // Gives a buffer back for reuse (dropped when the pool is full).
  void ReturnBuffer(std::string buf);
  uint64_t pooled() const;

  // Waits until nothing is charged; false if `timeout` passed first.
  bool WaitIdle(std::chrono::milliseconds timeout);

  uint64_t capacity() const { return capacity_; }
  uint64_t readahead_limit() const { return readahead_limit_; }
  uint64_t used() const;
  // Highest `used` seen since construction.
  uint64_t peak() const;

 private:
  void TrimPoolLocked(std::vector<std::string>* freed);

  const uint64_t capacity_;
  const uint64_t readahead_limit_;
  mutable std::mutex mu_;
  std::condition_variable idle_;
  uint64_t used_ = 0;
  uint64_t peak_ = 0;
  std::vector<std::string> pool_;
  uint64_t pooled_ = 0;
};

}  // namespace s3fs::read

#endif  // S3FS_READ_READ_BUDGET_H_
