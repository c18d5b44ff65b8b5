#include "cli_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "s3fs/common/strings.h"
#include "s3fs/meta/metadata_store.h"

namespace s3fs::cli {

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

std::string HomeDir() { return Env("HOME"); }

}  // namespace

std::string MetaCacheBase(const std::string& explicit_dir, const std::string& use_cache_dir) {
  if (!explicit_dir.empty()) return explicit_dir;
  if (!use_cache_dir.empty()) return use_cache_dir + "/.s3fs-meta";
  if (std::string xdg = Env("XDG_CACHE_HOME"); !xdg.empty()) return xdg + "/s3fs";
  if (std::string home = HomeDir(); !home.empty() && home != "/") return home + "/.cache/s3fs";
  return "/var/cache/s3fs";
}

std::string MetaCacheDir(const ConnectionSettings& conn, const std::string& base,
                         const std::string& bucket, const std::string& prefix) {
  ConnectionSettings s = conn;
  ApplyEnvironmentDefaults(&s);
  std::string endpoint = s.endpoint;
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  return meta::CacheDirFor(base, endpoint, bucket, prefix);
}

bool ReadSmallFile(const std::string& path, std::string* out, std::string* error, unsigned* mode) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = path + ": " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20)) {
    *error = path + ": not a regular file of at most 1 MiB";
    ::close(fd);
    return false;
  }
  if (mode != nullptr) *mode = st.st_mode;
  out->assign(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < out->size()) {
    ssize_t n = ::read(fd, out->data() + done, out->size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  out->resize(done);
  ::close(fd);
  return true;
}

void ApplyEnvironmentDefaults(ConnectionSettings* s) {
  if (s->region.empty()) s->region = Env("AWS_REGION");
  if (s->region.empty()) s->region = Env("AWS_DEFAULT_REGION");
  if (s->region.empty()) s->region = "us-east-1";
  if (s->endpoint.empty()) s->endpoint = Env("AWS_ENDPOINT_URL_S3");
  if (s->endpoint.empty()) s->endpoint = Env("AWS_ENDPOINT_URL");
  if (s->ca_file.empty()) s->ca_file = Env("AWS_CA_BUNDLE");
}

s3::S3Result<std::shared_ptr<s3::CredentialsProvider>> ResolveCredentials(
    const ConnectionSettings& s) {
  using Provider = std::shared_ptr<s3::CredentialsProvider>;
  if (s.anonymous) return Provider(std::make_shared<s3::AnonymousCredentialsProvider>());
  auto from_passwd = [&](const std::string& path,
                         bool must_exist) -> std::optional<s3::S3Result<Provider>> {
    std::string content;
    std::string error;
    unsigned mode = 0;
    if (!ReadSmallFile(path, &content, &error, &mode)) {
      if (!must_exist && errno == ENOENT) return std::nullopt;
      return s3::S3Result<Provider>(
          Fail(s3::CredentialsError("CredentialsNotFound", "cannot read passwd file " + error)));
    }
    if (auto m = s3::CheckPasswdFileMode(path, mode); !m.ok()) {
      return s3::S3Result<Provider>(Fail(m.error()));
    }
    auto creds = s3::ParsePasswdFile(content, s.bucket);
    SecureWipe(content.data(), content.size());
    if (!creds.ok()) {
      auto e = std::move(creds).error();
      e.message = path + ": " + e.message;
      return s3::S3Result<Provider>(Fail(std::move(e)));
    }
    return s3::S3Result<Provider>(Provider(std::make_shared<s3::StaticCredentialsProvider>(
        std::move(creds).value(), "passwd file " + path)));
  };
  if (!s.passwd_file.empty()) return *from_passwd(s.passwd_file, true);

  std::string access = Env("AWS_ACCESS_KEY_ID");
  std::string secret = Env("AWS_SECRET_ACCESS_KEY");
  if (access.empty()) access = Env("AWSACCESSKEYID");
  if (secret.empty()) secret = Env("AWSSECRETACCESSKEY");
  if (!access.empty() && !secret.empty() && s.profile.empty()) {
    s3::Credentials c;
    c.access_key_id = access;
    c.secret_access_key = SecretString(secret);
    std::string token = Env("AWS_SESSION_TOKEN");
    if (token.empty()) token = Env("AWSSESSIONTOKEN");
    c.session_token = SecretString(token);
    SecureWipe(secret.data(), secret.size());
    return Provider(std::make_shared<s3::StaticCredentialsProvider>(std::move(c), "environment"));
  }
  std::string home = HomeDir();
  if (s.profile.empty()) {
    if (!home.empty()) {
      if (auto r = from_passwd(home + "/.passwd-s3fs", false)) return std::move(*r);
    }
    if (auto r = from_passwd("/etc/passwd-s3fs", false)) return std::move(*r);
  }
  std::string profile = s.profile.empty() ? Env("AWS_PROFILE") : s.profile;
  if (profile.empty()) profile = "default";
  std::string cred_file = Env("AWS_SHARED_CREDENTIALS_FILE");
  if (cred_file.empty() && !home.empty()) cred_file = home + "/.aws/credentials";
  if (!cred_file.empty()) {
    std::string content;
    std::string error;
    if (ReadSmallFile(cred_file, &content, &error)) {
      auto creds = s3::ParseAwsCredentialsFile(content, profile, false);
      SecureWipe(content.data(), content.size());
      if (creds.ok()) {
        return Provider(std::make_shared<s3::StaticCredentialsProvider>(
            std::move(creds).value(), "profile " + profile + " in " + cred_file));
      }
      if (!s.profile.empty()) return Fail(std::move(creds).error());
    } else if (!s.profile.empty()) {
      return Fail(s3::CredentialsError("CredentialsNotFound", "cannot read " + error));
    }
  }
  return Fail(s3::CredentialsError(
      "CredentialsNotFound",
      "no credentials: give -o passwd_file=FILE, set AWS_ACCESS_KEY_ID and "
      "AWS_SECRET_ACCESS_KEY, or create ~/.passwd-s3fs (ACCESS:SECRET, mode 600)"));
}

s3::S3Result<ClientBundle> MakeClient(const ConnectionSettings& s) {
  ConnectionSettings settings = s;
  ApplyEnvironmentDefaults(&settings);
  http::CurlOptions copt;
  copt.connect_timeout = std::chrono::milliseconds(settings.connect_timeout_s * 1000);
  copt.low_speed_time = std::chrono::seconds(settings.readwrite_timeout_s);
  copt.verify_tls = settings.verify_tls;
  copt.ca_file = settings.ca_file;
  copt.verbose = settings.curl_debug;
  auto transport = http::MakeCurlTransport(copt);
  if (!transport.ok()) return Fail(s3::FromTransport(transport.error()));
  S3FS_ASSIGN_OR_RETURN(auto creds, ResolveCredentials(settings));
  s3::ClientConfig config;
  config.endpoint = settings.endpoint;
  config.region = settings.region;
  config.addressing = settings.path_style ? s3::ClientConfig::Addressing::kPath
                                          : s3::ClientConfig::Addressing::kAuto;
  config.requester_pays = settings.requester_pays;
  if (settings.retries >= 0) config.retry.SetRetries(settings.retries);
  ClientBundle bundle;
  bundle.transport = transport.value();
  S3FS_ASSIGN_OR_RETURN(
      bundle.client, s3::Client::Create(config, bundle.transport, std::move(creds),
                                        RealClock::Instance(), std::make_shared<DefaultRandom>()));
  return bundle;
}

}  // namespace s3fs::cli
