// CacheDirFor: one stable directory name per endpoint+bucket+prefix.
#include <cstdio>

#include "s3fs/common/strings.h"
#include "s3fs/meta/metadata_store.h"

namespace s3fs::meta {

std::string CacheDirFor(const std::string& base, const std::string& endpoint,
                        const std::string& bucket, const std::string& prefix) {
  uint64_t h = str::kFnvBasis;
  for (const std::string* part : {&endpoint, &bucket, &prefix}) {
    h = str::Fnv1a64("\xff", str::Fnv1a64(*part, h));  // 0xff separates the parts
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
