// AbortOrphanedUploads: see the header.
#include "upload_recovery.h"

#include "s3fs/common/log.h"

namespace s3fs::cli {

RecoveryReport AbortOrphanedUploads(s3::Client* client, const std::string& bucket,
                                    meta::UploadJournal& journal) {
  RecoveryReport report;
  for (const meta::JournaledUpload& u : journal.Orphans()) {
    report.orphans++;
    auto r = client->AbortMultipartUpload({bucket, u.key, u.upload_id});
    if (r.ok() || r.error().kind == "NoSuchUpload") {
      S3FS_LOG_WARN(
          "{}: aborted the upload an earlier mount left unfinished when it stopped "
          "(the object keeps its last complete version)",
          u.key);
      journal.End(u.upload_id);
      report.aborted++;
    } else {
      S3FS_LOG_WARN(
          "{}: the upload an earlier mount left unfinished could not be aborted ({}); "
          "tried again at the next mount",
          u.key, r.error().ToString());
      report.failed++;
    }
  }
  return report;
}

}  // namespace s3fs::cli
