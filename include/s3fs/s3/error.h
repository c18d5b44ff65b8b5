// S3Error: the one error type of the S3 layer, following the client specification's taxonomy
// (category + kind). Built in exactly one place from an HTTP answer (FromHttp) or a transport
// failure (FromTransport); validation and configuration errors are built with the helpers.
//
// `retryable` and `retry_after` drive the retry policy; `http_status`, `s3_code`, `request_id`
// come from the server. Messages never contain secrets.
#ifndef S3FS_S3_ERROR_H_
#define S3FS_S3_ERROR_H_

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "s3fs/http/types.h"

namespace s3fs::s3 {

enum class Category {
  kConfiguration,
  kCredentials,
  kSigning,
  kRequest,
  kBucket,
  kObject,
  kMultipart,
  kAccess,
  kNetwork,
  kServer,
  kResponse,
  kTransfer,
};
std::string_view CategoryName(Category c);

struct S3Error {
  Category category = Category::kResponse;
  std::string kind;        // e.g. "ObjectNotFound", "SlowDown", "Timeout"
  std::string message;     // human readable, one line
  int http_status = 0;     // 0 when no HTTP answer
  std::string s3_code;     // <Code> from the error body, e.g. "NoSuchKey"
  std::string request_id;  // x-amz-request-id / <RequestId>
  std::string region;      // for WrongRegion: the region the server named
  bool retryable = false;
  std::optional<std::chrono::milliseconds> retry_after;

  // "Category/Kind: message (HTTP 404 NoSuchKey, request id ...)".
  std::string ToString() const;
  bool Is(std::string_view k) const { return kind == k; }
};

// Maps an HTTP answer with a non-2xx status (and its XML error body, possibly empty as for
// HEAD) to an S3Error. `for_bucket` tells a 404 without a code on a bucket-level request
// (HeadBucket) from one on an object (HeadObject).
S3Error FromHttp(const http::Response& response, bool bucket_level = false);
// Maps a transport failure (no HTTP answer) to a Network or Transfer error.
S3Error FromTransport(const http::TransportError& error);

S3Error ValidationError(std::string kind, std::string message);
S3Error ConfigurationError(std::string kind, std::string message);
S3Error ResponseError(std::string kind, std::string message);
S3Error CredentialsError(std::string kind, std::string message);

template <typename T>
using S3Result = Result<T, S3Error>;
using S3Status = Result<void, S3Error>;

}  // namespace s3fs::s3

#endif  // S3FS_S3_ERROR_H_
