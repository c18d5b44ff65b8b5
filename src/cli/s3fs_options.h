// The s3fs-fuse compatible command line: `s3fs BUCKET[:/PREFIX] MOUNTPOINT [-o opt[,opt...]]...`
// parsed into the settings of each layer. Pure: reads nothing but argv (credentials and files
// are resolved later by the caller).
#ifndef S3FS_CLI_S3FS_OPTIONS_H_
#define S3FS_CLI_S3FS_OPTIONS_H_

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "cli_config.h"
#include "s3fs/fs/filesystem.h"

namespace s3fs::cli {

struct MountConfig {
  std::string bucket;
  std::string prefix;  // "" or "dir/sub/"
  std::string mountpoint;
  ConnectionSettings conn;
  fs::Options fs;
  std::vector<std::string> fuse_options;  // for the kernel: allow_other, ro, fsname=...
  bool foreground = false;
  bool debug = false;       // -d: debug log to stderr
  bool fuse_debug = false;  // -d -d: libfuse tracing too
  bool single_thread = false;
  bool nonempty = false;
  std::string log_level = "warn";
  std::string logfile;
  uint64_t multipart_size = 16ULL << 20;
  int parallel_count = 8;
  int head_concurrency = 64;
  // Multipart uploads under the prefix older than this are aborted at mount (unset: never).
  std::string tmpdir;  // staging without use_cache (s3fs-fuse's tmpdir)
  std::optional<std::chrono::seconds> stale_upload_grace = std::chrono::hours(24);
  std::string sse_spec;  // use_sse value, resolved by the caller (key files)
  // Metadata cache: on unless meta_cache=off; its directory is meta_cache_dir, else under
  // use_cache=DIR when that was given, else the user's cache directory (chosen by the caller).
  bool meta_cache = true;
  std::string meta_cache_dir;
  bool use_cache_given = false;
  uint64_t meta_cache_bytes = 256ULL << 20;
  uint64_t meta_cache_entries = 1000000;
  // Data cache under use_cache=DIR (DIR/.s3fs-data/...): its cap, the free space it keeps on
  // that filesystem (ensure_diskfree), and s3fs-fuse's del_cache (emptied at mount and unmount).
  uint64_t data_cache_bytes = 10ULL << 30;
  uint64_t ensure_diskfree = 1ULL << 30;
  bool del_cache = false;
  // Metrics (docs/metrics.md): HTTP on 127.0.0.1:metrics_port (0 = off) and/or a file
  // rewritten every metrics_interval and at unmount.
  int metrics_port = 0;
  std::string metrics_file;
  std::chrono::seconds metrics_interval{10};
  bool help = false;
  bool version = false;
  std::vector<std::string> warnings;  // deprecated/ignored options, printed by the caller
};

struct ParseError {
  std::string message;  // one line, names the offending argument
};

Result<MountConfig, ParseError> ParseMountArgs(const std::vector<std::string>& argv,
                                               uint32_t default_uid, uint32_t default_gid);

// Usage text for --help.
std::string MountUsage();

}  // namespace s3fs::cli

#endif  // S3FS_CLI_S3FS_OPTIONS_H_
