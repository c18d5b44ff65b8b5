#include "s3fs/common/secret.h"

#include <string.h>

namespace s3fs {

void SecureWipe(void* p, size_t n) {
  if (p != nullptr && n > 0) explicit_bzero(p, n);
}

}  // namespace s3fs
