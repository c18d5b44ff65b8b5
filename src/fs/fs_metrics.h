// Private: the filesystem core's Prometheus metrics (docs/metrics.md): the in-memory stat
// cache's hits and misses, dirty bytes, uploads in flight, and callback metrics over the
// persistent metadata cache and the streaming uploads' shared slots.
//
// Thread safety: counters and gauges are atomics, usable from any thread.
#ifndef S3FS_SRC_FS_FS_METRICS_H_
#define S3FS_SRC_FS_FS_METRICS_H_

#include <memory>

#include "s3fs/common/metrics.h"
#include "s3fs/meta/metadata_store.h"
#include "s3fs/write/streaming_upload.h"

namespace s3fs::fs {

struct FsMetrics {
  // Registers the families in `registry`, which must outlive this object.
  explicit FsMetrics(metrics::Registry& registry);

  // s3fs_stat_cache_lookups_total{result}: lookups and getattrs answered from memory (hit),
  // by a remembered absence (negative_hit), or that needed the metadata cache or S3 (miss).
  metrics::Counter& stat_hit;
  metrics::Counter& stat_negative_hit;
  metrics::Counter& stat_miss;
  // s3fs_dirty_bytes: logical size of files with changes not yet in S3.
  metrics::Gauge& dirty_bytes;
  // s3fs_uploads_in_flight: files being uploaded by flush/fsync/close/unmount right now.
  metrics::Gauge& uploads_in_flight;
  // s3fs_pending_closes: closes accepted before their upload (async_close), not in S3 yet.
  metrics::Gauge& pending_closes;
};

// s3fs_metadata_cache_lookups_total{result}, s3fs_metadata_cache_entries{kind}.
void RegisterMetadataCacheMetrics(metrics::Registry& registry,
                                  std::weak_ptr<meta::MetadataStore> store);
// s3fs_upload_parts_in_flight: streaming upload parts being sent (of `capacity` slots).
void RegisterUploadSlotMetrics(metrics::Registry& registry, std::weak_ptr<write::UploadSlots> slots,
                               int capacity);

}  // namespace s3fs::fs

#endif  // S3FS_SRC_FS_FS_METRICS_H_
