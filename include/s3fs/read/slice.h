// Slice: bytes served in place, without a copy: `size` bytes at `data`, valid while `hold` is
// alive (the buffer they belong to, whose bytes no longer change).
//
// Contract: whoever holds a Slice may read [data, data + size) until it drops `hold`; nobody
// writes those bytes meanwhile.
#ifndef S3FS_READ_SLICE_H_
#define S3FS_READ_SLICE_H_

#include <cstddef>
#include <memory>

namespace s3fs::read {

struct Slice {
  std::shared_ptr<const void> hold;
  const char* data = nullptr;
  size_t size = 0;
};

}  // namespace s3fs::read

#endif  // S3FS_READ_SLICE_H_
