// The read path's metrics; see the header.
#include "s3fs/read/read_metrics.h"

namespace s3fs::read {
namespace {

// A callback over the statistics of a source that may be gone by render time.
template <typename T, typename F>
metrics::CallbackFamily::Fn From(std::weak_ptr<T> weak, F field) {
  return [weak = std::move(weak), field]() -> std::optional<double> {
    auto source = weak.lock();
    if (!source) return std::nullopt;
    return static_cast<double>(field(*source));
  };
}

}  // namespace

ReadMetrics::ReadMetrics(metrics::Registry& r)
    : requests(r.SimpleCounter("s3fs_read_parts_total",
                               "Ranged GETs issued by open files' readers (read-ahead and "
                               "demand, resumptions included).")),
      bytes_fetched(r.SimpleCounter("s3fs_read_bytes_fetched_total",
                                    "Bytes the readers' ranged GETs delivered (from S3, or from "
                                    "the disk cache when a part was on disk).")),
      bytes_served(r.SimpleCounter("s3fs_read_bytes_served_total",
                                   "Bytes the readers returned to read() calls; fetched minus "
                                   "served is read-ahead that was not used (yet).")),
      resumes(r.SimpleCounter("s3fs_read_resumes_total",
                              "Ranged GETs that broke and were continued from their last "
                              "byte.")),
      parts_shared(r.SimpleCounter("s3fs_read_parts_shared_total",
                                   "Parts a reader took from another reader of the same object "
                                   "version (fetched or in flight) instead of fetching them.")),
      first_bytes_used(r.SimpleCounter("s3fs_read_first_bytes_used_bytes_total",
                                       "Bytes of objects' starts fetched with their lookup "
                                       "(lookup_prefetch) that a reader then used without a "
                                       "GET of its own.")) {}

void RegisterDiskCacheMetrics(metrics::Registry& r, std::weak_ptr<DiskCache> cache) {
  auto& lookups = r.AddCallback("s3fs_disk_cache_lookups_total",
                                "Reads looked up in the disk cache (use_cache): hit = every "
                                "block on disk, miss = S3 needed.",
                                metrics::Type::kCounter, {"result"});
  lookups.Add({"hit"}, From(cache, [](DiskCache& c) { return c.stats().hits; }));
  lookups.Add({"miss"}, From(cache, [](DiskCache& c) { return c.stats().misses; }));
  r.AddCallback("s3fs_disk_cache_bytes", "Object data held by the disk cache.",
                metrics::Type::kGauge)
      .Add({}, From(cache, [](DiskCache& c) { return c.stats().bytes; }));
  r.AddCallback("s3fs_disk_cache_objects", "Object versions with data in the disk cache.",
                metrics::Type::kGauge)
      .Add({}, From(cache, [](DiskCache& c) { return c.stats().objects; }));
  r.AddCallback("s3fs_disk_cache_stored_bytes_total", "Bytes written into the disk cache.",
                metrics::Type::kCounter)
      .Add({}, From(cache, [](DiskCache& c) { return c.stats().stored_bytes; }));
  r.AddCallback("s3fs_disk_cache_dropped_stores_total",
                "Stores dropped because the cache's writer fell behind or had no room.",
                metrics::Type::kCounter)
      .Add({}, From(cache, [](DiskCache& c) { return c.stats().dropped_stores; }));
  r.AddCallback("s3fs_disk_cache_evictions_total",
                "Object versions evicted from the disk cache (least recently used first).",
                metrics::Type::kCounter)
      .Add({}, From(cache, [](DiskCache& c) { return c.stats().evictions; }));
}

void RegisterReadBudgetMetrics(metrics::Registry& r, std::weak_ptr<ReadBudget> budget) {
  r.AddCallback("s3fs_read_ahead_memory_bytes",
                "Memory charged to the read-ahead budget (parts in flight or held).",
                metrics::Type::kGauge)
      .Add({}, From(budget, [](ReadBudget& b) { return b.used(); }));
  r.AddCallback("s3fs_read_ahead_memory_limit_bytes", "The read-ahead budget (read_ahead_memory).",
                metrics::Type::kGauge)
      .Add({}, From(budget, [](ReadBudget& b) { return b.capacity(); }));
}

}  // namespace s3fs::read
