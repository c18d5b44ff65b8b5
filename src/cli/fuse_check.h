// What a newcomer's machine lacks for a FUSE mount, said in one line with the fix, before the
// mount is tried (libfuse and fusermount3 would otherwise print their own, less helpful lines).
// GatherFuseFacts reads the machine (/dev/fuse, /etc/fuse.conf, PATH, the effective uid);
// CheckFuseUsable is pure: it turns the facts into the message ("" when nothing is known to be
// wrong; the mount itself may still fail, with the generic "cannot mount on" line).
#ifndef S3FS_CLI_FUSE_CHECK_H_
#define S3FS_CLI_FUSE_CHECK_H_

#include <string>
#include <vector>

namespace s3fs::cli {

struct FuseFacts {
  bool dev_fuse_exists = true;
  bool dev_fuse_usable = true;  // this user may open /dev/fuse read-write (libfuse needs it)
  bool is_root = true;
  bool allow_other_asked = false;  // allow_other or allow_root among the FUSE options
  bool user_allow_other = false;   // /etc/fuse.conf has the line `user_allow_other`
  bool fusermount_found = true;    // fusermount3 (needed by non-root mounts) is installed
};

// `fuse_options`: the options given to the kernel mount (MountConfig::fuse_options).
FuseFacts GatherFuseFacts(const std::vector<std::string>& fuse_options);

std::string CheckFuseUsable(const FuseFacts& facts);

// True when `fuse_conf` (the text of /etc/fuse.conf) enables user_allow_other, read as
// fusermount3 reads it: a line that is exactly the word, leading/trailing blanks allowed.
bool FuseConfAllowsOther(const std::string& fuse_conf);

// The source ("s3fs:BUCKET", or "s3fs" for s3fs-fuse) of the s3fs mount on top of `path` (an
// absolute path without symlinks) in `mountinfo` (the text of /proc/self/mountinfo), or "" when
// the topmost mount there is not an s3fs one. Mounting again on it would stack a second mount.
std::string S3fsMountedAt(const std::string& mountinfo, const std::string& path);

// S3fsMountedAt for this process's mounts and `path` as given on the command line.
std::string S3fsMountedAt(const std::string& path);

}  // namespace s3fs::cli

#endif  // S3FS_CLI_FUSE_CHECK_H_
