// Slice: bytes served in place, without a copy: `size` bytes at `data`, valid while `hold` is
// alive (the buffer they belong to, whose bytes no longer change).
//
// Contract: whoever holds a Slice may read [data, data + size) until it drops `hold`; nobody
// writes those bytes meanwhile.
#ifndef S3FS_READ_SLICE_H_
#define S3FS_READ_SLICE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace s3fs::read {

struct Slice {
  std::shared_ptr<const void> hold;
  const char* data = nullptr;
  size_t size = 0;
};

// Appends the slices' bytes, in order, to *out (for callers that want one buffer).
inline void AppendSlices(const std::vector<Slice>& slices, std::string* out) {
  size_t n = out->size();
  for (const Slice& s : slices) n += s.size;
  out->reserve(n);
  for (const Slice& s : slices) out->append(s.data, s.size);
}

}  // namespace s3fs::read

#endif  // S3FS_READ_SLICE_H_
