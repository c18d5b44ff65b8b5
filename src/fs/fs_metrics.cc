// The filesystem core's metrics; see fs_metrics.h.
#include "fs_metrics.h"

#include <algorithm>

namespace s3fs::fs {

FsMetrics::FsMetrics(metrics::Registry& r)
    : stat_hit(r.AddCounter("s3fs_stat_cache_lookups_total",
                            "Lookups and getattrs answered from the in-memory stat cache "
                            "(hit), by a remembered absence (negative_hit), or that needed the "
                            "metadata cache or S3 (miss).",
                            {"result"})
                   .With({"hit"})),
      stat_negative_hit(
          r.AddCounter("s3fs_stat_cache_lookups_total", "", {"result"}).With({"negative_hit"})),
      stat_miss(r.AddCounter("s3fs_stat_cache_lookups_total", "", {"result"}).With({"miss"})),
      dirty_bytes(r.SimpleGauge("s3fs_dirty_bytes",
                                "Size of the files whose content or attributes are not in S3 "
                                "yet (staged locally).")),
      uploads_in_flight(r.SimpleGauge("s3fs_uploads_in_flight",
                                      "Files being uploaded by flush, fsync, close or unmount "
                                      "right now.")),
      pending_closes(r.SimpleGauge("s3fs_pending_closes",
                                   "Files whose close was accepted before their upload "
                                   "(async_close) and that are not in S3 yet.")) {}

void RegisterMetadataCacheMetrics(metrics::Registry& r, std::weak_ptr<meta::MetadataStore> store) {
  auto field = [store](auto get) -> metrics::CallbackFamily::Fn {
    return [store, get]() -> std::optional<double> {
      auto s = store.lock();
      if (!s) return std::nullopt;
      return static_cast<double>(get(s->GetStats()));
    };
  };
  auto& lookups = r.AddCallback("s3fs_metadata_cache_lookups_total",
                                "Lookups in the persistent metadata cache (LMDB) that found a "
                                "record (hit) or not (miss).",
                                metrics::Type::kCounter, {"result"});
  lookups.Add({"hit"}, field([](const meta::Stats& s) { return s.hits; }));
  lookups.Add({"miss"}, field([](const meta::Stats& s) { return s.misses; }));
  auto& entries =
      r.AddCallback("s3fs_metadata_cache_entries", "Records in the persistent metadata cache.",
                    metrics::Type::kGauge, {"kind"});
  entries.Add({"object"}, field([](const meta::Stats& s) { return s.objects; }));
  entries.Add({"dir"}, field([](const meta::Stats& s) { return s.dirs; }));
  r.AddCallback("s3fs_metadata_cache_evictions_total", "Metadata cache records dropped for space.",
                metrics::Type::kCounter)
      .Add({}, field([](const meta::Stats& s) { return s.evicted; }));
}

void RegisterUploadSlotMetrics(metrics::Registry& r, std::weak_ptr<write::UploadSlots> slots,
                               int capacity) {
  const int total = std::max(capacity, 1);  // as UploadSlots counts them
  r.AddCallback("s3fs_upload_parts_in_flight",
                "Parts of streaming uploads (files written from empty) being sent now.",
                metrics::Type::kGauge)
      .Add({}, [slots, total]() -> std::optional<double> {
        auto s = slots.lock();
        if (!s) return std::nullopt;
        return static_cast<double>(total - s->free());
      });
}

}  // namespace s3fs::fs
