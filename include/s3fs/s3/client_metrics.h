// ClientMetrics: a ClientObserver that keeps the S3 client's Prometheus metrics (client
// specification §9.2) in a metrics::Registry. docs/metrics.md lists every family and label.
//
// Families: s3_requests_total, s3_request_duration_seconds, s3_bytes_transferred_total,
// s3_objects_listed_total, s3_multipart_parts_total, s3_errors_total, s3_retries_total,
// s3_circuit_breaker_state, s3_circuit_breaker_transitions_total, s3_presigned_urls_total.
//
// Thread safety: as ClientObserver (any thread, never blocks).
#ifndef S3FS_S3_CLIENT_METRICS_H_
#define S3FS_S3_CLIENT_METRICS_H_

#include "s3fs/common/metrics.h"
#include "s3fs/s3/client_observer.h"

namespace s3fs::s3 {

class ClientMetrics final : public ClientObserver {
 public:
  // Registers the families in `registry`, which must outlive this object.
  explicit ClientMetrics(metrics::Registry& registry);

  void OnRequest(const RequestReport& report) override;
  void OnRetry(std::string_view operation, std::string_view bucket, int attempt,
               const S3Error& error) override;
  void OnBreakerChange(CircuitBreaker::State from, CircuitBreaker::State to) override;
  void OnPresign(std::string_view operation) override;
  void OnObjectsListed(std::string_view bucket, uint64_t keys) override;

 private:
  metrics::CounterFamily& requests_;
  metrics::HistogramFamily& duration_;
  metrics::CounterFamily& bytes_;
  metrics::CounterFamily& listed_;
  metrics::CounterFamily& parts_;
  metrics::CounterFamily& errors_;
  metrics::CounterFamily& retries_;
  metrics::GaugeFamily& breaker_state_;
  metrics::CounterFamily& breaker_transitions_;
  metrics::CounterFamily& presigned_;
};

}  // namespace s3fs::s3

#endif  // S3FS_S3_CLIENT_METRICS_H_
