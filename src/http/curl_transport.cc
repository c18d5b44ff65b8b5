// libcurl transport: one event thread drives every transfer through the multi interface.
// The only file that includes libcurl.
#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <queue>
#include <thread>
#include <unordered_map>

#include "s3fs/common/log.h"
#include "s3fs/common/strings.h"
#include "s3fs/http/transport.h"

namespace s3fs::http {

// Redaction helpers for debug output (declared here, tested through the verbose path).
std::string RedactHeaderLine(std::string_view line);
std::string RedactUrl(std::string_view url);

namespace {

constexpr size_t kMaxErrorBody = 1 << 20;

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

void EnsureGlobalInit() { static CurlGlobal g; }

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

struct EasyDeleter {
  void operator()(CURL* e) const { curl_easy_cleanup(e); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;

struct MultiDeleter {
  void operator()(CURLM* m) const { curl_multi_cleanup(m); }
};
using Multi = std::unique_ptr<CURLM, MultiDeleter>;

struct ShareDeleter {
  void operator()(CURLSH* s) const { curl_share_cleanup(s); }
};

// One transfer in flight.
struct Transfer {
  Request request;
  Completion done;
  Easy easy;
  Slist headers;
  Response response;
  char errbuf[CURL_ERROR_SIZE] = {0};
  uint64_t upload_pos = 0;
  bool body_read_failed = false;
  bool sink_aborted = false;
  bool headers_done = false;
  long status = 0;
};

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  std::string_view line(data, len);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (str::StartsWith(line, "HTTP/")) {
    // A new status line (after 100 Continue or a redirect): start over.
    t->response.headers = Headers();
    return len;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    t->response.headers.Add(std::string(str::Trim(line.substr(0, colon))),
                            std::string(str::Trim(line.substr(colon + 1))));
  }
  return len;
}

size_t OnWrite(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  if (t->status == 0) curl_easy_getinfo(t->easy.get(), CURLINFO_RESPONSE_CODE, &t->status);
  t->response.bytes_received += len;
  bool ok_status = t->status >= 200 && t->status < 300;
  if (ok_status && t->request.sink != nullptr) {
    if (!t->request.sink->Write(data, len)) {
      t->sink_aborted = true;
      return CURL_WRITEFUNC_ERROR;
    }
    return len;
  }
  if (!ok_status && t->response.body.size() >= kMaxErrorBody) return len;  // drop the excess
  t->response.body.append(data, len);
  return len;
}

size_t OnRead(char* buf, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t cap = size * n;
  if (t->request.body) {
    const std::string& b = *t->request.body;
    size_t k = std::min(cap, b.size() - static_cast<size_t>(t->upload_pos));
    std::memcpy(buf, b.data() + t->upload_pos, k);
    t->upload_pos += k;
    return k;
  }
  if (t->request.body_source) {
    int64_t got = t->request.body_source->Read(buf, cap);
    if (got < 0) {
      t->body_read_failed = true;
      return CURL_READFUNC_ABORT;
    }
    t->upload_pos += static_cast<uint64_t>(got);
    return static_cast<size_t>(got);
  }
  return 0;
}

int OnSeek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset != 0) return CURL_SEEKFUNC_CANTSEEK;
  if (t->request.body_source && !t->request.body_source->Rewind()) return CURL_SEEKFUNC_FAIL;
  t->upload_pos = 0;
  return CURL_SEEKFUNC_OK;
}

int OnDebug(CURL*, curl_infotype type, char* data, size_t size, void*) {
  if (type != CURLINFO_HEADER_OUT && type != CURLINFO_HEADER_IN && type != CURLINFO_TEXT) {
    return 0;
  }
  std::string_view text(data, size);
  for (const auto& line : str::Split(text, '\n')) {
    std::string_view l = str::Trim(line);
    if (l.empty()) continue;
    const char* dir = type == CURLINFO_HEADER_OUT ? "> " : type == CURLINFO_HEADER_IN ? "< " : "* ";
    S3FS_LOG_DEBUG("curl {}{}", dir, RedactUrl(RedactHeaderLine(l)));
  }
  return 0;
}

TransportError::Kind MapCode(CURLcode c, const Transfer& t) {
  using K = TransportError::Kind;
  if (t.body_read_failed) return K::kInvalid;
  if (t.sink_aborted) return K::kAborted;
  switch (c) {
    case CURLE_COULDNT_CONNECT:
      return K::kConnect;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return K::kDns;
    case CURLE_OPERATION_TIMEDOUT:
      return K::kTimeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return K::kTls;
    case CURLE_SEND_ERROR:
    case CURLE_READ_ERROR:
      return K::kSend;
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return K::kReceive;
    case CURLE_WRITE_ERROR:
    case CURLE_ABORTED_BY_CALLBACK:
      return K::kAborted;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return K::kInvalid;
    default:
      return K::kReceive;
  }
}

class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(CurlOptions options) : o_(std::move(options)) {}

  bool Init(std::string* error) {
    EnsureGlobalInit();
    multi_.reset(curl_multi_init());
    if (!multi_) {
      *error = "curl_multi_init failed";
      return false;
    }
    curl_multi_setopt(multi_.get(), CURLMOPT_MAX_TOTAL_CONNECTIONS, o_.max_connections);
    curl_multi_setopt(multi_.get(), CURLMOPT_MAX_HOST_CONNECTIONS, o_.max_host_connections);
    curl_multi_setopt(multi_.get(), CURLMOPT_MAXCONNECTS, o_.max_connections);
    thread_ = std::thread([this] { Loop(); });
    return true;
  }

  ~CurlTransport() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    curl_multi_wakeup(multi_.get());
    if (thread_.joinable()) thread_.join();
  }

  void SendAsync(Request request, Completion done, std::chrono::milliseconds delay) override {
    auto t = std::make_unique<Transfer>();
    t->request = std::move(request);
    t->done = std::move(done);
    {
      std::lock_guard lock(mu_);
      if (!stopping_) {
        if (delay.count() > 0) {
          delayed_.push(Delayed{std::chrono::steady_clock::now() + delay, seq_++, std::move(t)});
        } else {
          incoming_.push_back(std::move(t));
        }
      }
    }
    if (t) {
      // Transport is shutting down.
      t->done(
          Fail(TransportError{TransportError::Kind::kAborted, "transport is shutting down", 0}));
      return;
    }
    curl_multi_wakeup(multi_.get());
  }

 private:
  struct Delayed {
    std::chrono::steady_clock::time_point due;
    uint64_t seq;
    mutable std::unique_ptr<Transfer> t;
    bool operator>(const Delayed& o) const { return due != o.due ? due > o.due : seq > o.seq; }
  };

  Easy TakeEasy() {
    if (!free_easy_.empty()) {
      Easy e = std::move(free_easy_.back());
      free_easy_.pop_back();
      curl_easy_reset(e.get());
      return e;
    }
    return Easy(curl_easy_init());
  }

  void Start(std::unique_ptr<Transfer> t) {
    t->easy = TakeEasy();
    CURL* e = t->easy.get();
    if (e == nullptr) {
      t->done(Fail(TransportError{TransportError::Kind::kInvalid, "curl_easy_init failed", 0}));
      return;
    }
    const Request& r = t->request;
    curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);  // S3 keys may contain "." and ".." segments
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    // Larger buffers: fewer callbacks and syscalls per byte on bulk transfers.
    curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 512L * 1024);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o_.connect_timeout.count()));
    if (r.timeout.count() > 0) {
      curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(r.timeout.count()));
    }
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, o_.low_speed_bytes);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, static_cast<long>(o_.low_speed_time.count()));
    curl_easy_setopt(e, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, o_.verify_tls ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, o_.verify_tls ? 2L : 0L);
    if (!o_.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, o_.ca_file.c_str());
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, OnWrite);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    if (o_.verbose) {
      curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
      curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, OnDebug);
    }
    uint64_t body_size = r.BodySize();
    bool has_body = r.body || r.body_source;
    switch (r.method) {
      case Method::kGet:
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        break;
      case Method::kHead:
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
        break;
      case Method::kPut:
        curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_size));
        break;
      case Method::kPost:
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_size));
        break;
      case Method::kDelete:
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");
        if (has_body) {
          curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
          curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_size));
        }
        break;
    }
    if (r.method == Method::kPut || r.method == Method::kPost || has_body) {
      curl_easy_setopt(e, CURLOPT_READFUNCTION, OnRead);
      curl_easy_setopt(e, CURLOPT_READDATA, t.get());
      curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, OnSeek);
      curl_easy_setopt(e, CURLOPT_SEEKDATA, t.get());
    }
    curl_slist* list = nullptr;
    for (const auto& [name, value] : r.headers.entries()) {
      std::string line = value.empty() ? name + ";" : name + ": " + value;
      list = curl_slist_append(list, line.c_str());
    }
    list = curl_slist_append(list, "Expect:");  // no 100-continue round trip
    if (r.method == Method::kPost || r.method == Method::kPut) {
      // libcurl adds a form content type to POSTs; S3 requests set their own or none.
      if (!r.headers.Has("Content-Type")) list = curl_slist_append(list, "Content-Type:");
    }
    if (!r.headers.Has("Accept")) list = curl_slist_append(list, "Accept:");
    t->headers.reset(list);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, list);
    Transfer* raw = t.release();
    active_[raw->easy.get()] = std::unique_ptr<Transfer>(raw);
    CURLMcode mc = curl_multi_add_handle(multi_.get(), raw->easy.get());
    if (mc != CURLM_OK) {
      auto owned = std::move(active_[raw->easy.get()]);
      active_.erase(raw->easy.get());
      Easy easy = std::move(owned->easy);
      free_easy_.push_back(std::move(easy));
      owned->done(Fail(TransportError{TransportError::Kind::kInvalid, curl_multi_strerror(mc), 0}));
    }
  }

  void Complete(CURL* e, CURLcode code) {
    auto it = active_.find(e);
    if (it == active_.end()) return;
    std::unique_ptr<Transfer> t = std::move(it->second);
    active_.erase(it);
    curl_multi_remove_handle(multi_.get(), e);
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    Easy easy = std::move(t->easy);
    if (free_easy_.size() < 256) free_easy_.push_back(std::move(easy));
    if (code != CURLE_OK) {
      std::string msg = curl_easy_strerror(code);
      if (t->errbuf[0] != '\0') msg += std::string(": ") + t->errbuf;
      t->done(Fail(TransportError{MapCode(code, *t), RedactUrl(msg), t->response.bytes_received}));
      return;
    }
    t->response.status = static_cast<int>(status);
    // A 2xx body shorter than its Content-Length is a failure, never success.
    if (t->request.method != Method::kHead && status >= 200 && status < 300) {
      if (auto cl = t->response.headers.Get("Content-Length")) {
        uint64_t expected = 0;
        if (str::ParseUint64(str::Trim(*cl), &expected) && expected != t->response.bytes_received) {
          t->done(Fail(TransportError{TransportError::Kind::kReceive,
                                      "body truncated: got " +
                                          std::to_string(t->response.bytes_received) + " of " +
                                          std::to_string(expected) + " bytes",
                                      t->response.bytes_received}));
          return;
        }
      }
    }
    t->done(std::move(t->response));
  }

  void Loop() {
    while (true) {
      std::deque<std::unique_ptr<Transfer>> starting;
      bool stop;
      int timeout_ms = 1000;
      {
        std::lock_guard lock(mu_);
        stop = stopping_;
        starting.swap(incoming_);
        auto now = std::chrono::steady_clock::now();
        while (!delayed_.empty() && delayed_.top().due <= now) {
          starting.push_back(std::move(delayed_.top().t));
          delayed_.pop();
        }
        if (!delayed_.empty()) {
          auto wait =
              std::chrono::duration_cast<std::chrono::milliseconds>(delayed_.top().due - now);
          timeout_ms = static_cast<int>(std::clamp<int64_t>(wait.count() + 1, 0, 1000));
        }
      }
      if (stop) break;
      for (auto& t : starting) Start(std::move(t));
      int running = 0;
      curl_multi_perform(multi_.get(), &running);
      int queued = 0;
      while (CURLMsg* m = curl_multi_info_read(multi_.get(), &queued)) {
        if (m->msg == CURLMSG_DONE) Complete(m->easy_handle, m->data.result);
      }
      {
        std::lock_guard lock(mu_);
        if (!incoming_.empty() || stopping_) continue;
      }
      curl_multi_poll(multi_.get(), nullptr, 0, timeout_ms, nullptr);
    }
    // Shutdown: every pending callback is still called exactly once.
    std::vector<std::unique_ptr<Transfer>> pending;
    {
      std::lock_guard lock(mu_);
      for (auto& t : incoming_) pending.push_back(std::move(t));
      incoming_.clear();
      while (!delayed_.empty()) {
        pending.push_back(std::move(delayed_.top().t));
        delayed_.pop();
      }
    }
    for (auto& [e, t] : active_) {
      curl_multi_remove_handle(multi_.get(), e);
      pending.push_back(std::move(t));
    }
    active_.clear();
    for (auto& t : pending) {
      t->done(Fail(TransportError{TransportError::Kind::kAborted, "transport shut down", 0}));
    }
    free_easy_.clear();
  }

  CurlOptions o_;
  Multi multi_;
  std::thread thread_;
  std::mutex mu_;
  bool stopping_ = false;
  uint64_t seq_ = 0;
  std::deque<std::unique_ptr<Transfer>> incoming_;
  std::priority_queue<Delayed, std::vector<Delayed>, std::greater<>> delayed_;
  // Owned by the event thread.
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> active_;
  std::vector<Easy> free_easy_;
};

}  // namespace

std::string RedactHeaderLine(std::string_view line) {
  static constexpr std::string_view kSecretHeaders[] = {
      "authorization", "x-amz-security-token", "x-amz-server-side-encryption-customer-key",
      "x-amz-copy-source-server-side-encryption-customer-key"};
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return std::string(line);
  std::string name = str::ToLower(str::Trim(line.substr(0, colon)));
  for (auto s : kSecretHeaders) {
    if (name == s) return std::string(line.substr(0, colon)) + ": [redacted]";
  }
  return std::string(line);
}

std::string RedactUrl(std::string_view url) {
  std::string out(url);
  for (std::string_view key : {"X-Amz-Signature=", "X-Amz-Credential=", "X-Amz-Security-Token="}) {
    size_t pos = 0;
    while ((pos = out.find(key, pos)) != std::string::npos) {
      size_t start = pos + key.size();
      size_t end = out.find_first_of("& \r\n", start);
      if (end == std::string::npos) end = out.size();
      out.replace(start, end - start, "[redacted]");
      pos = start;
    }
  }
  return out;
}

Result<std::shared_ptr<Transport>, TransportError> MakeCurlTransport(const CurlOptions& options) {
  auto t = std::make_shared<CurlTransport>(options);
  std::string error;
  if (!t->Init(&error)) return Fail(TransportError{TransportError::Kind::kInvalid, error, 0});
  return std::shared_ptr<Transport>(std::move(t));
}

}  // namespace s3fs::http
