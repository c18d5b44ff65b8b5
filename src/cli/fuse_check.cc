#include "fuse_check.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace s3fs::cli {
namespace {

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// libfuse runs fusermount3 from its install directory, else from PATH.
// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool FusermountInstalled() {
  if (Exists("/usr/bin/fusermount3") || Exists("/bin/fusermount3")) return true;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && ::access((dir + "/fusermount3").c_str(), X_OK) == 0) return true;
  }
  return false;
}

}  // namespace

bool FuseConfAllowsOther(const std::string& fuse_conf) {
  std::stringstream lines(fuse_conf);
  std::string line;
  while (std::getline(lines, line)) {
    const auto b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos) continue;
    const auto e = line.find_last_not_of(" \t\r");
    if (line.compare(b, e - b + 1, "user_allow_other") == 0) return true;
  }
  return false;
}

std::string S3fsMountedAt(const std::string& mountinfo, const std::string& path) {
  std::stringstream lines(mountinfo);
  std::string line;
  std::string source;  // of the last (topmost) mount on `path`
  while (std::getline(lines, line)) {
    // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
    std::stringstream fields(line);
    std::string f, mountpoint, fstype, src;
    for (int i = 0; i < 5 && fields >> f; ++i) mountpoint = f;
    while (fields >> f && f != "-") {
    }
    if (!(fields >> fstype >> src) || Unescape(mountpoint) != path) continue;
    source = fstype == "fuse.s3fs" ? Unescape(src) : "";
  }
  return source;
}

std::string S3fsMountedAt(const std::string& path) {
  char real[PATH_MAX];
  if (::realpath(path.c_str(), real) == nullptr) return {};
  std::ifstream in("/proc/self/mountinfo");
  std::stringstream text;
  text << in.rdbuf();
  return S3fsMountedAt(text.str(), real);
}

FuseFacts GatherFuseFacts(const std::vector<std::string>& fuse_options) {
  FuseFacts f;
  f.dev_fuse_exists = Exists("/dev/fuse");
  f.dev_fuse_usable = ::access("/dev/fuse", R_OK | W_OK) == 0;
  f.is_root = ::geteuid() == 0;
  f.allow_other_asked = std::any_of(fuse_options.begin(), fuse_options.end(), [](auto& o) {
    return o == "allow_other" || o == "allow_root";
  });
  std::ifstream conf("/etc/fuse.conf");
  std::stringstream text;
  text << conf.rdbuf();
  f.user_allow_other = FuseConfAllowsOther(text.str());
  f.fusermount_found = f.is_root || FusermountInstalled();
  return f;
}

std::string CheckFuseUsable(const FuseFacts& f) {
  if (!f.dev_fuse_exists) {
    return "FUSE is not available: /dev/fuse is missing (as root: modprobe fuse; in a "
           "container: --device /dev/fuse --cap-add SYS_ADMIN)";
  }
  if (f.is_root) return {};
  if (f.allow_other_asked && !f.user_allow_other) {
    return "allow_other as a non-root user needs the line user_allow_other in /etc/fuse.conf "
           "(as root: echo user_allow_other >> /etc/fuse.conf), or mount without allow_other";
  }
  if (!f.fusermount_found) {
    return "fusermount3 is not installed, and mounting as a non-root user needs it: "
           "apt-get install fuse3";
  }
  if (!f.dev_fuse_usable) {
    return "/dev/fuse is not readable and writable by this user, and a non-root mount needs it "
           "(as root: chmod 0666 /dev/fuse, the mode Debian's udev rule gives it), or mount as "
           "root";
  }
  return {};
}

}  // namespace s3fs::cli
