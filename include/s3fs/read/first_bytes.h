// FirstBytes: the first bytes of object versions, fetched by a lookup's ranged GET (the
// filesystem resolves a name with a GET of the object's head instead of a HEAD: one round trip
// either way) and handed to the first reader of that version, so that opening a file and
// reading its start costs no request beyond the lookup (time to first byte of one GET).
//
// Entries are keyed by object key and held for one version (ETag) each: Take hands them out
// only for the same ETag, and only within `max_age` of the lookup (a `cat` opens and reads
// milliseconds after its lookup; a file opened later reads S3 as before, pinned to the ETag it
// knows, so an overwrite elsewhere is still found), so the bytes served are those of the
// version the lookup returned, as current as the lookup was. Memory is bounded by `capacity`
// (the filesystem: 16 MiB or 1/16 of read_ahead_memory, whichever is less): the oldest entries
// go first, and expired ones are dropped whenever an entry is put or taken. Not charged to the
// ReadBudget: entries live a second, and a charge would keep the budget from ever being idle
// (its pooled buffers are freed only then).
//
// Thread safety: all methods may be called from any thread.
#ifndef S3FS_READ_FIRST_BYTES_H_
#define S3FS_READ_FIRST_BYTES_H_

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "s3fs/common/clock.h"

namespace s3fs::read {

class FirstBytes {
 public:
  FirstBytes(uint64_t capacity, std::chrono::milliseconds max_age, std::shared_ptr<Clock> clock);
  ~FirstBytes();
  FirstBytes(const FirstBytes&) = delete;
  FirstBytes& operator=(const FirstBytes&) = delete;

  // Keeps `bytes`, the start of version `etag` of `key` (replacing what was kept for `key`).
  void Put(const std::string& key, const std::string& etag, std::string bytes);
  // The bytes kept for version `etag` of `key`, removed from here; none when nothing is kept
  // for that version or it is older than `max_age` (such an entry is dropped).
  std::optional<std::string> Take(const std::string& key, const std::string& etag);
  // Drops what is kept for `key` (the object changed or went away).
  void Forget(const std::string& key);

  uint64_t capacity() const { return capacity_; }
  uint64_t bytes() const;
  size_t size() const;

 private:
  struct Entry {
    std::string key;
    std::string etag;
    std::string bytes;
    std::chrono::steady_clock::time_point at;
  };
  using Order = std::list<Entry>;  // oldest first
  void EraseLocked(Order::iterator it);
  void DropExpiredLocked(std::chrono::steady_clock::time_point now);

  const uint64_t capacity_;
  const std::chrono::milliseconds max_age_;
  const std::shared_ptr<Clock> clock_;
  mutable std::mutex mu_;
  Order order_;
  std::unordered_map<std::string, Order::iterator> by_key_;
  uint64_t bytes_ = 0;
};

}  // namespace s3fs::read

#endif  // S3FS_READ_FIRST_BYTES_H_
