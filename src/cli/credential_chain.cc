// The credential chain (ResolveCredentials): where s3fs and s3ctl find their credentials.
// This file reads the environment and the credential files; the providers are in s3/.
#include <cerrno>
#include <cstdlib>
#include <optional>

#include "cli_config.h"
#include "s3fs/common/log.h"
#include "s3fs/common/strings.h"

namespace s3fs::cli {

namespace {

using Provider = std::shared_ptr<s3::CredentialsProvider>;
using ProviderResult = s3::S3Result<Provider>;

constexpr int kMaxProfileDepth = 5;
constexpr std::string_view kEcsAgent = "http://169.254.170.2";
constexpr std::string_view kImdsDefault = "http://169.254.169.254";

s3::S3Error NotFound(std::string message) {
  return s3::CredentialsError("CredentialsNotFound", std::move(message));
}

// `e` with `fix` appended: one line that names the source (in e.message) and what to do.
s3::S3Error WithFix(s3::S3Error e, const std::string& fix) {
  e.message += " -- " + fix;
  return e;
}

class Chain {
 public:
  Chain(const ConnectionSettings& s, const CredentialEnvironment& env) : s_(s), env_(env) {
    clock_ = env_.clock ? env_.clock : RealClock::Instance();
  }

  ProviderResult Resolve() {
    if (s_.anonymous) return Provider(std::make_shared<s3::AnonymousCredentialsProvider>());
    if (!s_.iam_role.empty() && (!s_.passwd_file.empty() || !s_.profile.empty())) {
      return Fail(s3::CredentialsError(
          "InvalidCredentials",
          "iam_role cannot be combined with passwd_file= or profile=: give only one"));
    }
    if (!s_.passwd_file.empty()) return *FromPasswd(s_.passwd_file, true);
    if (!s_.iam_role.empty()) {
      auto imds = Imds(s_.iam_role == "auto" ? "" : s_.iam_role, std::nullopt);
      if (!imds.ok()) return imds;
      return Verify(Wrap(std::move(imds).value()),
                    "iam_role needs an EC2 instance with an IAM role attached (check the role "
                    "name, or use iam_role=auto)");
    }
    if (s_.ecs) {
      if (auto r = Container()) return std::move(*r);
      return Fail(NotFound(
          "ecs: neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor "
          "AWS_CONTAINER_CREDENTIALS_FULL_URI is set -- run inside an ECS task (or EKS pod "
          "identity) or drop -o ecs"));
    }
    if (s_.profile.empty()) {
      if (auto r = FromEnvKeys()) return std::move(*r);
      if (std::string home = Env("HOME"); !home.empty()) {
        if (auto r = FromPasswd(home + "/.passwd-s3fs", false)) return std::move(*r);
      }
      if (auto r = FromPasswd("/etc/passwd-s3fs", false)) return std::move(*r);
    }
    std::string profile = s_.profile.empty() ? Env("AWS_PROFILE") : s_.profile;
    bool explicit_profile = !profile.empty();
    if (profile.empty()) profile = "default";
    bool found = false;
    auto from_profile = FromProfile(profile, 0, &found);
    if (found || explicit_profile) {
      if (!from_profile.ok()) return Fail(std::move(from_profile).error());
      return Verify(std::move(from_profile).value(),
                    "fix profile " + profile + " in " + CredentialsFile() + " or " + ConfigFile());
    }
    if (auto r = WebIdentity(Env("AWS_ROLE_ARN"), Env("AWS_WEB_IDENTITY_TOKEN_FILE"),
                             Env("AWS_ROLE_SESSION_NAME"))) {
      return std::move(*r);
    }
    if (auto r = Container()) return std::move(*r);
    return ImdsFallback();
  }

 private:
  std::string Env(const char* name) const {
    if (env_.getenv) return env_.getenv(name);
    const char* v = std::getenv(name);
    return v == nullptr ? std::string() : std::string(v);
  }
  bool EnvTrue(const char* name) const { return str::ToLower(Env(name)) == "true"; }

  std::string CredentialsFile() const {
    std::string f = Env("AWS_SHARED_CREDENTIALS_FILE");
    return f.empty() ? Env("HOME") + "/.aws/credentials" : f;
  }
  std::string ConfigFile() const {
    std::string f = Env("AWS_CONFIG_FILE");
    return f.empty() ? Env("HOME") + "/.aws/config" : f;
  }

  s3::S3Result<std::shared_ptr<http::Transport>> Transport() {
    if (!transport_) transport_ = env_.transport;
    if (!transport_) {
      auto t = http::MakeCurlTransport(CurlOptionsFor(s_));
      if (!t.ok()) return Fail(s3::FromTransport(t.error()));
      transport_ = std::move(t).value();
    }
    return transport_;
  }

  Provider Wrap(Provider source) const {
    return std::make_shared<s3::RefreshingCredentialsProvider>(std::move(source), clock_,
                                                               env_.refresh);
  }

  // The first fetch, so that a broken source fails now with a line that says how to fix it.
  static ProviderResult Verify(ProviderResult p, const std::string& fix) {
    if (!p.ok()) return Fail(WithFix(std::move(p).error(), fix));
    auto c = (*p)->Get();
    if (!c.ok()) return Fail(WithFix(std::move(c).error(), fix));
    return p;
  }

  // Reads `path` on every call (token files rotate).
  static s3::SecretReader FileReader(std::string path, std::string what) {
    return [path = std::move(path), what = std::move(what)]() -> s3::S3Result<SecretString> {
      std::string content;
      std::string error;
      if (!ReadSmallFile(path, &content, &error)) {
        return Fail(NotFound("cannot read the " + what + " " + error));
      }
      SecretString secret(std::string(str::Trim(content)));
      SecureWipe(content.data(), content.size());
      return secret;
    };
  }

  std::optional<ProviderResult> FromPasswd(const std::string& path, bool must_exist) {
    std::string content;
    std::string error;
    unsigned mode = 0;
    if (!ReadSmallFile(path, &content, &error, &mode)) {
      if (!must_exist && errno == ENOENT) return std::nullopt;
      return ProviderResult(Fail(NotFound("cannot read passwd file " + error)));
    }
    if (auto m = s3::CheckPasswdFileMode(path, mode); !m.ok()) {
      return ProviderResult(Fail(m.error()));
    }
    auto creds = s3::ParsePasswdFile(content, s_.bucket);
    SecureWipe(content.data(), content.size());
    if (!creds.ok()) {
      auto e = std::move(creds).error();
      e.message = path + ": " + e.message;
      return ProviderResult(Fail(std::move(e)));
    }
    return ProviderResult(Provider(std::make_shared<s3::StaticCredentialsProvider>(
        std::move(creds).value(), "passwd file " + path)));
  }

  std::optional<ProviderResult> FromEnvKeys() {
    std::string access = Env("AWS_ACCESS_KEY_ID");
    std::string secret = Env("AWS_SECRET_ACCESS_KEY");
    if (access.empty()) access = Env("AWSACCESSKEYID");
    if (secret.empty()) secret = Env("AWSSECRETACCESSKEY");
    if (access.empty() || secret.empty()) {
      SecureWipe(secret.data(), secret.size());
      return std::nullopt;
    }
    s3::Credentials c;
    c.access_key_id = access;
    c.secret_access_key = SecretString(secret);
    std::string token = Env("AWS_SESSION_TOKEN");
    if (token.empty()) token = Env("AWSSESSIONTOKEN");
    c.session_token = SecretString(token);
    SecureWipe(secret.data(), secret.size());
    SecureWipe(token.data(), token.size());
    return ProviderResult(
        Provider(std::make_shared<s3::StaticCredentialsProvider>(std::move(c), "environment")));
  }

  // Reads an optional file: missing is empty; other failures are errors.
  s3::S3Result<std::string> OptionalFile(const std::string& path) {
    std::string content;
    std::string error;
    if (ReadSmallFile(path, &content, &error)) return content;
    if (errno == ENOENT) return std::string();
    return Fail(NotFound("cannot read " + error));
  }

  // A provider for profile `name` (not yet fetched from). `found` tells whether the profile
  // exists in either file.
  ProviderResult FromProfile(const std::string& name, int depth, bool* found) {
    *found = false;
    if (depth >= kMaxProfileDepth) {
      return Fail(s3::CredentialsError("InvalidCredentials",
                                       "profile " + name + ": source_profile chain longer than " +
                                           std::to_string(kMaxProfileDepth) + " (circular?)"));
    }
    S3FS_ASSIGN_OR_RETURN(std::string cred_content, OptionalFile(CredentialsFile()));
    S3FS_ASSIGN_OR_RETURN(std::string config_content, OptionalFile(ConfigFile()));
    auto parsed = s3::ParseAwsProfile(cred_content, config_content, name);
    SecureWipe(cred_content.data(), cred_content.size());
    SecureWipe(config_content.data(), config_content.size());
    S3FS_ASSIGN_OR_RETURN(s3::AwsProfile p, std::move(parsed));
    *found = p.found;
    const std::string where =
        "profile " + name + " (" + CredentialsFile() + ", " + ConfigFile() + ")";
    if (!p.found) return Fail(NotFound(where + ": no such profile"));
    bool has_keys = !p.keys.access_key_id.empty() && !p.keys.secret_access_key.empty();
    if (p.role_arn.empty()) {
      if (!has_keys) {
        return Fail(NotFound(where + ": no aws_access_key_id/aws_secret_access_key and no role_arn "
                                     "(sso_* and credential_process are not supported)"));
      }
      return Provider(std::make_shared<s3::StaticCredentialsProvider>(std::move(p.keys), where));
    }
    if (p.source_profile.empty() && p.credential_source.empty()) {
      if (p.web_identity_token_file.empty()) {
        return Fail(s3::CredentialsError(
            "InvalidCredentials", where + ": role_arn needs source_profile, credential_source or "
                                          "web_identity_token_file"));
      }
      S3FS_ASSIGN_OR_RETURN(auto transport, Transport());
      return Wrap(WebIdentitySource(transport, p.role_arn, p.web_identity_token_file,
                                    p.role_session_name, p.region));
    }
    Provider source;
    if (!p.source_profile.empty()) {
      if (p.source_profile == name && has_keys) {
        source = std::make_shared<s3::StaticCredentialsProvider>(p.keys, where);
      } else {
        bool source_found = false;
        S3FS_ASSIGN_OR_RETURN(source, FromProfile(p.source_profile, depth + 1, &source_found));
      }
    } else if (p.credential_source == "Environment") {
      auto r = FromEnvKeys();
      if (!r) {
        return Fail(NotFound(where + ": credential_source=Environment but AWS_ACCESS_KEY_ID/"
                                     "AWS_SECRET_ACCESS_KEY are not set"));
      }
      S3FS_ASSIGN_OR_RETURN(source, std::move(*r));
    } else if (p.credential_source == "Ec2InstanceMetadata") {
      S3FS_ASSIGN_OR_RETURN(source, Imds("", std::nullopt));
      source = Wrap(source);
    } else if (p.credential_source == "EcsContainer") {
      S3FS_ASSIGN_OR_RETURN(source, ContainerSource());
      source = Wrap(source);
    } else {
      return Fail(s3::CredentialsError("InvalidCredentials",
                                       where + ": credential_source=" + p.credential_source +
                                           " (expected Environment, Ec2InstanceMetadata or "
                                           "EcsContainer)"));
    }
    s3::AssumeRoleOptions o;
    o.region = p.region.empty() ? s_.region : p.region;
    o.sts_endpoint = s3::StsEndpoint(Env("AWS_ENDPOINT_URL_STS"), o.region);
    o.role_arn = p.role_arn;
    o.session_name = p.role_session_name;
    o.external_id = p.external_id;
    o.duration = p.duration;
    S3FS_ASSIGN_OR_RETURN(auto transport, Transport());
    return Wrap(std::make_shared<s3::AssumeRoleCredentialsProvider>(transport, clock_, o,
                                                                    std::move(source)));
  }

  Provider WebIdentitySource(std::shared_ptr<http::Transport> transport,
                             const std::string& role_arn, const std::string& token_file,
                             const std::string& session_name, const std::string& region) {
    s3::WebIdentityOptions o;
    o.sts_endpoint =
        s3::StsEndpoint(Env("AWS_ENDPOINT_URL_STS"), region.empty() ? s_.region : region);
    o.role_arn = role_arn;
    o.session_name = session_name;
    o.token = FileReader(token_file, "web identity token file");
    return std::make_shared<s3::WebIdentityCredentialsProvider>(std::move(transport), clock_, o);
  }

  std::optional<ProviderResult> WebIdentity(const std::string& role_arn,
                                            const std::string& token_file,
                                            const std::string& session_name) {
    if (role_arn.empty() && token_file.empty()) return std::nullopt;
    if (role_arn.empty() || token_file.empty()) {
      return ProviderResult(Fail(NotFound(
          "web identity: AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN must be set together "
          "(only " +
          std::string(role_arn.empty() ? "AWS_WEB_IDENTITY_TOKEN_FILE" : "AWS_ROLE_ARN") +
          " is)")));
    }
    auto transport = Transport();
    if (!transport.ok()) return ProviderResult(Fail(std::move(transport).error()));
    return Verify(Wrap(WebIdentitySource(*transport, role_arn, token_file, session_name, "")),
                  "check AWS_ROLE_ARN, that the role trusts this identity provider, and "
                  "AWS_WEB_IDENTITY_TOKEN_FILE");
  }

  ProviderResult ContainerSource() {
    std::string full = Env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    std::string relative = Env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    if (full.empty() && relative.empty()) {
      return Fail(NotFound(
          "container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI not set"));
    }
    s3::ContainerOptions o;
    o.url = relative.empty() ? full : std::string(kEcsAgent) + relative;
    S3FS_RETURN_IF_ERROR(s3::CheckContainerCredentialsUrl(o.url));
    if (std::string file = Env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); !file.empty()) {
      o.authorization = FileReader(file, "container authorization token file");
    } else if (std::string token = Env("AWS_CONTAINER_AUTHORIZATION_TOKEN"); !token.empty()) {
      o.authorization = [secret = SecretString(token)]() -> s3::S3Result<SecretString> {
        return secret;
      };
      SecureWipe(token.data(), token.size());
    }
    S3FS_ASSIGN_OR_RETURN(auto transport, Transport());
    return Provider(std::make_shared<s3::ContainerCredentialsProvider>(transport, o));
  }

  std::optional<ProviderResult> Container() {
    if (Env("AWS_CONTAINER_CREDENTIALS_FULL_URI").empty() &&
        Env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").empty()) {
      return std::nullopt;
    }
    auto source = ContainerSource();
    if (!source.ok()) return ProviderResult(Fail(std::move(source).error()));
    return Verify(Wrap(std::move(source).value()),
                  "check AWS_CONTAINER_CREDENTIALS_*_URI and the task role (or unset them)");
  }

  // An instance metadata provider (not yet fetched from). `timeout`: per request; unset: the
  // provider's default.
  ProviderResult Imds(const std::string& role, std::optional<std::chrono::milliseconds> timeout) {
    s3::ImdsOptions o;
    o.endpoint = Env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (o.endpoint.empty()) o.endpoint = std::string(kImdsDefault);
    o.role = role;
    o.v1_only = s_.imds_v1_only || EnvTrue("AWS_EC2_METADATA_V1_ONLY");
    if (timeout) o.timeout = *timeout;
    S3FS_ASSIGN_OR_RETURN(auto transport, Transport());
    return Provider(std::make_shared<s3::ImdsCredentialsProvider>(transport, clock_, o));
  }

  ProviderResult ImdsFallback() {
    std::string tried =
        "no credentials found (tried AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ~/.passwd-s3fs, "
        "/etc/passwd-s3fs, profile default, web identity, container and EC2 instance metadata)";
    const std::string fix =
        ": give -o passwd_file=FILE, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or create "
        "~/.passwd-s3fs (ACCESS:SECRET, mode 600)";
    if (EnvTrue("AWS_EC2_METADATA_DISABLED")) return Fail(NotFound(tried + fix));
    auto imds = Imds("", env_.imds_probe_timeout);
    if (!imds.ok()) return imds;
    auto p = Wrap(std::move(imds).value());
    auto c = p->Get();
    if (c.ok()) {
      S3FS_LOG_INFO("credentials from {}", p->Describe());
      return p;
    }
    // Unreachable instance metadata just means "not on EC2"; anything else is worth showing.
    if (c.error().message.find("cannot reach") == std::string::npos) {
      tried += " [" + c.error().message + "]";
    }
    return Fail(NotFound(tried + fix));
  }

  const ConnectionSettings& s_;
  const CredentialEnvironment& env_;
  std::shared_ptr<Clock> clock_;
  std::shared_ptr<http::Transport> transport_;
};

}  // namespace

s3::S3Result<std::shared_ptr<s3::CredentialsProvider>> ResolveCredentials(
    const ConnectionSettings& s, const CredentialEnvironment& env) {
  return Chain(s, env).Resolve();
}

}  // namespace s3fs::cli
