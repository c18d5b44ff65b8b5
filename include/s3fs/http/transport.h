// HttpTransport: the seam between the S3 layer and the network. One production implementation
// (CurlTransport, libcurl multi interface: one event thread drives every transfer, connections
// are pooled and reused) and fakes in tests.
//
// Thread safety: all methods may be called from any thread concurrently.
// Completion callbacks run on the transport's own thread: they must not block on another
// transfer of the same transport (they may start new ones with SendAsync).
#ifndef S3FS_HTTP_TRANSPORT_H_
#define S3FS_HTTP_TRANSPORT_H_

#include <chrono>
#include <memory>
#include <string>

#include "s3fs/http/types.h"

namespace s3fs::http {

class Transport {
 public:
  virtual ~Transport() = default;
  // Starts `request` after `delay` (used for retry backoff without a sleeping thread) and calls
  // `done` exactly once with the response (any HTTP status) or a transport error.
  virtual void SendAsync(Request request, Completion done,
                         std::chrono::milliseconds delay = std::chrono::milliseconds(0)) = 0;
  // Blocking convenience over SendAsync. Must not be called from a completion callback.
  Result<Response, TransportError> Send(Request request);
};

struct CurlOptions {
  std::chrono::milliseconds connect_timeout{10000};
  // A transfer that moves fewer than low_speed_bytes per second for low_speed_time is a stall
  // and fails with kTimeout.
  std::chrono::seconds low_speed_time{30};
  long low_speed_bytes = 1;
  bool verify_tls = true;         // never off unless the user asks (s3fs: ssl_verify_hostname=0)
  std::string ca_file;            // custom CA bundle (empty = system default)
  long max_connections = 256;     // total open connections in the pool
  long max_host_connections = 0;  // per host (0 = unlimited within max_connections)
  bool verbose = false;           // curl debug output to the log (secrets redacted)
};

// Creates the libcurl transport. Fails if libcurl cannot be initialised.
Result<std::shared_ptr<Transport>, TransportError> MakeCurlTransport(const CurlOptions& options);

}  // namespace s3fs::http

#endif  // S3FS_HTTP_TRANSPORT_H_
