#include "s3fs/s3/transfer.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "s3fs/common/fd_io.h"
#include "s3fs/common/log.h"
#include "s3fs/s3/validate.h"

namespace s3fs::s3 {

bool FdSource::ReadAt(uint64_t offset, size_t len, std::string* out) {
  out->resize(len);
  return PreadFull(fd_, out->data(), len, offset) == len;
}

bool FdSink::WriteAt(uint64_t offset, std::string_view data) {
  return PwriteFull(fd_, data.data(), data.size(), offset);
}

uint64_t ChoosePartSize(uint64_t size, uint64_t preferred, uint32_t max_parts) {
  uint64_t part = std::max<uint64_t>(preferred, kMinPartSize);
  const uint64_t limit = std::clamp<uint64_t>(max_parts, 1, kMaxPartNumber);
  uint64_t needed = (size + limit - 1) / limit;
  part = std::max(part, needed);
  constexpr uint64_t kMiB = 1ULL << 20;
  return (part + kMiB - 1) / kMiB * kMiB;
}

namespace {

// Bounded fan-out: at most `limit` operations in flight, first error wins.
class InFlight {
 public:
  explicit InFlight(int limit) : limit_(std::max(1, limit)) {}
  // Waits for a free slot; false when an operation already failed.
  bool Acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return count_ < limit_ || error_.has_value(); });
    if (error_) return false;
    ++count_;
    return true;
  }
  void Release(std::optional<S3Error> error) {
    std::lock_guard lock(mu_);
    --count_;
    if (error && !error_) error_ = std::move(error);
    cv_.notify_all();
  }
  void Fail(S3Error e) {
    std::lock_guard lock(mu_);
    if (!error_) error_ = std::move(e);
    cv_.notify_all();
  }
  // Waits for everything in flight; returns the first error.
  std::optional<S3Error> Drain() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return count_ == 0; });
    return error_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int limit_;
  int count_ = 0;
  std::optional<S3Error> error_;
};

S3Error ReadFailure(uint64_t offset) {
  S3Error e;
  e.category = Category::kTransfer;
  e.kind = "UploadAborted";
  e.message = "could not read the source at offset " + std::to_string(offset);
  return e;
}

}  // namespace

S3Result<UploadOutput> Upload(Client& client, const PutObjectRequest& req,
                              RandomAccessSource& source, const TransferOptions& options) {
  const uint64_t size = source.Size();
  if (size < options.multipart_threshold) {
    std::string body;
    if (size > 0 && !source.ReadAt(0, size, &body)) return s3fs::Fail(ReadFailure(0));
    PutObjectRequest put = req;
    put.checksum = options.checksum;
    S3FS_ASSIGN_OR_RETURN(auto out, client.PutObject(std::move(put), std::move(body)));
    if (options.progress) options.progress(size, size);
    return UploadOutput{out.etag, out.version_id, 0};
  }
  const uint64_t part_size = ChoosePartSize(size, options.part_size, options.max_parts);
  const uint32_t parts = static_cast<uint32_t>((size + part_size - 1) / part_size);
  CreateMultipartUploadRequest create;
  create.bucket = req.bucket;
  create.key = req.key;
  create.attrs = req.attrs;
  create.sse = req.sse;
  create.checksum = options.checksum;
  S3FS_ASSIGN_OR_RETURN(auto created, client.CreateMultipartUpload(create));
  const std::string upload_id = created.upload_id;
  if (options.multipart_started) options.multipart_started(upload_id);
  S3FS_LOG_INFO("multipart upload {}/{} id={} parts={} part_size={}", req.bucket, req.key,
                upload_id, parts, part_size);

  std::mutex mu;
  std::vector<CompletedPart> completed(parts);
  uint64_t bytes_done = 0;
  InFlight inflight(options.concurrency);
  for (uint32_t i = 0; i < parts; ++i) {
    // Read the next part before waiting for a free slot, so reading the source overlaps the
    // uploads in flight.
    uint64_t offset = static_cast<uint64_t>(i) * part_size;
    size_t len = static_cast<size_t>(std::min(part_size, size - offset));
    auto body = std::make_shared<std::string>();
    if (!source.ReadAt(offset, len, body.get())) {
      inflight.Fail(ReadFailure(offset));
      break;
    }
    if (!inflight.Acquire()) break;
    UploadPartRequest up;
    up.bucket = req.bucket;
    up.key = req.key;
    up.upload_id = upload_id;
    up.part_number = i + 1;
    up.sse = req.sse;
    up.checksum = options.checksum;
    client.UploadPartAsync(std::move(up), std::shared_ptr<const std::string>(body),
                           [&, i, len](S3Result<UploadPartOutput> r) {
                             if (r.ok()) {
                               std::lock_guard lock(mu);
                               completed[i] = CompletedPart{i + 1, r->etag, r->checksum};
                               bytes_done += len;
                               inflight.Release(std::nullopt);
                             } else {
                               inflight.Release(std::move(r).error());
                             }
                           });
    if (options.progress) {
      std::lock_guard lock(mu);
      options.progress(bytes_done, size);
    }
  }
  if (auto error = inflight.Drain()) {
    auto aborted = client.AbortMultipartUpload({req.bucket, req.key, upload_id});
    if (!aborted.ok()) {
      S3FS_LOG_WARN("abort of multipart upload {} failed: {}", upload_id,
                    aborted.error().ToString());
    } else if (options.multipart_ended) {
      options.multipart_ended(upload_id);
    }
    return s3fs::Fail(std::move(*error));
  }
  if (options.progress) options.progress(size, size);
  CompleteMultipartUploadRequest complete;
  complete.bucket = req.bucket;
  complete.key = req.key;
  complete.upload_id = upload_id;
  complete.parts = std::move(completed);
  complete.sse = req.sse;
  complete.checksum = options.checksum;
  auto done = client.CompleteMultipartUpload(std::move(complete));
  if (!done.ok()) {
    auto aborted = client.AbortMultipartUpload({req.bucket, req.key, upload_id});
    if (aborted.ok() && options.multipart_ended) options.multipart_ended(upload_id);
    return s3fs::Fail(std::move(done).error());
  }
  if (options.multipart_ended) options.multipart_ended(upload_id);
  return UploadOutput{done->etag, done->version_id, parts};
}

S3Result<DownloadOutput> Download(Client& client, const GetObjectRequest& req,
                                  RandomAccessSink& sink, const TransferOptions& options) {
  HeadObjectRequest head;
  head.bucket = req.bucket;
  head.key = req.key;
  head.version_id = req.version_id;
  head.sse = req.sse;
  head.conditions = req.conditions;
  S3FS_ASSIGN_OR_RETURN(ObjectInfo info, client.HeadObject(head));
  const uint64_t size = info.content_length;
  const uint64_t part_size = std::max<uint64_t>(options.part_size, 1 << 20);
  DownloadOutput out;
  out.info = info;
  out.bytes = size;
  if (size == 0) {
    if (options.progress) options.progress(0, 0);
    return out;
  }
  const uint64_t parts = (size + part_size - 1) / part_size;
  // Each part's body goes straight to the sink at its offset as it arrives (no part is held in
  // memory). A part that breaks after some bytes is continued from its last byte (the client
  // retries only failures before the first byte of a streamed body).
  constexpr int kMaxResumes = 5;
  struct PartState final : http::BodySink {
    RandomAccessSink* out = nullptr;
    uint64_t first = 0;
    uint64_t len = 0;
    uint64_t received = 0;  // written by the transport thread during the transfer only
    bool write_failed = false;
    int resumes = 0;
    bool Write(const char* data, size_t n) override {
      if (received + n > len || !out->WriteAt(first + received, std::string_view(data, n))) {
        write_failed = true;
        return false;
      }
      received += n;
      return true;
    }
  };
  std::vector<PartState> state(parts);
  std::mutex mu;
  std::condition_variable cv;
  uint64_t next = 0;
  int in_flight = 0;
  uint64_t bytes_done = 0;
  std::deque<uint64_t> resume;  // parts to continue
  std::optional<S3Error> error;
  const int limit = std::max(1, options.concurrency);
  auto issue = [&](uint64_t i) {
    PartState& p = state[i];
    GetObjectRequest get = req;
    get.range = ByteRange{p.first + p.received, p.first + p.len - 1};
    get.conditions.if_match = info.etag;  // pin every part to the same version
    get.version_id = req.version_id;
    const uint64_t before = p.received;
    client.GetObjectAsync(std::move(get), &p, [&, i, before](S3Result<GetObjectOutput> r) {
      PartState& part = state[i];
      std::lock_guard lock(mu);
      bytes_done += part.received - before;
      // Every byte arrived: done, even when the request failed after the last one.
      if (!part.write_failed && part.received == part.len) {
        --in_flight;
      } else {
        S3Error e = r.ok() ? S3Error{} : std::move(r).error();
        if (r.ok() || part.write_failed) {  // the request's own error is not the story
          e.category = Category::kTransfer;
          e.kind = "IncompleteBody";
          e.retryable = !part.write_failed;
          e.message = part.write_failed ? "could not write the destination at offset " +
                                              std::to_string(part.first + part.received)
                                        : "part at " + std::to_string(part.first) +
                                              " ended after " + std::to_string(part.received) +
                                              " of " + std::to_string(part.len) + " bytes";
        }
        // Failures before any byte were retried by the client already (with backoff);
        // only a part that moved on is continued.
        const bool progress = part.received > before;
        if (!error && !part.write_failed && e.kind != "PreconditionFailed" && progress &&
            part.resumes < kMaxResumes) {
          ++part.resumes;
          S3FS_LOG_INFO("download of {} broke at byte {} ({}): continuing", req.key,
                        part.first + part.received, e.ToString());
          resume.push_back(i);
        } else {
          if (!error) error = std::move(e);
          --in_flight;
        }
      }
      cv.notify_all();
    });
  };
  for (uint64_t i = 0; i < parts; ++i) {
    state[i].out = &sink;
    state[i].first = i * part_size;
    state[i].len = std::min(size, state[i].first + part_size) - state[i].first;
  }
  std::unique_lock lock(mu);
  uint64_t reported = 0;
  for (;;) {
    cv.wait(lock, [&] {
      return !resume.empty() || error || (next < parts && in_flight < limit) ||
             (next == parts && in_flight == 0) || bytes_done != reported;
    });
    if (bytes_done != reported) {
      reported = bytes_done;
      if (options.progress) {
        const uint64_t now = reported;
        lock.unlock();
        options.progress(now, size);
        lock.lock();
      }
    }
    if (error) {
      // Parts still in flight write into `state`: wait for them (once an error is set, no
      // part is queued for continuing any more; those queued already end here).
      in_flight -= static_cast<int>(resume.size());
      resume.clear();
      cv.wait(lock, [&] { return in_flight == 0; });
      return s3fs::Fail(std::move(*error));
    }
    if (!resume.empty()) {
      const uint64_t i = resume.front();
      resume.pop_front();
      lock.unlock();
      issue(i);
      lock.lock();
      continue;
    }
    if (next < parts && in_flight < limit) {
      const uint64_t i = next++;
      ++in_flight;
      lock.unlock();
      issue(i);
      lock.lock();
      continue;
    }
    if (next == parts && in_flight == 0) break;
  }
  return out;
}

}  // namespace s3fs::s3
