// Input validation done before anything is sent, so bad input gets a precise error instead of
// a server round trip (and so a malformed key can never reach the signer).
#ifndef S3FS_S3_VALIDATE_H_
#define S3FS_S3_VALIDATE_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "s3fs/s3/error.h"
#include "s3fs/s3/types.h"

namespace s3fs::s3 {

// S3 limits.
inline constexpr size_t kMaxKeyBytes = 1024;
inline constexpr size_t kMaxTags = 10;
inline constexpr size_t kMaxTagKeyChars = 128;
inline constexpr size_t kMaxTagValueChars = 256;
inline constexpr size_t kMaxUserMetadataBytes = 2048;
inline constexpr size_t kMaxDeleteObjects = 1000;
inline constexpr uint32_t kMaxPartNumber = 10000;
inline constexpr uint64_t kMinPartSize = 5ULL << 20;
inline constexpr uint64_t kMaxPartSize = 5ULL << 30;
inline constexpr uint64_t kMaxPutSize = 5ULL << 30;
inline constexpr int64_t kMaxPresignSeconds = 7 * 24 * 3600;

// DNS-compatible bucket names (3-63 chars, lower-case letters, digits, '-', '.', start and end
// with letter/digit, not an IP address, no "..", not "xn--" prefixed or "-s3alias" suffixed).
// With `legacy` (S3-compatible services, s3fs-fuse allows it), upper case and '_' are accepted.
S3Status ValidateBucketName(std::string_view bucket, bool legacy = false);
// 1-1024 bytes of valid UTF-8.
S3Status ValidateKey(std::string_view key);
// User metadata names: token characters; values: printable ASCII; total size ≤ 2 KiB.
S3Status ValidateMetadata(const std::map<std::string, std::string>& metadata);
// ≤ 10 tags, key 1-128 and value 0-256 Unicode characters, unique keys, allowed characters.
S3Status ValidateTags(const std::vector<Tag>& tags);
bool IsValidUtf8(std::string_view s);
size_t Utf8Length(std::string_view s);

// Tag sets <-> the x-amz-tagging form "k1=v1&k2=v2" (URL-encoded).
std::string EncodeTagging(const std::vector<Tag>& tags);
S3Result<std::vector<Tag>> DecodeTagging(std::string_view text);

}  // namespace s3fs::s3

#endif  // S3FS_S3_VALIDATE_H_
