// ReadPolicy: decides, for each read of one open file, what must be fetched now and how far
// ahead to fetch. Pure logic (no I/O, no clock), driven by scripted access patterns in tests.
//
// - Sequential: a read within `seek_tolerance` of the stream position (the furthest end read
//   so far) continues the stream; the kernel's asynchronous read-ahead reorders reads by less
//   than that. Each forward read doubles the read-ahead window from `window_min` up to
//   `window_max`.
// - A read further away is a seek: the window starts again at `window_min` and read-ahead
//   beyond the old position is useless (`reset`). `random_after` seeks in a row switch to
//   random mode.
// - Random: only the bytes asked for, rounded out to `random_block`, no read-ahead.
//   `sequential_after` near reads in a row (adjacent requests) switch back to sequential.
#ifndef S3FS_READ_READ_POLICY_H_
#define S3FS_READ_READ_POLICY_H_

#include <cstdint>

namespace s3fs::read {

struct ReadPolicyOptions {
  uint64_t part_size = 8ULL << 20;     // largest ranged GET of a sequential stream
  uint64_t window_min = 1ULL << 20;    // first read-ahead window
  uint64_t window_max = 128ULL << 20;  // read-ahead cap per file
  uint64_t seek_tolerance = 2ULL << 20;
  uint64_t retain_behind = 2ULL << 20;  // kept behind the reader for backward seeks
  uint64_t random_block = 4096;
  uint64_t first_part = 256ULL << 10;  // first GET of a stream (time to first byte)
  // When non-zero, GETs of a sequential stream end on multiples of this and random reads
  // fetch whole blocks of it (the disk cache's block size: every block fetched is whole in one
  // GET and can be kept).
  uint64_t align = 0;
  int random_after = 2;
  int sequential_after = 3;
};

enum class AccessMode { kSequential, kRandom };

struct ReadPlan {
  AccessMode mode = AccessMode::kSequential;
  bool reset = false;       // a seek: drop read-ahead that does not cover the need
  uint64_t need_begin = 0;  // fetch at least [need_begin, need_end) now
  uint64_t need_end = 0;
  uint64_t ahead_end = 0;   // sequential: keep [need_end, ahead_end) fetched or in flight
  uint64_t part_len = 0;    // size of the ranged GETs to issue for this plan
  uint64_t demand_len = 0;  // size of the GETs covering [need_begin, need_end) (≤ part_len)
  uint64_t keep_from = 0;   // data before this offset may be dropped
};

class ReadPolicy {
 public:
  ReadPolicy(ReadPolicyOptions options, uint64_t object_size);

  // Records a read of `size` bytes at `offset` (offset < object size) and plans it.
  ReadPlan OnRead(uint64_t offset, uint64_t size);

  // Whether a read at `offset` would count as a seek (nothing is recorded).
  bool WouldSeek(uint64_t offset) const;

  AccessMode mode() const { return mode_; }
  uint64_t window() const { return window_; }
  // Seeks seen so far (reads that did not continue the stream).
  int seeks() const { return seeks_; }

 private:
  ReadPolicyOptions o_;
  uint64_t size_;
  AccessMode mode_ = AccessMode::kSequential;
  bool started_ = false;
  uint64_t pos_ = 0;  // end of the furthest read of the current stream
  uint64_t window_;
  int near_streak_ = 0;
  int far_streak_ = 0;
  int seeks_ = 0;
};

}  // namespace s3fs::read

#endif  // S3FS_READ_READ_POLICY_H_
