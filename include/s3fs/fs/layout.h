// The s3fs-fuse compatible object layout (design.md, verified against s3fs 1.90 on RGW):
// how paths map to keys and how mode/owner/times/xattrs are stored in x-amz-meta-* headers.
// Pure functions; no I/O.
#ifndef S3FS_FS_LAYOUT_H_
#define S3FS_FS_LAYOUT_H_

#include <sys/stat.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "s3fs/fs/object_store.h"

namespace s3fs::fs {

inline constexpr std::string_view kDirContentType = "application/x-directory";

// Attributes carried by an object (absent fields fall back to defaults).
struct StoredAttrs {
  std::optional<uint32_t> mode;  // full st_mode for files; permission bits for dir markers
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::optional<struct timespec> mtime;
  std::optional<struct timespec> atime;
  std::optional<struct timespec> ctime;
  std::map<std::string, std::string> xattrs;  // name -> raw value
};

StoredAttrs DecodeAttrs(const std::map<std::string, std::string>& metadata);
// Writes mode/uid/gid/mtime/ctime/atime (and xattrs when non-empty) into `metadata`.
void EncodeAttrs(const StoredAttrs& attrs, std::map<std::string, std::string>* metadata);

// "SEC" or "SEC.NSEC" (s3fs writes both forms); false when malformed.
bool ParseTimespec(std::string_view text, struct timespec* out);
std::string FormatTimespec(const struct timespec& t);

// x-amz-meta-xattr: URL-encoded JSON object name -> base64(value).
bool DecodeXattrs(std::string_view encoded, std::map<std::string, std::string>* out);
std::string EncodeXattrs(const std::map<std::string, std::string>& xattrs);

struct timespec ToTimespec(s3::TimePoint t);

// True when a key/meta describes a directory: "name/" markers, the x-directory content type,
// and the old "name_$folder$" form.
bool IsDirectoryObject(const ObjectMeta& meta);

}  // namespace s3fs::fs

#endif  // S3FS_FS_LAYOUT_H_
