// RangeSource: where an ObjectReader gets bytes — ranged GETs of one object version. The
// filesystem adapts its ObjectStore (pinned to the key and the ETag seen at open); unit tests
// use scripted fakes.
//
// Contract of Fetch: appends the bytes of [offset, offset + len) to *dst as they arrive, then
// calls `done` exactly once (on any thread, possibly before Fetch returns). On success *dst
// holds the whole range, or less only at the end of the object. On failure *dst holds a prefix
// of the range (the bytes received before the failure), so the caller can continue from there
// instead of starting again. A change of the object's version is the error
// "PreconditionFailed", never other bytes. `dst` stays valid until `done` has run.
#ifndef S3FS_READ_RANGE_SOURCE_H_
#define S3FS_READ_RANGE_SOURCE_H_

#include <cstdint>
#include <functional>
#include <string>

#include "s3fs/s3/error.h"

namespace s3fs::read {

class RangeSource {
 public:
  using Done = std::function<void(s3::S3Status)>;
  virtual ~RangeSource() = default;
  virtual void Fetch(uint64_t offset, uint64_t len, std::string* dst, Done done) = 0;
};

}  // namespace s3fs::read

#endif  // S3FS_READ_RANGE_SOURCE_H_
