#include "s3fs/http/transport.h"

#include <future>

namespace s3fs::http {

Result<Response, TransportError> Transport::Send(Request request) {
  std::promise<Result<Response, TransportError>> promise;
  auto future = promise.get_future();
  SendAsync(std::move(request),
            [&promise](Result<Response, TransportError> r) { promise.set_value(std::move(r)); });
  return future.get();
}

}  // namespace s3fs::http
