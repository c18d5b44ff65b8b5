// Credentials providers and the pure parsers for the credential file formats.
//
// Reading files and the environment belongs to the cli layer: it reads the bytes and hands
// them to the parsers here. A provider returns the credentials to sign the next request with;
// providers of temporary credentials refresh before expiry. All providers are thread-safe.
#ifndef S3FS_S3_CREDENTIALS_H_
#define S3FS_S3_CREDENTIALS_H_

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "s3fs/s3/error.h"
#include "s3fs/s3/sigv4.h"

namespace s3fs::s3 {

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  virtual S3Result<Credentials> Get() = 0;
  // Short description for logs ("passwd file /etc/passwd-s3fs"), never the secret.
  virtual std::string Describe() const = 0;
};

class StaticCredentialsProvider final : public CredentialsProvider {
 public:
  StaticCredentialsProvider(Credentials creds, std::string source)
      : creds_(std::move(creds)), source_(std::move(source)) {}
  S3Result<Credentials> Get() override { return creds_; }
  std::string Describe() const override { return source_; }

 private:
  Credentials creds_;
  std::string source_;
};

// Anonymous access (public buckets): requests are sent unsigned.
class AnonymousCredentialsProvider final : public CredentialsProvider {
 public:
  S3Result<Credentials> Get() override { return Credentials{}; }
  std::string Describe() const override { return "anonymous"; }
};

// s3fs-fuse passwd file: lines "ACCESS:SECRET" (default) or "BUCKET:ACCESS:SECRET" (per
// bucket, preferred when it names `bucket`), or the "AWSAccessKeyId=..."/"AWSSecretKey=..."
// form; '#' comments and blank lines ignored. Errors name the line number, never its content.
S3Result<Credentials> ParsePasswdFile(std::string_view content, std::string_view bucket);

// s3fs-fuse's rule for passwd file permissions: no permission bits for others, and none for
// the group unless the file is /etc/passwd-s3fs. `mode` is st_mode.
S3Status CheckPasswdFileMode(const std::string& path, unsigned mode);

// ~/.aws/credentials (or config) INI content: the named profile's aws_access_key_id,
// aws_secret_access_key, aws_session_token. In config files sections are "[profile NAME]".
S3Result<Credentials> ParseAwsCredentialsFile(std::string_view content, std::string_view profile,
                                              bool config_file_syntax);

// A named profile of the AWS shared files, merged from ~/.aws/credentials ("[NAME]") and
// ~/.aws/config ("[profile NAME]", "[default]"); a key set in both comes from the credentials
// file. Only the keys the credential chain uses are kept.
struct AwsProfile {
  bool found = false;  // a section of that name exists in either file
  Credentials keys;    // aws_access_key_id, aws_secret_access_key, aws_session_token
  std::string role_arn;
  std::string source_profile;
  std::string credential_source;  // Environment | Ec2InstanceMetadata | EcsContainer
  std::string web_identity_token_file;
  std::string external_id;
  std::string role_session_name;
  std::string region;
  std::chrono::seconds duration{0};  // duration_seconds (0: not given)
};
// Errors: a duration_seconds that is not a number of seconds.
S3Result<AwsProfile> ParseAwsProfile(std::string_view credentials_file,
                                     std::string_view config_file, std::string_view profile);

}  // namespace s3fs::s3

#endif  // S3FS_S3_CREDENTIALS_H_
