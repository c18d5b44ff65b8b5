// MultipartSession over s3::Client: parts stream from the staging file with pread (the body
// source rewinds, so the client's retries resend the same bytes).
#include <unistd.h>

#include <cerrno>

#include "s3fs/common/log.h"
#include "s3fs/write/multipart_session.h"

namespace s3fs::write {
namespace {

// [offset, offset+len) of a file descriptor, read on demand by the transport.
class FdRangeSource final : public http::BodySource {
 public:
  FdRangeSource(int fd, uint64_t offset, uint64_t len) : fd_(fd), offset_(offset), len_(len) {}
  uint64_t Size() const override { return len_; }
  int64_t Read(char* buf, size_t n) override {
    uint64_t left = len_ - pos_;
    if (left == 0) return 0;
    size_t want = static_cast<size_t>(std::min<uint64_t>(left, n));
    for (;;) {
      ssize_t r = ::pread(fd_, buf, want, static_cast<off_t>(offset_ + pos_));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return -1;  // the staging file is shorter than promised: an error, not EOF
      pos_ += static_cast<uint64_t>(r);
      return r;
    }
  }
  bool Rewind() override {
    pos_ = 0;
    return true;
  }

 private:
  const int fd_;
  const uint64_t offset_;
  const uint64_t len_;
  uint64_t pos_ = 0;
};

class S3MultipartSession final : public MultipartSession {
 public:
  S3MultipartSession(s3::Client* client, s3::CreateMultipartUploadRequest req,
                     std::string upload_id, SourceKeyFn source_key)
      : client_(client),
        req_(std::move(req)),
        upload_id_(std::move(upload_id)),
        source_key_(std::move(source_key)) {}

  const std::string& key() const override { return req_.key; }
  const std::string& upload_id() const override { return upload_id_; }

  void UploadPartAsync(uint32_t number, int fd, uint64_t offset, uint64_t len,
                       PartDone done) override {
    s3::UploadPartRequest up;
    up.bucket = req_.bucket;
    up.key = req_.key;
    up.upload_id = upload_id_;
    up.part_number = number;
    up.sse = CustomerKey();
    auto body = std::make_shared<FdRangeSource>(fd, offset, len);
    client_->UploadPartAsync(std::move(up), std::shared_ptr<http::BodySource>(body),
                             [done = std::move(done)](s3::S3Result<s3::UploadPartOutput> r) {
                               if (r.ok()) {
                                 done(std::move(r->etag));
                               } else {
                                 done(s3fs::Fail(std::move(r).error()));
                               }
                             });
  }

  void CopyPartAsync(uint32_t number, const std::string& source_key, const std::string& source_etag,
                     uint64_t offset, uint64_t len, PartDone done) override {
    s3::UploadPartCopyRequest pc;
    pc.source_bucket = req_.bucket;
    pc.source_key = source_key;
    pc.source_range = s3::ByteRange{offset, offset + len - 1};
    pc.source_conditions.if_match = source_etag;
    if (source_key_) pc.source_sse = source_key_(source_key);
    pc.bucket = req_.bucket;
    pc.key = req_.key;
    pc.upload_id = upload_id_;
    pc.part_number = number;
    pc.sse = CustomerKey();
    client_->UploadPartCopyAsync(
        std::move(pc), [done = std::move(done)](s3::S3Result<s3::UploadPartCopyOutput> r) {
          if (r.ok()) {
            done(std::move(r->etag));
          } else {
            done(s3fs::Fail(std::move(r).error()));
          }
        });
  }

  s3::S3Result<std::string> Complete(const std::vector<s3::CompletedPart>& parts) override {
    s3::CompleteMultipartUploadRequest c;
    c.bucket = req_.bucket;
    c.key = req_.key;
    c.upload_id = upload_id_;
    c.parts = parts;
    c.sse = CustomerKey();
    S3FS_ASSIGN_OR_RETURN(auto out, client_->CompleteMultipartUpload(std::move(c)));
    return out.etag;
  }

  s3::S3Status Abort() override {
    return client_->AbortMultipartUpload({req_.bucket, req_.key, upload_id_});
  }

 private:
  // Parts and the completion repeat an SSE-C key; SSE-S3/KMS are given at create only.
  s3::Sse CustomerKey() const {
    return req_.sse.kind == s3::Sse::Kind::kCustomer ? req_.sse : s3::Sse{};
  }

  s3::Client* client_;
  const s3::CreateMultipartUploadRequest req_;
  const std::string upload_id_;
  const SourceKeyFn source_key_;
};

}  // namespace

s3::S3Result<std::unique_ptr<MultipartSession>> StartS3Multipart(
    s3::Client* client, const s3::CreateMultipartUploadRequest& req, SourceKeyFn source_key) {
  S3FS_ASSIGN_OR_RETURN(auto created, client->CreateMultipartUpload(req));
  S3FS_LOG_DEBUG("streaming upload of {} started: upload id {}", req.key, created.upload_id);
  return std::unique_ptr<MultipartSession>(
      new S3MultipartSession(client, req, std::move(created.upload_id), std::move(source_key)));
}

}  // namespace s3fs::write
