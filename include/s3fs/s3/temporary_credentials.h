// Providers of temporary credentials and the caching wrapper that refreshes them.
//
// The fetching providers (EC2 instance metadata, ECS/EKS container endpoint, STS
// AssumeRoleWithWebIdentity, STS AssumeRole) ask their service on every Get(): wrap them in a
// RefreshingCredentialsProvider, which serves cached credentials and refreshes them a few
// minutes before they expire. None of them reads files or the environment: the cli layer
// passes values in, and token files (which rotate) as a SecretReader it calls on each fetch.
// Keys and tokens never appear in errors or logs; every error is a CredentialsError whose
// message names the source (and its URL) and what went wrong.
//
// The transport given to these providers must not be one whose completion callbacks call
// Get() (a blocking Send() from its own event thread would deadlock): the cli gives the
// credential providers a transport of their own. Time is read from the injected Clock.
//
// Thread safety: all providers may be used concurrently.
#ifndef S3FS_S3_TEMPORARY_CREDENTIALS_H_
#define S3FS_S3_TEMPORARY_CREDENTIALS_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "s3fs/common/clock.h"
#include "s3fs/http/transport.h"
#include "s3fs/s3/credentials.h"

namespace s3fs::s3 {

// Returns a secret read fresh on each call (a token file), or the error that says why not.
using SecretReader = std::function<S3Result<SecretString>()>;

// The credentials in an instance-metadata or container-endpoint JSON answer:
// {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}; Token and Expiration may be
// absent (long-term keys); a "Code" other than "Success" is an error. `source` prefixes errors.
S3Result<Credentials> ParseJsonCredentials(std::string_view body, std::string_view source);

// ---- EC2 instance metadata (IMDSv2) ----

struct ImdsOptions {
  std::string endpoint = "http://169.254.169.254";  // AWS_EC2_METADATA_SERVICE_ENDPOINT
  std::string role;      // empty (iam_role=auto): the role attached to the instance
  bool v1_only = false;  // s3fs-fuse imdsv1only: no session token (IMDSv1)
  std::chrono::seconds token_ttl{21600};
  std::chrono::milliseconds timeout{5000};  // whole-request deadline of each request
};

// PUT /latest/api/token, then GET /latest/meta-data/iam/security-credentials/ (role
// discovery) and .../ROLE. The session token is reused until a minute before its TTL and
// fetched again after a 401. A token PUT answered 404/405 (IMDS without v2) falls back to v1.
class ImdsCredentialsProvider final : public CredentialsProvider {
 public:
  ImdsCredentialsProvider(std::shared_ptr<http::Transport> transport, std::shared_ptr<Clock> clock,
                          ImdsOptions options);
  S3Result<Credentials> Get() override;
  std::string Describe() const override;

 private:
  S3Result<std::optional<SecretString>> Token(bool force_new);
  S3Result<http::Response> Call(http::Method method, const std::string& path,
                                const std::optional<SecretString>& token);
  // `unauthorized` is set when the service answered 401 (the token is no longer valid).
  S3Result<std::string> Role(const std::optional<SecretString>& token, bool* unauthorized);
  S3Result<Credentials> Fetch(const std::optional<SecretString>& token, bool* unauthorized);

  std::shared_ptr<http::Transport> transport_;
  std::shared_ptr<Clock> clock_;
  ImdsOptions options_;
  std::mutex mu_;
  std::optional<SecretString> token_;  // unset: none fetched yet; empty value: IMDSv1
  std::chrono::steady_clock::time_point token_expiry_{};
};

// ---- ECS / EKS Pod Identity container endpoint ----

struct ContainerOptions {
  // AWS_CONTAINER_CREDENTIALS_FULL_URI, or http://169.254.170.2 + ..._RELATIVE_URI.
  std::string url;
  // AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE): sent as Authorization. Empty: no header.
  SecretReader authorization;
  std::chrono::milliseconds timeout{5000};
};

// Containers' credential URLs may be https anywhere, but plain http only to a loopback address
// or the ECS/EKS link-local agents (169.254.170.2, 169.254.170.23, fd00:ec2::23), as the AWS
// SDKs require: the authorization token must not travel in clear text elsewhere.
S3Status CheckContainerCredentialsUrl(const std::string& url);

class ContainerCredentialsProvider final : public CredentialsProvider {
 public:
  ContainerCredentialsProvider(std::shared_ptr<http::Transport> transport,
                               ContainerOptions options);
  S3Result<Credentials> Get() override;
  std::string Describe() const override;

 private:
  std::shared_ptr<http::Transport> transport_;
  ContainerOptions options_;
};

// ---- STS ----

// AWS_ENDPOINT_URL_STS when given (`override_url`), else the regional endpoint
// https://sts.REGION.amazonaws.com (amazonaws.com.cn for cn-* regions).
std::string StsEndpoint(std::string_view override_url, std::string_view region);

struct WebIdentityOptions {
  std::string sts_endpoint;
  std::string role_arn;      // AWS_ROLE_ARN
  std::string session_name;  // AWS_ROLE_SESSION_NAME; empty: "s3fs-<unix ms>"
  SecretReader token;        // reads AWS_WEB_IDENTITY_TOKEN_FILE
  std::chrono::milliseconds timeout{10000};
};

// STS AssumeRoleWithWebIdentity: an unsigned POST (the token is the proof), form-encoded body.
class WebIdentityCredentialsProvider final : public CredentialsProvider {
 public:
  WebIdentityCredentialsProvider(std::shared_ptr<http::Transport> transport,
                                 std::shared_ptr<Clock> clock, WebIdentityOptions options);
  S3Result<Credentials> Get() override;
  std::string Describe() const override;

 private:
  std::shared_ptr<http::Transport> transport_;
  std::shared_ptr<Clock> clock_;
  WebIdentityOptions options_;
};

struct AssumeRoleOptions {
  std::string sts_endpoint;
  std::string region;  // signing region of the STS endpoint
  std::string role_arn;
  std::string session_name;          // empty: "s3fs-<unix ms>"
  std::string external_id;           // empty: none
  std::chrono::seconds duration{0};  // 0: STS's default (1 hour)
  std::chrono::milliseconds timeout{10000};
};

// STS AssumeRole: a POST signed (SigV4, service "sts") with the source provider's credentials
// (a profile's source_profile or credential_source).
class AssumeRoleCredentialsProvider final : public CredentialsProvider {
 public:
  AssumeRoleCredentialsProvider(std::shared_ptr<http::Transport> transport,
                                std::shared_ptr<Clock> clock, AssumeRoleOptions options,
                                std::shared_ptr<CredentialsProvider> source);
  S3Result<Credentials> Get() override;
  std::string Describe() const override;

 private:
  std::shared_ptr<http::Transport> transport_;
  std::shared_ptr<Clock> clock_;
  AssumeRoleOptions options_;
  std::shared_ptr<CredentialsProvider> source_;
};

// ---- Caching and refreshing ----

struct RefreshOptions {
  // Refresh when the cached credentials expire within this.
  std::chrono::seconds refresh_before{300};
  // After a refresh attempt the next waits at least this long (a failing service is not
  // asked on every request).
  std::chrono::seconds retry_interval{30};
  // A refresh ahead of expiry runs on a thread of its own while requests keep using the
  // current credentials; false: the caller that notices runs it (deterministic tests).
  bool background = true;
};

// Serves the source's credentials from a cache. The first Get() fetches; later ones return
// the cache until it is within refresh_before of its expiration, then one refresh runs at a
// time while other callers keep getting the still-valid credentials. A refresh that fails while
// they are still valid is logged as a warning and retried after retry_interval; only when they
// have expired and no refresh succeeds does Get() fail (CredentialsExpired). Credentials with no
// expiration are fetched once.
class RefreshingCredentialsProvider final : public CredentialsProvider {
 public:
  RefreshingCredentialsProvider(std::shared_ptr<CredentialsProvider> source,
                                std::shared_ptr<Clock> clock, RefreshOptions options = {});
  // Waits for a background refresh in progress.
  ~RefreshingCredentialsProvider() override;
  RefreshingCredentialsProvider(const RefreshingCredentialsProvider&) = delete;
  RefreshingCredentialsProvider& operator=(const RefreshingCredentialsProvider&) = delete;

  S3Result<Credentials> Get() override;
  std::string Describe() const override { return source_->Describe(); }

 private:
  // Fetches from the source with mu_ released, then stores the outcome. Called with
  // refreshing_ set by the caller.
  void Refresh(std::unique_lock<std::mutex>& lock);
  void Store(S3Result<Credentials> fetched);

  std::shared_ptr<CredentialsProvider> source_;
  std::shared_ptr<Clock> clock_;
  RefreshOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Credentials> creds_;
  std::optional<S3Error> last_error_;
  bool refreshing_ = false;
  std::chrono::steady_clock::time_point next_attempt_{};
  std::thread background_;
};

}  // namespace s3fs::s3

#endif  // S3FS_S3_TEMPORARY_CREDENTIALS_H_
