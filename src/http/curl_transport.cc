// libcurl transport: one event thread drives every transfer through the multi interface.
// This is the only file that includes libcurl.
//
// Design:
//  - SendAsync() (any thread) wraps the request in a Transfer, queues it under a mutex (or puts
//    it in a min-heap by due time when delayed) and wakes the event thread with
//    curl_multi_wakeup().
//  - The event thread (Engine::Run) moves queued and due transfers into the multi handle,
//    drives them with curl_multi_perform() and sleeps in curl_multi_poll(), bounded by the next
//    due time of a delayed request (curl bounds it further by its own timers).
//  - Finished transfers are detached from the multi handle, their easy handle is reset and kept
//    on a free list for the next transfer (connections live in the multi handle's pool, so
//    they are reused across transfers; the DNS cache is shared the same way), and only then is
//    the completion called, so a completion may call SendAsync().
//  - Destruction stops the engine: every queued, delayed and in-flight transfer completes with
//    kAborted, then the thread is joined. If the last reference is dropped on the event thread
//    itself (from a completion), the thread is detached instead and finishes the shutdown on
//    its own; the engine state it uses is shared with it, so nothing dangles.
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "s3fs/common/log.h"
#include "s3fs/common/secret.h"
#include "s3fs/common/strings.h"
#include "s3fs/http/transport.h"
#include "src/http/curl_handles.h"

namespace s3fs::http {

namespace internal {

namespace {

bool IEqualsPrefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    unsigned char a = static_cast<unsigned char>(s[i]);
    unsigned char b = static_cast<unsigned char>(prefix[i]);
    if (std::tolower(a) != std::tolower(b)) return false;
  }
  return true;
}

}  // namespace

std::string RedactHeaderLine(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return std::string(line);
  if (!IsSecretHeader(str::Trim(line.substr(0, colon)))) return std::string(line);
  return std::string(line.substr(0, colon)) + ": [redacted]";
}

std::string RedactUrl(std::string_view text) {
  static constexpr std::string_view kKeys[] = {
      "x-amz-signature=", "x-amz-credential=", "x-amz-security-token="};
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    // A parameter name starts at a token boundary (after '?', '&', a space, a quote...).
    const unsigned char prev = i == 0 ? ' ' : static_cast<unsigned char>(text[i - 1]);
    const bool at_param = !std::isalnum(prev) && prev != '-' && prev != '_';
    std::string_view matched;
    if (at_param) {
      for (std::string_view k : kKeys) {
        if (IEqualsPrefix(text.substr(i), k)) matched = k;
      }
    }
    if (matched.empty()) {
      out += text[i++];
      continue;
    }
    out.append(text.substr(i, matched.size()));
    out += "[redacted]";
    i += matched.size();
    while (i < text.size() && text[i] != '&' && text[i] != '#' &&
           !std::isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
    }
  }
  return out;
}

}  // namespace internal

namespace {

using Clock = std::chrono::steady_clock;
using Kind = TransportError::Kind;

// Buffered bodies of non-2xx answers are capped (the S3 layer only parses a small XML error).
constexpr size_t kMaxErrorBody = size_t{1} << 20;
// Idle easy handles kept for reuse.
constexpr size_t kMaxFreeEasy = 256;
// Upper bound of one curl_multi_poll() sleep (a safety net: wake-ups and timers cut it short).
constexpr int kMaxPollMs = 1000;

// curl_global_init() exactly once per process; libcurl is never globally cleaned up (other
// transports may be created later, and cleanup at exit buys nothing).
CURLcode GlobalInit() {
  static std::once_flag once;
  static CURLcode rc = CURLE_OK;
  std::call_once(once, [] { rc = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return rc;
}

// Wipes the lines of secret headers (IsSecretHeader) before freeing the list.
struct SlistDeleter {
  void operator()(curl_slist* l) const {
    for (curl_slist* n = l; n != nullptr; n = n->next) {
      std::string_view line(n->data);
      size_t colon = line.find_first_of(":;");
      if (colon != std::string_view::npos && IsSecretHeader(line.substr(0, colon))) {
        SecureWipe(n->data, line.size());
      }
    }
    curl_slist_free_all(l);
  }
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

TransportError MakeError(Kind kind, std::string message, uint64_t bytes_received = 0) {
  return TransportError{kind, std::move(message), bytes_received};
}

// One request from SendAsync() until its completion has been called. Owned by the engine
// (queue, delayed heap or active map); the libcurl callbacks get a raw pointer to it.
struct Transfer {
  Request request;
  Completion done;
  Easy easy;
  Slist headers;
  Response response;
  uint64_t upload_size = 0;
  uint64_t upload_pos = 0;
  int status = 0;  // from the latest status line seen (1xx interim answers included)
  bool body_failed = false;
  std::string body_error;
  bool sink_aborted = false;
  char errbuf[CURL_ERROR_SIZE] = {};
};

// "HTTP/1.1 200 OK" -> 200; 0 when malformed.
int ParseStatusLine(std::string_view line) {
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos) return 0;
  std::string_view code = line.substr(sp + 1, 3);
  uint64_t v = 0;
  if (code.size() != 3 || !str::ParseUint64(code, &v)) return 0;
  return static_cast<int>(v);
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  std::string_view line(data, len);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (str::StartsWith(line, "HTTP/")) {
    // A new status line (e.g. after "100 Continue"): headers so far belonged to another answer.
    t->response.headers = Headers();
    t->status = ParseStatusLine(line);
    return len;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos && colon > 0) {
    t->response.headers.Add(std::string(str::Trim(line.substr(0, colon))),
                            std::string(str::Trim(line.substr(colon + 1))));
  }
  return len;
}

size_t OnWrite(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  if (len == 0) return 0;
  t->response.bytes_received += len;
  const bool success = t->status >= 200 && t->status < 300;
  if (success && t->request.sink != nullptr) {
    if (!t->request.sink->Write(data, len)) {
      t->sink_aborted = true;
      return 0;  // anything but `len` fails the transfer with CURLE_WRITE_ERROR
    }
    return len;
  }
  if (success) {
    t->response.body.append(data, len);  // no sink: the caller opted into buffering
  } else {
    size_t room = kMaxErrorBody - std::min(kMaxErrorBody, t->response.body.size());
    t->response.body.append(data, std::min(len, room));  // keep reading: the connection stays
  }
  return len;
}

size_t OnRead(char* buf, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t want =
      static_cast<size_t>(std::min<uint64_t>(size * n, t->upload_size - t->upload_pos));
  if (want == 0) return 0;
  if (t->request.body) {
    std::memcpy(buf, t->request.body->data() + t->upload_pos, want);
    t->upload_pos += want;
    return want;
  }
  if (!t->request.body_source) return 0;
  int64_t got = t->request.body_source->Read(buf, want);
  if (got <= 0 || static_cast<uint64_t>(got) > want) {
    t->body_failed = true;
    t->body_error = got < 0    ? "request body source failed to read"
                    : got == 0 ? "request body source ended at " + std::to_string(t->upload_pos) +
                                     " of " + std::to_string(t->upload_size) + " bytes"
                               : "request body source returned more bytes than asked";
    return CURL_READFUNC_ABORT;
  }
  t->upload_pos += static_cast<uint64_t>(got);
  return static_cast<size_t>(got);
}

// libcurl rewinds the upload when it resends a request (e.g. a reused connection turned out
// to be dead).
int OnSeek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset != 0) return CURL_SEEKFUNC_CANTSEEK;
  if (t->request.body_source && !t->request.body_source->Rewind()) return CURL_SEEKFUNC_FAIL;
  t->upload_pos = 0;
  return CURL_SEEKFUNC_OK;
}

int OnDebug(CURL* /*easy*/, curl_infotype type, char* data, size_t size, void* /*user*/) {
  const char* dir = nullptr;
  switch (type) {
    case CURLINFO_TEXT:
      dir = "* ";
      break;
    case CURLINFO_HEADER_IN:
      dir = "< ";
      break;
    case CURLINFO_HEADER_OUT:
      dir = "> ";
      break;
    default:
      return 0;  // bodies and TLS records are never logged
  }
  for (const std::string& line : str::Split(std::string_view(data, size), '\n')) {
    std::string_view l = str::Trim(line);
    if (l.empty()) continue;
    S3FS_LOG_DEBUG("curl {}{}", dir, internal::RedactUrl(internal::RedactHeaderLine(l)));
  }
  return 0;
}

Kind MapCode(CURLcode code, const Transfer& t) {
  if (t.body_failed) return Kind::kInvalid;
  if (t.sink_aborted) return Kind::kAborted;
  switch (code) {
    case CURLE_COULDNT_CONNECT:
      return Kind::kConnect;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return Kind::kDns;
    case CURLE_OPERATION_TIMEDOUT:
      return Kind::kTimeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED:
      return Kind::kTls;
    case CURLE_SEND_ERROR:
    case CURLE_READ_ERROR:
    case CURLE_SEND_FAIL_REWIND:
      return Kind::kSend;
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return Kind::kReceive;
    case CURLE_WRITE_ERROR:
    case CURLE_ABORTED_BY_CALLBACK:
      return Kind::kAborted;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_NOT_BUILT_IN:
      return Kind::kInvalid;
    default:
      return Kind::kReceive;
  }
}

// A header name is a token; a value must not be able to start another header line.
bool ValidHeader(const std::string& name, const std::string& value) {
  if (name.empty()) return false;
  for (char c : name) {
    if (c <= ' ' || c == ':' || c == 0x7f) return false;
  }
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos;
}

// The state shared by the transport handle and its event thread.
class Engine {
 public:
  explicit Engine(CurlOptions options) : o_(std::move(options)) {}
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  // Requires that Run() has returned (or never started).
  ~Engine() = default;

  // Creates the multi handle. Returns an error message on failure.
  std::optional<std::string> Init() {
    multi_.reset(curl_multi_init());
    if (!multi_) return "curl_multi_init failed";
    CURLMcode mc =
        curl_multi_setopt(multi_.get(), CURLMOPT_MAX_TOTAL_CONNECTIONS, o_.max_connections);
    if (mc == CURLM_OK) {
      mc = curl_multi_setopt(multi_.get(), CURLMOPT_MAX_HOST_CONNECTIONS, o_.max_host_connections);
    }
    if (mc == CURLM_OK) {
      mc = curl_multi_setopt(multi_.get(), CURLMOPT_MAXCONNECTS, o_.max_connections);
    }
    if (mc != CURLM_OK) return std::string("curl_multi_setopt: ") + curl_multi_strerror(mc);
    return std::nullopt;
  }

  // Thread-safe. Queues `t` (to start after `delay`) and wakes the event thread; once Stop()
  // was called the completion is called right away, on the calling thread, with kAborted.
  void Enqueue(std::unique_ptr<Transfer> t, std::chrono::milliseconds delay) {
    {
      std::lock_guard lock(mu_);
      if (!stopping_) {
        if (delay.count() > 0) {
          delayed_.push_back(Delayed{Clock::now() + delay, seq_++, std::move(t)});
          std::push_heap(delayed_.begin(), delayed_.end(), Later);
        } else {
          incoming_.push_back(std::move(t));
        }
      }
    }
    if (t != nullptr) {
      if (t->done) t->done(Fail(MakeError(Kind::kAborted, "transport is shutting down")));
      return;
    }
    curl_multi_wakeup(multi_.get());
  }

  // Thread-safe. Makes Run() abort everything and return; later Enqueue() calls fail at once.
  void Stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    curl_multi_wakeup(multi_.get());
  }

  // The event loop (the engine's thread). Returns after Stop(), once every transfer that was
  // ever enqueued has had its completion called.
  void Run() {
    std::vector<std::unique_ptr<Transfer>> starting;
    while (true) {
      int timeout_ms = kMaxPollMs;
      {
        std::lock_guard lock(mu_);
        if (stopping_) break;
        for (auto& t : incoming_) starting.push_back(std::move(t));
        incoming_.clear();
        const auto now = Clock::now();
        while (!delayed_.empty() && delayed_.front().due <= now) {
          std::pop_heap(delayed_.begin(), delayed_.end(), Later);
          starting.push_back(std::move(delayed_.back().transfer));
          delayed_.pop_back();
        }
        if (!delayed_.empty()) {
          auto wait = std::chrono::ceil<std::chrono::milliseconds>(delayed_.front().due - now);
          timeout_ms = static_cast<int>(std::clamp<int64_t>(wait.count(), 1, kMaxPollMs));
        }
      }
      for (auto& t : starting) Start(std::move(t));
      starting.clear();
      int running = 0;
      CURLMcode mc = curl_multi_perform(multi_.get(), &running);
      if (mc != CURLM_OK) S3FS_LOG_WARN("curl_multi_perform: {}", curl_multi_strerror(mc));
      DrainFinished();
      // SendAsync() from a completion above has already signalled the wake-up: poll returns
      // at once then.
      mc = curl_multi_poll(multi_.get(), nullptr, 0, timeout_ms, nullptr);
      if (mc != CURLM_OK) {
        S3FS_LOG_WARN("curl_multi_poll: {}", curl_multi_strerror(mc));
        std::this_thread::sleep_for(std::chrono::milliseconds(10));  // no busy loop
      }
    }
    Shutdown();
  }

 private:
  struct Delayed {
    Clock::time_point due;
    uint64_t seq;  // FIFO among equal due times
    std::unique_ptr<Transfer> transfer;
  };
  // Heap order: the earliest due time on top.
  static bool Later(const Delayed& a, const Delayed& b) {
    return a.due != b.due ? a.due > b.due : a.seq > b.seq;
  }

  Easy TakeEasy() {
    if (free_easy_.empty()) return Easy(curl_easy_init());
    Easy e = std::move(free_easy_.back());
    free_easy_.pop_back();
    return e;
  }

  // Takes back a detached easy handle. Only a handle whose transfer succeeded is reset and kept
  // for the next transfer: libcurl 7.88 leaves a handle that failed early (e.g. on an
  // unsupported protocol) in a state that curl_easy_reset() does not clear, so any other is
  // destroyed. Connections live in the multi handle either way.
  void ReleaseEasy(Easy e, bool reusable) {
    if (!e || !reusable || free_easy_.size() >= kMaxFreeEasy) return;
    curl_easy_reset(e.get());  // drops every pointer into the old Transfer
    free_easy_.push_back(std::move(e));
  }

  // Calls the completion of a transfer that is not (or no longer) in the multi handle.
  // `reusable`: the easy handle finished a transfer without a libcurl error.
  void Finish(std::unique_ptr<Transfer> t, Result<Response, TransportError> result, bool reusable) {
    ReleaseEasy(std::move(t->easy), reusable);
    t->headers.reset();
    Completion done = std::move(t->done);
    if (done) done(std::move(result));
  }

  // Sets up the easy handle of `t` for its request.
  std::optional<TransportError> Prepare(Transfer& t) {
    const Request& r = t.request;
    const bool has_body = r.body != nullptr || r.body_source != nullptr;
    if (r.body && r.body_source) {
      return MakeError(Kind::kInvalid, "request has both a body and a body source");
    }
    if (has_body && (r.method == Method::kGet || r.method == Method::kHead)) {
      return MakeError(Kind::kInvalid, std::string(MethodName(r.method)) + " with a body");
    }
    for (const auto& [name, value] : r.headers.entries()) {
      if (!ValidHeader(name, value)) {
        return MakeError(Kind::kInvalid, "invalid header name or value: " + name);
      }
    }
    t.upload_size = r.BodySize();
    t.upload_pos = 0;

    // Header list: every request header ("Name;" is libcurl's syntax for an empty value),
    // then libcurl's defaults that S3 requests must not carry are removed.
    curl_slist* list = nullptr;
    bool oom = false;
    auto append = [&](const std::string& line) {
      curl_slist* next = curl_slist_append(list, line.c_str());
      if (next == nullptr) {
        oom = true;
      } else {
        list = next;
      }
    };
    for (const auto& [name, value] : r.headers.entries()) {
      append(value.empty() ? name + ";" : name + ": " + value);
    }
    if (!r.headers.Has("Expect")) append("Expect:");  // no 100-continue round trip
    if (!r.headers.Has("Accept")) append("Accept:");
    if (r.method == Method::kPost && !r.headers.Has("Content-Type")) {
      append("Content-Type:");  // not libcurl's form default
    }
    if (r.method == Method::kDelete && !has_body && !r.headers.Has("Content-Length")) {
      append("Content-Length: 0");
    }
    t.headers.reset(list);
    if (oom) return MakeError(Kind::kInvalid, "out of memory building the header list");

    t.easy = TakeEasy();
    CURL* e = t.easy.get();
    if (e == nullptr) return MakeError(Kind::kInvalid, "curl_easy_init failed");
    CURLcode rc = CURLE_OK;
    auto check = [&rc](CURLcode c) {
      if (rc == CURLE_OK) rc = c;
    };
    check(curl_easy_setopt(e, CURLOPT_URL, r.url.c_str()));
    check(curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https"));
    check(curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L));  // S3 redirects are answers
    check(curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L));      // keys may hold "." and ".." segments
    check(curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1)));
    check(curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L));
    check(curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L));
    // Best effort (performance only, never fatal): keep-alive probes on idle pooled
    // connections; larger buffers mean fewer callbacks and syscalls per byte on bulk transfers.
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 512L * 1024);
    curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
    check(curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.errbuf));
    check(curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                           static_cast<long>(o_.connect_timeout.count())));
    if (r.timeout.count() > 0) {
      check(curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(r.timeout.count())));
    }
    check(curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, o_.low_speed_bytes));
    check(
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, static_cast<long>(o_.low_speed_time.count())));
    check(curl_easy_setopt(e, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2)));
    check(curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, o_.verify_tls ? 1L : 0L));
    check(curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, o_.verify_tls ? 2L : 0L));
    if (!o_.ca_file.empty()) check(curl_easy_setopt(e, CURLOPT_CAINFO, o_.ca_file.c_str()));
    check(curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, OnHeader));
    check(curl_easy_setopt(e, CURLOPT_HEADERDATA, &t));
    check(curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, OnWrite));
    check(curl_easy_setopt(e, CURLOPT_WRITEDATA, &t));
    if (o_.verbose) {
      check(curl_easy_setopt(e, CURLOPT_VERBOSE, 1L));
      check(curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, OnDebug));
    }
    const auto size = static_cast<curl_off_t>(t.upload_size);
    switch (r.method) {
      case Method::kGet:
        check(curl_easy_setopt(e, CURLOPT_HTTPGET, 1L));
        break;
      case Method::kHead:
        check(curl_easy_setopt(e, CURLOPT_NOBODY, 1L));
        break;
      case Method::kPut:
        check(curl_easy_setopt(e, CURLOPT_UPLOAD, 1L));
        check(curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, size));
        break;
      case Method::kPost:
        check(curl_easy_setopt(e, CURLOPT_POST, 1L));
        check(curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, size));
        break;
      case Method::kDelete:
        check(curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE"));
        if (has_body) {
          check(curl_easy_setopt(e, CURLOPT_UPLOAD, 1L));
          check(curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, size));
        }
        break;
    }
    if (r.method == Method::kPut || r.method == Method::kPost || has_body) {
      check(curl_easy_setopt(e, CURLOPT_READFUNCTION, OnRead));
      check(curl_easy_setopt(e, CURLOPT_READDATA, &t));
      check(curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, OnSeek));
      check(curl_easy_setopt(e, CURLOPT_SEEKDATA, &t));
    }
    check(curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers.get()));
    if (rc != CURLE_OK) {
      return MakeError(Kind::kInvalid, std::string("curl_easy_setopt: ") + curl_easy_strerror(rc));
    }
    return std::nullopt;
  }

  void Start(std::unique_ptr<Transfer> t) {
    if (auto err = Prepare(*t)) {
      Finish(std::move(t), Fail(std::move(*err)), /*reusable=*/false);
      return;
    }
    CURL* e = t->easy.get();
    CURLMcode mc = curl_multi_add_handle(multi_.get(), e);
    if (mc != CURLM_OK) {
      std::string msg = std::string("curl_multi_add_handle: ") + curl_multi_strerror(mc);
      Finish(std::move(t), Fail(MakeError(Kind::kInvalid, std::move(msg))), /*reusable=*/false);
      return;
    }
    active_.emplace(e, std::move(t));
  }

  void DrainFinished() {
    int queued = 0;
    while (CURLMsg* m = curl_multi_info_read(multi_.get(), &queued)) {
      if (m->msg != CURLMSG_DONE) continue;
      // Copy out: the message dies when the handle is removed.
      CURL* e = m->easy_handle;
      CURLcode code = m->data.result;
      Complete(e, code);
    }
  }

  void Complete(CURL* e, CURLcode code) {
    curl_multi_remove_handle(multi_.get(), e);
    auto it = active_.find(e);
    if (it == active_.end()) return;
    std::unique_ptr<Transfer> t = std::move(it->second);
    active_.erase(it);
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    const uint64_t got = t->response.bytes_received;
    if (code != CURLE_OK) {
      std::string msg = curl_easy_strerror(code);
      if (t->body_failed) {
        msg += ": " + t->body_error;
      } else if (t->sink_aborted) {
        msg += ": the response body sink refused the data";
      }
      if (t->errbuf[0] != '\0') msg += std::string(": ") + t->errbuf;
      Kind kind = MapCode(code, *t);
      Finish(std::move(t), Fail(MakeError(kind, internal::RedactUrl(msg), got)),
             /*reusable=*/false);
      return;
    }
    t->response.status = static_cast<int>(status);
    // A 2xx body shorter (or longer) than its Content-Length is a failure, never success.
    // libcurl catches this on its own (CURLE_PARTIAL_FILE); this is a second line of defence.
    if (t->request.method != Method::kHead && status >= 200 && status < 300 &&
        !t->response.headers.Has("Transfer-Encoding")) {
      if (auto cl = t->response.headers.Get("Content-Length")) {
        uint64_t expected = 0;
        if (str::ParseUint64(str::Trim(*cl), &expected) && expected != got) {
          std::string msg = "body truncated: got " + std::to_string(got) + " of " +
                            std::to_string(expected) + " bytes";
          Finish(std::move(t), Fail(MakeError(Kind::kReceive, std::move(msg), got)),
                 /*reusable=*/false);
          return;
        }
      }
    }
    Response response = std::move(t->response);
    Finish(std::move(t), std::move(response), /*reusable=*/true);
  }

  // Fails every queued, delayed and in-flight transfer with kAborted (each completion exactly
  // once). Enqueue() fails at once from now on, so nothing is left behind.
  void Shutdown() {
    std::vector<std::unique_ptr<Transfer>> pending;
    {
      std::lock_guard lock(mu_);
      for (auto& t : incoming_) pending.push_back(std::move(t));
      incoming_.clear();
      for (auto& d : delayed_) pending.push_back(std::move(d.transfer));
      delayed_.clear();
    }
    for (auto& [e, t] : active_) {
      curl_multi_remove_handle(multi_.get(), e);
      pending.push_back(std::move(t));
    }
    active_.clear();
    for (auto& t : pending) {
      const uint64_t got = t->response.bytes_received;
      Finish(std::move(t), Fail(MakeError(Kind::kAborted, "transport shut down", got)),
             /*reusable=*/false);
    }
    free_easy_.clear();
  }

  const CurlOptions o_;
  Multi multi_;  // declared first: destroyed after every easy handle below
  std::mutex mu_;
  bool stopping_ = false;                            // guarded by mu_
  uint64_t seq_ = 0;                                 // guarded by mu_
  std::vector<std::unique_ptr<Transfer>> incoming_;  // guarded by mu_
  std::vector<Delayed> delayed_;                     // guarded by mu_; a heap ordered by Later
  // Event thread only.
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> active_;
  std::vector<Easy> free_easy_;
};

class CurlTransport final : public Transport {
 public:
  CurlTransport(std::shared_ptr<Engine> engine, std::thread thread)
      : engine_(std::move(engine)), thread_(std::move(thread)) {}
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  ~CurlTransport() override {
    engine_->Stop();
    if (thread_.get_id() == std::this_thread::get_id()) {
      // Dropped from a completion: the thread owns a reference to the engine and finishes the
      // shutdown after that completion returns.
      thread_.detach();
    } else {
      thread_.join();
    }
  }

  void SendAsync(Request request, Completion done, std::chrono::milliseconds delay) override {
    auto t = std::make_unique<Transfer>();
    t->request = std::move(request);
    t->done = std::move(done);
    engine_->Enqueue(std::move(t), delay);
  }

 private:
  std::shared_ptr<Engine> engine_;
  std::thread thread_;
};

}  // namespace

Result<std::shared_ptr<Transport>, TransportError> MakeCurlTransport(const CurlOptions& options) {
  if (CURLcode rc = GlobalInit(); rc != CURLE_OK) {
    return Fail(
        MakeError(Kind::kInvalid, std::string("curl_global_init: ") + curl_easy_strerror(rc)));
  }
  auto engine = std::make_shared<Engine>(options);
  if (auto err = engine->Init()) return Fail(MakeError(Kind::kInvalid, std::move(*err)));
  std::thread thread([engine] { engine->Run(); });
  return std::shared_ptr<Transport>(
      std::make_shared<CurlTransport>(std::move(engine), std::move(thread)));
}

}  // namespace s3fs::http
