// MetricsExporter: the metrics HTTP endpoint on loopback and the metrics file; see the header.
#include "metrics_exporter.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "s3fs/common/log.h"

namespace s3fs::cli {
namespace {

constexpr auto kRequestTimeout = std::chrono::milliseconds(2000);
constexpr auto kSendTimeout = std::chrono::milliseconds(5000);
constexpr size_t kMaxRequest = 8192;

std::string Errno(int e) { return std::strerror(e); }

// Waits until `fd` is ready for `events` or `deadline` (real time) passes.
bool WaitFor(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    return r > 0;
  }
}

bool SendAll(int fd, std::string_view data) {
  const auto deadline = std::chrono::steady_clock::now() + kSendTimeout;
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && WaitFor(fd, POLLOUT, deadline)) {
      continue;
    }
    return false;
  }
  return true;
}

std::string Response(std::string_view status, std::string_view content_type,
                     std::string_view extra_headers, const std::string& body, bool head) {
  std::string out = "HTTP/1.1 ";
  out += status;
  out += "\r\nContent-Type: ";
  out += content_type;
  out += "\r\nContent-Length: " + std::to_string(body.size());
  out += "\r\nConnection: close\r\n";
  out += extra_headers;
  out += "\r\n";
  if (!head) out += body;
  return out;
}

}  // namespace

MetricsExporter::MetricsExporter(MetricsExporterOptions options,
                                 std::shared_ptr<metrics::Registry> registry,
                                 std::shared_ptr<Clock> clock)
    : o_(std::move(options)), registry_(std::move(registry)), clock_(std::move(clock)) {}

Result<std::unique_ptr<MetricsExporter>, std::string> MetricsExporter::Start(
    MetricsExporterOptions options, std::shared_ptr<metrics::Registry> registry,
    std::shared_ptr<Clock> clock) {
  if (options.interval.count() <= 0) options.interval = std::chrono::milliseconds(10000);
  std::unique_ptr<MetricsExporter> e(
      new MetricsExporter(std::move(options), std::move(registry), std::move(clock)));
  e->wake_fd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!e->wake_fd_.valid()) return Fail("metrics: eventfd: " + Errno(errno));
  if (e->o_.port >= 0) {
    const std::string where = "metrics_port=" + std::to_string(e->o_.port) +
                              ": cannot listen on 127.0.0.1:" + std::to_string(e->o_.port);
    UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!s.valid()) return Fail(where + ": " + Errno(errno));
    int one = 1;
    ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(e->o_.port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // never another interface
    if (::bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(s.get(), 16) != 0) {
      return Fail(where + ": " + Errno(errno));
    }
    socklen_t len = sizeof addr;
    if (::getsockname(s.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return Fail(where + ": " + Errno(errno));
    }
    e->port_ = ntohs(addr.sin_port);
    e->listen_fd_ = std::move(s);
  }
  if (!e->o_.file.empty()) {
    auto written = e->WriteFile();
    if (!written.ok()) return Fail(written.error());
  }
  e->thread_ = std::thread([raw = e.get()] { raw->Run(); });
  return e;
}

MetricsExporter::~MetricsExporter() {
  if (!thread_.joinable()) return;  // Start failed: nothing runs, nothing more to write
  uint64_t one = 1;
  (void)!::write(wake_fd_.get(), &one, sizeof one);
  thread_.join();
  if (!o_.file.empty()) {
    auto r = WriteFile();
    if (!r.ok()) S3FS_LOG_WARN("{}", r.error());
  }
}

Result<void, std::string> MetricsExporter::WriteFile() {
  if (o_.file.empty()) return {};
  std::lock_guard lock(file_mu_);
  const std::string body = registry_->Render();
  const std::string tmp = o_.file + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid())
    return Fail("metrics_file=" + o_.file + ": cannot write " + tmp + ": " + Errno(errno));
  if (!PwriteFull(fd.get(), body.data(), body.size(), 0)) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return Fail("metrics_file=" + o_.file + ": cannot write " + tmp + ": " + Errno(e));
  }
  fd.reset();
  if (::rename(tmp.c_str(), o_.file.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return Fail("metrics_file=" + o_.file + ": cannot rename " + tmp + ": " + Errno(e));
  }
  return {};
}

void MetricsExporter::Run() {
  const bool file = !o_.file.empty();
  auto next_write = clock_->Monotonic() + o_.interval;
  bool warned = false;
  for (;;) {
    pollfd fds[2] = {{wake_fd_.get(), POLLIN, 0}, {listen_fd_.get(), POLLIN, 0}};
    const nfds_t n = listen_fd_.valid() ? 2 : 1;
    int timeout = -1;
    if (file) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(next_write - clock_->Monotonic());
      timeout = static_cast<int>(std::clamp<int64_t>(left.count(), 0, 60 * 60 * 1000));
    }
    int r = ::poll(fds, n, timeout);
    if (r < 0 && errno != EINTR) {
      S3FS_LOG_ERROR("metrics: poll failed: {}; metrics are no longer exported", Errno(errno));
      return;
    }
    if (r > 0 && (fds[0].revents & POLLIN) != 0) return;
    if (r > 0 && n == 2 && (fds[1].revents & POLLIN) != 0) {
      UniqueFd conn(::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
      if (conn.valid()) Serve(std::move(conn));
    }
    if (file && clock_->Monotonic() >= next_write) {
      auto w = WriteFile();
      if (!w.ok() && !warned) S3FS_LOG_WARN("{}", w.error());
      warned = !w.ok();
      next_write = clock_->Monotonic() + o_.interval;
    }
  }
}

void MetricsExporter::Serve(UniqueFd conn) {
  const auto deadline = std::chrono::steady_clock::now() + kRequestTimeout;
  std::string req;
  char buf[2048];
  while (req.find("\r\n\r\n") == std::string::npos && req.find("\n\n") == std::string::npos) {
    if (req.size() > kMaxRequest || !WaitFor(conn.get(), POLLIN, deadline)) return;
    ssize_t got = ::recv(conn.get(), buf, sizeof buf, 0);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got <= 0) return;
    req.append(buf, static_cast<size_t>(got));
  }
  // Request line: METHOD SP TARGET SP VERSION.
  const std::string line = req.substr(0, req.find_first_of("\r\n"));
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string::npos) {
    SendAll(conn.get(), Response("400 Bad Request", "text/plain", "", "bad request\n", false));
    return;
  }
  const std::string method = line.substr(0, sp1);
  std::string path = line.substr(sp1 + 1, sp2 - sp1 - 1);
  path = path.substr(0, path.find('?'));
  const bool head = method == "HEAD";
  if (path != "/metrics") {
    SendAll(conn.get(),
            Response("404 Not Found", "text/plain", "", "metrics are at /metrics\n", head));
  } else if (method != "GET" && !head) {
    SendAll(conn.get(), Response("405 Method Not Allowed", "text/plain", "Allow: GET, HEAD\r\n",
                                 "only GET\n", false));
  } else {
    SendAll(conn.get(), Response("200 OK", metrics::kContentType, "", registry_->Render(), head));
  }
  ::shutdown(conn.get(), SHUT_WR);
}

}  // namespace s3fs::cli
