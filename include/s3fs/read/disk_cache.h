// DiskCache: object data kept on local disk across opens and remounts (use_cache=DIR), so a
// file read once is read again without a request, at local disk speed.
//
// Layout: one sparse data file per object version (named by a stable hash of key and ETag, so a
// new version never reads old bytes) and a ".map" sidecar holding the key, ETag, object size and
// a bitmap of the blocks present. Only whole blocks (`block_size`, the last one may be short) are
// stored. A read is served from disk only when every block it touches is present; otherwise it
// goes to S3 and what arrives is stored.
//
// Bounds: before blocks are written, least-recently-used object versions are evicted (data and
// map) until the blocks fit under `max_bytes` with `min_free_bytes` left free on the cache's
// filesystem; when only the object being written is left, its further blocks are not stored
// (one object larger than the cache fills it once, it does not evict itself). Stores are written
// by one background thread from copies (the caller's buffer is free at once); when more than
// `queue_bytes` wait, Store waits up to `queue_wait` for room (downloads then run at the
// disk's speed, so what was read is on disk) and then drops the store (a stuck disk never
// stalls reads for longer). A damaged or foreign map file is ignored and removed at start.
//
// Crash safety: a CLEAN marker is written when the cache is closed and removed when it is
// opened; a cache found without it (the daemon or the machine died) is emptied, since a map
// could then claim blocks whose data never reached the disk. One mount uses a directory at a
// time (flock on LOCK); a second mount of the same bucket runs without the disk cache.
//
// Thread safety: all methods may be called from any thread.
#ifndef S3FS_READ_DISK_CACHE_H_
#define S3FS_READ_DISK_CACHE_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "s3fs/common/result.h"

namespace s3fs::read {

struct DiskCacheOptions {
  std::string dir;                       // created if missing
  uint64_t max_bytes = 10ULL << 30;      // cached data cap (0 = only the free-space floor)
  uint64_t min_free_bytes = 1ULL << 30;  // free space kept on the cache's filesystem
  uint64_t block_size = 1ULL << 20;
  uint64_t queue_bytes = 64ULL << 20;  // stores waiting for the writer thread
  std::chrono::milliseconds queue_wait{2000};
  bool delete_on_close = false;  // s3fs-fuse's del_cache: wiped at open and at close
};

struct DiskCacheStats {
  uint64_t bytes = 0;    // data held (whole blocks)
  uint64_t objects = 0;  // object versions with at least one block
  uint64_t hits = 0;     // reads served from disk
  uint64_t misses = 0;   // reads that needed S3
  uint64_t stored_bytes = 0;
  uint64_t dropped_stores = 0;
  uint64_t evictions = 0;
};

class DiskCache {
 public:
  // Creates the directory if needed and loads the index of what earlier mounts cached.
  static Result<std::shared_ptr<DiskCache>, std::string> Open(DiskCacheOptions options);
  ~DiskCache();
  DiskCache(const DiskCache&) = delete;
  DiskCache& operator=(const DiskCache&) = delete;

  // Appends [offset, offset + len) of version `etag` of `key` (`object_size` bytes) to *dst and
  // returns true when every block it touches is on disk; false (and *dst unchanged) otherwise.
  bool TryRead(const std::string& key, const std::string& etag, uint64_t object_size,
               uint64_t offset, uint64_t len, std::string* dst);
  // Queues the whole blocks within `data` (which starts at `offset`) for storing.
  void Store(const std::string& key, const std::string& etag, uint64_t object_size, uint64_t offset,
             std::string_view data);
  // Waits until queued stores are written (tests, shutdown).
  void Flush();
  DiskCacheStats stats() const;
  uint64_t block_size() const { return o_.block_size; }

 private:
  struct Entry;
  struct Job {
    std::string key, etag;
    uint64_t object_size = 0;
    uint64_t offset = 0;
    std::string data;
  };

  explicit DiskCache(DiskCacheOptions options);
  void LoadIndex();
  void Run();
  void Write(Job& job);
  // Evicts least-recently-used entries other than `keep` until `need` more bytes fit under the
  // cap and above the free-space floor; false when they cannot.
  bool MakeRoomLocked(const std::string& keep, uint64_t need);
  std::string NameFor(const std::string& key, const std::string& etag) const;
  uint64_t BlockLen(const Entry& e, uint64_t block) const;
  bool SaveMap(const std::string& name, const Entry& e);

  const DiskCacheOptions o_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_;
  std::condition_variable room_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;  // by file name
  uint64_t clock_ = 0;                                     // LRU stamps
  std::deque<Job> queue_;
  uint64_t queued_bytes_ = 0;
  bool writing_ = false;
  bool stop_ = false;
  DiskCacheStats stats_;
  int lock_fd_ = -1;
  std::thread writer_;
};

}  // namespace s3fs::read

#endif  // S3FS_READ_DISK_CACHE_H_
