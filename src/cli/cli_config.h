// Connection settings shared by s3ctl and the s3fs mount command, and the credential chain.
// This is the only layer that reads the environment and credential files.
#ifndef S3FS_CLI_CLI_CONFIG_H_
#define S3FS_CLI_CLI_CONFIG_H_

#include <memory>
#include <string>

#include "s3fs/http/transport.h"
#include "s3fs/s3/client.h"
#include "s3fs/s3/credentials.h"

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
  std::string bucket;  // for per-bucket passwd lines
};

// Fills region/endpoint from AWS_REGION / AWS_DEFAULT_REGION / AWS_ENDPOINT_URL(_S3) when
// not given. Region defaults to us-east-1.
void ApplyEnvironmentDefaults(ConnectionSettings* s);

// Credential chain: passwd_file option -> AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
// (AWS_SESSION_TOKEN) or s3fs's AWSACCESSKEYID/AWSSECRETACCESSKEY -> ~/.passwd-s3fs ->
// /etc/passwd-s3fs -> ~/.aws/credentials [AWS_PROFILE or profile]. Errors say what was tried.
s3::S3Result<std::shared_ptr<s3::CredentialsProvider>> ResolveCredentials(
    const ConnectionSettings& s);

struct ClientBundle {
  std::shared_ptr<http::Transport> transport;
  std::unique_ptr<s3::Client> client;
};

// Builds transport + client from the settings.
s3::S3Result<ClientBundle> MakeClient(const ConnectionSettings& s);

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
