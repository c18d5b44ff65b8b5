#include "cli_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "s3fs/common/strings.h"
#include "s3fs/meta/metadata_store.h"
#include "s3fs/s3/uri.h"

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

http::CurlOptions CurlOptionsFor(const ConnectionSettings& s) {
  http::CurlOptions copt;
  copt.connect_timeout = std::chrono::milliseconds(s.connect_timeout_s * 1000);
  copt.low_speed_time = std::chrono::seconds(s.readwrite_timeout_s);
  copt.verify_tls = s.verify_tls;
  copt.ca_file = s.ca_file;
  copt.verbose = s.curl_debug;
  return copt;
}

http::RateLimits RateLimitsFor(const ConnectionSettings& s) {
  http::RateLimits l;
  l.requests_per_sec = static_cast<double>(s.max_requests_per_sec);
  l.max_concurrent = static_cast<int>(std::min<uint64_t>(s.max_concurrent_requests, INT32_MAX));
  l.upload_bytes_per_sec = s.max_upload_bps;
  l.download_bytes_per_sec = s.max_download_bps;
  l.adaptive = s.adaptive_slowdown;
  if (s.rate_limit_per_bucket) {
    // Path-style URLs name the bucket in the path, virtual-hosted ones in the host.
    ConnectionSettings used = s;
    ApplyEnvironmentDefaults(&used);
    std::string endpoint = used.endpoint;
    if (endpoint.empty()) {
      endpoint = used.region == "us-east-1" ? "https://s3.amazonaws.com"
                                            : "https://s3." + used.region + ".amazonaws.com";
    }
    s3::uri::Url url;
    std::string host = s3::uri::Parse(endpoint, &url) ? url.host : endpoint;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    l.partition = [host](const http::Request& r) { return http::BucketPartition(r.url, host); };
  }
  return l;
}

s3::S3Result<ClientBundle> MakeClient(const ConnectionSettings& s,
                                      std::shared_ptr<s3::ClientObserver> observer) {
  ConnectionSettings settings = s;
  ApplyEnvironmentDefaults(&settings);
  auto transport = http::MakeCurlTransport(CurlOptionsFor(settings));
  if (!transport.ok()) return Fail(s3::FromTransport(transport.error()));
  std::shared_ptr<http::Transport> wire = transport.value();
  if (http::RateLimits limits = RateLimitsFor(settings); limits.Any()) {
    wire = std::make_shared<http::RateLimitedTransport>(std::move(wire), std::move(limits),
                                                        RealClock::Instance());
  }
  S3FS_ASSIGN_OR_RETURN(auto creds, ResolveCredentials(settings));
  s3::ClientConfig config;
  config.endpoint = settings.endpoint;
  config.region = settings.region;
  config.addressing = settings.path_style ? s3::ClientConfig::Addressing::kPath
                                          : s3::ClientConfig::Addressing::kAuto;
  config.requester_pays = settings.requester_pays;
  if (settings.retries >= 0) config.retry.SetRetries(settings.retries);
  config.observer = std::move(observer);
  ClientBundle bundle;
  bundle.transport = wire;
  S3FS_ASSIGN_OR_RETURN(
      bundle.client, s3::Client::Create(config, bundle.transport, std::move(creds),
                                        RealClock::Instance(), std::make_shared<DefaultRandom>()));
  return bundle;
}

}  // namespace s3fs::cli
