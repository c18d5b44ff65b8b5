// RangeSet: a set of byte offsets kept as sorted, disjoint, non-adjacent half-open intervals
// [begin, end). The write-back layer uses two per staged file: the bytes the staging file holds
// (written here or fetched from the object) and the bytes written here (dirty).
//
// Not thread-safe: the owner's lock guards it.
#ifndef S3FS_WRITE_RANGE_SET_H_
#define S3FS_WRITE_RANGE_SET_H_

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace s3fs::write {

struct Range {
  uint64_t begin = 0;
  uint64_t end = 0;  // exclusive
  uint64_t size() const { return end - begin; }
  bool operator==(const Range&) const = default;
};

class RangeSet {
 public:
  // Adds [begin, end); merges with overlapping and adjacent ranges. Empty ranges are ignored.
  void Add(uint64_t begin, uint64_t end);
  // Removes [begin, end).
  void Remove(uint64_t begin, uint64_t end);
  // Removes everything at or above `size`.
  void Clip(uint64_t size) { Remove(size, UINT64_MAX); }
  void Clear() { ranges_.clear(); }

  bool empty() const { return ranges_.empty(); }
  // Total bytes in the set.
  uint64_t Total() const;
  // True if [begin, end) is wholly in the set (an empty range is).
  bool Contains(uint64_t begin, uint64_t end) const;
  // True if any byte of [begin, end) is in the set.
  bool Intersects(uint64_t begin, uint64_t end) const;
  // The parts of [begin, end) that are not in the set, ascending.
  std::vector<Range> Missing(uint64_t begin, uint64_t end) const;
  // The ranges, ascending.
  std::vector<Range> Ranges() const;

 private:
  std::map<uint64_t, uint64_t> ranges_;  // begin -> end
};

}  // namespace s3fs::write

#endif  // S3FS_WRITE_RANGE_SET_H_
