// MultipartSession: one S3 multipart upload of one key, as the write-back layer sees it
// (upload a part from a file range, complete, abort). The production implementation runs on
// s3::Client's asynchronous API and streams each part from the file with pread (no part is
// copied into memory); tests use in-memory fakes.
//
// Thread safety: UploadPartAsync may be called from several threads; Complete and Abort are
// called once, after every part's callback has run.
#ifndef S3FS_WRITE_MULTIPART_SESSION_H_
#define S3FS_WRITE_MULTIPART_SESSION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "s3fs/s3/client.h"
#include "s3fs/s3/error.h"

namespace s3fs::write {

// Receives a part's ETag, or the error that ended its retries.
using PartDone = std::function<void(s3::S3Result<std::string>)>;

class MultipartSession {
 public:
  virtual ~MultipartSession() = default;
  virtual const std::string& key() const = 0;
  virtual const std::string& upload_id() const = 0;
  // Uploads part `number` (1..10,000): `len` bytes of `fd` at `offset`. The descriptor stays
  // open and those bytes unchanged until `done` has run. `done` may run on any thread, even
  // before this returns; it must not block.
  virtual void UploadPartAsync(uint32_t number, int fd, uint64_t offset, uint64_t len,
                               PartDone done) = 0;
  // Part `number` is bytes [offset, offset+len) of object `source_key` in the same bucket,
  // version `source_etag` (UploadPartCopy with x-amz-copy-source-if-match). Same callback rules
  // as UploadPartAsync.
  virtual void CopyPartAsync(uint32_t number, const std::string& source_key,
                             const std::string& source_etag, uint64_t offset, uint64_t len,
                             PartDone done) = 0;
  // Completes the upload from `parts` (ascending part numbers); returns the object's ETag.
  virtual s3::S3Result<std::string> Complete(const std::vector<s3::CompletedPart>& parts) = 0;
  // Aborts the upload: its parts are discarded, no object appears.
  virtual s3::S3Status Abort() = 0;
};

// The SSE-C key that reads object `key` (empty Sse when none), for copy sources.
using SourceKeyFn = std::function<s3::Sse(const std::string& key)>;

// Starts a multipart upload (CreateMultipartUpload) with `req`'s key, attributes and SSE.
// `client` must outlive the session. `source_key` (may be empty) gives copy sources' SSE-C keys.
s3::S3Result<std::unique_ptr<MultipartSession>> StartS3Multipart(
    s3::Client* client, const s3::CreateMultipartUploadRequest& req, SourceKeyFn source_key = {});

}  // namespace s3fs::write

#endif  // S3FS_WRITE_MULTIPART_SESSION_H_
