// XML bodies of the S3 API: parsers for every response the client reads (RapidXML, in
// src/s3/xml_parse.cc, the only file that includes it) and builders for request bodies.
//
// Parsers never crash or read out of bounds on any input (fuzzed: tests/fuzz/xml_fuzz.cc);
// malformed or truncated XML, or a document whose root element is not the expected one, is a
// ResponseError "XmlParseError"/"InvalidResponse". Unknown elements are ignored. Text is
// entity-decoded. Where ListObjectsV2/ListMultipartUploads answered with EncodingType=url, the
// keys/prefixes/markers are URL-decoded by the parser.
#ifndef S3FS_S3_XML_H_
#define S3FS_S3_XML_H_

#include <string>
#include <string_view>
#include <vector>

#include "s3fs/s3/error.h"
#include "s3fs/s3/sigv4.h"
#include "s3fs/s3/types.h"

namespace s3fs::s3::xml {

// Fields of an <Error> document (empty strings when absent).
struct ErrorBody {
  std::string code;
  std::string message;
  std::string request_id;
  std::string region;    // <Region> (PermanentRedirect / AuthorizationHeaderMalformed)
  std::string endpoint;  // <Endpoint>
  std::string bucket_name;
  std::string key;
};
// Returns false if `body` is not an <Error> document.
bool ParseError(std::string_view body, ErrorBody* out);

S3Result<ListObjectsV2Output> ParseListObjectsV2(std::string_view body);
S3Result<ListBucketsOutput> ParseListBuckets(std::string_view body);
S3Result<GetBucketLocationOutput> ParseGetBucketLocation(std::string_view body);
S3Result<CreateMultipartUploadOutput> ParseCreateMultipartUpload(std::string_view body);
// CompleteMultipartUpload may answer 200 with an <Error> body: that is returned as the S3Error
// it describes (retryable when it says InternalError/SlowDown).
S3Result<CompleteMultipartUploadOutput> ParseCompleteMultipartUpload(std::string_view body);
S3Result<ListPartsOutput> ParseListParts(std::string_view body);
S3Result<ListMultipartUploadsOutput> ParseListMultipartUploads(std::string_view body);
S3Result<DeleteObjectsOutput> ParseDeleteObjects(std::string_view body);
// CopyObject and UploadPartCopy answer <CopyObjectResult>/<CopyPartResult>, or 200 + <Error>.
S3Result<CopyObjectOutput> ParseCopyObject(std::string_view body);
S3Result<UploadPartCopyOutput> ParseCopyPart(std::string_view body);
S3Result<GetObjectTaggingOutput> ParseTagging(std::string_view body);
// STS answers (AssumeRole, AssumeRoleWithWebIdentity): the temporary credentials in
// <ACTIONResponse><ACTIONResult><Credentials>; all four fields are required. The parse buffer
// is wiped afterwards (it held the secret).
S3Result<Credentials> ParseStsCredentials(std::string_view body, std::string_view action);
// STS error documents (<ErrorResponse><Error><Code/><Message/></Error><RequestId/>); returns
// false if `body` is not one.
bool ParseStsError(std::string_view body, ErrorBody* out);

// Builders (UTF-8, XML-escaped, with the S3 namespace).
std::string BuildDeleteObjects(const std::vector<ObjectIdentifier>& objects, bool quiet);
std::string BuildCompleteMultipartUpload(const std::vector<CompletedPart>& parts,
                                         ChecksumAlgorithm algo);
std::string BuildTagging(const std::vector<Tag>& tags);
std::string BuildCreateBucketConfiguration(const std::string& location_constraint);

// Time formats S3 uses: ISO 8601 in XML ("2009-10-12T17:50:30.000Z") and RFC 7231 in headers
// ("Wed, 12 Oct 2009 17:50:30 GMT"). Return false on malformed input.
bool ParseIso8601(std::string_view text, TimePoint* out);
bool ParseHttpDate(std::string_view text, TimePoint* out);
std::string FormatHttpDate(TimePoint t);
std::string FormatIso8601(TimePoint t);
std::string Escape(std::string_view text);

}  // namespace s3fs::s3::xml

#endif  // S3FS_S3_XML_H_
