// HTTP value types shared by the transport and its users (the S3 layer).
//
// Headers are kept as a list ordered by insertion; lookups are case-insensitive. Bodies are
// either held in memory (std::string) or streamed from a BodySource; responses either buffer
// their body or stream it into a BodySink (only for 2xx answers: error bodies are always
// buffered so that the caller can parse them).
#ifndef S3FS_HTTP_TYPES_H_
#define S3FS_HTTP_TYPES_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "s3fs/common/result.h"

namespace s3fs::http {

enum class Method { kGet, kHead, kPut, kPost, kDelete };
std::string_view MethodName(Method m);

// True for headers whose values are secrets: credentials and signatures (Authorization,
// Proxy-Authorization, X-Amz-Security-Token, X-aws-ec2-metadata-token) and SSE-C keys
// (X-Amz-[Copy-Source-]Server-Side-Encryption-Customer-Key*). Case-insensitive. Their values
// are never logged, and Headers wipes them from memory when it drops them.
bool IsSecretHeader(std::string_view name);

class Headers {
 public:
  using Entry = std::pair<std::string, std::string>;
  Headers() = default;
  Headers(const Headers&) = default;
  Headers(Headers&&) noexcept = default;
  // Both wipe the secret values held before.
  Headers& operator=(const Headers& other);
  Headers& operator=(Headers&& other) noexcept;
  ~Headers() { WipeSecretValues(); }
  // Replaces any existing header of the same name (case-insensitive).
  void Set(std::string name, std::string value);
  // Appends without replacing (multi-valued headers).
  void Add(std::string name, std::string value);
  void Remove(std::string_view name);
  // First value of `name`, case-insensitive.
  std::optional<std::string> Get(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }
  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  // Overwrites the values of secret headers (IsSecretHeader) with zeros and empties them; the
  // names stay. Called on destruction, assignment and Remove/Set of a secret header.
  void WipeSecretValues();

 private:
  std::vector<Entry> entries_;
};

// A body to upload that may be larger than memory. Read() is called from the transport's
// thread. Rewind() restarts it so a request can be retried; a source that cannot rewind
// returns false and the request is then not retried after bytes were sent.
class BodySource {
 public:
  virtual ~BodySource() = default;
  // Total size in bytes (a Content-Length is always sent; chunked uploads are not used).
  virtual uint64_t Size() const = 0;
  // Copies up to `n` bytes into `buf`; returns bytes copied (0 at end) or -1 on a read error.
  virtual int64_t Read(char* buf, size_t n) = 0;
  virtual bool Rewind() = 0;
};

// A BodySource over bytes in memory (shared, so retries and copies are cheap).
class StringBodySource final : public BodySource {
 public:
  explicit StringBodySource(std::shared_ptr<const std::string> data);
  uint64_t Size() const override { return data_->size(); }
  int64_t Read(char* buf, size_t n) override;
  bool Rewind() override {
    pos_ = 0;
    return true;
  }

 private:
  std::shared_ptr<const std::string> data_;
  size_t pos_ = 0;
};

// Receives a 2xx response body as it arrives. Write() returns false to abort the transfer
// (the request then fails with TransportError::kAborted).
class BodySink {
 public:
  virtual ~BodySink() = default;
  virtual bool Write(const char* data, size_t n) = 0;
};

struct Request {
  Method method = Method::kGet;
  std::string url;  // absolute, already percent-encoded as it goes on the wire
  Headers headers;
  // Exactly one of these carries the body (or neither, for no body).
  std::shared_ptr<const std::string> body;
  std::shared_ptr<BodySource> body_source;
  // Streams a 2xx response body here instead of buffering it.
  BodySink* sink = nullptr;
  // Whole-request deadline (0 = none); stalls are caught by the transport's low-speed limit.
  std::chrono::milliseconds timeout{0};

  uint64_t BodySize() const;
};

struct Response {
  int status = 0;
  Headers headers;
  std::string body;             // empty when streamed into Request::sink
  uint64_t bytes_received = 0;  // body bytes received (buffered or streamed)
};

struct TransportError {
  enum class Kind {
    kConnect,  // connection refused/failed
    kDns,      // name resolution failed
    kTimeout,  // connect timeout, whole-request timeout, or stall (low-speed limit)
    kTls,      // TLS handshake or certificate verification failed
    kSend,     // failure while sending (incl. connection reset)
    kReceive,  // failure while receiving (incl. truncated body, connection reset)
    kAborted,  // aborted by the sink or by shutdown
    kInvalid,  // malformed request (bad URL, body read failure)
  };
  Kind kind = Kind::kConnect;
  std::string message;
  uint64_t bytes_received = 0;  // body bytes that reached the sink before the failure
};
std::string_view TransportErrorKindName(TransportError::Kind k);

using Completion = std::function<void(Result<Response, TransportError>)>;

}  // namespace s3fs::http

#endif  // S3FS_HTTP_TYPES_H_
