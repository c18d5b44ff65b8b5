// ClientObserver: the narrow hook through which s3::Client reports what it did — one call
// when an operation finishes (after its retries), one per retry, one per circuit breaker
// transition, one per presigned URL and per listing page. ClientMetrics (client_metrics.h)
// turns these into Prometheus metrics; tests may record them.
//
// Calls run on whatever thread finished the work (often the transport's event thread): an
// observer must be thread-safe, must not block and must not call back into the client.
#ifndef S3FS_S3_CLIENT_OBSERVER_H_
#define S3FS_S3_CLIENT_OBSERVER_H_

#include <chrono>
#include <cstdint>
#include <string_view>

#include "s3fs/s3/error.h"
#include "s3fs/s3/retry.h"

namespace s3fs::s3 {

// One finished operation (all its attempts).
struct RequestReport {
  std::string_view operation;  // "PutObject"
  std::string_view bucket;     // empty for ListBuckets
  int http_status = 0;         // of the final answer; 0 when none (network, breaker, validation)
  const S3Error* error = nullptr;        // null on success
  int attempts = 0;                      // requests sent (0 when none was, e.g. circuit open)
  std::chrono::nanoseconds duration{0};  // from the first attempt to the result
  uint64_t bytes_sent = 0;               // request bodies, every attempt
  uint64_t bytes_received = 0;           // response bodies, every attempt
};

class ClientObserver {
 public:
  virtual ~ClientObserver() = default;
  virtual void OnRequest(const RequestReport& report) = 0;
  // Attempt number `attempt` failed with `error` and the operation will be sent again.
  virtual void OnRetry(std::string_view operation, std::string_view bucket, int attempt,
                       const S3Error& error) = 0;
  virtual void OnBreakerChange(CircuitBreaker::State from, CircuitBreaker::State to) = 0;
  // A presigned URL was generated for `operation` ("GetObject", "PutObject", "DeleteObject").
  virtual void OnPresign(std::string_view operation) = 0;
  // A ListObjectsV2 page named `keys` objects.
  virtual void OnObjectsListed(std::string_view bucket, uint64_t keys) = 0;
};

}  // namespace s3fs::s3

#endif  // S3FS_S3_CLIENT_OBSERVER_H_
