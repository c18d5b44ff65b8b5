// FuseMount: mounts a fs::Filesystem through the libfuse3 low-level API and runs its
// multi-threaded session loop. The only code that sees libfuse3.
//
// Every FUSE operation is a noexcept trampoline that replies exactly once (an escaping
// exception becomes EIO). Create() mounts; Run() serves requests until the filesystem is
// unmounted (fusermount3 -u, umount) or Exit() is called; the destructor unmounts.
// Create() must be called after any fork() (it starts no threads; Run() does).
//
// With MountOptions::metrics, every operation is counted by type with its latency (measured
// on MountOptions::clock from the trampoline's start to its reply) and its error replies by
// errno name, and read/write bytes are counted (s3fs_fuse_* in docs/metrics.md).
#ifndef S3FS_FUSE_FUSE_ADAPTER_H_
#define S3FS_FUSE_FUSE_ADAPTER_H_

#include <memory>
#include <string>
#include <vector>

#include "s3fs/common/clock.h"
#include "s3fs/common/metrics.h"
#include "s3fs/common/result.h"
#include "s3fs/fs/filesystem.h"

namespace s3fs::fuse {

struct MountOptions {
  std::string mountpoint;
  // Passed to the kernel/fusermount as -o options: allow_other, allow_root, ro,
  // default_permissions, fsname=..., subtype=..., ...
  std::vector<std::string> options;
  bool debug = false;    // libfuse request tracing to stderr
  int max_threads = 16;  // worker threads of the session loop
  bool single_thread = false;
  std::shared_ptr<metrics::Registry> metrics;  // null: operations are not counted
  std::shared_ptr<Clock> clock;                // for latencies; null: the real clock
};

class FuseMount {
 public:
  static Result<std::unique_ptr<FuseMount>, std::string> Create(fs::Filesystem* filesystem,
                                                                const MountOptions& options);
  ~FuseMount();
  FuseMount(const FuseMount&) = delete;
  FuseMount& operator=(const FuseMount&) = delete;

  // Serves requests until unmounted or Exit(). Returns an error text if the loop failed.
  Result<void, std::string> Run();
  // Asks the loop to stop (async-signal-safe through a flag and the session's exit).
  void Exit();
  // Installs SIGINT/SIGTERM/SIGHUP handlers that end the loop cleanly (libfuse's own).
  bool InstallSignalHandlers();

 private:
  FuseMount() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace s3fs::fuse

#endif  // S3FS_FUSE_FUSE_ADAPTER_H_
