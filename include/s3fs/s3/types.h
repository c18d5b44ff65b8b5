// Request and response value types of the S3 client, one struct per operation, named after
// the S3 API. Optional fields are std::optional or empty strings ("not sent"). Times are
// std::chrono::system_clock::time_point (UTC).
#ifndef S3FS_S3_TYPES_H_
#define S3FS_S3_TYPES_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "s3fs/common/secret.h"

namespace s3fs::s3 {

using TimePoint = std::chrono::system_clock::time_point;

// Storage classes the client knows; any other string is passed through as given.
// Valid names: STANDARD, REDUCED_REDUNDANCY, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING,
// GLACIER, DEEP_ARCHIVE, GLACIER_IR, OUTPOSTS, EXPRESS_ONEZONE.
bool IsKnownStorageClass(const std::string& name);

enum class ChecksumAlgorithm { kNone, kCrc32, kCrc32c, kSha1, kSha256 };

// Server-side encryption settings for a write (and SSE-C for reads of encrypted objects).
struct Sse {
  enum class Kind { kNone, kS3, kKms, kCustomer };
  Kind kind = Kind::kNone;
  std::string kms_key_id;     // kKms: key id/ARN (empty = bucket default key)
  std::string kms_context;    // kKms: base64 JSON encryption context (optional)
  SecretString customer_key;  // kCustomer: raw 32-byte key (not base64)

  static Sse S3() { return Sse{Kind::kS3, {}, {}, {}}; }
  static Sse Kms(std::string key_id) { return Sse{Kind::kKms, std::move(key_id), {}, {}}; }
  static Sse Customer(SecretString key) { return Sse{Kind::kCustomer, {}, {}, std::move(key)}; }
};

// Content headers and user metadata set on a write.
struct ObjectAttributes {
  std::string content_type;
  std::string content_encoding;
  std::string content_disposition;
  std::string content_language;
  std::string cache_control;
  std::string expires;                          // HTTP date, passed as given
  std::map<std::string, std::string> metadata;  // without the x-amz-meta- prefix
  std::string storage_class;
  std::string acl;      // canned ACL, e.g. "private"
  std::string tagging;  // URL-encoded "k1=v1&k2=v2"
};

// Conditions on a read (GetObject/HeadObject).
struct ReadConditions {
  std::string if_match;
  std::string if_none_match;
  std::optional<TimePoint> if_modified_since;
  std::optional<TimePoint> if_unmodified_since;
};

struct ByteRange {
  uint64_t first = 0;
  std::optional<uint64_t> last;  // inclusive; none = to the end
};

// ---- Objects ----

struct PutObjectRequest {
  std::string bucket;
  std::string key;
  ObjectAttributes attrs;
  Sse sse;
  std::string content_md5;  // base64; computed by the client when compute_md5 is set
  bool compute_md5 = false;
  ChecksumAlgorithm checksum = ChecksumAlgorithm::kNone;  // computed by the client
  std::string if_none_match;                              // "*" = create only if absent
};

struct PutObjectOutput {
  std::string etag;
  std::string version_id;
  std::string sse;  // x-amz-server-side-encryption as answered
  std::string sse_kms_key_id;
  std::string checksum;  // value of the requested checksum header, if any
};

struct GetObjectRequest {
  std::string bucket;
  std::string key;
  std::optional<ByteRange> range;
  ReadConditions conditions;
  std::string version_id;
  Sse sse;  // only kCustomer is meaningful on reads
  std::string response_content_type;
  std::string response_content_disposition;
  std::string response_content_encoding;
  std::string response_content_language;
  std::string response_cache_control;
  std::string response_expires;
};

struct HeadObjectRequest {
  std::string bucket;
  std::string key;
  ReadConditions conditions;
  std::string version_id;
  Sse sse;
  std::optional<uint32_t> part_number;
};

// What HeadObject and GetObject report about an object.
struct ObjectInfo {
  uint64_t content_length = 0;  // bytes in this answer (range length for ranged GETs)
  uint64_t object_size = 0;     // whole object size (from Content-Range when ranged)
  std::string etag;
  TimePoint last_modified{};
  std::string content_type;
  std::string content_encoding;
  std::string content_disposition;
  std::string content_language;
  std::string cache_control;
  std::string expires;
  std::string content_range;
  std::map<std::string, std::string> metadata;  // x-amz-meta-*, keys lower-case, no prefix
  std::string version_id;
  bool delete_marker = false;
  std::string storage_class;  // empty = STANDARD
  std::string sse;            // "AES256", "aws:kms", ...
  std::string sse_kms_key_id;
  std::string sse_customer_algorithm;
  std::string restore;  // x-amz-restore
  std::optional<uint32_t> parts_count;
  std::optional<uint32_t> tag_count;
};

struct GetObjectOutput {
  ObjectInfo info;
  std::string body;  // empty when streamed to a sink
};

struct DeleteObjectRequest {
  std::string bucket;
  std::string key;
  std::string version_id;
};

struct DeleteObjectOutput {
  bool delete_marker = false;
  std::string version_id;
};

struct ObjectIdentifier {
  std::string key;
  std::string version_id;
};

struct DeleteObjectsRequest {
  std::string bucket;
  std::vector<ObjectIdentifier> objects;  // 1..1000
  bool quiet = false;
};

struct DeletedObject {
  std::string key;
  std::string version_id;
  bool delete_marker = false;
};

struct DeleteObjectError {
  std::string key;
  std::string version_id;
  std::string code;
  std::string message;
};

struct DeleteObjectsOutput {
  std::vector<DeletedObject> deleted;
  std::vector<DeleteObjectError> errors;
};

struct CopyObjectRequest {
  std::string source_bucket;
  std::string source_key;
  std::string source_version_id;
  std::string bucket;
  std::string key;
  enum class Directive { kCopy, kReplace };
  Directive metadata_directive = Directive::kCopy;
  std::optional<Directive> tagging_directive;
  ObjectAttributes attrs;  // used with kReplace (content headers, metadata); storage class,
                           // acl and tagging (with tagging kReplace) apply either way
  Sse sse;                 // destination encryption
  Sse source_sse;          // SSE-C key of the source
  ReadConditions source_conditions;
};

struct CopyObjectOutput {
  std::string etag;
  TimePoint last_modified{};
  std::string version_id;
  std::string copy_source_version_id;
  std::string sse;
};

struct ListObjectsV2Request {
  std::string bucket;
  std::string prefix;
  std::string delimiter;
  std::optional<uint32_t> max_keys;
  std::string continuation_token;
  std::string start_after;
  bool fetch_owner = false;
  bool url_encoding = true;  // ask for encoding-type=url and decode (safe for any key)
};

struct Owner {
  std::string id;
  std::string display_name;
};

struct ObjectSummary {
  std::string key;
  TimePoint last_modified{};
  std::string etag;
  uint64_t size = 0;
  std::string storage_class;
  std::optional<Owner> owner;
};

struct ListObjectsV2Output {
  std::string name;
  std::string prefix;
  std::string delimiter;
  uint32_t max_keys = 0;
  uint32_t key_count = 0;
  bool is_truncated = false;
  std::string continuation_token;
  std::string next_continuation_token;
  std::string start_after;
  std::string encoding_type;
  std::vector<ObjectSummary> contents;
  std::vector<std::string> common_prefixes;
};

// ---- Buckets ----

struct CreateBucketRequest {
  std::string bucket;
  std::string location_constraint;  // empty = us-east-1 / server default
  std::string acl;
  bool object_lock_enabled = false;
};

struct CreateBucketOutput {
  std::string location;
};

struct HeadBucketOutput {
  std::string region;  // x-amz-bucket-region
};

struct BucketSummary {
  std::string name;
  TimePoint creation_date{};
};

struct ListBucketsOutput {
  std::vector<BucketSummary> buckets;
  Owner owner;
};

struct GetBucketLocationOutput {
  std::string location_constraint;  // empty = us-east-1
};

// ---- Multipart ----

struct CreateMultipartUploadRequest {
  std::string bucket;
  std::string key;
  ObjectAttributes attrs;
  Sse sse;
  ChecksumAlgorithm checksum = ChecksumAlgorithm::kNone;
};

struct CreateMultipartUploadOutput {
  std::string bucket;
  std::string key;
  std::string upload_id;
  std::string sse;
  std::string sse_kms_key_id;
};

struct UploadPartRequest {
  std::string bucket;
  std::string key;
  std::string upload_id;
  uint32_t part_number = 0;  // 1..10000
  Sse sse;                   // SSE-C key must match the one given at create
  bool compute_md5 = false;
  ChecksumAlgorithm checksum = ChecksumAlgorithm::kNone;
};

struct UploadPartOutput {
  std::string etag;
  std::string checksum;
};

struct UploadPartCopyRequest {
  std::string source_bucket;
  std::string source_key;
  std::string source_version_id;
  std::optional<ByteRange> source_range;
  ReadConditions source_conditions;
  Sse source_sse;
  std::string bucket;
  std::string key;
  std::string upload_id;
  uint32_t part_number = 0;
  Sse sse;
};

struct UploadPartCopyOutput {
  std::string etag;
  TimePoint last_modified{};
};

struct CompletedPart {
  uint32_t part_number = 0;
  std::string etag;
  std::string checksum;  // of the algorithm given at create, if any
};

struct CompleteMultipartUploadRequest {
  std::string bucket;
  std::string key;
  std::string upload_id;
  std::vector<CompletedPart> parts;  // ascending part numbers
  Sse sse;
  ChecksumAlgorithm checksum = ChecksumAlgorithm::kNone;
};

struct CompleteMultipartUploadOutput {
  std::string location;
  std::string bucket;
  std::string key;
  std::string etag;
  std::string version_id;
};

struct AbortMultipartUploadRequest {
  std::string bucket;
  std::string key;
  std::string upload_id;
};

struct ListPartsRequest {
  std::string bucket;
  std::string key;
  std::string upload_id;
  std::optional<uint32_t> max_parts;
  std::optional<uint32_t> part_number_marker;
};

struct PartSummary {
  uint32_t part_number = 0;
  TimePoint last_modified{};
  std::string etag;
  uint64_t size = 0;
};

struct ListPartsOutput {
  std::string bucket;
  std::string key;
  std::string upload_id;
  std::string storage_class;
  bool is_truncated = false;
  uint32_t next_part_number_marker = 0;
  uint32_t max_parts = 0;
  std::vector<PartSummary> parts;
};

struct ListMultipartUploadsRequest {
  std::string bucket;
  std::string prefix;
  std::string delimiter;
  std::string key_marker;
  std::string upload_id_marker;
  std::optional<uint32_t> max_uploads;
};

struct MultipartUploadSummary {
  std::string key;
  std::string upload_id;
  TimePoint initiated{};
  std::string storage_class;
};

struct ListMultipartUploadsOutput {
  std::string bucket;
  bool is_truncated = false;
  std::string next_key_marker;
  std::string next_upload_id_marker;
  std::vector<MultipartUploadSummary> uploads;
  std::vector<std::string> common_prefixes;
};

// ---- Tagging ----

struct Tag {
  std::string key;
  std::string value;
  bool operator==(const Tag&) const = default;
};

struct GetObjectTaggingOutput {
  std::vector<Tag> tags;
  std::string version_id;
};

// ---- Presign ----

struct PresignRequest {
  enum class Op { kGet, kPut, kDelete };
  Op op = Op::kGet;
  std::string bucket;
  std::string key;
  std::chrono::seconds expires_in{3600};  // 1 s .. 7 days
  std::string version_id;
  // GET response overrides.
  std::string response_content_type;
  std::string response_content_disposition;
  std::string response_content_encoding;
  std::string response_content_language;
  std::string response_cache_control;
  std::string response_expires;
  // PUT: headers the uploader must send (signed).
  std::string content_type;
  std::map<std::string, std::string> metadata;
  std::string storage_class;
  Sse sse;
  std::string tagging;
};

struct PresignedUrl {
  std::string url;
  std::string method;
  // Headers the client must send with exactly these values (they are signed).
  std::map<std::string, std::string> signed_headers;
  TimePoint expires_at{};
};

}  // namespace s3fs::s3

#endif  // S3FS_S3_TYPES_H_
