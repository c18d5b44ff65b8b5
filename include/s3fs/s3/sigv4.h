// AWS Signature Version 4 (header and query/presign forms) for S3 and STS.
//
// The canonical request is built from sorted containers, so the same inputs always produce the
// same signature; the signing key is derived per (date, region, service) and cached. Verified
// against AWS's published SigV4 test vectors (tests/unit/sigv4_test.cc).
//
// Thread safety: a Signer may be used concurrently.
#ifndef S3FS_S3_SIGV4_H_
#define S3FS_S3_SIGV4_H_

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>

#include "s3fs/common/secret.h"
#include "s3fs/http/types.h"

namespace s3fs::s3 {

struct Credentials {
  std::string access_key_id;
  SecretString secret_access_key;
  SecretString session_token;  // empty for long-term keys
  // When temporary credentials expire (time_point{} = never).
  std::chrono::system_clock::time_point expiration{};
  bool empty() const { return access_key_id.empty(); }
};

inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
inline constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct SigningParams {
  std::string region;  // e.g. "us-east-1"
  std::string service = "s3";
  std::chrono::system_clock::time_point time;
  // S3 signs the path exactly as sent (already encoded once, no dot-segment normalisation).
  // Other services (and AWS's generic test vectors) normalise and encode the path again.
  bool s3_path_rules = true;
};

// Pieces of a signature, exposed for tests and debug logging (never log the signing key).
// The canonical request holds the signed header values (a session token, an SSE-C key): it
// is wiped when the parts are destroyed or overwritten.
struct SignatureParts {
  SignatureParts() = default;
  SignatureParts(const SignatureParts&) = default;
  SignatureParts(SignatureParts&&) noexcept = default;
  SignatureParts& operator=(const SignatureParts& o) {
    if (this != &o) {
      Wipe();
      canonical_request = o.canonical_request;
      string_to_sign = o.string_to_sign;
      signature = o.signature;
      signed_headers = o.signed_headers;
      authorization = o.authorization;
    }
    return *this;
  }
  SignatureParts& operator=(SignatureParts&& o) noexcept {
    if (this != &o) {
      Wipe();
      canonical_request = std::move(o.canonical_request);
      string_to_sign = std::move(o.string_to_sign);
      signature = std::move(o.signature);
      signed_headers = std::move(o.signed_headers);
      authorization = std::move(o.authorization);
    }
    return *this;
  }
  ~SignatureParts() { Wipe(); }
  void Wipe() { SecureWipe(canonical_request.data(), canonical_request.size()); }

  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;       // hex
  std::string signed_headers;  // "host;x-amz-date"
  std::string authorization;   // full Authorization header value (header form)
};

class Signer {
 public:
  // Signs `req` in place with header authentication: sets x-amz-date, x-amz-content-sha256
  // (= payload_hash), x-amz-security-token (if any), Host (if absent) and Authorization.
  // Every header present on `req` is signed. For S3, pass the hex SHA-256 of the body or
  // kUnsignedPayload.
  SignatureParts Sign(http::Request& req, const Credentials& creds, const SigningParams& params,
                      std::string_view payload_hash) const;

  // Adds X-Amz-Algorithm/Credential/Date/Expires/SignedHeaders/Signature (and
  // X-Amz-Security-Token) to `url`'s query and returns the presigned URL. `headers` are signed
  // (the caller must send them unchanged); Host is always signed. The payload is UNSIGNED.
  std::string Presign(http::Method method, const std::string& url, const http::Headers& headers,
                      const Credentials& creds, const SigningParams& params,
                      std::chrono::seconds expires_in, SignatureParts* parts = nullptr) const;

  // Lower-level pieces (tests, STS): canonical request for a method/url/headers/payload hash.
  static std::string CanonicalRequest(http::Method method, const std::string& url,
                                      const http::Headers& headers, std::string_view payload_hash,
                                      bool s3_path_rules, std::string* signed_headers);
  // "20150830T123600Z" and "20150830".
  static std::string AmzDate(std::chrono::system_clock::time_point t);
  static std::string DateStamp(std::chrono::system_clock::time_point t);

 private:
  std::string SigningKey(const Credentials& creds, const std::string& date,
                         const std::string& region, const std::string& service) const;

  mutable std::mutex mu_;
  mutable std::string cache_id_;       // access key + date + region + service
  mutable SecretString cache_secret_;  // the secret cache_key_ was derived from
  mutable SecretString cache_key_;
};

}  // namespace s3fs::s3

#endif  // S3FS_S3_SIGV4_H_
