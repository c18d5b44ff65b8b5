// Client core: addressing, signing, the retry loop and the per-request log line.
#include "s3fs/s3/client.h"

#include <map>

#include "s3fs/common/log.h"
#include "s3fs/common/strings.h"
#include "s3fs/s3/crypto.h"
#include "s3fs/s3/uri.h"
#include "s3fs/s3/validate.h"
#include "s3fs/s3/xml.h"

namespace s3fs::s3 {

struct Client::Attempt {
  Operation op;
  Callback<http::Response> done;
  int attempts = 0;
  // Failed attempts per retry rule (SlowDown, 5xx, network, stream): each rule's budget counts
  // only its own failures, so a SlowDown or two do not use up an InternalError's attempts.
  std::map<const RetryRule*, int> failures;
  std::chrono::steady_clock::time_point started;
  uint64_t sink_bytes = 0;      // body bytes delivered to op.sink so far
  uint64_t bytes_sent = 0;      // request bodies of every attempt (observer)
  uint64_t bytes_received = 0;  // response bodies of every attempt (observer)
  std::unique_ptr<http::BodySink> counting_sink;
};

namespace {

// Counts what reaches the caller's sink, so a failed streaming GET is only retried when
// nothing was delivered yet.
class CountingSink final : public http::BodySink {
 public:
  CountingSink(http::BodySink* inner, uint64_t* count) : inner_(inner), count_(count) {}
  bool Write(const char* data, size_t n) override {
    *count_ += n;
    return inner_->Write(data, n);
  }

 private:
  http::BodySink* inner_;
  uint64_t* count_;
};

std::string Redacted(const Client::Operation& op) {
  // Log keys as given: they are user data, not secrets. Never log headers or query values
  // (they may carry SSE-C keys or tokens).
  return op.bucket.empty() ? "-" : op.bucket + (op.key.empty() ? "" : "/" + op.key);
}

}  // namespace

S3Result<std::unique_ptr<Client>> Client::Create(ClientConfig config,
                                                 std::shared_ptr<http::Transport> transport,
                                                 std::shared_ptr<CredentialsProvider> creds,
                                                 std::shared_ptr<Clock> clock,
                                                 std::shared_ptr<Random> random) {
  if (config.region.empty()) {
    return Fail(ConfigurationError("MissingRegion", "no region configured"));
  }
  if (!transport || !creds || !clock || !random) {
    return Fail(ConfigurationError("InvalidConfiguration",
                                   "client needs a transport, credentials, clock and random"));
  }
  std::unique_ptr<Client> c(new Client(std::move(config), std::move(transport), std::move(creds),
                                       std::move(clock), std::move(random)));
  std::string endpoint = c->config_.endpoint;
  if (endpoint.empty()) {
    endpoint = c->config_.region == "us-east-1"
                   ? "https://s3.amazonaws.com"
                   : "https://s3." + c->config_.region + ".amazonaws.com";
  }
  if (endpoint.find("://") == std::string::npos) endpoint = "https://" + endpoint;
  uri::Url url;
  if (!uri::Parse(endpoint, &url) || url.host.empty()) {
    return Fail(
        ConfigurationError("InvalidEndpoint", "endpoint '" + endpoint + "' is not an http(s) URL"));
  }
  if (!url.query.empty()) {
    return Fail(
        ConfigurationError("InvalidEndpoint", "endpoint '" + endpoint + "' must not have a query"));
  }
  c->scheme_ = url.scheme;
  c->host_ = url.HostHeader();
  c->base_path_ = url.path;
  while (!c->base_path_.empty() && c->base_path_.back() == '/') c->base_path_.pop_back();
  c->is_aws_ = str::EndsWith(url.host, ".amazonaws.com") || url.host == "amazonaws.com";
  return c;
}

Client::Client(ClientConfig config, std::shared_ptr<http::Transport> transport,
               std::shared_ptr<CredentialsProvider> creds, std::shared_ptr<Clock> clock,
               std::shared_ptr<Random> random)
    : config_(std::move(config)),
      transport_(std::move(transport)),
      creds_(std::move(creds)),
      clock_(std::move(clock)),
      random_(std::move(random)),
      breaker_(config_.breaker, clock_) {
  if (config_.observer) {
    breaker_.SetListener(
        [observer = config_.observer](CircuitBreaker::State from, CircuitBreaker::State to) {
          observer->OnBreakerChange(from, to);
        });
  }
}

Client::~Client() = default;

bool Client::UsePathStyle(const std::string& bucket) const {
  switch (config_.addressing) {
    case ClientConfig::Addressing::kPath:
      return true;
    case ClientConfig::Addressing::kVirtualHost:
      return bucket.empty();
    case ClientConfig::Addressing::kAuto:
      // Virtual-hosted only where DNS works for it: AWS, DNS-safe names, and over https no
      // dots (the wildcard certificate covers one label).
      if (!is_aws_ || bucket.empty()) return true;
      if (!ValidateBucketName(bucket).ok()) return true;
      return scheme_ == "https" && bucket.find('.') != std::string::npos;
  }
  return true;
}

std::string Client::BuildUrl(const std::string& bucket, const std::string& key,
                             const std::vector<std::pair<std::string, std::string>>& query) const {
  std::string url = scheme_ + "://";
  std::string path = base_path_;
  bool path_style = UsePathStyle(bucket);
  if (path_style) {
    url += host_;
    if (!bucket.empty()) path += "/" + uri::Encode(bucket);
  } else {
    url += bucket + "." + host_;
  }
  if (!key.empty()) {
    path += "/" + uri::Encode(key, /*keep_slash=*/true);
  } else if (bucket.empty() || !path_style) {
    path += "/";
  }
  url += path;
  char sep = '?';
  for (const auto& [k, v] : query) {
    url += sep;
    sep = '&';
    url += uri::Encode(k);
    // Sub-resources like "uploads" or "delete" go without '=' (S3 accepts both; signing
    // canonicalises either to "name=").
    if (!v.empty()) url += "=" + uri::Encode(v);
  }
  return url;
}

S3Status Client::ValidateBucket(const std::string& bucket) const {
  return ValidateBucketName(bucket, config_.legacy_bucket_names || !is_aws_);
}

std::string Client::PayloadHash(const Operation& op, bool* ok) const {
  *ok = true;
  constexpr size_t kSignedBodyLimit = 64 << 10;
  bool sign_all = config_.payload_signing == ClientConfig::PayloadSigning::kAlways;
  bool sign_none = config_.payload_signing == ClientConfig::PayloadSigning::kUnsigned;
  if (op.body) {
    if (sign_none || (!sign_all && op.body->size() > kSignedBodyLimit)) {
      return std::string(kUnsignedPayload);
    }
    return crypto::Sha256Hex(*op.body);
  }
  if (op.body_source) {
    if (!sign_all) return std::string(kUnsignedPayload);
    crypto::Hasher h(crypto::Hasher::Algo::kSha256);
    std::string buf(1 << 16, '\0');
    while (true) {
      int64_t n = op.body_source->Read(buf.data(), buf.size());
      if (n < 0) {
        *ok = false;
        return {};
      }
      if (n == 0) break;
      h.Update(std::string_view(buf.data(), static_cast<size_t>(n)));
    }
    if (!op.body_source->Rewind()) {
      *ok = false;
      return {};
    }
    return crypto::HexEncode(h.Finish());
  }
  return std::string(kEmptySha256);
}

void Client::Execute(Operation op, Callback<http::Response> done) {
  auto a = std::make_shared<Attempt>();
  a->op = std::move(op);
  a->done = std::move(done);
  a->started = clock_->Monotonic();
  StartAttempt(std::move(a), std::chrono::milliseconds(0));
}

void Client::StartAttempt(std::shared_ptr<Attempt> a, std::chrono::milliseconds delay) {
  if (!breaker_.Allow()) {
    stats_.breaker_rejections++;
    S3Error e;
    e.category = Category::kNetwork;
    e.kind = "CircuitOpen";
    e.message =
        "endpoint " + host_ + " is failing; circuit breaker open, not sending " + a->op.name;
    Finish(std::move(a), Fail(std::move(e)));
    return;
  }
  auto creds = creds_->Get();
  if (!creds.ok()) {
    Finish(std::move(a), Fail(std::move(creds).error()));
    return;
  }
  ++a->attempts;
  http::Request req;
  req.method = a->op.method;
  req.url = BuildUrl(a->op.bucket, a->op.key, a->op.query);
  req.headers = a->op.headers;
  req.body = a->op.body;
  req.body_source = a->op.body_source;
  req.timeout = config_.request_timeout;
  if (a->op.body_source && a->attempts > 1 && !a->op.body_source->Rewind()) {
    Finish(std::move(a),
           Fail(ValidationError("ValidationError", "request body cannot be replayed for a retry")));
    return;
  }
  if (a->op.sink != nullptr) {
    a->counting_sink = std::make_unique<CountingSink>(a->op.sink, &a->sink_bytes);
    req.sink = a->counting_sink.get();
  }
  if (config_.requester_pays) req.headers.Set("x-amz-request-payer", "requester");
  if (!creds->empty()) {
    bool ok = true;
    std::string payload_hash = PayloadHash(a->op, &ok);
    if (!ok) {
      Finish(std::move(a), Fail(ValidationError("ValidationError",
                                                "could not read the request body to hash it")));
      return;
    }
    SigningParams params;
    params.region = config_.region;
    params.time = clock_->Now();
    signer_.Sign(req, *creds, params, payload_hash);
  }
  stats_.requests++;
  stats_.bytes_sent += req.BodySize();
  a->bytes_sent += req.BodySize();
  auto self = this;
  auto on_done = [self, a](Result<http::Response, http::TransportError> r) {
    if (!r.ok()) {
      // A streamed body that broke: what reached the sink was transferred (and is not sent
      // again: such an attempt is not retried).
      self->stats_.bytes_received += a->sink_bytes;
      a->bytes_received += a->sink_bytes;
      self->Finish(a, Fail(FromTransport(r.error())));
      return;
    }
    http::Response& resp = r.value();
    self->stats_.bytes_received += resp.bytes_received;
    a->bytes_received += resp.bytes_received;
    if (resp.status >= 200 && resp.status < 300) {
      self->Finish(a, std::move(resp));
      return;
    }
    S3Error e = FromHttp(resp, a->op.bucket_level);
    if (a->op.upload_scoped && e.http_status == 404 && e.kind != "BucketNotFound") {
      // RGW answers NoSuchKey where S3 says NoSuchUpload.
      e.category = Category::kMultipart;
      e.kind = "UploadNotFound";
    }
    self->Finish(a, Fail(std::move(e)));
  };
  transport_->SendAsync(std::move(req), std::move(on_done), delay);
}

void Client::Report(const Attempt& a, const S3Result<http::Response>& result,
                    std::chrono::steady_clock::duration elapsed) const {
  if (!config_.observer) return;
  RequestReport r;
  r.operation = a.op.name;
  r.bucket = a.op.bucket;
  r.http_status = result.ok() ? result->status : result.error().http_status;
  r.error = result.ok() ? nullptr : &result.error();
  r.attempts = a.attempts;
  r.duration = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed);
  r.bytes_sent = a.bytes_sent;
  r.bytes_received = a.bytes_received;
  config_.observer->OnRequest(r);
}

void Client::Finish(std::shared_ptr<Attempt> a, S3Result<http::Response> result) {
  const auto took = clock_->Monotonic() - a->started;
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(took);
  if (result.ok()) {
    breaker_.OnSuccess();
    S3FS_LOG_DEBUG("s3 op={} target={} status={} request_id={} bytes={} duration_ms={} attempt={}",
                   a->op.name, Redacted(a->op), result->status,
                   result->headers.Get("x-amz-request-id").value_or("-"),
                   result->bytes_received + (a->op.body ? a->op.body->size() : 0), elapsed.count(),
                   a->attempts);
    Report(*a, result, took);
    a->done(std::move(result));
    return;
  }
  const S3Error& e = result.error();
  if (e.kind != "CircuitOpen") {
    if (CircuitBreaker::IsEndpointFailure(e)) {
      breaker_.OnFailure();
    } else if (e.http_status != 0) {
      breaker_.OnSuccess();
    }
  }
  bool replayable = a->sink_bytes == 0;
  std::optional<std::chrono::milliseconds> delay;
  if (const RetryRule* rule = config_.retry.RuleFor(e); rule != nullptr && replayable) {
    delay = config_.retry.NextDelay(e, ++a->failures[rule], *random_);
  }
  if (delay && e.kind != "CircuitOpen") {
    stats_.retries++;
    if (config_.observer) config_.observer->OnRetry(a->op.name, a->op.bucket, a->attempts, e);
    S3FS_LOG_WARN("s3 op={} target={} attempt={} failed: {}; retrying in {} ms", a->op.name,
                  Redacted(a->op), a->attempts, e.ToString(), delay->count());
    // The request is signed now and the transport holds it for `delay`: no thread sleeps.
    StartAttempt(std::move(a), *delay);
    return;
  }
  stats_.failures++;
  S3FS_LOG_DEBUG("s3 op={} target={} failed after {} attempt(s) in {} ms: {}", a->op.name,
                 Redacted(a->op), a->attempts, elapsed.count(), e.ToString());
  Report(*a, result, took);
  a->done(std::move(result));
}

}  // namespace s3fs::s3
