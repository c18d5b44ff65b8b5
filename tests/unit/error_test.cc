// Table-driven test over the whole HTTP/S3 -> S3Error mapping (client spec §6.3, FC-25).
#include "s3fs/s3/error.h"

#include <gtest/gtest.h>

namespace s3fs::s3 {
namespace {

http::Response Answer(int status, const std::string& code, const std::string& extra = "") {
  http::Response r;
  r.status = status;
  if (!code.empty()) {
    r.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code +
             "</Code><Message>msg for " + code + "</Message>" + extra +
             "<RequestId>REQ123</RequestId></Error>";
  }
  return r;
}

struct Row {
  int status;
  const char* code;
  Category category;
  const char* kind;
  bool retryable;
};

class ErrorMapping : public ::testing::TestWithParam<Row> {};

TEST_P(ErrorMapping, MapsStatusAndCode) {
  const Row& row = GetParam();
  S3Error e = FromHttp(Answer(row.status, row.code));
  EXPECT_EQ(e.category, row.category) << row.status << " " << row.code;
  EXPECT_EQ(e.kind, row.kind) << row.status << " " << row.code;
  EXPECT_EQ(e.retryable, row.retryable) << row.status << " " << row.code;
  EXPECT_EQ(e.http_status, row.status);
  EXPECT_EQ(e.s3_code, row.code);
  if (std::string(row.code).size() > 0) {
    EXPECT_EQ(e.request_id, "REQ123");
  }
}

INSTANTIATE_TEST_SUITE_P(
    SpecTable, ErrorMapping,
    ::testing::Values(
        Row{301, "PermanentRedirect", Category::kConfiguration, "WrongRegion", false},
        Row{307, "TemporaryRedirect", Category::kConfiguration, "WrongRegion", false},
        Row{400, "InvalidRequest", Category::kRequest, "ValidationError", false},
        Row{400, "InvalidBucketName", Category::kRequest, "InvalidBucketName", false},
        Row{400, "EntityTooLarge", Category::kRequest, "EntityTooLarge", false},
        Row{400, "EntityTooSmall", Category::kMultipart, "EntityTooSmall", false},
        Row{400, "InvalidPart", Category::kMultipart, "InvalidPart", false},
        Row{400, "InvalidPartOrder", Category::kMultipart, "InvalidPartOrder", false},
        Row{400, "TooManyParts", Category::kMultipart, "TooManyParts", false},
        Row{400, "AuthorizationHeaderMalformed", Category::kConfiguration, "WrongRegion", false},
        Row{400, "BadDigest", Category::kTransfer, "ChecksumMismatch", false},
        Row{403, "AccessDenied", Category::kAccess, "AccessDenied", false},
        Row{403, "InvalidAccessKeyId", Category::kAccess, "InvalidAccessKeyId", false},
        Row{403, "SignatureDoesNotMatch", Category::kAccess, "SignatureDoesNotMatch", false},
        Row{403, "RequestTimeTooSkewed", Category::kAccess, "RequestTimeTooSkewed", false},
        Row{400, "ExpiredToken", Category::kAccess, "ExpiredToken", false},
        Row{403, "AccountProblem", Category::kAccess, "AccountProblem", false},
        Row{404, "NoSuchBucket", Category::kBucket, "BucketNotFound", false},
        Row{404, "NoSuchKey", Category::kObject, "ObjectNotFound", false},
        Row{404, "NoSuchUpload", Category::kMultipart, "UploadNotFound", false},
        Row{409, "BucketAlreadyExists", Category::kBucket, "BucketAlreadyExists", false},
        Row{409, "BucketAlreadyOwnedByYou", Category::kBucket, "BucketAlreadyOwnedByYou", false},
        Row{409, "BucketNotEmpty", Category::kBucket, "BucketNotEmpty", false},
        Row{412, "PreconditionFailed", Category::kObject, "PreconditionFailed", false},
        Row{403, "InvalidObjectState", Category::kObject, "InvalidObjectState", false},
        Row{416, "InvalidRange", Category::kRequest, "InvalidRange", false},
        Row{501, "NotImplemented", Category::kRequest, "NotImplemented", false},
        Row{500, "InternalError", Category::kServer, "InternalError", true},
        Row{503, "ServiceUnavailable", Category::kServer, "ServiceUnavailable", true},
        Row{503, "SlowDown", Category::kServer, "SlowDown", true},
        Row{400, "RequestTimeout", Category::kServer, "RequestTimeout", true},
        // No body (HEAD) or an unknown code: the status decides.
        Row{404, "", Category::kObject, "ObjectNotFound", false},
        Row{403, "", Category::kAccess, "AccessDenied", false},
        Row{412, "", Category::kObject, "PreconditionFailed", false},
        Row{304, "", Category::kObject, "NotModified", false},
        Row{500, "", Category::kServer, "InternalError", true},
        Row{502, "", Category::kServer, "BadGateway", true},
        Row{503, "", Category::kServer, "ServiceUnavailable", true},
        Row{504, "", Category::kServer, "GatewayTimeout", true},
        Row{429, "", Category::kServer, "SlowDown", true},
        Row{418, "", Category::kResponse, "UnexpectedStatus", false},
        Row{500, "SomethingNew", Category::kServer, "InternalError", true}));

TEST(ErrorMapping, BucketLevel404WithoutBodyIsBucketNotFound) {
  S3Error e = FromHttp(Answer(404, ""), /*bucket_level=*/true);
  EXPECT_EQ(e.kind, "BucketNotFound");
  EXPECT_EQ(e.category, Category::kBucket);
}

TEST(ErrorMapping, RetryAfterHonouredOnRetryable) {
  http::Response r = Answer(503, "SlowDown");
  r.headers.Set("Retry-After", "7");
  S3Error e = FromHttp(r);
  ASSERT_TRUE(e.retry_after.has_value());
  EXPECT_EQ(e.retry_after->count(), 7000);
  http::Response nr = Answer(404, "NoSuchKey");
  nr.headers.Set("Retry-After", "7");
  EXPECT_FALSE(FromHttp(nr).retry_after.has_value());
}

TEST(ErrorMapping, WrongRegionNamesTheRegion) {
  S3Error e = FromHttp(Answer(301, "PermanentRedirect", "<Region>eu-west-1</Region>"));
  EXPECT_EQ(e.region, "eu-west-1");
  EXPECT_NE(e.message.find("eu-west-1"), std::string::npos);
  http::Response head;
  head.status = 301;
  head.headers.Set("x-amz-bucket-region", "ap-south-1");
  EXPECT_EQ(FromHttp(head, true).region, "ap-south-1");
}

TEST(ErrorMapping, MalformedBodyFallsBackToStatus) {
  http::Response r;
  r.status = 503;
  r.body = "<html>busy</html>";
  S3Error e = FromHttp(r);
  EXPECT_EQ(e.kind, "ServiceUnavailable");
  EXPECT_TRUE(e.retryable);
  r.body = "<Error><Code>NoSuchKey";  // truncated
  EXPECT_EQ(FromHttp(r).category, Category::kServer);
}

TEST(ErrorMapping, RequestIdFromHeaderWhenNoBody) {
  http::Response r;
  r.status = 404;
  r.headers.Set("x-amz-request-id", "HDR-ID");
  EXPECT_EQ(FromHttp(r).request_id, "HDR-ID");
}

TEST(ErrorMapping, TransportErrors) {
  using K = http::TransportError::Kind;
  struct T {
    K kind;
    Category category;
    const char* name;
    bool retryable;
  };
  for (const T& t : {T{K::kConnect, Category::kNetwork, "ConnectionFailed", true},
                     T{K::kDns, Category::kNetwork, "DnsResolutionFailed", true},
                     T{K::kTimeout, Category::kNetwork, "Timeout", true},
                     T{K::kTls, Category::kNetwork, "TlsError", false},
                     T{K::kSend, Category::kNetwork, "ConnectionFailed", true},
                     T{K::kReceive, Category::kTransfer, "StreamInterrupted", true},
                     T{K::kAborted, Category::kTransfer, "UploadAborted", false},
                     T{K::kInvalid, Category::kRequest, "ValidationError", false}}) {
    S3Error e = FromTransport(http::TransportError{t.kind, "boom", 0});
    EXPECT_EQ(e.category, t.category) << t.name;
    EXPECT_EQ(e.kind, t.name);
    EXPECT_EQ(e.retryable, t.retryable) << t.name;
    EXPECT_EQ(e.http_status, 0);
  }
}

TEST(ErrorMapping, ToStringHasCodeStatusAndRequestId) {
  S3Error e = FromHttp(Answer(404, "NoSuchKey"));
  std::string s = e.ToString();
  EXPECT_NE(s.find("ObjectError/ObjectNotFound"), std::string::npos) << s;
  EXPECT_NE(s.find("HTTP 404 NoSuchKey"), std::string::npos) << s;
  EXPECT_NE(s.find("REQ123"), std::string::npos) << s;
}

}  // namespace
}  // namespace s3fs::s3
