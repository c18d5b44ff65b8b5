// The single place where an HTTP answer or a transport failure becomes an S3Error.
#include "s3fs/s3/error.h"

#include <array>

#include "s3fs/common/strings.h"
#include "s3fs/s3/xml.h"

namespace s3fs::s3 {

std::string_view CategoryName(Category c) {
  switch (c) {
    case Category::kConfiguration:
      return "ConfigurationError";
    case Category::kCredentials:
      return "CredentialsError";
    case Category::kSigning:
      return "SigningError";
    case Category::kRequest:
      return "RequestError";
    case Category::kBucket:
      return "BucketError";
    case Category::kObject:
      return "ObjectError";
    case Category::kMultipart:
      return "MultipartError";
    case Category::kAccess:
      return "AccessError";
    case Category::kNetwork:
      return "NetworkError";
    case Category::kServer:
      return "ServerError";
    case Category::kResponse:
      return "ResponseError";
    case Category::kTransfer:
      return "TransferError";
  }
  return "Error";
}

std::string S3Error::ToString() const {
  std::string out(CategoryName(category));
  out += "/" + kind + ": " + message;
  if (http_status != 0 || !s3_code.empty() || !request_id.empty()) {
    out += " (";
    bool sep = false;
    if (http_status != 0) {
      out += "HTTP " + std::to_string(http_status);
      sep = true;
    }
    if (!s3_code.empty()) {
      out += (sep ? " " : "") + s3_code;
      sep = true;
    }
    if (!request_id.empty()) out += std::string(sep ? ", " : "") + "request id " + request_id;
    out += ")";
  }
  return out;
}

namespace {

struct CodeRule {
  std::string_view code;
  Category category;
  std::string_view kind;
  bool retryable;
};

// S3 error codes -> taxonomy (client specification §6.3, extended with codes S3 and RGW send).
constexpr std::array kCodeRules = {
    CodeRule{"PermanentRedirect", Category::kConfiguration, "WrongRegion", false},
    CodeRule{"TemporaryRedirect", Category::kConfiguration, "WrongRegion", false},
    CodeRule{"AuthorizationHeaderMalformed", Category::kConfiguration, "WrongRegion", false},
    CodeRule{"IllegalLocationConstraintException", Category::kConfiguration, "WrongRegion", false},
    CodeRule{"InvalidRequest", Category::kRequest, "ValidationError", false},
    CodeRule{"InvalidArgument", Category::kRequest, "ValidationError", false},
    CodeRule{"MalformedXML", Category::kRequest, "ValidationError", false},
    CodeRule{"InvalidDigest", Category::kRequest, "ValidationError", false},
    CodeRule{"BadDigest", Category::kTransfer, "ChecksumMismatch", false},
    CodeRule{"XAmzContentSHA256Mismatch", Category::kTransfer, "ChecksumMismatch", false},
    CodeRule{"InvalidBucketName", Category::kRequest, "InvalidBucketName", false},
    CodeRule{"KeyTooLongError", Category::kRequest, "InvalidObjectKey", false},
    CodeRule{"InvalidRange", Category::kRequest, "InvalidRange", false},
    CodeRule{"EntityTooLarge", Category::kRequest, "EntityTooLarge", false},
    CodeRule{"MissingContentLength", Category::kRequest, "MissingContentLength", false},
    CodeRule{"InvalidStorageClass", Category::kRequest, "ValidationError", false},
    CodeRule{"InvalidTag", Category::kRequest, "ValidationError", false},
    CodeRule{"EntityTooSmall", Category::kMultipart, "EntityTooSmall", false},
    CodeRule{"InvalidPart", Category::kMultipart, "InvalidPart", false},
    CodeRule{"InvalidPartOrder", Category::kMultipart, "InvalidPartOrder", false},
    CodeRule{"TooManyParts", Category::kMultipart, "TooManyParts", false},
    CodeRule{"NoSuchUpload", Category::kMultipart, "UploadNotFound", false},
    CodeRule{"AccessDenied", Category::kAccess, "AccessDenied", false},
    CodeRule{"InvalidAccessKeyId", Category::kAccess, "InvalidAccessKeyId", false},
    CodeRule{"SignatureDoesNotMatch", Category::kAccess, "SignatureDoesNotMatch", false},
    CodeRule{"ExpiredToken", Category::kAccess, "ExpiredToken", false},
    CodeRule{"TokenRefreshRequired", Category::kAccess, "ExpiredToken", false},
    CodeRule{"InvalidToken", Category::kAccess, "ExpiredToken", false},
    CodeRule{"AccountProblem", Category::kAccess, "AccountProblem", false},
    CodeRule{"AllAccessDisabled", Category::kAccess, "AccessDenied", false},
    CodeRule{"RequestTimeTooSkewed", Category::kAccess, "RequestTimeTooSkewed", false},
    CodeRule{"NoSuchBucket", Category::kBucket, "BucketNotFound", false},
    CodeRule{"BucketAlreadyExists", Category::kBucket, "BucketAlreadyExists", false},
    CodeRule{"BucketAlreadyOwnedByYou", Category::kBucket, "BucketAlreadyOwnedByYou", false},
    CodeRule{"BucketNotEmpty", Category::kBucket, "BucketNotEmpty", false},
    CodeRule{"TooManyBuckets", Category::kBucket, "TooManyBuckets", false},
    CodeRule{"InvalidBucketState", Category::kBucket, "InvalidBucketState", false},
    CodeRule{"NoSuchKey", Category::kObject, "ObjectNotFound", false},
    CodeRule{"NoSuchVersion", Category::kObject, "ObjectNotFound", false},
    CodeRule{"PreconditionFailed", Category::kObject, "PreconditionFailed", false},
    CodeRule{"InvalidObjectState", Category::kObject, "InvalidObjectState", false},
    CodeRule{"NoSuchTagSet", Category::kObject, "NoSuchTagSet", false},
    CodeRule{"NoSuchTagSetError", Category::kObject, "NoSuchTagSet", false},
    CodeRule{"NotImplemented", Category::kRequest, "NotImplemented", false},
    CodeRule{"InternalError", Category::kServer, "InternalError", true},
    CodeRule{"ServiceUnavailable", Category::kServer, "ServiceUnavailable", true},
    CodeRule{"SlowDown", Category::kServer, "SlowDown", true},
    CodeRule{"RequestTimeout", Category::kServer, "RequestTimeout", true},
    CodeRule{"BadGateway", Category::kServer, "BadGateway", true},
};

// Rules for answers without a usable error code (HEAD has no body; proxies send HTML).
void ApplyStatus(int status, bool bucket_level, S3Error* e) {
  switch (status) {
    case 301:
    case 307:
      e->category = Category::kConfiguration;
      e->kind = "WrongRegion";
      break;
    case 304:
      e->category = Category::kObject;
      e->kind = "NotModified";
      break;
    case 400:
      e->category = Category::kRequest;
      e->kind = "ValidationError";
      break;
    case 401:
    case 403:
      e->category = Category::kAccess;
      e->kind = "AccessDenied";
      break;
    case 404:
      e->category = bucket_level ? Category::kBucket : Category::kObject;
      e->kind = bucket_level ? "BucketNotFound" : "ObjectNotFound";
      break;
    case 405:
    case 501:
      e->category = Category::kRequest;
      e->kind = "NotImplemented";
      break;
    case 409:
      e->category = Category::kRequest;
      e->kind = "Conflict";
      break;
    case 412:
      e->category = Category::kObject;
      e->kind = "PreconditionFailed";
      break;
    case 416:
      e->category = Category::kRequest;
      e->kind = "InvalidRange";
      break;
    case 429:
      e->category = Category::kServer;
      e->kind = "SlowDown";
      e->retryable = true;
      break;
    case 500:
      e->category = Category::kServer;
      e->kind = "InternalError";
      e->retryable = true;
      break;
    case 502:
      e->category = Category::kServer;
      e->kind = "BadGateway";
      e->retryable = true;
      break;
    case 503:
      e->category = Category::kServer;
      e->kind = "ServiceUnavailable";
      e->retryable = true;
      break;
    case 504:
      e->category = Category::kServer;
      e->kind = "GatewayTimeout";
      e->retryable = true;
      break;
    default:
      if (status >= 500) {
        e->category = Category::kServer;
        e->kind = "InternalError";
        e->retryable = true;
      } else {
        e->category = Category::kResponse;
        e->kind = "UnexpectedStatus";
      }
  }
}

std::string DefaultMessage(int status) {
  return "HTTP " + std::to_string(status) + " without an S3 error body";
}

}  // namespace

S3Error FromHttp(const http::Response& response, bool bucket_level) {
  S3Error e;
  e.http_status = response.status;
  e.request_id = response.headers.Get("x-amz-request-id").value_or("");
  xml::ErrorBody body;
  bool parsed = !response.body.empty() && xml::ParseError(response.body, &body);
  const CodeRule* rule = nullptr;
  if (parsed) {
    e.s3_code = body.code;
    e.message = body.message;
    if (!body.request_id.empty()) e.request_id = body.request_id;
    e.region = body.region;
    for (const auto& r : kCodeRules) {
      if (r.code == body.code) {
        rule = &r;
        break;
      }
    }
  }
  if (rule != nullptr) {
    e.category = rule->category;
    e.kind = std::string(rule->kind);
    e.retryable = rule->retryable;
  } else {
    ApplyStatus(response.status, bucket_level, &e);
  }
  if (e.region.empty()) e.region = response.headers.Get("x-amz-bucket-region").value_or("");
  if (e.message.empty()) {
    e.message = parsed && !body.code.empty() ? body.code : DefaultMessage(response.status);
  }
  if (e.kind == "WrongRegion" && !e.region.empty()) {
    e.message += " (the bucket is in region " + e.region + ")";
  }
  if (!body.key.empty()) e.message += " [key " + body.key + "]";
  if (e.retryable) {
    if (auto ra = response.headers.Get("Retry-After")) {
      uint64_t secs = 0;
      if (str::ParseUint64(str::Trim(*ra), &secs) && secs <= 3600) {
        e.retry_after = std::chrono::milliseconds(secs * 1000);
      }
    }
  }
  return e;
}

S3Error FromTransport(const http::TransportError& error) {
  S3Error e;
  using K = http::TransportError::Kind;
  switch (error.kind) {
    case K::kConnect:
      e.category = Category::kNetwork;
      e.kind = "ConnectionFailed";
      e.retryable = true;
      break;
    case K::kDns:
      e.category = Category::kNetwork;
      e.kind = "DnsResolutionFailed";
      e.retryable = true;
      break;
    case K::kTimeout:
      e.category = Category::kNetwork;
      e.kind = "Timeout";
      e.retryable = true;
      break;
    case K::kTls:
      e.category = Category::kNetwork;
      e.kind = "TlsError";
      break;
    case K::kSend:
      e.category = Category::kNetwork;
      e.kind = "ConnectionFailed";
      e.retryable = true;
      break;
    case K::kReceive:
      e.category = Category::kTransfer;
      e.kind = "StreamInterrupted";
      e.retryable = true;
      break;
    case K::kAborted:
      e.category = Category::kTransfer;
      e.kind = "UploadAborted";
      break;
    case K::kInvalid:
      e.category = Category::kRequest;
      e.kind = "ValidationError";
      break;
  }
  e.message = error.message;
  return e;
}

namespace {
S3Error Make(Category c, std::string kind, std::string message) {
  S3Error e;
  e.category = c;
  e.kind = std::move(kind);
  e.message = std::move(message);
  return e;
}
}  // namespace

S3Error ValidationError(std::string kind, std::string message) {
  return Make(Category::kRequest, std::move(kind), std::move(message));
}
S3Error ConfigurationError(std::string kind, std::string message) {
  return Make(Category::kConfiguration, std::move(kind), std::move(message));
}
S3Error ResponseError(std::string kind, std::string message) {
  return Make(Category::kResponse, std::move(kind), std::move(message));
}
S3Error CredentialsError(std::string kind, std::string message) {
  return Make(Category::kCredentials, std::move(kind), std::move(message));
}

}  // namespace s3fs::s3
