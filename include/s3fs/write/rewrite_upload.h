// Rewriting an existing object after local edits without re-uploading what did not change.
//
// PlanRewrite cuts the new content [0, size) into cells of `cell_size` (≥ 5 MiB, doubled until
// at most 10,000 parts are needed). A cell that lies below `base_valid` (the prefix of the file
// that is still the base object's bytes where not written) and holds no dirty byte is copied
// server-side from the same range of the base object (UploadPartCopy; runs of such cells are
// merged into one copy part of at most 5 GiB); every other cell is uploaded from the staging
// file. Every part but the last is then ≥ 5 MiB, as S3 requires.
//
// RunRewrite executes a plan on a MultipartSession: copy parts go out as they come, upload
// parts first get the base bytes they lack written into the staging file (the caller's
// `fill`, on the calling thread) and then stream from it. Parts in flight are bounded per
// upload and by the mount's UploadSlots. Any part failing after the client's retries aborts
// the upload (no object changes) and returns the error; success returns the new ETag.
#ifndef S3FS_WRITE_REWRITE_UPLOAD_H_
#define S3FS_WRITE_REWRITE_UPLOAD_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "s3fs/write/multipart_session.h"
#include "s3fs/write/range_set.h"
#include "s3fs/write/streaming_upload.h"

namespace s3fs::write {

struct PlannedPart {
  uint32_t number = 0;  // 1-based
  uint64_t offset = 0;
  uint64_t len = 0;
  bool copy = false;  // server-side copy of the base's [offset, offset+len); else uploaded
  bool operator==(const PlannedPart&) const = default;
};

struct RewritePlanOptions {
  uint64_t cell_size = 8ULL << 20;
  uint64_t max_copy_part = 5ULL << 30;  // S3's limit for one UploadPartCopy
  uint32_t max_parts = 10000;           // cells are doubled until the object fits
};

std::vector<PlannedPart> PlanRewrite(uint64_t size, uint64_t base_valid, const RangeSet& dirty,
                                     const RewritePlanOptions& options = {});

struct RewriteStats {
  uint64_t copied = 0;    // bytes copied server-side
  uint64_t uploaded = 0;  // bytes uploaded
  uint32_t parts = 0;
};

// Writes into the staging file the base object's bytes of [offset, offset+len) that it lacks.
using FillFn = std::function<s3::S3Status(uint64_t offset, uint64_t len)>;

struct RewriteSource {
  std::string key;   // the base object
  std::string etag;  // its version: a copy of any other version fails (PreconditionFailed)
};

s3::S3Result<std::string> RunRewrite(MultipartSession& session, int fd,
                                     const std::vector<PlannedPart>& plan,
                                     const RewriteSource& base, const FillFn& fill,
                                     int max_in_flight, UploadSlots* slots, RewriteStats* stats);

}  // namespace s3fs::write

#endif  // S3FS_WRITE_REWRITE_UPLOAD_H_
