// The S3 client's Prometheus metrics; see the header.
#include "s3fs/s3/client_metrics.h"

#include <charconv>

namespace s3fs::s3 {
namespace {

// Decimal form of `n` in `buf`, without allocating.
std::string_view Decimal(int n, char (&buf)[16]) {
  auto r = std::to_chars(buf, buf + sizeof buf, n);
  return std::string_view(buf, static_cast<size_t>(r.ptr - buf));
}

constexpr CircuitBreaker::State kStates[] = {
    CircuitBreaker::State::kClosed, CircuitBreaker::State::kOpen, CircuitBreaker::State::kHalfOpen};

}  // namespace

ClientMetrics::ClientMetrics(metrics::Registry& r)
    : requests_(r.AddCounter("s3_requests_total",
                             "S3 operations finished (after retries), by final HTTP status "
                             "(\"none\" when no answer arrived).",
                             {"operation", "bucket", "status"})),
      duration_(r.AddHistogram("s3_request_duration_seconds",
                               "Time from an S3 operation's first attempt to its result, retries "
                               "and backoff included.",
                               {"operation", "bucket"})),
      bytes_(r.AddCounter("s3_bytes_transferred_total",
                          "Body bytes sent and received by S3 requests, every attempt.",
                          {"operation", "bucket", "direction"})),
      listed_(r.AddCounter("s3_objects_listed_total", "Keys returned by ListObjectsV2 pages.",
                           {"bucket"})),
      parts_(r.AddCounter("s3_multipart_parts_total",
                          "Multipart parts uploaded (UploadPart, UploadPartCopy), by outcome.",
                          {"bucket", "status"})),
      errors_(r.AddCounter("s3_errors_total",
                           "S3 operations that failed (after retries), by error category and "
                           "S3 error code.",
                           {"operation", "error_type", "s3_code"})),
      retries_(r.AddCounter("s3_retries_total",
                            "Attempts that failed and were retried, by the failed attempt's "
                            "number.",
                            {"operation", "attempt"})),
      breaker_state_(r.AddGauge("s3_circuit_breaker_state",
                                "1 for the circuit breaker's current state, 0 for the others.",
                                {"state"})),
      breaker_transitions_(r.AddCounter("s3_circuit_breaker_transitions_total",
                                        "Circuit breaker state changes, by the state entered.",
                                        {"state"})),
      presigned_(
          r.AddCounter("s3_presigned_urls_total", "Presigned URLs generated.", {"operation"})) {
  for (auto s : kStates) {
    breaker_state_.With({CircuitBreaker::StateName(s)}).Set(s == CircuitBreaker::State::kClosed);
  }
}

void ClientMetrics::OnRequest(const RequestReport& r) {
  char buf[16];
  const std::string_view status = r.http_status > 0 ? Decimal(r.http_status, buf) : "none";
  requests_.With({r.operation, r.bucket, status}).Inc();
  duration_.With({r.operation, r.bucket})
      .Observe(std::chrono::duration<double>(r.duration).count());
  if (r.bytes_sent > 0) bytes_.With({r.operation, r.bucket, "sent"}).Inc(r.bytes_sent);
  if (r.bytes_received > 0) {
    bytes_.With({r.operation, r.bucket, "received"}).Inc(r.bytes_received);
  }
  if (r.operation == "UploadPart" || r.operation == "UploadPartCopy") {
    parts_.With({r.bucket, r.error == nullptr ? "ok" : "error"}).Inc();
  }
  if (r.error != nullptr) {
    errors_.With({r.operation, CategoryName(r.error->category), r.error->s3_code}).Inc();
  }
}

void ClientMetrics::OnRetry(std::string_view operation, std::string_view, int attempt,
                            const S3Error&) {
  char buf[16];
  retries_.With({operation, Decimal(attempt, buf)}).Inc();
}

void ClientMetrics::OnBreakerChange(CircuitBreaker::State from, CircuitBreaker::State to) {
  breaker_state_.With({CircuitBreaker::StateName(from)}).Set(0);
  breaker_state_.With({CircuitBreaker::StateName(to)}).Set(1);
  breaker_transitions_.With({CircuitBreaker::StateName(to)}).Inc();
}

void ClientMetrics::OnPresign(std::string_view operation) { presigned_.With({operation}).Inc(); }

void ClientMetrics::OnObjectsListed(std::string_view bucket, uint64_t keys) {
  listed_.With({bucket}).Inc(keys);
}

}  // namespace s3fs::s3
