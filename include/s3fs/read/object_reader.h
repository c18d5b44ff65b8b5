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
// Readers of the same object version may share a PartTable (read/part_table.h): a range another
// reader has fetched or is fetching is taken from its part (the in-flight GET is awaited, not
// issued again), and only what no live part covers is fetched. The policy (sequential or random,
// window, seeks) stays per reader. A shared part that fails is seen by every reader waiting for
// it; one of them continues it from its last byte and the others find the continuation.
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
#include <vector>

#include "s3fs/read/part_table.h"
#include "s3fs/read/range_source.h"
#include "s3fs/read/read_budget.h"
#include "s3fs/read/read_metrics.h"
#include "s3fs/read/read_policy.h"
#include "s3fs/read/slice.h"
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
  uint64_t parts_shared = 0;   // parts taken from the table instead of fetched (in flight or not)
};

class ObjectReader {
 public:
  // `table`: the parts shared with the other readers of this object version (SharedParts);
  // null: a table of its own.
  ObjectReader(std::shared_ptr<RangeSource> source, uint64_t object_size,
               ObjectReaderOptions options, std::shared_ptr<ReadBudget> budget,
               std::shared_ptr<PartTable> table = nullptr);
  ~ObjectReader();
  ObjectReader(const ObjectReader&) = delete;
  ObjectReader& operator=(const ObjectReader&) = delete;

  // Reads up to `size` bytes at `offset`: *out (replaced) holds them in order, as slices of
  // the fetched parts. Short only at the end of the object.
  s3::S3Result<size_t> ReadSlices(uint64_t offset, size_t size, std::vector<Slice>* out);
  // The same, copied into *out (replacing its contents).
  s3::S3Result<size_t> Read(uint64_t offset, size_t size, std::string* out);

  // The object's first bytes, already fetched (with the lookup: read/first_bytes.h): held as a
  // fetched part [0, bytes.size()), so reads there need no request. Ignored when another reader
  // of this version already holds or fetches any of that range. Charged to the budget.
  void Seed(std::string bytes);

  // The caller served `size` bytes at `offset` itself (from the disk cache): the access
  // pattern moved on, and parts behind it are no longer needed.
  void Served(uint64_t offset, uint64_t size);

  AccessMode mode() const;
  int seeks() const;
  // Whether a read at `offset` would be a seek (see ReadPolicy).
  bool WouldSeek(uint64_t offset) const;
  ReaderStats stats() const;
  // Readers sharing this reader's table now (itself included).
  int sharing() const;

 private:
  struct Counters;
  using PartList = std::vector<std::shared_ptr<Part>>;

  // All *Locked methods require read_mu_ and the table's mutex held.
  // The part covering `at`: one this reader holds, else a live one of the table (then held).
  std::shared_ptr<Part> CoveringLocked(uint64_t at);
  // Registers [begin, end) as a new part (charged to the budget: refused for read-ahead when
  // it is spent) and appends it to *start, to be fetched once the table's mutex is released.
  std::shared_ptr<Part> IssueLocked(uint64_t begin, uint64_t end, bool demand, PartList* start);
  void Start(const PartList& parts);
  // Moves the parts the plan no longer needs to *dropped (released after the mutex).
  void DropLocked(const ReadPlan& plan, PartList* dropped);
  void EnsureLocked(uint64_t begin, uint64_t end, uint64_t part_len, bool demand, PartList* start);
  // Waits for the part covering `at`; returns it (done) or an error.
  s3::S3Result<std::shared_ptr<Part>> AwaitLocked(uint64_t at, std::unique_lock<std::mutex>& lk,
                                                  int* resumes);

  const std::shared_ptr<RangeSource> source_;
  const uint64_t size_;
  const ObjectReaderOptions o_;
  const std::shared_ptr<ReadBudget> budget_;
  const std::shared_ptr<PartTable> table_;
  const std::shared_ptr<Counters> counters_;
  mutable std::mutex read_mu_;  // serialises Read
  ReadPolicy policy_;
  std::map<uint64_t, std::shared_ptr<Part>> parts_;  // held by this reader, by begin
};

}  // namespace s3fs::read

#endif  // S3FS_READ_OBJECT_READER_H_
