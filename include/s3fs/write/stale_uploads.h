// Clean-up of multipart uploads that a crash left behind: at mount, uploads under the mount's
// prefix that were initiated more than `grace` ago are aborted (their parts cost storage and
// no writer will complete them). Uploads younger than `grace` may belong to a live writer
// (another mount, another tool) and are left alone.
#ifndef S3FS_WRITE_STALE_UPLOADS_H_
#define S3FS_WRITE_STALE_UPLOADS_H_

#include <chrono>
#include <string>

#include "s3fs/s3/client.h"

namespace s3fs::write {

struct StaleUploadReport {
  int found = 0;    // uploads under the prefix
  int aborted = 0;  // of those, initiated before now - grace and aborted
  int failed = 0;   // aborts that failed (logged)
};

// Lists every multipart upload under `prefix` and aborts those initiated before
// `now - grace`. Fails only if the listing fails.
s3::S3Result<StaleUploadReport> AbortStaleUploads(s3::Client* client, const std::string& bucket,
                                                  const std::string& prefix,
                                                  std::chrono::seconds grace, s3::TimePoint now);

}  // namespace s3fs::write

#endif  // S3FS_WRITE_STALE_UPLOADS_H_
