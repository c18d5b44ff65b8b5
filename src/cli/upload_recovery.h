// Mount-time recovery of multipart uploads that earlier mounts left in the upload journal when
// they died (kill -9, OOM, crash): the upload is aborted (its parts are discarded; the object
// keeps its last completed version) and the entry forgotten. Entries of live mounts are left
// alone; an abort that fails stays in the journal for the next mount.
#ifndef S3FS_CLI_UPLOAD_RECOVERY_H_
#define S3FS_CLI_UPLOAD_RECOVERY_H_

#include <string>

#include "s3fs/meta/upload_journal.h"
#include "s3fs/s3/client.h"

namespace s3fs::cli {

struct RecoveryReport {
  int orphans = 0;  // entries whose mount no longer runs
  int aborted = 0;  // of those, aborted now (or already gone from S3)
  int failed = 0;   // aborts that failed (kept for the next mount)
};

RecoveryReport AbortOrphanedUploads(s3::Client* client, const std::string& bucket,
                                    meta::UploadJournal& journal);

}  // namespace s3fs::cli

#endif  // S3FS_CLI_UPLOAD_RECOVERY_H_
