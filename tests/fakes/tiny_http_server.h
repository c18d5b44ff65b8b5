// TinyHttpServer: a small HTTP/1.1 server on 127.0.0.1 (ephemeral port) for transport tests.
//
// One thread per connection, keep-alive, a handler (called concurrently from the connection
// threads: it must be thread-safe) decides each answer. An answer can misbehave on purpose:
// close mid-body, stall, lie about Content-Length, close without answering, send an interim
// "100 Continue" first. The server records every request and counts accepted connections.
// Header-only; test code only (no error handling beyond "the test fails").
#ifndef S3FS_TESTS_FAKES_TINY_HTTP_SERVER_H_
#define S3FS_TESTS_FAKES_TINY_HTTP_SERVER_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace s3fs::testing {

struct TinyRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names; the last one wins
  std::vector<std::pair<std::string, std::string>> raw_headers;  // as sent, in order
  std::string body;      // de-chunked when the request was chunked
  bool chunked = false;  // the request body used Transfer-Encoding: chunked
  int connection = 0;    // 1-based index of the connection it arrived on
};

struct TinyResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Misbehaviour.
  std::optional<uint64_t> content_length;  // announced instead of body.size() (a lie)
  bool omit_content_length = false;        // no Content-Length: the body ends at close
  std::optional<size_t> close_after;       // sends only this many body bytes, then closes
  bool close_after_half_body = false;      // close_after = half the body
  std::chrono::milliseconds stall{0};      // sleeps after the headers, before the body
  bool interim_continue = false;           // "100 Continue" (with a junk header) first
  bool close_without_answer = false;       // closes as soon as the request was read
};

class TinyHttpServer {
 public:
  using Handler = std::function<TinyResponse(const TinyRequest&)>;
  struct Options {
    // When set, every connection gets these bytes right after accept and is then closed
    // (no HTTP parsing; e.g. to feed garbage to a TLS client).
    std::optional<std::string> send_on_accept;
  };

  explicit TinyHttpServer(Handler h) : TinyHttpServer(std::move(h), Options{}) {}
  TinyHttpServer(Handler h, Options o) : handler_(std::move(h)), options_(std::move(o)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
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
  TinyHttpServer(const TinyHttpServer&) = delete;
  TinyHttpServer& operator=(const TinyHttpServer&) = delete;

  // Stops accepting, cuts every open connection (stalls end early) and joins all threads.
  ~TinyHttpServer() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      for (int c : open_) ::shutdown(c, SHUT_RDWR);
    }
    stop_cv_.notify_all();
    ::shutdown(fd_, SHUT_RDWR);
    accept_thread_.join();
    ::close(fd_);
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mu_);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }

  int port() const { return port_; }
  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  // Connections accepted so far.
  int connections() const { return accepted_.load(); }
  std::vector<TinyRequest> requests() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  void AcceptLoop() {
    while (true) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      std::lock_guard lock(mu_);
      if (c < 0) {
        if (stopping_) return;
        continue;
      }
      if (stopping_) {
        ::close(c);
        return;
      }
      int one = 1;
      ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      int id = ++accepted_;
      open_.insert(c);
      threads_.emplace_back([this, c, id] { Serve(c, id); });
    }
  }

  // Waits up to `d`; returns false when the server is stopping.
  bool Sleep(std::chrono::milliseconds d) {
    std::unique_lock lock(mu_);
    return !stop_cv_.wait_for(lock, d, [this] { return stopping_; });
  }

  static bool Fill(int c, std::string* buf) {
    char tmp[65536];
    ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf->append(tmp, static_cast<size_t>(n));
    return true;
  }

  static bool ReadLine(int c, std::string* buf, std::string* line) {
    while (true) {
      size_t nl = buf->find("\r\n");
      if (nl != std::string::npos) {
        *line = buf->substr(0, nl);
        buf->erase(0, nl + 2);
        return true;
      }
      if (!Fill(c, buf)) return false;
    }
  }

  static bool ReadBytes(int c, std::string* buf, size_t n, std::string* out) {
    while (buf->size() < n) {
      if (!Fill(c, buf)) return false;
    }
    out->append(*buf, 0, n);
    buf->erase(0, n);
    return true;
  }

  static bool ReadChunked(int c, std::string* buf, std::string* out) {
    std::string line;
    while (true) {
      if (!ReadLine(c, buf, &line)) return false;
      size_t size = std::stoul(line, nullptr, 16);
      if (size == 0) {
        while (ReadLine(c, buf, &line) && !line.empty()) {
        }
        return true;
      }
      if (!ReadBytes(c, buf, size, out) || !ReadLine(c, buf, &line)) return false;
    }
  }

  // Reads one request; false when the connection ended.
  bool ReadRequest(int c, std::string* buf, TinyRequest* req) {
    std::string line;
    if (!ReadLine(c, buf, &line)) return false;
    size_t sp1 = line.find(' ');
    size_t sp2 = line.rfind(' ');
    if (sp1 == std::string::npos || sp2 <= sp1) return false;
    req->method = line.substr(0, sp1);
    req->target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    while (true) {
      if (!ReadLine(c, buf, &line)) return false;
      if (line.empty()) break;
      size_t colon = line.find(':');
      if (colon == std::string::npos) return false;
      std::string name = line.substr(0, colon);
      size_t v = line.find_first_not_of(" \t", colon + 1);
      std::string value = v == std::string::npos ? "" : line.substr(v);
      req->raw_headers.emplace_back(name, value);
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      req->headers[name] = value;
    }
    if (auto it = req->headers.find("expect"); it != req->headers.end()) {
      Send(c, "HTTP/1.1 100 Continue\r\n\r\n");
    }
    if (auto it = req->headers.find("transfer-encoding"); it != req->headers.end()) {
      req->chunked = true;
      return ReadChunked(c, buf, &req->body);
    }
    if (auto it = req->headers.find("content-length"); it != req->headers.end()) {
      return ReadBytes(c, buf, std::stoul(it->second), &req->body);
    }
    return true;
  }

  void Serve(int c, int id) {
    if (options_.send_on_accept) {
      Send(c, *options_.send_on_accept);
      Close(c);
      return;
    }
    std::string buf;
    while (true) {
      TinyRequest req;
      req.connection = id;
      if (!ReadRequest(c, &buf, &req)) break;
      {
        std::lock_guard lock(mu_);
        seen_.push_back(req);
      }
      TinyResponse r = handler_(req);
      if (r.close_after_half_body) r.close_after = r.body.size() / 2;
      if (r.close_without_answer) break;
      std::string head;
      if (r.interim_continue) head += "HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n";
      head += "HTTP/1.1 " + std::to_string(r.status) + " Status\r\n";
      for (const auto& [k, v] : r.headers) head += k + ": " + v + "\r\n";
      if (r.omit_content_length) {
        head += "Connection: close\r\n";
      } else {
        head +=
            "Content-Length: " + std::to_string(r.content_length.value_or(r.body.size())) + "\r\n";
      }
      head += "\r\n";
      const bool head_only = req.method == "HEAD";
      if (r.stall.count() == 0 && !r.close_after && !head_only) {
        // One send: no small-segment delays on the client's side.
        if (!Send(c, head + r.body) || r.omit_content_length) break;
        continue;
      }
      if (!Send(c, head)) break;
      if (r.stall.count() > 0 && !Sleep(r.stall)) break;
      if (head_only) continue;
      if (r.close_after) {
        Send(c, r.body.substr(0, *r.close_after));
        break;
      }
      if (!Send(c, r.body) || r.omit_content_length) break;
    }
    Close(c);
  }

  void Close(int c) {
    std::lock_guard lock(mu_);
    open_.erase(c);
    ::close(c);
  }

  static bool Send(int c, const std::string& s) {
    size_t done = 0;
    while (done < s.size()) {
      ssize_t n = ::send(c, s.data() + done, s.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  Handler handler_;
  Options options_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> accepted_{0};
  std::thread accept_thread_;
  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;             // guarded by mu_
  std::set<int> open_;                // guarded by mu_: open connection sockets
  std::vector<std::thread> threads_;  // guarded by mu_
  std::vector<TinyRequest> seen_;     // guarded by mu_
};

}  // namespace s3fs::testing

#endif  // S3FS_TESTS_FAKES_TINY_HTTP_SERVER_H_
