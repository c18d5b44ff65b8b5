#include "s3fs/fs/errno_map.h"

#include <cerrno>

#include "s3fs/common/log.h"

namespace s3fs::fs {

int ToErrno(const s3::S3Error& e) {
  using s3::Category;
  const std::string& k = e.kind;
  int err = EIO;
  if (k == "ObjectNotFound" || k == "BucketNotFound") {
    err = ENOENT;
  } else if (k == "AccessDenied" || k == "AccountProblem" || k == "InvalidAccessKeyId" ||
             k == "SignatureDoesNotMatch" || k == "ExpiredToken" || k == "RequestTimeTooSkewed") {
    err = EACCES;
  } else if (k == "InvalidObjectKey") {
    err = ENAMETOOLONG;
  } else if (k == "EntityTooLarge" || k == "TooManyParts") {
    err = EFBIG;
  } else if (k == "BucketNotEmpty") {
    err = ENOTEMPTY;
  } else if (k == "NotImplemented") {
    err = ENOTSUP;
  } else if (k == "Timeout") {
    err = ETIMEDOUT;
  } else if (k == "PreconditionFailed") {
    err = EIO;  // the object changed under an open reader: never mixed bytes
  } else if (k == "InvalidObjectState") {
    err = EIO;  // archived (GLACIER/DEEP_ARCHIVE): restore first
  } else if (e.category == Category::kRequest && k == "ValidationError") {
    err = EINVAL;
  } else if (k == "QuotaExceeded") {
    err = EDQUOT;
  }
  if (err == EIO || err == ETIMEDOUT || err == EACCES) {
    S3FS_LOG_WARN("S3 error -> errno {}: {}", err, e.ToString());
    if (k == "InvalidObjectState") {
      S3FS_LOG_WARN("object is archived: restore it first (S3 RestoreObject) to read it");
    }
  }
  return err;
}

}  // namespace s3fs::fs
