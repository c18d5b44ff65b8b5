// MetadataStore: the persistent metadata cache behind the filesystem's in-memory inodes.
// Records are keyed by path relative to the mount root ("" = root, "a/b" = a file or directory)
// and hold what S3 last said about that path (records.h). The filesystem decides freshness
// (TTLs, ETag validation against listings); the store only keeps, finds and forgets records.
//
// Contract:
//  - Thread-safe; Get* never blocks on a write in progress and never does network I/O.
//  - Put*/Erase* are visible to Get* at once (an in-memory overlay) and reach the backing store
//    in batches (one transaction per batch); Flush() waits until everything queued is written.
//  - Never fails the caller: a backing store that cannot be opened, is corrupt, truncated or
//    of another format version is set aside with one warning and rebuilt (or, if that fails
//    too, the store keeps only its overlay until the next Flush and reports it in Stats).
//  - Bounded: beyond max_entries records or the size cap, least recently used records go.
//
// Implementations: OpenLmdbMetadataStore (production; the only code that links LMDB) and
// MakeMemoryMetadataStore (unit tests, and mounts with the cache turned off-disk).
#ifndef S3FS_META_METADATA_STORE_H_
#define S3FS_META_METADATA_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "s3fs/meta/records.h"

namespace s3fs::meta {

struct Stats {
  uint64_t objects = 0;     // object records (incl. negative ones)
  uint64_t dirs = 0;        // directory listings
  uint64_t file_bytes = 0;  // size of the backing file
  uint64_t used_bytes = 0;  // pages in use
  uint64_t capacity_bytes = 0;
  uint64_t hits = 0;  // Get* that found a record (since open)
  uint64_t misses = 0;
  uint64_t evicted = 0;     // records dropped for space (since open)
  uint64_t resets = 0;      // backing store set aside and rebuilt (since open)
  bool persistent = false;  // false when running from memory only
  std::string path;
};

class MetadataStore {
 public:
  virtual ~MetadataStore() = default;
  virtual std::optional<ObjectRecord> GetObject(std::string_view path) = 0;
  virtual void PutObject(std::string_view path, const ObjectRecord& record) = 0;
  virtual std::optional<DirRecord> GetDir(std::string_view path) = 0;
  virtual void PutDir(std::string_view path, const DirRecord& record) = 0;
  // Forgets the listing of directory `path`.
  virtual void EraseDir(std::string_view path) = 0;
  // Forgets every object and listing record at `path` and below it ("path/...").
  virtual void EraseTree(std::string_view path) = 0;
  // Writes everything queued; returns when it is in the backing store.
  virtual void Flush() = 0;
  // Forgets everything.
  virtual void Clear() = 0;
  virtual Stats GetStats() = 0;
  // Calls `fn` for each object record, in path order (after a Flush).
  virtual void ForEachObject(
      const std::function<void(std::string_view path, const ObjectRecord&)>& fn) = 0;
};

struct LmdbOptions {
  std::string dir;                    // created if missing; holds data.mdb and lock.mdb
  uint64_t max_bytes = 256ULL << 20;  // map size: the file never grows beyond it
  uint64_t max_entries = 1000000;     // object records kept (s3fs: max_stat_cache_size)
  int batch_delay_ms = 20;            // how long writes wait to share a transaction
};

// Opens (or creates) the cache in options.dir. Never fails: see the contract above.
std::shared_ptr<MetadataStore> OpenLmdbMetadataStore(const LmdbOptions& options);

std::shared_ptr<MetadataStore> MakeMemoryMetadataStore(uint64_t max_entries = 1000000);

// The cache directory for one mount: `base`/<bucket>-<hash of endpoint, bucket and prefix>, so
// each bucket+prefix+endpoint has its own environment (the cli chooses `base`).
std::string CacheDirFor(const std::string& base, const std::string& endpoint,
                        const std::string& bucket, const std::string& prefix);

}  // namespace s3fs::meta

#endif  // S3FS_META_METADATA_STORE_H_
