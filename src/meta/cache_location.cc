// CacheDirFor: one stable directory name per endpoint+bucket+prefix.
#include <cstdio>

#include "s3fs/meta/metadata_store.h"

namespace s3fs::meta {

std::string CacheDirFor(const std::string& base, const std::string& endpoint,
                        const std::string& bucket, const std::string& prefix) {
  // FNV-1a 64: stable across builds and platforms (std::hash is not promised to be).
  uint64_t h = 1469598103934665603ULL;
  for (const std::string* part : {&endpoint, &bucket, &prefix}) {
    for (unsigned char c : *part) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0xff;  // separator
    h *= 1099511628211ULL;
  }
  std::string safe;
  for (char c : bucket) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_';
    safe.push_back(ok ? c : '_');
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  std::string dir = base;
  if (!dir.empty() && dir.back() != '/') dir += '/';
  return dir + safe + "-" + hex;
}

}  // namespace s3fs::meta
