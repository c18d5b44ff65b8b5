// Whole-range positioned reads and writes on file descriptors (EINTR and short transfers
// retried), for staging files, cache files and upload sources; UniqueFd owns a descriptor.
#ifndef S3FS_COMMON_FD_IO_H_
#define S3FS_COMMON_FD_IO_H_

#include <cstddef>
#include <cstdint>

namespace s3fs {

// Reads up to `n` bytes at `offset` into `buf`; returns the bytes read, fewer than `n` only at
// the end of the file or on an error (errno then set).
size_t PreadFull(int fd, char* buf, size_t n, uint64_t offset);
// Writes all `n` bytes at `offset`; false on an error (errno set).
bool PwriteFull(int fd, const char* buf, size_t n, uint64_t offset);

// Owns a file descriptor: closed when destroyed or reset. Movable, not copyable.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

}  // namespace s3fs

#endif  // S3FS_COMMON_FD_IO_H_
