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

namespace {

// Calls `f(key, value)` for every "key = value" line of the INI section `section` (exact
// name, e.g. "profile work"); returns whether the section exists.
template <typename F>
bool ForEachInSection(std::string_view content, std::string_view section, F&& f) {
  bool in_section = false;
  bool found = false;
  for (const auto& raw : str::Split(content, '\n')) {
    std::string_view line = str::Trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      in_section = str::Trim(line.substr(1, line.size() - 2)) == section;
      found = found || in_section;
      continue;
    }
    if (!in_section) continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    f(str::Trim(line.substr(0, eq)), str::Trim(line.substr(eq + 1)));
  }
  return found;
}

std::string ConfigSection(std::string_view profile) {
  return profile == "default" ? std::string(profile) : "profile " + std::string(profile);
}

// Stores the static keys among `k` = `v` into `c` (unless already set).
void TakeKey(std::string_view k, std::string_view v, Credentials* c) {
  if (k == "aws_access_key_id" && c->access_key_id.empty()) c->access_key_id = std::string(v);
  if (k == "aws_secret_access_key" && c->secret_access_key.empty()) {
    c->secret_access_key = SecretString(std::string(v));
  }
  if (k == "aws_session_token" && c->session_token.empty()) {
    c->session_token = SecretString(std::string(v));
  }
}

}  // namespace

S3Result<Credentials> ParseAwsCredentialsFile(std::string_view content, std::string_view profile,
                                              bool config_file_syntax) {
  std::string want = config_file_syntax ? ConfigSection(profile) : std::string(profile);
  Credentials c;
  bool found = ForEachInSection(content, want,
                                [&](std::string_view k, std::string_view v) { TakeKey(k, v, &c); });
  if (!found) {
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

S3Result<AwsProfile> ParseAwsProfile(std::string_view credentials_file,
                                     std::string_view config_file, std::string_view profile) {
  AwsProfile p;
  std::string duration;
  auto take = [&](std::string_view k, std::string_view v) {
    TakeKey(k, v, &p.keys);
    auto set = [&](std::string_view name, std::string* field) {
      if (k == name && field->empty()) *field = std::string(v);
    };
    set("role_arn", &p.role_arn);
    set("source_profile", &p.source_profile);
    set("credential_source", &p.credential_source);
    set("web_identity_token_file", &p.web_identity_token_file);
    set("external_id", &p.external_id);
    set("role_session_name", &p.role_session_name);
    set("region", &p.region);
    set("duration_seconds", &duration);
  };
  // The credentials file first: its values win.
  p.found = ForEachInSection(credentials_file, profile, take);
  p.found = ForEachInSection(config_file, ConfigSection(profile), take) || p.found;
  uint64_t secs = 0;
  if (!duration.empty()) {
    if (!str::ParseUint64(duration, &secs) || secs == 0) {
      return Fail(CredentialsError("InvalidCredentials", "profile '" + std::string(profile) +
                                                             "': duration_seconds is not a "
                                                             "number of seconds"));
    }
    p.duration = std::chrono::seconds(secs);
  }
  return p;
}

}  // namespace s3fs::s3
