#include "s3fs/read/caching_source.h"

#include <string_view>

namespace s3fs::read {

void CachingRangeSource::Fetch(uint64_t offset, uint64_t len, std::string* dst, Done done) {
  if (cache_->TryRead(key_, etag_, size_, offset, len, dst)) return done(s3::S3Status());
  const size_t base = dst->size();
  inner_->Fetch(offset, len, dst,
                [cache = cache_, key = key_, etag = etag_, size = size_, offset, dst, base,
                 done = std::move(done)](s3::S3Status st) {
                  // Also a failed fetch's prefix: its whole blocks are good bytes.
                  if (dst->size() > base) {
                    cache->Store(key, etag, size, offset,
                                 std::string_view(dst->data() + base, dst->size() - base));
                  }
                  done(std::move(st));
                });
}

}  // namespace s3fs::read
