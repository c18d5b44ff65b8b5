// s3::Client: the S3 API over an injected http::Transport, credentials provider, clock and
// randomness. Every operation validates its input, signs (SigV4), sends, retries per the
// RetryPolicy behind a per-endpoint circuit breaker, and maps failures to S3Error in one place
// (error.cc). Each operation exists in an asynchronous form (callback, run on the transport's
// thread: it must not block) and a blocking form (must not be called from a callback).
//
// Thread safety: a Client is safe for concurrent use from any number of threads.
#ifndef S3FS_S3_CLIENT_H_
#define S3FS_S3_CLIENT_H_

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "s3fs/common/clock.h"
#include "s3fs/common/random.h"
#include "s3fs/http/transport.h"
#include "s3fs/s3/client_observer.h"
#include "s3fs/s3/credentials.h"
#include "s3fs/s3/error.h"
#include "s3fs/s3/retry.h"
#include "s3fs/s3/sigv4.h"
#include "s3fs/s3/types.h"

namespace s3fs::s3 {

struct ClientConfig {
  // "https://s3.eu-west-1.amazonaws.com", "http://127.0.0.1:7480". Empty = AWS for `region`.
  // Plain http is used only when the endpoint says http:// explicitly.
  std::string endpoint;
  std::string region = "us-east-1";
  enum class Addressing { kAuto, kPath, kVirtualHost };
  // kAuto: virtual-hosted for AWS endpoints and DNS-safe bucket names, else path-style.
  Addressing addressing = Addressing::kAuto;
  // Accept bucket names S3-compatible services allow (upper case, '_').
  bool legacy_bucket_names = false;
  enum class PayloadSigning { kAuto, kAlways, kUnsigned };
  // kAuto: bodies up to 64 KiB are hashed into the signature; larger bodies (object data,
  // parts) go as UNSIGNED-PAYLOAD, which S3 accepts over http and https: neither we nor the
  // server spend a SHA-256 pass over every byte (the server shares our CPUs in tests).
  PayloadSigning payload_signing = PayloadSigning::kAuto;
  bool requester_pays = false;
  RetryPolicy retry;
  CircuitBreakerConfig breaker;
  std::chrono::milliseconds request_timeout{0};  // per attempt, 0 = none (stalls still caught)
  // Told about every finished operation, retry, breaker transition and presigned URL
  // (metrics: ClientMetrics). Null: nobody.
  std::shared_ptr<ClientObserver> observer;
};

template <typename T>
using Callback = std::function<void(S3Result<T>)>;
struct Empty {};

// Counters the client keeps (read with Client::stats()).
struct ClientStats {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> retries{0};
  std::atomic<uint64_t> failures{0};
  std::atomic<uint64_t> breaker_rejections{0};
  std::atomic<uint64_t> bytes_sent{0};
  std::atomic<uint64_t> bytes_received{0};
};

class Client {
 public:
  static S3Result<std::unique_ptr<Client>> Create(ClientConfig config,
                                                  std::shared_ptr<http::Transport> transport,
                                                  std::shared_ptr<CredentialsProvider> creds,
                                                  std::shared_ptr<Clock> clock,
                                                  std::shared_ptr<Random> random);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const ClientConfig& config() const { return config_; }
  const ClientStats& stats() const { return stats_; }
  CircuitBreaker::State breaker_state() const { return breaker_.state(); }

  // ---- Objects ----
  void PutObjectAsync(PutObjectRequest req, std::shared_ptr<const std::string> body,
                      Callback<PutObjectOutput> done);
  // Streaming body (e.g. a file): read on the transport thread; rewound for retries.
  void PutObjectAsync(PutObjectRequest req, std::shared_ptr<http::BodySource> body,
                      Callback<PutObjectOutput> done);
  // Buffers the body in GetObjectOutput::body; with `sink`, streams a 2xx body into it (the
  // sink must outlive the call; a failure after bytes reached the sink is not retried).
  void GetObjectAsync(GetObjectRequest req, http::BodySink* sink, Callback<GetObjectOutput> done);
  void HeadObjectAsync(HeadObjectRequest req, Callback<ObjectInfo> done);
  void DeleteObjectAsync(DeleteObjectRequest req, Callback<DeleteObjectOutput> done);
  void DeleteObjectsAsync(DeleteObjectsRequest req, Callback<DeleteObjectsOutput> done);
  void CopyObjectAsync(CopyObjectRequest req, Callback<CopyObjectOutput> done);
  void ListObjectsV2Async(ListObjectsV2Request req, Callback<ListObjectsV2Output> done);

  // ---- Buckets ----
  void CreateBucketAsync(CreateBucketRequest req, Callback<CreateBucketOutput> done);
  void DeleteBucketAsync(std::string bucket, Callback<Empty> done);
  void HeadBucketAsync(std::string bucket, Callback<HeadBucketOutput> done);
  void ListBucketsAsync(Callback<ListBucketsOutput> done);
  void GetBucketLocationAsync(std::string bucket, Callback<GetBucketLocationOutput> done);

  // ---- Multipart ----
  void CreateMultipartUploadAsync(CreateMultipartUploadRequest req,
                                  Callback<CreateMultipartUploadOutput> done);
  void UploadPartAsync(UploadPartRequest req, std::shared_ptr<const std::string> body,
                       Callback<UploadPartOutput> done);
  void UploadPartAsync(UploadPartRequest req, std::shared_ptr<http::BodySource> body,
                       Callback<UploadPartOutput> done);
  void UploadPartCopyAsync(UploadPartCopyRequest req, Callback<UploadPartCopyOutput> done);
  void CompleteMultipartUploadAsync(CompleteMultipartUploadRequest req,
                                    Callback<CompleteMultipartUploadOutput> done);
  void AbortMultipartUploadAsync(AbortMultipartUploadRequest req, Callback<Empty> done);
  void ListPartsAsync(ListPartsRequest req, Callback<ListPartsOutput> done);
  void ListMultipartUploadsAsync(ListMultipartUploadsRequest req,
                                 Callback<ListMultipartUploadsOutput> done);

  // ---- Tagging ----
  void GetObjectTaggingAsync(std::string bucket, std::string key, std::string version_id,
                             Callback<GetObjectTaggingOutput> done);
  void PutObjectTaggingAsync(std::string bucket, std::string key, std::vector<Tag> tags,
                             std::string version_id, Callback<Empty> done);
  void DeleteObjectTaggingAsync(std::string bucket, std::string key, std::string version_id,
                                Callback<Empty> done);

  // ---- Blocking forms ----
  S3Result<PutObjectOutput> PutObject(PutObjectRequest req, std::string body);
  S3Result<PutObjectOutput> PutObject(PutObjectRequest req, std::shared_ptr<http::BodySource> b);
  S3Result<GetObjectOutput> GetObject(GetObjectRequest req, http::BodySink* sink = nullptr);
  S3Result<ObjectInfo> HeadObject(HeadObjectRequest req);
  S3Result<DeleteObjectOutput> DeleteObject(DeleteObjectRequest req);
  S3Result<DeleteObjectsOutput> DeleteObjects(DeleteObjectsRequest req);
  S3Result<CopyObjectOutput> CopyObject(CopyObjectRequest req);
  S3Result<ListObjectsV2Output> ListObjectsV2(ListObjectsV2Request req);
  // Follows continuation tokens; calls `on_page` per page (return false to stop early).
  S3Status ListObjectsV2All(ListObjectsV2Request req,
                            const std::function<bool(const ListObjectsV2Output&)>& on_page);
  S3Result<CreateBucketOutput> CreateBucket(CreateBucketRequest req);
  S3Status DeleteBucket(std::string bucket);
  S3Result<HeadBucketOutput> HeadBucket(std::string bucket);
  S3Result<ListBucketsOutput> ListBuckets();
  S3Result<GetBucketLocationOutput> GetBucketLocation(std::string bucket);
  S3Result<CreateMultipartUploadOutput> CreateMultipartUpload(CreateMultipartUploadRequest req);
  S3Result<UploadPartOutput> UploadPart(UploadPartRequest req, std::string body);
  S3Result<UploadPartCopyOutput> UploadPartCopy(UploadPartCopyRequest req);
  S3Result<CompleteMultipartUploadOutput> CompleteMultipartUpload(
      CompleteMultipartUploadRequest req);
  S3Status AbortMultipartUpload(AbortMultipartUploadRequest req);
  S3Result<ListPartsOutput> ListParts(ListPartsRequest req);
  S3Result<ListMultipartUploadsOutput> ListMultipartUploads(ListMultipartUploadsRequest req);
  S3Result<GetObjectTaggingOutput> GetObjectTagging(std::string bucket, std::string key,
                                                    std::string version_id = "");
  S3Status PutObjectTagging(std::string bucket, std::string key, std::vector<Tag> tags,
                            std::string version_id = "");
  S3Status DeleteObjectTagging(std::string bucket, std::string key, std::string version_id = "");

  // ---- Presigned URLs (no request is sent) ----
  S3Result<PresignedUrl> Presign(const PresignRequest& req);

  // Describes one HTTP exchange of an operation (internal, public for the implementation
  // files and tests).
  struct Operation {
    std::string name;  // "PutObject"
    http::Method method = http::Method::kGet;
    std::string bucket;                                      // empty for ListBuckets
    std::string key;                                         // empty for bucket-level operations
    std::vector<std::pair<std::string, std::string>> query;  // decoded
    http::Headers headers;
    std::shared_ptr<const std::string> body;
    std::shared_ptr<http::BodySource> body_source;
    http::BodySink* sink = nullptr;
    bool bucket_level = false;   // a 404 without code means NoSuchBucket
    bool upload_scoped = false;  // a 404 (any code) means the multipart upload is gone
  };
  // Sends `op` with retries; `done` gets the 2xx response or the mapped error.
  void Execute(Operation op, Callback<http::Response> done);
  // URL of `bucket`/`key` with `query` (encoded), per the addressing style.
  std::string BuildUrl(const std::string& bucket, const std::string& key,
                       const std::vector<std::pair<std::string, std::string>>& query) const;

 private:
  Client(ClientConfig config, std::shared_ptr<http::Transport> transport,
         std::shared_ptr<CredentialsProvider> creds, std::shared_ptr<Clock> clock,
         std::shared_ptr<Random> random);
  struct Attempt;
  void StartAttempt(std::shared_ptr<Attempt> a, std::chrono::milliseconds delay);
  void Finish(std::shared_ptr<Attempt> a, S3Result<http::Response> result);
  // Tells the observer (if any) that `a` ended with `result`.
  void Report(const Attempt& a, const S3Result<http::Response>& result,
              std::chrono::steady_clock::duration elapsed) const;
  bool UsePathStyle(const std::string& bucket) const;
  S3Status ValidateBucket(const std::string& bucket) const;
  std::string PayloadHash(const Operation& op, bool* ok) const;

  ClientConfig config_;
  std::shared_ptr<http::Transport> transport_;
  std::shared_ptr<CredentialsProvider> creds_;
  std::shared_ptr<Clock> clock_;
  std::shared_ptr<Random> random_;
  Signer signer_;
  CircuitBreaker breaker_;
  ClientStats stats_;
  std::string scheme_;
  std::string host_;       // host[:port] of the endpoint
  std::string base_path_;  // endpoint path prefix without trailing '/', usually empty
  bool is_aws_ = false;
};

// Runs an async operation and waits for it: Wait<T>([&](Callback<T> cb) { c.FooAsync(.., cb); }).
template <typename T, typename F>
S3Result<T> Wait(F&& start) {
  std::promise<S3Result<T>> promise;
  auto future = promise.get_future();
  start([&promise](S3Result<T> r) { promise.set_value(std::move(r)); });
  return future.get();
}

// Adds SSE request headers for a write (or, with copy_source, the copy-source SSE-C headers).
void AddSseHeaders(const Sse& sse, bool copy_source, http::Headers* headers);
// Content headers, user metadata, storage class, ACL and tagging of a write.
void AddAttributeHeaders(const ObjectAttributes& attrs, http::Headers* headers);
// Parses HeadObject/GetObject response headers.
ObjectInfo ParseObjectInfo(const http::Response& response);
// Validates SSE settings (SSE-C key must be 32 bytes; KMS key id printable).
S3Status ValidateSse(const Sse& sse);
std::string StripQuotes(std::string etag);
// "CRC32", "CRC32C", "SHA1", "SHA256" ("" for kNone).
std::string_view ChecksumAlgorithmName(ChecksumAlgorithm a);
// "x-amz-checksum-crc32c" etc. ("" for kNone).
std::string ChecksumHeader(ChecksumAlgorithm a);
// Base64 checksum of `body` as S3 expects it in the checksum headers.
std::string ComputeChecksum(ChecksumAlgorithm a, std::string_view body);
// S3's ETag of a completed multipart upload ("md5-of-part-md5s-N", quoted), or "" when a
// part's ETag is not a plain MD5 (encrypted uploads).
std::string MultipartEtag(const std::vector<CompletedPart>& parts);

}  // namespace s3fs::s3

#endif  // S3FS_S3_CLIENT_H_
