#include "daemon.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace s3fs::cli {

namespace {

void WriteAll(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

bool Notify(const char* msg) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || path[0] == '\0') return true;
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  size_t len = std::strlen(path);
  if (len >= sizeof addr.sun_path) {
    ::close(fd);
    return false;
  }
  std::memcpy(addr.sun_path, path, len);
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  socklen_t alen = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
  bool ok = ::sendto(fd, msg, std::strlen(msg), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr),
                     alen) >= 0;
  ::close(fd);
  return ok;
}

}  // namespace

Daemon Daemon::Foreground() { return Daemon(); }

Daemon Daemon::Start() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    std::fprintf(stderr, "s3fs: cannot create a pipe: %s\n", std::strerror(errno));
    std::exit(1);
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    std::fprintf(stderr, "s3fs: cannot fork: %s\n", std::strerror(errno));
    std::exit(1);
  }
  if (pid > 0) {
    // Parent: wait for the child's one-line report.
    ::close(fds[1]);
    std::string msg;
    char buf[512];
    while (true) {
      ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      msg.append(buf, static_cast<size_t>(n));
    }
    if (msg.rfind("OK", 0) == 0) std::_Exit(0);
    if (msg.empty()) {
      int status = 0;
      ::waitpid(pid, &status, 0);
      msg = "ERR the mount process exited before the mount was ready";
    }
    std::fprintf(stderr, "s3fs: %s\n", msg.substr(msg.find(' ') + 1).c_str());
    std::_Exit(1);
  }
  ::close(fds[0]);
  ::setsid();
  Daemon d;
  d.fd_ = fds[1];
  d.daemonized_ = true;
  return d;
}

void Daemon::ReportReady() {
  NotifySystemdReady();
  if (fd_ < 0) return;
  WriteAll(fd_, "OK\n");
  ::close(fd_);
  fd_ = -1;
  int null = ::open("/dev/null", O_RDWR);
  if (null >= 0) {
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    if (null > 2) ::close(null);
  }
  if (::chdir("/") != 0) {
    // Not fatal: the mount works from any directory.
  }
}

void Daemon::ReportFailure(const std::string& reason) {
  if (fd_ < 0) {
    std::fprintf(stderr, "s3fs: %s\n", reason.c_str());
    return;
  }
  WriteAll(fd_, "ERR " + reason + "\n");
  ::close(fd_);
  fd_ = -1;
}

bool NotifySystemdReady() { return Notify("READY=1"); }
bool NotifySystemdStopping() { return Notify("STOPPING=1"); }

}  // namespace s3fs::cli
