// ReadMetrics: the read path's mount-wide Prometheus metrics. ObjectReader counts its ranged
// GETs and the bytes they fetched against the bytes it served (read-ahead fetched vs used);
// the disk cache's and the read budget's own statistics are exposed as callback metrics, read
// when the registry is rendered (they hold only weak references to their sources).
//
// Thread safety: counters are atomics, usable from any thread.
#ifndef S3FS_READ_READ_METRICS_H_
#define S3FS_READ_READ_METRICS_H_

#include <memory>

#include "s3fs/common/metrics.h"
#include "s3fs/read/disk_cache.h"
#include "s3fs/read/read_budget.h"

namespace s3fs::read {

struct ReadMetrics {
  // Registers the families in `registry`, which must outlive this object.
  explicit ReadMetrics(metrics::Registry& registry);

  metrics::Counter& requests;       // s3fs_read_parts_total: ranged GETs (resumptions included)
  metrics::Counter& bytes_fetched;  // s3fs_read_bytes_fetched_total: bytes those GETs returned
  metrics::Counter& bytes_served;   // s3fs_read_bytes_served_total: bytes Read returned
  metrics::Counter& resumes;        // s3fs_read_resumes_total: parts continued after a failure
  metrics::Counter& parts_shared;   // s3fs_read_parts_shared_total: taken from another reader
  // s3fs_read_first_bytes_used_bytes_total: bytes a lookup's GET brought that a reader used
  metrics::Counter& first_bytes_used;
};

// s3fs_disk_cache_*: hits, misses, bytes held, stores, dropped stores, evictions.
void RegisterDiskCacheMetrics(metrics::Registry& registry, std::weak_ptr<DiskCache> cache);
// s3fs_read_ahead_memory_bytes (in use) and s3fs_read_ahead_memory_limit_bytes.
void RegisterReadBudgetMetrics(metrics::Registry& registry, std::weak_ptr<ReadBudget> budget);

}  // namespace s3fs::read

#endif  // S3FS_READ_READ_METRICS_H_
