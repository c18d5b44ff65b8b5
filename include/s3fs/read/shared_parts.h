// SharedParts: the mount's PartTables, one per object version (key and ETag) that has readers,
// so that every open file reading the same version shares one table: a part fetched or in
// flight for one reader serves them all, and a part being fetched is awaited, not fetched
// again. A new version (another ETag) gets another table and never sees the old one's bytes.
//
// Thread safety: all methods may be called from any thread.
#ifndef S3FS_READ_SHARED_PARTS_H_
#define S3FS_READ_SHARED_PARTS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "s3fs/read/part_table.h"

namespace s3fs::read {

class SharedParts {
 public:
  // `keep_bytes`: what each table keeps of the parts its readers let go (see PartTable).
  explicit SharedParts(uint64_t keep_bytes = 0) : keep_bytes_(keep_bytes) {}
  SharedParts(const SharedParts&) = delete;
  SharedParts& operator=(const SharedParts&) = delete;

  // The table of version `etag` of `key`, shared with the other readers holding it; it lives
  // while one does. With an empty `etag` (version unknown, reads not pinned) a private one.
  std::shared_ptr<PartTable> Attach(const std::string& key, const std::string& etag);
  // Object versions with a table now.
  size_t size() const;

 private:
  const uint64_t keep_bytes_;
  mutable std::mutex mu_;
  std::map<std::string, std::weak_ptr<PartTable>> tables_;  // by key + '\0' + ETag
};

}  // namespace s3fs::read

#endif  // S3FS_READ_SHARED_PARTS_H_
