// CachingRangeSource: a RangeSource that serves ranges from a DiskCache when every block is on
// disk, and otherwise fetches them from the inner source and stores what arrived.
//
// Thread safety: as RangeSource (Fetch from any thread; callbacks on the inner source's threads).
#ifndef S3FS_READ_CACHING_SOURCE_H_
#define S3FS_READ_CACHING_SOURCE_H_

#include <memory>
#include <string>

#include "s3fs/read/disk_cache.h"
#include "s3fs/read/range_source.h"

namespace s3fs::read {

class CachingRangeSource final : public RangeSource {
 public:
  CachingRangeSource(std::shared_ptr<DiskCache> cache, std::string key, std::string etag,
                     uint64_t object_size, std::shared_ptr<RangeSource> inner)
      : cache_(std::move(cache)),
        key_(std::move(key)),
        etag_(std::move(etag)),
        size_(object_size),
        inner_(std::move(inner)) {}

  void Fetch(uint64_t offset, uint64_t len, std::string* dst, Done done) override;

 private:
  std::shared_ptr<DiskCache> cache_;
  std::string key_;
  std::string etag_;
  uint64_t size_;
  std::shared_ptr<RangeSource> inner_;
};

}  // namespace s3fs::read

#endif  // S3FS_READ_CACHING_SOURCE_H_
