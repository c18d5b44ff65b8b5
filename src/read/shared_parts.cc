#include "s3fs/read/shared_parts.h"

namespace s3fs::read {

std::shared_ptr<PartTable> SharedParts::Attach(const std::string& key, const std::string& etag) {
  if (etag.empty()) return std::make_shared<PartTable>();
  std::string id = key;
  id.push_back('\0');
  id += etag;
  std::lock_guard lock(mu_);
  for (auto it = tables_.begin(); it != tables_.end();) {  // versions no reader holds any more
    it = it->second.expired() ? tables_.erase(it) : std::next(it);
  }
  auto& slot = tables_[id];
  if (auto t = slot.lock()) return t;
  auto t = std::make_shared<PartTable>(keep_bytes_);
  slot = t;
  return t;
}

size_t SharedParts::size() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [id, t] : tables_) n += t.expired() ? 0 : 1;
  return n;
}

}  // namespace s3fs::read
