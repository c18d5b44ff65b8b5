// High-level transfers built on the client: Upload picks a single PutObject or a multipart
// upload by size, uploads parts concurrently with bounded memory, and aborts the multipart
// upload on any failure (no partial object is ever visible). Download fetches ranged parts
// concurrently, pinned to the object's ETag (If-Match), so a concurrent overwrite fails the
// download instead of mixing versions.
//
// Both block the calling thread (not a transport callback). Upload's memory is about
// concurrency x part_size; Download streams each part's body to the sink at its offset as it
// arrives (no part is held in memory; the sink's WriteAt is called from transport threads,
// concurrently for different parts) and continues a part that broke after some bytes from its
// last byte (up to 5 times per part).
#ifndef S3FS_S3_TRANSFER_H_
#define S3FS_S3_TRANSFER_H_

#include <cstdint>
#include <functional>
#include <string>

#include "s3fs/s3/client.h"

namespace s3fs::s3 {

// Random-access input for uploads.
class RandomAccessSource {
 public:
  virtual ~RandomAccessSource() = default;
  virtual uint64_t Size() const = 0;
  // Reads exactly `len` bytes at `offset` into `out`; false on error or short read.
  virtual bool ReadAt(uint64_t offset, size_t len, std::string* out) = 0;
};

// Random-access output for downloads.
class RandomAccessSink {
 public:
  virtual ~RandomAccessSink() = default;
  virtual bool WriteAt(uint64_t offset, std::string_view data) = 0;
};

// Source/sink over an open file descriptor (pread/pwrite). The fd stays owned by the caller.
class FdSource final : public RandomAccessSource {
 public:
  FdSource(int fd, uint64_t size) : fd_(fd), size_(size) {}
  uint64_t Size() const override { return size_; }
  bool ReadAt(uint64_t offset, size_t len, std::string* out) override;

 private:
  int fd_;
  uint64_t size_;
};

class FdSink final : public RandomAccessSink {
 public:
  explicit FdSink(int fd) : fd_(fd) {}
  bool WriteAt(uint64_t offset, std::string_view data) override;

 private:
  int fd_;
};

struct TransferOptions {
  uint64_t multipart_threshold = 16ULL << 20;  // uploads at or above this use multipart
  uint64_t part_size = 16ULL << 20;            // grown so that the object fits in max_parts
  uint32_t max_parts = 10000;                  // the service's part-count limit
  int concurrency = 8;                         // parts in flight
  ChecksumAlgorithm checksum = ChecksumAlgorithm::kNone;
  // Called from the calling thread with bytes done so far and the total.
  std::function<void(uint64_t, uint64_t)> progress;
  // Called with the upload id once a multipart upload exists, and again once it no longer does
  // (completed, or aborted): lets a caller journal in-flight uploads.
  std::function<void(const std::string&)> multipart_started;
  std::function<void(const std::string&)> multipart_ended;
};

struct UploadOutput {
  std::string etag;
  std::string version_id;
  uint32_t parts = 0;  // 0 for a single PutObject
};

// Part size for an object of `size` bytes: at least `preferred` and 5 MiB, large enough for
// 10,000 parts, rounded up to a MiB.
uint64_t ChoosePartSize(uint64_t size, uint64_t preferred, uint32_t max_parts = 10000);

S3Result<UploadOutput> Upload(Client& client, const PutObjectRequest& req,
                              RandomAccessSource& source, const TransferOptions& options);

struct DownloadOutput {
  ObjectInfo info;
  uint64_t bytes = 0;
};

S3Result<DownloadOutput> Download(Client& client, const GetObjectRequest& req,
                                  RandomAccessSink& sink, const TransferOptions& options);

}  // namespace s3fs::s3

#endif  // S3FS_S3_TRANSFER_H_
