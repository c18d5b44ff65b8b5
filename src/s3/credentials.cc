#include "s3fs/s3/credentials.h"

#include <sys/stat.h>

#include <vector>

#include "s3fs/common/strings.h"

namespace s3fs::s3 {

S3Result<Credentials> ParsePasswdFile(std::string_view content, std::string_view bucket) {
  Credentials def;
  Credentials for_bucket;
  std::string kv_access;
  std::string kv_secret;
  int line_no = 0;
  for (const auto& raw : str::Split(content, '\n')) {
    ++line_no;
    std::string_view line = str::Trim(raw);
    if (line.empty() || line.front() == '#') continue;
    if (line.find('=') != std::string_view::npos && line.find(':') == std::string_view::npos) {
      size_t eq = line.find('=');
      std::string_view k = str::Trim(line.substr(0, eq));
      std::string_view v = str::Trim(line.substr(eq + 1));
      if (k == "AWSAccessKeyId") {
        kv_access = std::string(v);
      } else if (k == "AWSSecretKey") {
        kv_secret = std::string(v);
      } else if (k != "AWSSessionToken") {
        return Fail(CredentialsError("InvalidCredentials",
                                     "passwd file line " + std::to_string(line_no) +
                                         ": unknown key (expected AWSAccessKeyId/AWSSecretKey)"));
      }
      continue;
    }
    auto fields = str::Split(line, ':');
    if (fields.size() == 2) {
      if (fields[0].empty() || fields[1].empty()) {
        return Fail(CredentialsError(
            "InvalidCredentials",
            "passwd file line " + std::to_string(line_no) + ": empty access key or secret"));
      }
      if (def.empty()) {
        def.access_key_id = fields[0];
        def.secret_access_key = SecretString(fields[1]);
      }
    } else if (fields.size() == 3) {
      if (fields[1].empty() || fields[2].empty()) {
        return Fail(CredentialsError(
            "InvalidCredentials",
            "passwd file line " + std::to_string(line_no) + ": empty access key or secret"));
      }
      if (fields[0] == bucket && for_bucket.empty()) {
        for_bucket.access_key_id = fields[1];
        for_bucket.secret_access_key = SecretString(fields[2]);
      }
    } else {
      return Fail(CredentialsError("InvalidCredentials",
                                   "passwd file line " + std::to_string(line_no) +
                                       ": expected ACCESS:SECRET or BUCKET:ACCESS:SECRET"));
    }
    for (auto& f : fields) SecureWipe(f.data(), f.size());
  }
  if (!for_bucket.empty()) return for_bucket;
  if (!def.empty()) return def;
  if (!kv_access.empty() && !kv_secret.empty()) {
    Credentials c;
    c.access_key_id = kv_access;
    c.secret_access_key = SecretString(kv_secret);
    SecureWipe(kv_secret.data(), kv_secret.size());
    return c;
  }
  return Fail(
      CredentialsError("CredentialsNotFound", "passwd file has no credentials for bucket '" +
                                                  std::string(bucket) + "' and no default line"));
}

S3Status CheckPasswdFileMode(const std::string& path, unsigned mode) {
  if ((mode & S_IRWXO) != 0) {
    return Fail(CredentialsError(
        "InvalidCredentials",
        "passwd file " + path + " is accessible by others: run chmod 600 " + path));
  }
  if (path != "/etc/passwd-s3fs" && (mode & S_IRWXG) != 0) {
    return Fail(CredentialsError(
        "InvalidCredentials",
        "passwd file " + path + " is accessible by its group: run chmod 600 " + path));
  }
  return {};
}

S3Result<Credentials> ParseAwsCredentialsFile(std::string_view content, std::string_view profile,
                                              bool config_file_syntax) {
  std::string want = std::string(profile);
  if (config_file_syntax && want != "default") want = "profile " + want;
  bool in_section = false;
  bool found_section = false;
  Credentials c;
  for (const auto& raw : str::Split(content, '\n')) {
    std::string_view line = str::Trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      in_section = str::Trim(line.substr(1, line.size() - 2)) == want;
      found_section = found_section || in_section;
      continue;
    }
    if (!in_section) continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view k = str::Trim(line.substr(0, eq));
    std::string_view v = str::Trim(line.substr(eq + 1));
    if (k == "aws_access_key_id") c.access_key_id = std::string(v);
    if (k == "aws_secret_access_key") c.secret_access_key = SecretString(std::string(v));
    if (k == "aws_session_token") c.session_token = SecretString(std::string(v));
  }
  if (!found_section) {
    return Fail(CredentialsError("CredentialsNotFound",
                                 "profile '" + std::string(profile) + "' not found"));
  }
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return Fail(CredentialsError(
        "CredentialsNotFound",
        "profile '" + std::string(profile) + "' has no aws_access_key_id/aws_secret_access_key"));
  }
  return c;
}

}  // namespace s3fs::s3
