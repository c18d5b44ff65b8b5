// TinyHttpServer: a small HTTP/1.1 server on 127.0.0.1 for transport tests. One thread per
// connection, keep-alive, a handler decides each answer; it can also misbehave on purpose
// (close mid-body, stall, lie about Content-Length). Counts accepted connections.
#ifndef S3FS_TESTS_FAKES_TINY_HTTP_SERVER_H_
#define S3FS_TESTS_FAKES_TINY_HTTP_SERVER_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace s3fs::testing {

struct TinyRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

struct TinyResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Misbehaviour.
  bool close_after_half_body = false;  // sends Content-Length, then half the body, then closes
  std::chrono::milliseconds stall{0};  // sleeps after the headers before the body
  bool omit_content_length = false;    // HTTP/1.0-style: body ends at close
};

class TinyHttpServer {
 public:
  using Handler = std::function<TinyResponse(const TinyRequest&)>;

  explicit TinyHttpServer(Handler h) : handler_(std::move(h)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 512);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }

  ~TinyHttpServer() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    accept_thread_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mu_);
      for (int c : conns_) ::shutdown(c, SHUT_RDWR);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }

  int port() const { return port_; }
  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int connections() const { return accepted_.load(); }
  std::vector<TinyRequest> requests() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) {
        if (stopping_) return;
        continue;
      }
      accepted_++;
      std::lock_guard lock(mu_);
      conns_.push_back(c);
      threads_.emplace_back([this, c] { Serve(c); });
    }
  }

  static bool ReadLine(int c, std::string* buf, std::string* line) {
    while (true) {
      size_t nl = buf->find("\r\n");
      if (nl != std::string::npos) {
        *line = buf->substr(0, nl);
        buf->erase(0, nl + 2);
        return true;
      }
      char tmp[4096];
      ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
      if (n <= 0) return false;
      buf->append(tmp, static_cast<size_t>(n));
    }
  }

  void Serve(int c) {
    std::string buf;
    while (!stopping_) {
      TinyRequest req;
      std::string line;
      if (!ReadLine(c, &buf, &line)) break;
      size_t sp1 = line.find(' ');
      size_t sp2 = line.rfind(' ');
      req.method = line.substr(0, sp1);
      req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
      while (ReadLine(c, &buf, &line) && !line.empty()) {
        size_t colon = line.find(':');
        std::string name = line.substr(0, colon);
        for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        size_t v = line.find_first_not_of(' ', colon + 1);
        req.headers[name] = v == std::string::npos ? "" : line.substr(v);
      }
      size_t want = 0;
      if (auto it = req.headers.find("content-length"); it != req.headers.end()) {
        want = std::stoul(it->second);
      }
      while (buf.size() < want) {
        char tmp[65536];
        ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
        if (n <= 0) break;
        buf.append(tmp, static_cast<size_t>(n));
      }
      req.body = buf.substr(0, want);
      buf.erase(0, std::min(want, buf.size()));
      {
        std::lock_guard lock(mu_);
        seen_.push_back(req);
      }
      TinyResponse r = handler_(req);
      std::string head = "HTTP/1.1 " + std::to_string(r.status) + " X\r\n";
      for (const auto& [k, v] : r.headers) head += k + ": " + v + "\r\n";
      if (!r.omit_content_length)
        head += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
      if (r.omit_content_length) head += "Connection: close\r\n";
      head += "\r\n";
      Send(c, head);
      if (r.stall.count() > 0) std::this_thread::sleep_for(r.stall);
      if (req.method == "HEAD") continue;
      if (r.close_after_half_body) {
        Send(c, r.body.substr(0, r.body.size() / 2));
        break;
      }
      Send(c, r.body);
      if (r.omit_content_length) break;
    }
    ::close(c);
  }

  static void Send(int c, const std::string& s) {
    size_t done = 0;
    while (done < s.size()) {
      ssize_t n = ::send(c, s.data() + done, s.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return;
      done += static_cast<size_t>(n);
    }
  }

  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<int> conns_;
  std::vector<std::thread> threads_;
  std::vector<TinyRequest> seen_;
};

}  // namespace s3fs::testing

#endif  // S3FS_TESTS_FAKES_TINY_HTTP_SERVER_H_
