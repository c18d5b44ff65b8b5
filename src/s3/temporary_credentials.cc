// Fetching providers of temporary credentials: EC2 instance metadata, container endpoint, STS.
#include "s3fs/s3/temporary_credentials.h"

#include <memory>

#include "s3fs/common/strings.h"
#include "s3fs/s3/crypto.h"
#include "s3fs/s3/json_flat.h"
#include "s3fs/s3/uri.h"
#include "s3fs/s3/xml.h"

namespace s3fs::s3 {

namespace {

constexpr std::string_view kStsVersion = "2011-06-15";

S3Error SourceError(std::string_view source, std::string kind, const std::string& what) {
  return CredentialsError(std::move(kind), std::string(source) + ": " + what);
}

// Sends `req`; a transport failure becomes a CredentialsError naming `source`.
S3Result<http::Response> Send(http::Transport& transport, http::Request req,
                              std::string_view source) {
  std::string url = req.url;
  auto r = transport.Send(std::move(req));
  if (!r.ok()) {
    S3Error t = FromTransport(r.error());
    return Fail(SourceError(source, "CredentialsRefreshFailed",
                            "cannot reach " + url + " (" + t.kind + ": " + t.message + ")"));
  }
  return std::move(r).value();
}

std::string HttpStatusText(const http::Response& resp) {
  return "HTTP " + std::to_string(resp.status);
}

std::string TrimmedUrl(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string DefaultSessionName(const Clock& clock, const std::string& given) {
  if (!given.empty()) return given;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now().time_since_epoch());
  return "s3fs-" + std::to_string(ms.count());
}

// application/x-www-form-urlencoded body; the caller wipes it when it carries a secret.
std::shared_ptr<std::string> FormBody(
    std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  auto body = std::make_shared<std::string>();
  for (const auto& [k, v] : fields) {
    if (v.empty()) continue;
    if (!body->empty()) body->push_back('&');
    body->append(uri::Encode(k));
    body->push_back('=');
    body->append(uri::Encode(v));
  }
  return body;
}

http::Request StsRequest(const std::string& endpoint, std::shared_ptr<std::string> body,
                         std::chrono::milliseconds timeout) {
  http::Request req;
  req.method = http::Method::kPost;
  req.url = TrimmedUrl(endpoint) + "/";
  req.headers.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  req.headers.Set("Accept", "application/xml");
  req.body = std::move(body);
  req.timeout = timeout;
  return req;
}

// The credentials of a 2xx STS answer, or the error of any other.
S3Result<Credentials> StsAnswer(const http::Response& resp, std::string_view action,
                                std::string_view source) {
  if (resp.status >= 200 && resp.status < 300) {
    auto c = xml::ParseStsCredentials(resp.body, action);
    if (!c.ok()) return Fail(SourceError(source, "InvalidCredentials", c.error().message));
    return c;
  }
  xml::ErrorBody err;
  std::string what = HttpStatusText(resp);
  if (xml::ParseStsError(resp.body, &err) || xml::ParseError(resp.body, &err)) {
    what = err.code + ": " + err.message + " (" + what +
           (err.request_id.empty() ? "" : ", request id " + err.request_id) + ")";
  }
  std::string kind = err.code == "ExpiredTokenException" || err.code == "ExpiredToken"
                         ? "CredentialsExpired"
                         : "CredentialsRefreshFailed";
  return Fail(SourceError(source, std::move(kind), std::string(action) + " failed: " + what));
}

}  // namespace

S3Result<Credentials> ParseJsonCredentials(std::string_view body, std::string_view source) {
  auto parsed = json::ParseFlatObject(body);
  if (!parsed.ok()) return Fail(SourceError(source, "InvalidCredentials", parsed.error().message));
  const json::FlatObject& o = parsed.value();
  auto field = [&](std::string_view name) -> const SecretString* {
    auto it = o.find(name);
    return it == o.end() ? nullptr : &it->second;
  };
  if (const SecretString* code = field("Code"); code != nullptr && code->reveal() != "Success") {
    return Fail(SourceError(source, "CredentialsRefreshFailed",
                            "answered Code \"" + std::string(code->reveal()) + "\""));
  }
  const SecretString* id = field("AccessKeyId");
  const SecretString* secret = field("SecretAccessKey");
  if (id == nullptr || id->empty() || secret == nullptr || secret->empty()) {
    return Fail(
        SourceError(source, "InvalidCredentials", "answer has no AccessKeyId or SecretAccessKey"));
  }
  Credentials c;
  c.access_key_id = std::string(id->reveal());
  c.secret_access_key = *secret;
  if (const SecretString* token = field("Token")) c.session_token = *token;
  if (const SecretString* exp = field("Expiration")) {
    if (!xml::ParseIso8601(exp->reveal(), &c.expiration)) {
      return Fail(SourceError(source, "InvalidCredentials", "bad Expiration time"));
    }
  }
  return c;
}

// ---- IMDS ----

ImdsCredentialsProvider::ImdsCredentialsProvider(std::shared_ptr<http::Transport> transport,
                                                 std::shared_ptr<Clock> clock, ImdsOptions options)
    : transport_(std::move(transport)), clock_(std::move(clock)), options_(std::move(options)) {
  options_.endpoint = TrimmedUrl(options_.endpoint);
}

std::string ImdsCredentialsProvider::Describe() const {
  return "EC2 instance metadata " + options_.endpoint +
         (options_.role.empty() ? " (attached role)" : " (role " + options_.role + ")");
}

S3Result<http::Response> ImdsCredentialsProvider::Call(http::Method method, const std::string& path,
                                                       const std::optional<SecretString>& token) {
  http::Request req;
  req.method = method;
  req.url = options_.endpoint + path;
  req.timeout = options_.timeout;
  if (token && !token->empty()) {
    req.headers.Set("X-aws-ec2-metadata-token", std::string(token->reveal()));
  }
  if (method == http::Method::kPut) {
    req.headers.Set("X-aws-ec2-metadata-token-ttl-seconds",
                    std::to_string(options_.token_ttl.count()));
  }
  return Send(*transport_, std::move(req), Describe());
}

S3Result<std::optional<SecretString>> ImdsCredentialsProvider::Token(bool force_new) {
  using Token = std::optional<SecretString>;
  if (options_.v1_only) return Token();
  std::lock_guard lock(mu_);
  auto now = clock_->Monotonic();
  if (!force_new && token_ && now < token_expiry_) {
    return token_->empty() ? Token() : token_;
  }
  S3FS_ASSIGN_OR_RETURN(auto resp, Call(http::Method::kPut, "/latest/api/token", Token()));
  if (resp.status == 404 || resp.status == 405) {
    // An instance metadata service without IMDSv2 (older emulators): go on with v1.
    token_ = SecretString();
    token_expiry_ = now + options_.token_ttl;
    return Token();
  }
  if (resp.status != 200 || str::Trim(resp.body).empty()) {
    std::string why =
        resp.status == 403 ? " (instance metadata is disabled for this instance)" : "";
    SecureWipe(resp.body.data(), resp.body.size());
    return Fail(SourceError(Describe(), "CredentialsRefreshFailed",
                            "session token request answered " + HttpStatusText(resp) + why));
  }
  token_ = SecretString(std::string(str::Trim(resp.body)));
  SecureWipe(resp.body.data(), resp.body.size());
  token_expiry_ = now + options_.token_ttl -
                  std::min<std::chrono::seconds>(options_.token_ttl / 2, std::chrono::seconds(60));
  return token_;
}

S3Result<std::string> ImdsCredentialsProvider::Role(const std::optional<SecretString>& token,
                                                    bool* unauthorized) {
  if (!options_.role.empty()) return options_.role;
  S3FS_ASSIGN_OR_RETURN(
      auto resp, Call(http::Method::kGet, "/latest/meta-data/iam/security-credentials/", token));
  *unauthorized = resp.status == 401;
  if (resp.status == 404) {
    return Fail(
        SourceError(Describe(), "CredentialsNotFound", "no IAM role is attached to this instance"));
  }
  if (resp.status != 200) {
    return Fail(SourceError(Describe(), "CredentialsRefreshFailed",
                            "role discovery answered " + HttpStatusText(resp)));
  }
  for (const auto& line : str::Split(resp.body, '\n')) {
    std::string_view role = str::Trim(line);
    if (!role.empty()) return std::string(role);
  }
  return Fail(SourceError(Describe(), "CredentialsNotFound",
                          "no IAM role is attached to this instance (empty role list)"));
}

S3Result<Credentials> ImdsCredentialsProvider::Fetch(const std::optional<SecretString>& token,
                                                     bool* unauthorized) {
  S3FS_ASSIGN_OR_RETURN(std::string role, Role(token, unauthorized));
  const std::string path = "/latest/meta-data/iam/security-credentials/" + uri::Encode(role);
  S3FS_ASSIGN_OR_RETURN(auto resp, Call(http::Method::kGet, path, token));
  *unauthorized = resp.status == 401;
  if (resp.status == 404) {
    return Fail(
        SourceError(Describe(), "CredentialsNotFound",
                    "role " + role + " is not attached to this instance (try iam_role=auto)"));
  }
  if (resp.status != 200) {
    return Fail(SourceError(Describe(), "CredentialsRefreshFailed",
                            "credentials of role " + role + " answered " + HttpStatusText(resp)));
  }
  auto c = ParseJsonCredentials(resp.body, Describe());
  SecureWipe(resp.body.data(), resp.body.size());
  return c;
}

S3Result<Credentials> ImdsCredentialsProvider::Get() {
  for (int attempt = 0;; ++attempt) {
    S3FS_ASSIGN_OR_RETURN(auto token, Token(attempt > 0));
    bool unauthorized = false;
    auto c = Fetch(token, &unauthorized);
    // A 401: the session token expired or was revoked (the service restarted): one more try
    // with a new one.
    if (unauthorized && token && attempt == 0) continue;
    return c;
  }
}

// ---- Container endpoint ----

S3Status CheckContainerCredentialsUrl(const std::string& url) {
  uri::Url u;
  if (!uri::Parse(url, &u)) {
    return Fail(CredentialsError("InvalidCredentials",
                                 "container credentials URL " + url + " is not an http(s) URL"));
  }
  if (u.scheme == "https") return {};
  std::string host = u.host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost" || str::StartsWith(host, "127.") || host == "::1" ||
      host == "169.254.170.2" || host == "169.254.170.23" || host == "fd00:ec2::23") {
    return {};
  }
  return Fail(CredentialsError(
      "InvalidCredentials",
      "container credentials URL " + url +
          ": plain http is only allowed to a loopback address or the ECS/EKS agent "
          "(169.254.170.2, 169.254.170.23, fd00:ec2::23); use https"));
}

ContainerCredentialsProvider::ContainerCredentialsProvider(
    std::shared_ptr<http::Transport> transport, ContainerOptions options)
    : transport_(std::move(transport)), options_(std::move(options)) {}

std::string ContainerCredentialsProvider::Describe() const {
  return "container credentials endpoint " + options_.url;
}

S3Result<Credentials> ContainerCredentialsProvider::Get() {
  S3FS_RETURN_IF_ERROR(CheckContainerCredentialsUrl(options_.url));
  http::Request req;
  req.method = http::Method::kGet;
  req.url = options_.url;
  req.timeout = options_.timeout;
  req.headers.Set("Accept", "application/json");
  if (options_.authorization) {
    S3FS_ASSIGN_OR_RETURN(SecretString auth, options_.authorization());
    std::string_view v = str::Trim(auth.reveal());
    if (v.find_first_of("\r\n") != std::string_view::npos) {
      return Fail(SourceError(Describe(), "InvalidCredentials",
                              "the authorization token contains a line break"));
    }
    if (!v.empty()) req.headers.Set("Authorization", std::string(v));
  }
  S3FS_ASSIGN_OR_RETURN(auto resp, Send(*transport_, std::move(req), Describe()));
  if (resp.status != 200) {
    std::string hint = resp.status == 401 || resp.status == 403
                           ? " (check AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE))"
                           : "";
    return Fail(SourceError(Describe(), "CredentialsRefreshFailed",
                            "answered " + HttpStatusText(resp) + hint));
  }
  auto c = ParseJsonCredentials(resp.body, Describe());
  SecureWipe(resp.body.data(), resp.body.size());
  return c;
}

// ---- STS ----

std::string StsEndpoint(std::string_view override_url, std::string_view region) {
  if (!override_url.empty()) return TrimmedUrl(std::string(override_url));
  std::string r = region.empty() ? "us-east-1" : std::string(region);
  return "https://sts." + r + (str::StartsWith(r, "cn-") ? ".amazonaws.com.cn" : ".amazonaws.com");
}

WebIdentityCredentialsProvider::WebIdentityCredentialsProvider(
    std::shared_ptr<http::Transport> transport, std::shared_ptr<Clock> clock,
    WebIdentityOptions options)
    : transport_(std::move(transport)), clock_(std::move(clock)), options_(std::move(options)) {}

std::string WebIdentityCredentialsProvider::Describe() const {
  return "web identity (STS AssumeRoleWithWebIdentity " + options_.role_arn + " at " +
         options_.sts_endpoint + ")";
}

S3Result<Credentials> WebIdentityCredentialsProvider::Get() {
  if (!options_.token) {
    return Fail(SourceError(Describe(), "CredentialsNotFound", "no web identity token source"));
  }
  S3FS_ASSIGN_OR_RETURN(SecretString token, options_.token());
  std::string_view t = str::Trim(token.reveal());
  if (t.empty()) return Fail(SourceError(Describe(), "InvalidCredentials", "empty token"));
  std::string session = DefaultSessionName(*clock_, options_.session_name);
  auto body = FormBody({{"Action", "AssumeRoleWithWebIdentity"},
                        {"Version", kStsVersion},
                        {"RoleArn", options_.role_arn},
                        {"RoleSessionName", session},
                        {"WebIdentityToken", t}});
  auto resp =
      Send(*transport_, StsRequest(options_.sts_endpoint, body, options_.timeout), Describe());
  SecureWipe(body->data(), body->size());
  if (!resp.ok()) return Fail(std::move(resp).error());
  auto c = StsAnswer(*resp, "AssumeRoleWithWebIdentity", Describe());
  SecureWipe(resp->body.data(), resp->body.size());
  return c;
}

AssumeRoleCredentialsProvider::AssumeRoleCredentialsProvider(
    std::shared_ptr<http::Transport> transport, std::shared_ptr<Clock> clock,
    AssumeRoleOptions options, std::shared_ptr<CredentialsProvider> source)
    : transport_(std::move(transport)),
      clock_(std::move(clock)),
      options_(std::move(options)),
      source_(std::move(source)) {}

std::string AssumeRoleCredentialsProvider::Describe() const {
  return "STS AssumeRole " + options_.role_arn + " at " + options_.sts_endpoint +
         " (source: " + source_->Describe() + ")";
}

S3Result<Credentials> AssumeRoleCredentialsProvider::Get() {
  auto src = source_->Get();
  if (!src.ok()) {
    return Fail(
        SourceError(Describe(), src.error().kind, "source credentials: " + src.error().message));
  }
  std::string session = DefaultSessionName(*clock_, options_.session_name);
  std::string duration =
      options_.duration.count() > 0 ? std::to_string(options_.duration.count()) : std::string();
  auto body = FormBody({{"Action", "AssumeRole"},
                        {"Version", kStsVersion},
                        {"RoleArn", options_.role_arn},
                        {"RoleSessionName", session},
                        {"ExternalId", options_.external_id},
                        {"DurationSeconds", duration}});
  http::Request req = StsRequest(options_.sts_endpoint, body, options_.timeout);
  SigningParams params;
  params.region = options_.region.empty() ? "us-east-1" : options_.region;
  params.service = "sts";
  params.time = clock_->Now();
  params.s3_path_rules = false;
  Signer().Sign(req, *src, params, crypto::Sha256Hex(*body));
  S3FS_ASSIGN_OR_RETURN(auto resp, Send(*transport_, std::move(req), Describe()));
  auto c = StsAnswer(resp, "AssumeRole", Describe());
  SecureWipe(resp.body.data(), resp.body.size());
  return c;
}

}  // namespace s3fs::s3
