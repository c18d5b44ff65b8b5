// In-memory MetadataStore: the same contract without persistence (unit tests; mounts whose
// cache file cannot be used keep their records in the filesystem's own inode table instead).
// Eviction beyond max_entries drops the least recently used record.
#include <list>
#include <mutex>
#include <unordered_map>

#include "s3fs/meta/metadata_store.h"
#include "tree.h"

namespace s3fs::meta {

namespace {

class MemoryStore final : public MetadataStore {
 public:
  explicit MemoryStore(uint64_t max_entries) : max_entries_(max_entries) {}

  std::optional<ObjectRecord> GetObject(std::string_view path) override {
    std::lock_guard lock(mu_);
    auto it = objects_.find(std::string(path));
    if (it == objects_.end()) {
      misses_++;
      return std::nullopt;
    }
    lru_.splice(lru_.end(), lru_, it->second.lru);
    hits_++;
    return it->second.record;
  }

  void PutObject(std::string_view path, const ObjectRecord& record) override {
    std::lock_guard lock(mu_);
    std::string p(path);
    auto it = objects_.find(p);
    if (it != objects_.end()) {
      it->second.record = record;
      lru_.splice(lru_.end(), lru_, it->second.lru);
      return;
    }
    lru_.push_back(p);
    objects_.emplace(p, Slot{record, std::prev(lru_.end())});
    while (objects_.size() > max_entries_) {
      objects_.erase(lru_.front());
      lru_.pop_front();
      evicted_++;
    }
  }

  std::optional<DirRecord> GetDir(std::string_view path) override {
    std::lock_guard lock(mu_);
    auto it = dirs_.find(std::string(path));
    if (it == dirs_.end()) {
      misses_++;
      return std::nullopt;
    }
    hits_++;
    return it->second;
  }

  void PutDir(std::string_view path, const DirRecord& record) override {
    std::lock_guard lock(mu_);
    dirs_[std::string(path)] = record;
  }

  void EraseDir(std::string_view path) override {
    std::lock_guard lock(mu_);
    dirs_.erase(std::string(path));
  }

  void EraseTree(std::string_view tree) override {
    std::lock_guard lock(mu_);
    for (auto it = objects_.begin(); it != objects_.end();) {
      if (IsUnder(it->first, tree)) {
        lru_.erase(it->second.lru);
        it = objects_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto it = dirs_.begin(); it != dirs_.end();) {
      it = IsUnder(it->first, tree) ? dirs_.erase(it) : std::next(it);
    }
  }

  void Flush() override {}

  void Clear() override {
    std::lock_guard lock(mu_);
    objects_.clear();
    dirs_.clear();
    lru_.clear();
  }

  Stats GetStats() override {
    std::lock_guard lock(mu_);
    Stats s;
    s.objects = objects_.size();
    s.dirs = dirs_.size();
    s.hits = hits_;
    s.misses = misses_;
    s.evicted = evicted_;
    return s;
  }

  void ForEachObject(
      const std::function<void(std::string_view, const ObjectRecord&)>& fn) override {
    std::map<std::string, ObjectRecord> sorted;
    {
      std::lock_guard lock(mu_);
      for (const auto& [p, slot] : objects_) sorted.emplace(p, slot.record);
    }
    for (const auto& [p, r] : sorted) fn(p, r);
  }

 private:
  struct Slot {
    ObjectRecord record;
    std::list<std::string>::iterator lru;
  };
  const uint64_t max_entries_;
  std::mutex mu_;
  std::unordered_map<std::string, Slot> objects_;
  std::unordered_map<std::string, DirRecord> dirs_;
  std::list<std::string> lru_;
  uint64_t hits_ = 0, misses_ = 0, evicted_ = 0;
};

}  // namespace

std::shared_ptr<MetadataStore> MakeMemoryMetadataStore(uint64_t max_entries) {
  return std::make_shared<MemoryStore>(max_entries);
}

}  // namespace s3fs::meta
