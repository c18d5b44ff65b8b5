// StreamingUpload: parts sent while the file is written; see the header for the contract.
#include "s3fs/write/streaming_upload.h"

#include <fcntl.h>

#include <algorithm>

#include "s3fs/common/log.h"

namespace s3fs::write {
namespace {
constexpr uint64_t kMinPart = 5ULL << 20;
constexpr uint64_t kMaxPart = 5ULL << 30;
}  // namespace

void UploadSlots::Acquire() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return free_ > 0; });
  --free_;
}

void UploadSlots::Release() {
  std::lock_guard lock(mu_);
  ++free_;
  cv_.notify_one();
}

int UploadSlots::free() const {
  std::lock_guard lock(mu_);
  return free_;
}

uint64_t StreamingUpload::PartSize(uint32_t number, uint64_t base, uint32_t max_parts) {
  base = std::max(base, kMinPart);
  const uint32_t every = std::max<uint32_t>(1, max_parts * 9 / 100);  // 900 of S3's 10,000
  uint32_t doublings = std::min<uint32_t>((number - 1) / every, 20);
  uint64_t size = base;
  for (uint32_t i = 0; i < doublings && size < kMaxPart; ++i) size *= 2;
  return std::min(size, kMaxPart);
}

StreamingUpload::StreamingUpload(std::unique_ptr<MultipartSession> session, int fd,
                                 StreamingOptions options)
    : session_(std::move(session)), fd_(fd), o_(std::move(options)) {}

StreamingUpload::~StreamingUpload() { Abort(); }

bool StreamingUpload::Reserve() {
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return in_flight_ < std::max(1, o_.max_in_flight) || error_; });
    if (error_) return false;
    ++in_flight_;
  }
  if (o_.slots) o_.slots->Acquire();
  return true;
}

void StreamingUpload::Send(uint32_t number, uint64_t offset, uint64_t len) {
  if (number == next_part_) {
    next_part_++;
    committed_ = offset + len;
  }
  {
    std::lock_guard lock(mu_);
    if (parts_.size() < number) {
      parts_.resize(number);
      sent_.resize(number);
    }
    sent_[number - 1] = {offset, len, sent_[number - 1].sends + 1};
  }
  session_->UploadPartAsync(
      number, fd_, offset, len,
      [this, number, offset, len, slots = o_.slots](s3::S3Result<std::string> r) {
        if (slots) slots->Release();
        // S3 has the bytes: the staging copy is no longer needed (a failed punch only costs
        // disk space, so it is not an error).
        const bool release = r.ok() && o_.release_sent &&
                             ::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                                         static_cast<off_t>(offset), static_cast<off_t>(len)) == 0;
        std::lock_guard lock(mu_);
        if (release) released_.Add(offset, offset + len);
        if (r.ok()) {
          parts_[number - 1] = s3::CompletedPart{number, std::move(r).value(), ""};
        } else if (sent_[number - 1].sends <= o_.part_retries) {
          S3FS_LOG_WARN("part {} of {} failed ({}): sending it again", number, session_->key(),
                        r.error().ToString());
          failed_.push_back(number);
        } else if (!error_) {
          error_ = std::move(r).error();
        }
        --in_flight_;
        cv_.notify_all();
      });
}

bool StreamingUpload::ResendFailed() {
  for (;;) {
    uint32_t number;
    PartState part;
    {
      std::lock_guard lock(mu_);
      if (error_) return false;
      if (failed_.empty()) return true;
      number = failed_.back();
      failed_.pop_back();
      part = sent_[number - 1];
    }
    if (!Reserve()) return false;
    Send(number, part.offset, part.len);
  }
}

RangeSet StreamingUpload::Released() {
  std::lock_guard lock(mu_);
  return released_;
}

void StreamingUpload::WaitIdle() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return in_flight_ == 0; });
}

bool StreamingUpload::SendWholeParts(uint64_t end) {
  while (next_part_ < std::max<uint32_t>(o_.max_parts, 2)) {  // the last one is left for Finish
    uint64_t len = PartSize(next_part_, o_.part_size, o_.max_parts);
    if (committed_ + len > end) break;
    if (!ResendFailed() || !Reserve()) return false;
    Send(next_part_, committed_, len);
  }
  return ResendFailed();
}

bool StreamingUpload::Advance(uint64_t end) {
  if (ended_) return false;
  if (end > o_.slack && !SendWholeParts(end - o_.slack)) return false;
  std::lock_guard lock(mu_);
  return !error_;
}

s3::S3Result<std::string> StreamingUpload::Finish(uint64_t size) {
  auto fail = [&](s3::S3Error e) -> s3::S3Result<std::string> {
    Abort();
    return s3fs::Fail(std::move(e));
  };
  if (ended_) return s3fs::Fail(s3::ValidationError("UploadAborted", "upload already ended"));
  if (size < committed_ || (tail_sent_ && size != committed_)) {
    return fail(s3::ValidationError("UploadAborted", "file size changed below the parts sent"));
  }
  if (!tail_sent_) {
    // Whole parts that end before `size`, so the last part is never empty.
    bool ok = size == 0 || SendWholeParts(size - 1);
    if (ok && (size > committed_ || next_part_ == 1)) {
      if (size - committed_ > kMaxPart) {
        return fail(s3::ValidationError("EntityTooLarge", "file exceeds 10,000 parts"));
      }
      ok = Reserve();
      if (ok) Send(next_part_, committed_, size - committed_);
    }
    tail_sent_ = ok;
  }
  // Every part acknowledged; failed ones sent again until they succeed or run out of tries.
  for (;;) {
    WaitIdle();
    if (!ResendFailed()) break;
    std::lock_guard lock(mu_);
    if (failed_.empty() && in_flight_ == 0) break;
  }
  std::vector<s3::CompletedPart> parts;
  std::optional<s3::S3Error> error;
  bool released;
  {
    std::lock_guard lock(mu_);
    error = error_;
    parts = parts_;
    released = !released_.empty();
  }
  if (error) return fail(std::move(*error));
  if (!tail_sent_) return fail(s3::ValidationError("UploadAborted", "parts could not be sent"));
  auto etag = session_->Complete(parts);
  if (!etag.ok()) {
    if (!released) return fail(std::move(etag).error());
    S3FS_LOG_WARN("completing the upload of {} failed ({}): it stays open to be completed later",
                  session_->key(), etag.error().ToString());
    return etag;
  }
  ended_ = true;
  return etag;
}

void StreamingUpload::Abort() {
  if (ended_) return;
  WaitIdle();
  ended_ = true;
  auto r = session_->Abort();
  if (!r.ok()) {
    S3FS_LOG_WARN("abort of multipart upload {} of {} failed: {}", session_->upload_id(),
                  session_->key(), r.error().ToString());
  }
}

}  // namespace s3fs::write
