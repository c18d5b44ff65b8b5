// StringSink: a RandomAccessSink into memory for download tests (thread-safe: Download calls
// WriteAt from transport threads, several parts at once). Grows to the furthest byte written.
#ifndef S3FS_TESTS_FAKES_STRING_SINK_H_
#define S3FS_TESTS_FAKES_STRING_SINK_H_

#include <cstring>
#include <mutex>
#include <string>
#include <string_view>

#include "s3fs/s3/transfer.h"

namespace s3fs::testing {

class StringSink final : public s3::RandomAccessSink {
 public:
  bool WriteAt(uint64_t off, std::string_view d) override {
    std::lock_guard lock(mu);
    if (data.size() < off + d.size()) data.resize(off + d.size());
    std::memcpy(data.data() + off, d.data(), d.size());
    return true;
  }
  std::mutex mu;
  std::string data;
};

}  // namespace s3fs::testing

#endif  // S3FS_TESTS_FAKES_STRING_SINK_H_
