// RangeSet: sorted disjoint intervals in a std::map keyed by their beginning.
#include "s3fs/write/range_set.h"

#include <algorithm>

namespace s3fs::write {

void RangeSet::Add(uint64_t begin, uint64_t end) {
  if (begin >= end) return;
  // The first range that could touch [begin, end): the one starting at or before begin.
  auto it = ranges_.upper_bound(begin);
  if (it != ranges_.begin()) {
    auto prev = std::prev(it);
    if (prev->second >= begin) it = prev;
  }
  while (it != ranges_.end() && it->first <= end) {
    begin = std::min(begin, it->first);
    end = std::max(end, it->second);
    it = ranges_.erase(it);
  }
  ranges_.emplace(begin, end);
}

void RangeSet::Remove(uint64_t begin, uint64_t end) {
  if (begin >= end) return;
  auto it = ranges_.upper_bound(begin);
  if (it != ranges_.begin()) {
    auto prev = std::prev(it);
    if (prev->second > begin) it = prev;
  }
  while (it != ranges_.end() && it->first < end) {
    const uint64_t b = it->first;
    const uint64_t e = it->second;
    it = ranges_.erase(it);
    if (b < begin) ranges_.emplace(b, begin);
    if (e > end) {
      ranges_.emplace(end, e);
      break;
    }
  }
}

uint64_t RangeSet::Total() const {
  uint64_t t = 0;
  for (const auto& [b, e] : ranges_) t += e - b;
  return t;
}

bool RangeSet::Contains(uint64_t begin, uint64_t end) const {
  if (begin >= end) return true;
  auto it = ranges_.upper_bound(begin);
  if (it == ranges_.begin()) return false;
  --it;
  return it->first <= begin && it->second >= end;
}

bool RangeSet::Intersects(uint64_t begin, uint64_t end) const {
  if (begin >= end) return false;
  auto it = ranges_.lower_bound(end);  // first range starting at or after end: no overlap
  if (it == ranges_.begin()) return false;
  --it;
  return it->second > begin;
}

std::vector<Range> RangeSet::Missing(uint64_t begin, uint64_t end) const {
  std::vector<Range> out;
  if (begin >= end) return out;
  uint64_t pos = begin;
  auto it = ranges_.upper_bound(begin);
  if (it != ranges_.begin()) {
    auto prev = std::prev(it);
    if (prev->second > begin) it = prev;
  }
  for (; it != ranges_.end() && it->first < end && pos < end; ++it) {
    if (it->first > pos) out.push_back({pos, std::min(it->first, end)});
    pos = std::max(pos, it->second);
  }
  if (pos < end) out.push_back({pos, end});
  return out;
}

std::vector<Range> RangeSet::Ranges() const {
  std::vector<Range> out;
  out.reserve(ranges_.size());
  for (const auto& [b, e] : ranges_) out.push_back({b, e});
  return out;
}

}  // namespace s3fs::write
