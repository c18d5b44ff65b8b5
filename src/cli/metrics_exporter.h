// MetricsExporter: exposes a metrics::Registry in the Prometheus text format, opt-in, in two
// ways that may be combined (docs/metrics.md):
//  - metrics_port=PORT: a minimal HTTP/1.x server bound to 127.0.0.1 only, answering
//    `GET /metrics` (and HEAD) with the rendered registry; any other path is 404, any other
//    method 405. One connection at a time, "Connection: close", 2 s to send a request;
//  - metrics_file=PATH: the rendered registry written to PATH.tmp and renamed over PATH
//    (readers never see a partial file) every `interval` and once more when stopped.
// Both run on one thread (poll on the listening socket, timed by the injected Clock). Plain
// sockets, no library.
//
// Thread safety: Start/port/WriteFile from any thread; the destructor stops the thread, then
// writes the file a last time.
#ifndef S3FS_CLI_METRICS_EXPORTER_H_
#define S3FS_CLI_METRICS_EXPORTER_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "s3fs/common/clock.h"
#include "s3fs/common/fd_io.h"
#include "s3fs/common/metrics.h"
#include "s3fs/common/result.h"

namespace s3fs::cli {

struct MetricsExporterOptions {
  int port = -1;     // -1: no server; 0: any free port (tests); else that port on 127.0.0.1
  std::string file;  // empty: no file
  std::chrono::milliseconds interval{10000};  // between file writes
};

class MetricsExporter {
 public:
  // Binds the port (an error names it when taken) and writes the file once (an error names
  // the path when it cannot be written), then starts the thread.
  static Result<std::unique_ptr<MetricsExporter>, std::string> Start(
      MetricsExporterOptions options, std::shared_ptr<metrics::Registry> registry,
      std::shared_ptr<Clock> clock);
  ~MetricsExporter();
  MetricsExporter(const MetricsExporter&) = delete;
  MetricsExporter& operator=(const MetricsExporter&) = delete;

  // The port the server listens on (-1: none).
  int port() const { return port_; }
  // Writes the file now (no-op without one).
  Result<void, std::string> WriteFile();

 private:
  MetricsExporter(MetricsExporterOptions options, std::shared_ptr<metrics::Registry> registry,
                  std::shared_ptr<Clock> clock);
  void Run();
  void Serve(UniqueFd conn);

  const MetricsExporterOptions o_;
  const std::shared_ptr<metrics::Registry> registry_;
  const std::shared_ptr<Clock> clock_;
  UniqueFd listen_fd_;
  UniqueFd wake_fd_;  // eventfd: the destructor wakes the thread
  int port_ = -1;
  std::mutex file_mu_;  // one writer of PATH.tmp at a time
  std::thread thread_;
};

}  // namespace s3fs::cli

#endif  // S3FS_CLI_METRICS_EXPORTER_H_
