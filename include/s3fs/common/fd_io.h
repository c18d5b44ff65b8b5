// Whole-range positioned reads and writes on file descriptors (EINTR and short transfers
// retried), for staging files, cache files and upload sources.
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

}  // namespace s3fs

#endif  // S3FS_COMMON_FD_IO_H_
