// Metadata cache records: what the filesystem remembers about one path (an object's HEAD
// answer, an implicit directory, or "does not exist") and about one directory's listing.
//
// Records are stored as versioned byte strings (EncodeObject/EncodeDir). A decoder returns
// nullopt for anything it does not understand (truncated, garbage, another format version), so
// a newer or older binary never misreads a record; the caller treats that as a cache miss.
#ifndef S3FS_META_RECORDS_H_
#define S3FS_META_RECORDS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace s3fs::meta {

enum class Kind : uint8_t {
  kFile = 1,         // object `path` (HEAD metadata)
  kDirMarker = 2,    // directory with a marker object `path/` (HEAD metadata)
  kImplicitDir = 3,  // directory known only from keys under it
  kAbsent = 4,       // nothing at `path` (negative entry)
};

struct ObjectRecord {
  Kind kind = Kind::kFile;
  uint64_t size = 0;
  std::string etag;
  int64_t last_modified_ns = 0;  // since the Unix epoch
  std::string content_type;
  std::string storage_class;
  std::string sse;
  std::string sse_kms_key_id;
  std::string sse_customer_algorithm;
  std::string version_id;
  uint32_t tag_count = 0;
  std::map<std::string, std::string> metadata;  // x-amz-meta-*, lower-case names
  int64_t fetched_at_ns = 0;                    // wall clock when S3 said so

  bool operator==(const ObjectRecord&) const = default;
};

struct DirChild {
  std::string name;
  bool is_dir = false;
  std::string etag;  // the listing's ETag for files ("" for directories)
  uint64_t size = 0;
  int64_t last_modified_ns = 0;

  bool operator==(const DirChild&) const = default;
};

// A complete listing of one directory (every page).
struct DirRecord {
  std::vector<DirChild> children;  // sorted by name
  int64_t listed_at_ns = 0;        // wall clock of the listing

  bool operator==(const DirRecord&) const = default;
};

inline constexpr uint8_t kRecordVersion = 1;

std::string EncodeObject(const ObjectRecord& r);
std::optional<ObjectRecord> DecodeObject(std::string_view bytes);
std::string EncodeDir(const DirRecord& r);
std::optional<DirRecord> DecodeDir(std::string_view bytes);

}  // namespace s3fs::meta

#endif  // S3FS_META_RECORDS_H_
