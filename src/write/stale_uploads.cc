// Aborts multipart uploads a crash left behind; see the header.
#include "s3fs/write/stale_uploads.h"

#include "s3fs/common/log.h"

namespace s3fs::write {

s3::S3Result<StaleUploadReport> AbortStaleUploads(s3::Client* client, const std::string& bucket,
                                                  const std::string& prefix,
                                                  std::chrono::seconds grace, s3::TimePoint now) {
  StaleUploadReport report;
  s3::ListMultipartUploadsRequest req;
  req.bucket = bucket;
  req.prefix = prefix;
  for (;;) {
    S3FS_ASSIGN_OR_RETURN(auto page, client->ListMultipartUploads(req));
    for (const auto& u : page.uploads) {
      ++report.found;
      if (u.initiated > now - grace) continue;
      auto r = client->AbortMultipartUpload({bucket, u.key, u.upload_id});
      if (r.ok() || r.error().kind == "UploadNotFound") {
        ++report.aborted;
        S3FS_LOG_WARN(
            "aborted a stale multipart upload of {} (id {}), left by a writer that "
            "did not finish",
            u.key, u.upload_id);
      } else {
        ++report.failed;
        S3FS_LOG_WARN("could not abort the stale multipart upload {} of {}: {}", u.upload_id, u.key,
                      r.error().ToString());
      }
    }
    if (!page.is_truncated) break;
    req.key_marker = page.next_key_marker;
    req.upload_id_marker = page.next_upload_id_marker;
  }
  return report;
}

}  // namespace s3fs::write
