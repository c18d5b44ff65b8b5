// Connection settings shared by s3ctl and the s3fs mount command, and the credential chain.
// This is the only layer that reads the environment and credential files.
#ifndef S3FS_CLI_CLI_CONFIG_H_
#define S3FS_CLI_CLI_CONFIG_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "s3fs/http/rate_limited_transport.h"
#include "s3fs/http/transport.h"
#include "s3fs/s3/client.h"
#include "s3fs/s3/credentials.h"
#include "s3fs/s3/temporary_credentials.h"

namespace s3fs::cli {

struct ConnectionSettings {
  std::string endpoint;     // s3fs: url=
  std::string region;       // s3fs: endpoint= (sic) / region
  bool path_style = false;  // s3fs: use_path_request_style
  std::string passwd_file;  // s3fs: passwd_file=
  std::string profile;      // s3fs: profile= (AWS shared credentials)
  std::string ca_file;      // custom CA bundle
  bool verify_tls = true;   // s3fs: ssl_verify_hostname=0 turns it off
  bool anonymous = false;   // s3fs: public_bucket=1
  bool requester_pays = false;
  int retries = -1;  // -1 = defaults of the retry policy
  long connect_timeout_s = 10;
  long readwrite_timeout_s = 30;  // stall detection (no bytes for this long)
  bool curl_debug = false;
  std::string bucket;         // for per-bucket passwd lines
  std::string iam_role;       // s3fs: iam_role=auto|NAME (EC2 instance metadata); empty: not given
  bool imds_v1_only = false;  // s3fs: imdsv1only
  bool ecs = false;           // s3fs: ecs (container credentials endpoint)
  // Client-side limits (docs/configuration.md "Rate limits"); 0 = none.
  uint64_t max_requests_per_sec = 0;     // s3fs: max_requests_per_sec=
  uint64_t max_concurrent_requests = 0;  // s3fs: max_concurrent_requests=
  uint64_t max_upload_bps = 0;           // s3fs: max_upload_bps= (bytes/s, K/M/G)
  uint64_t max_download_bps = 0;         // s3fs: max_download_bps=
  bool adaptive_slowdown = true;         // s3fs: adaptive_slowdown=0 turns it off
  bool rate_limit_per_bucket = false;    // s3fs: rate_limit_per_bucket
};

// Fills region/endpoint from AWS_REGION / AWS_DEFAULT_REGION / AWS_ENDPOINT_URL(_S3) when
// not given. Region defaults to us-east-1.
void ApplyEnvironmentDefaults(ConnectionSettings* s);

// What the credential chain reads besides the settings; tests replace it.
struct CredentialEnvironment {
  std::function<std::string(const char*)> getenv;  // null: the process environment
  // Transport for the instance metadata service, the container endpoint and STS (never the
  // S3 client's: see s3/temporary_credentials.h). Null: a libcurl transport of its own, made
  // from the settings when first needed.
  std::shared_ptr<http::Transport> transport;
  std::shared_ptr<Clock> clock;  // null: the real clock
  s3::RefreshOptions refresh;
  // Timeout of the EC2 instance metadata requests when no other source was found (the last
  // fallback); short so that a machine outside EC2 is not held up.
  std::chrono::milliseconds imds_probe_timeout{1000};
};

// The credential chain, first match wins (docs/configuration.md "Credentials"):
//   public_bucket -> passwd_file= -> iam_role= (EC2 instance metadata) -> ecs (container
//   endpoint) -> AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN) or s3fs's
//   AWSACCESSKEYID/AWSSECRETACCESSKEY -> ~/.passwd-s3fs -> /etc/passwd-s3fs ->
//   profile (profile=, AWS_PROFILE, default) in ~/.aws/credentials and ~/.aws/config, with
//   role_arn + source_profile/credential_source/web_identity_token_file through STS ->
//   AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (STS AssumeRoleWithWebIdentity) ->
//   AWS_CONTAINER_CREDENTIALS_FULL_URI/RELATIVE_URI -> EC2 instance metadata with a 1 s timeout
//   (unless AWS_EC2_METADATA_DISABLED=true).
// Temporary credentials are fetched once here (so a broken source fails the mount at once)
// and refreshed before they expire. Errors are one line naming the source and the fix.
s3::S3Result<std::shared_ptr<s3::CredentialsProvider>> ResolveCredentials(
    const ConnectionSettings& s, const CredentialEnvironment& env = {});

struct ClientBundle {
  std::shared_ptr<http::Transport> transport;
  std::unique_ptr<s3::Client> client;
};

// The libcurl options the settings ask for (timeouts, TLS, debug output).
http::CurlOptions CurlOptionsFor(const ConnectionSettings& s);

// The client-side limits the settings ask for; requests are partitioned by bucket when
// rate_limit_per_bucket is set.
http::RateLimits RateLimitsFor(const ConnectionSettings& s);

// Builds transport + client from the settings (the libcurl transport, wrapped in the rate
// limiter when any limit or the adaptive slow-down is on); `observer` (metrics) sees its
// requests.
s3::S3Result<ClientBundle> MakeClient(const ConnectionSettings& s,
                                      std::shared_ptr<s3::ClientObserver> observer = nullptr);

// Where metadata caches live: `explicit_dir` if given; else `use_cache_dir`/.s3fs-meta when
// use_cache=DIR was given; else $XDG_CACHE_HOME/s3fs, ~/.cache/s3fs, or /var/cache/s3fs.
std::string MetaCacheBase(const std::string& explicit_dir, const std::string& use_cache_dir);
// The metadata cache directory of a mount of `bucket`/`prefix` ("" or "dir/") through `conn`'s
// endpoint: the same for s3fs and `s3ctl cache`.
std::string MetaCacheDir(const ConnectionSettings& conn, const std::string& base,
                         const std::string& bucket, const std::string& prefix);

// Reads a whole small file (credentials, keys). Returns false with `error` set.
bool ReadSmallFile(const std::string& path, std::string* out, std::string* error,
                   unsigned* mode = nullptr);

}  // namespace s3fs::cli

#endif  // S3FS_CLI_CLI_CONFIG_H_
