#include "s3fs/read/part_table.h"

#include <iterator>
#include <limits>

namespace s3fs::read {

Part::Part(uint64_t begin_at, uint64_t len, std::shared_ptr<ReadBudget> charged_to)
    : begin(begin_at), asked(len), end(begin_at + len), budget_(std::move(charged_to)) {}

Part::~Part() {
  if (!budget_) return;
  budget_->ReturnBuffer(std::move(data));  // first: the last Release frees what is kept
  budget_->Release(asked);
}

std::shared_ptr<Part> PartTable::FindLocked(uint64_t at) {
  auto it = parts_.upper_bound(at);
  // Live parts are disjoint, so only the nearest live one at or before `at` can cover it.
  while (it != parts_.begin()) {
    --it;
    if (auto p = it->second.lock()) return p->end > at ? p : nullptr;
    it = parts_.erase(it);
  }
  return nullptr;
}

uint64_t PartTable::NextBeginLocked(uint64_t at) {
  for (auto it = parts_.upper_bound(at); it != parts_.end();) {
    if (!it->second.expired()) return it->first;
    it = parts_.erase(it);
  }
  return std::numeric_limits<uint64_t>::max();
}

void PartTable::AddLocked(const std::shared_ptr<Part>& part) { parts_[part->begin] = part; }

void PartTable::ForgetLocked(const Part& part) {
  auto kept = kept_.find(part.begin);
  if (kept != kept_.end() && kept->second.get() == &part) {
    kept_bytes_ -= part.asked;
    kept_.erase(kept);  // not the last owner: the caller holds it
  }
  auto it = parts_.find(part.begin);
  if (it == parts_.end()) return;
  auto p = it->second.lock();
  if (!p || p.get() == &part) parts_.erase(it);
}

void PartTable::LeaveLocked() {
  --readers_;
  if (readers_ >= 2) return;
  // One reader left (or none): it holds what it needs, nobody else will read the rest.
  kept_.clear();
  kept_bytes_ = 0;
}

void PartTable::KeepLocked(std::shared_ptr<Part> part,
                           std::vector<std::shared_ptr<Part>>* released) {
  if (readers_ < 2 || keep_bytes_ == 0) return;
  if (part->done && !part->status.ok()) return;
  auto it = parts_.find(part->begin);
  if (it == parts_.end() || it->second.lock() != part) return;  // forgotten or replaced
  const uint64_t bytes = part->asked;
  if (!kept_.emplace(part->begin, std::move(part)).second) return;
  kept_bytes_ += bytes;
  if (kept_bytes_ > keep_bytes_) EvictLocked(kept_bytes_ - keep_bytes_, released);
}

void PartTable::EvictLocked(uint64_t bytes, std::vector<std::shared_ptr<Part>>* released) {
  uint64_t freed = 0;
  while (freed < bytes && !kept_.empty()) {
    // Behind every read so far, lowest first; else the one furthest ahead.
    auto it = kept_.begin();
    if (it->second->end > frontier_) it = std::prev(kept_.end());
    freed += it->second->asked;
    kept_bytes_ -= it->second->asked;
    released->push_back(std::move(it->second));
    kept_.erase(it);
  }
}

size_t PartTable::SizeLocked() {
  size_t n = 0;
  for (auto it = parts_.begin(); it != parts_.end();) {
    if (it->second.expired()) {
      it = parts_.erase(it);
    } else {
      ++n;
      ++it;
    }
  }
  return n;
}

}  // namespace s3fs::read
