// The one place where an S3Error becomes an errno. A transient failure (5xx, timeout, open
// circuit) is EIO/ETIMEDOUT, never ENOENT: only a definite 404 means "not found".
#ifndef S3FS_FS_ERRNO_MAP_H_
#define S3FS_FS_ERRNO_MAP_H_

#include "s3fs/s3/error.h"

namespace s3fs::fs {

int ToErrno(const s3::S3Error& e);

}  // namespace s3fs::fs

#endif  // S3FS_FS_ERRNO_MAP_H_
