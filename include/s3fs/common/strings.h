// Small string helpers used across layers (no locale dependence, ASCII only).
#ifndef S3FS_COMMON_STRINGS_H_
#define S3FS_COMMON_STRINGS_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace s3fs::str {

std::string ToLower(std::string_view s);
std::string_view Trim(std::string_view s);
std::vector<std::string> Split(std::string_view s, char sep);
bool StartsWith(std::string_view s, std::string_view prefix);
bool EndsWith(std::string_view s, std::string_view suffix);
// Whole-string decimal parses; false on empty, junk or overflow.
bool ParseUint64(std::string_view s, uint64_t* out);
bool ParseInt64(std::string_view s, int64_t* out);
// "10", "10K", "64M", "1G", "5MB" (binary multiples) -> bytes.
bool ParseSize(std::string_view s, uint64_t* out);
// 1536 -> "1.5 KiB".
std::string HumanBytes(uint64_t n);
// FNV-1a 64 of `s` continued from `h`: stable across builds and platforms (std::hash is not
// promised to be), for names of files that must survive restarts.
constexpr uint64_t kFnvBasis = 1469598103934665603ULL;
uint64_t Fnv1a64(std::string_view s, uint64_t h = kFnvBasis);

}  // namespace s3fs::str

#endif  // S3FS_COMMON_STRINGS_H_
