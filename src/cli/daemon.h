// Daemonizing with a readiness pipe: the parent exits 0 only once the child reports the mount
// is live, or prints the child's one-line failure reason and exits 1. Also the systemd
// readiness notification (NOTIFY_SOCKET protocol, no libsystemd).
#ifndef S3FS_CLI_DAEMON_H_
#define S3FS_CLI_DAEMON_H_

#include <string>

namespace s3fs::cli {

class Daemon {
 public:
  // Forks. Returns in the child (is_child() true); the parent waits for the child's report
  // and exits the process. Call before any thread is started.
  static Daemon Start();
  // A process that does not daemonize (-f): reports go to stderr.
  static Daemon Foreground();

  // Child: the mount is live. Detaches stdio.
  void ReportReady();
  // Child: mounting failed with `reason` (one line). The caller exits non-zero after.
  void ReportFailure(const std::string& reason);
  bool daemonized() const { return fd_ >= 0 || daemonized_; }

 private:
  int fd_ = -1;
  bool daemonized_ = false;
};

// Sends "READY=1" to $NOTIFY_SOCKET when set (systemd Type=notify). Returns false on error.
bool NotifySystemdReady();
// "STOPPING=1".
bool NotifySystemdStopping();

}  // namespace s3fs::cli

#endif  // S3FS_CLI_DAEMON_H_
