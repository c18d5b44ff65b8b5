// StreamingUpload: uploads a file that is being written sequentially as a multipart upload,
// each part as soon as the writer has moved past it, so a large write runs at network speed
// and close() only waits for the tail. Part sizes start at `part_size` and double every 900
// parts (16 MiB parts reach 5 TiB within 10,000 parts). The bytes come from the staging file
// (pread at send time): the caller guarantees that [0, committed()) no longer changes.
//
// Back-pressure: Advance() blocks while `max_in_flight` parts of this upload, or all the
// shared UploadSlots, are in flight.
// Failures: a part that fails after the client's retries is sent again from the file (its
// bytes are never released before S3 has them), up to `part_retries` more times; beyond that
// the upload is dead (Advance returns false, Finish fails and aborts). A failed completion
// aborts the upload only if nothing was released; otherwise the upload stays open (its parts
// are the only copy of those bytes) and the next Finish tries to complete it again.
// No partial object is ever visible: Complete runs only in Finish().
//
// Thread safety: one writer thread at a time calls Advance/Finish/Abort (the file's I/O lock);
// part callbacks run on the transport's threads.
#ifndef S3FS_WRITE_STREAMING_UPLOAD_H_
#define S3FS_WRITE_STREAMING_UPLOAD_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "s3fs/write/multipart_session.h"
#include "s3fs/write/range_set.h"

namespace s3fs::write {

// A counting limit on parts in flight across all files of a mount.
class UploadSlots {
 public:
  explicit UploadSlots(int slots) : free_(slots > 0 ? slots : 1) {}
  void Acquire();
  void Release();
  int free() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int free_;
};

struct StreamingOptions {
  uint64_t part_size = 16ULL << 20;  // first part size; at least 5 MiB
  // The service's part-count limit (S3: 10,000; some S3-compatible services and RGW's
  // `rgw_multipart_part_upload_limit` allow fewer). Part sizes grow so that it is never reached.
  uint32_t max_parts = 10000;
  // A part is sent once the file extends this far beyond its end, so writes that arrive
  // slightly out of order (several kernel threads) still land before their part is sent.
  uint64_t slack = 4ULL << 20;
  int max_in_flight = 8;  // parts of this upload in flight
  // Once S3 has a part, punch a hole over its bytes in the file (the caller then must not read
  // [0, committed()) from it: see Released()).
  bool release_sent = false;
  int part_retries = 2;  // sends of a failed part beyond the first (each with client retries)
  std::shared_ptr<UploadSlots> slots;  // shared across uploads; may be null
};

class StreamingUpload {
 public:
  StreamingUpload(std::unique_ptr<MultipartSession> session, int fd, StreamingOptions options);
  ~StreamingUpload();  // Abort()s an upload that was neither finished nor aborted
  StreamingUpload(const StreamingUpload&) = delete;
  StreamingUpload& operator=(const StreamingUpload&) = delete;

  const std::string& key() const { return session_->key(); }
  // Bytes handed to part uploads: the file's [0, committed()) must not change any more.
  uint64_t committed() const { return committed_; }
  uint32_t parts_sent() const { return next_part_ - 1; }
  // Ranges of the file released after their part reached S3 (release_sent).
  RangeSet Released();
  // The file's bytes below `end` are written; sends every part that lies wholly below
  // `end - slack`. Returns false once a part has failed.
  bool Advance(uint64_t end);
  // The file is `size` bytes: sends the rest, waits for every part, completes the upload and
  // returns the object's ETag. On failure the error is returned and the upload aborted, unless
  // only the completion failed after parts were released: then ended() stays false and Finish
  // may be called again (same size) to retry the completion.
  s3::S3Result<std::string> Finish(uint64_t size);
  bool ended() const { return ended_; }
  // Finish sent every part (it failed to complete): nothing may be added any more.
  bool completing() const { return tail_sent_; }
  // Waits for parts in flight and aborts the upload (a failure is logged). Idempotent.
  void Abort();

  // Size of part `number` (1-based) for a first part size of `base`.
  // Part `number`'s size: `base` (at least 5 MiB), doubled every 9% of `max_parts` parts, at
  // most 5 GiB; over `max_parts` parts they add up to more than 2^11 * 9% * max_parts * base.
  static uint64_t PartSize(uint32_t number, uint64_t base, uint32_t max_parts = 10000);

 private:
  // Waits for a free place (per upload, then shared); false if a part has failed.
  bool Reserve();
  // Sends the parts that lie wholly below `end` (part 10,000 is left for Finish); false if a
  // part has failed.
  bool SendWholeParts(uint64_t end);
  // Sends part `number` (new when number == next_part_, else a resend).
  void Send(uint32_t number, uint64_t offset, uint64_t len);
  // Sends again the parts that failed (writer thread); false if the upload is dead.
  bool ResendFailed();
  void WaitIdle();

  std::unique_ptr<MultipartSession> session_;
  const int fd_;
  const StreamingOptions o_;
  uint64_t committed_ = 0;  // writer thread only
  uint32_t next_part_ = 1;  // writer thread only
  bool ended_ = false;      // finished or aborted
  bool tail_sent_ = false;  // Finish sent every part; a further Finish only completes
  std::mutex mu_;
  std::condition_variable cv_;
  int in_flight_ = 0;
  struct PartState {
    uint64_t offset = 0;
    uint64_t len = 0;
    int sends = 0;
  };
  std::vector<s3::CompletedPart> parts_;  // index = part number - 1
  std::vector<PartState> sent_;           // index = part number - 1
  std::vector<uint32_t> failed_;          // part numbers to send again
  std::optional<s3::S3Error> error_;
  RangeSet released_;
};

}  // namespace s3fs::write

#endif  // S3FS_WRITE_STREAMING_UPLOAD_H_
