// ObjectReader: the reads of one open file, served from ranged GETs of one object version.
//
// A ReadPolicy plans each read; the reader keeps the planned parts fetched or in flight
// (several ranged GETs at once ahead of a sequential reader, each at most `part_size`),
// serves reads from them, keeps `retain_behind` bytes behind the reader for backward seeks and
// drops the rest. Read-ahead is charged to the mount's ReadBudget and only issued while the
// budget allows; the bytes a read needs are always fetched. A part that fails after some of
// its bytes arrived continues from the last byte received (up to `max_resumes` times per
// read) instead of starting again; a version change ("PreconditionFailed") is returned as an
// error, never mixed data.
//
// Thread safety: Read may be called from several threads; calls are serialised. Fetch
// callbacks may run on any thread, also after the reader is destroyed (they keep only what
// they own alive).
#ifndef S3FS_READ_OBJECT_READER_H_
#define S3FS_READ_OBJECT_READER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "s3fs/read/range_source.h"
#include "s3fs/read/read_budget.h"
#include "s3fs/read/read_metrics.h"
#include "s3fs/read/read_policy.h"
#include "s3fs/s3/error.h"

namespace s3fs::read {

struct ObjectReaderOptions {
  ReadPolicyOptions policy;
  int max_resumes = 5;
  std::shared_ptr<const ReadMetrics> metrics;  // mount-wide counters; null: none
};

struct ReaderStats {
  uint64_t requests = 0;       // ranged GETs issued (resumptions included)
  uint64_t bytes_fetched = 0;  // bytes those GETs returned
  uint64_t bytes_served = 0;   // bytes returned by Read
  uint64_t resumes = 0;        // parts continued after a failure
};

class ObjectReader {
 public:
  ObjectReader(std::shared_ptr<RangeSource> source, uint64_t object_size,
               ObjectReaderOptions options, std::shared_ptr<ReadBudget> budget);
  ~ObjectReader();
  ObjectReader(const ObjectReader&) = delete;
  ObjectReader& operator=(const ObjectReader&) = delete;

  // Reads up to `size` bytes at `offset` into *out (replacing its contents). Short only at the
  // end of the object.
  s3::S3Result<size_t> Read(uint64_t offset, size_t size, std::string* out);

  // The caller served `size` bytes at `offset` itself (from the disk cache): the access
  // pattern moved on, and parts behind it are no longer needed.
  void Served(uint64_t offset, uint64_t size);

  AccessMode mode() const;
  int seeks() const;
  // Whether a read at `offset` would be a seek (see ReadPolicy).
  bool WouldSeek(uint64_t offset) const;
  ReaderStats stats() const;

 private:
  struct Part;
  struct Shared;

  std::shared_ptr<Part> IssueLocked(uint64_t begin, uint64_t end, bool demand);
  void DropLocked(const ReadPlan& plan);
  void EnsureLocked(uint64_t begin, uint64_t end, uint64_t part_len, bool demand);
  // Waits for the part covering `at`; returns it (done) or an error.
  s3::S3Result<std::shared_ptr<Part>> AwaitLocked(uint64_t at, std::unique_lock<std::mutex>& lk,
                                                  int* resumes);

  const std::shared_ptr<RangeSource> source_;
  const uint64_t size_;
  const ObjectReaderOptions o_;
  const std::shared_ptr<ReadBudget> budget_;
  std::shared_ptr<Shared> shared_;
  mutable std::mutex read_mu_;  // serialises Read
  ReadPolicy policy_;
  std::map<uint64_t, std::shared_ptr<Part>> parts_;  // by begin; disjoint ranges
};

}  // namespace s3fs::read

#endif  // S3FS_READ_OBJECT_READER_H_
