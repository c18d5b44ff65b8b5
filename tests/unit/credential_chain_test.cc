// The credential chain of s3fs/s3ctl (cli ResolveCredentials): order of the sources, profiles
// with roles, web identity, container and instance metadata, and the errors. Hermetic: the
// environment is a map, HOME a temporary directory, and the metadata service, container
// endpoint and STS a FakeTransport (one test uses a real local HTTP server and libcurl).
// Assumes no /etc/passwd-s3fs on the test machine.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "cli_config.h"
#include "s3fs/s3/xml.h"
#include "s3fs_options.h"
#include "tests/fakes/fake_transport.h"
#include "tests/fakes/tiny_http_server.h"

namespace s3fs::cli {
namespace {

using std::chrono::hours;
using testing::FakeTransport;
using testing::RecordedRequest;
using Answer = FakeTransport::Answer;

Answer Reply(int status, std::string body = "") { return FakeTransport::Reply(status, body); }

class ChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/s3fs-chain-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    home_ = tmpl;
    env_map_["HOME"] = home_;
    env_.getenv = [this](const char* name) {
      auto it = env_map_.find(name);
      return it == env_map_.end() ? std::string() : it->second;
    };
    env_.transport = transport_;
    env_.clock = clock_;
    env_.refresh.background = false;
    transport_->SetHandler([this](const RecordedRequest& r) { return Serve(r); });
  }
  void TearDown() override { std::filesystem::remove_all(home_); }

  void Write(const std::string& rel, const std::string& content, mode_t mode = 0600) {
    std::string path = home_ + "/" + rel;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << content;
    ::chmod(path.c_str(), mode);
  }

  std::string Json(const std::string& id) {
    return R"({"AccessKeyId":")" + id + R"(","SecretAccessKey":"s","Token":"t","Expiration":")" +
           s3::xml::FormatIso8601(clock_->Now() + hours(1)) + "\"}";
  }
  std::string Sts(const std::string& action, const std::string& id) {
    return "<" + action + "Response><" + action + "Result><Credentials><AccessKeyId>" + id +
           "</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>"
           "<Expiration>" +
           s3::xml::FormatIso8601(clock_->Now() + hours(1)) + "</Expiration></Credentials></" +
           action + "Result></" + action + "Response>";
  }

  // IMDS at 169.254.169.254 (role "ec2-role"), the ECS agent at 169.254.170.2, and STS.
  Answer Serve(const RecordedRequest& r) {
    if (imds_down_ && r.url.find("169.254.169.254") != std::string::npos) {
      return Fail(http::TransportError{http::TransportError::Kind::kTimeout, "timeout", 0});
    }
    auto ends = [&](std::string_view suffix) {
      return r.url.size() >= suffix.size() &&
             r.url.compare(r.url.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    if (ends("/latest/api/token")) return Reply(200, "TOK");
    if (ends("/latest/meta-data/iam/security-credentials/")) return Reply(200, "ec2-role");
    if (ends("/latest/meta-data/iam/security-credentials/ec2-role")) {
      return Reply(200, Json("FROM-IMDS"));
    }
    if (r.url.rfind("http://169.254.170.2/", 0) == 0) return Reply(200, Json("FROM-ECS"));
    if (r.url.find("sts.") != std::string::npos) {
      if (r.body.find("Action=AssumeRoleWithWebIdentity") != std::string::npos) {
        return Reply(200, Sts("AssumeRoleWithWebIdentity", "FROM-WEB"));
      }
      return Reply(200, Sts("AssumeRole", "FROM-ROLE"));
    }
    return Reply(404);
  }

  s3::S3Result<std::shared_ptr<s3::CredentialsProvider>> Resolve() {
    return ResolveCredentials(settings_, env_);
  }
  std::string KeyOf(const std::shared_ptr<s3::CredentialsProvider>& p) {
    auto c = p->Get();
    return c.ok() ? c->access_key_id : "<error " + c.error().message + ">";
  }

  std::string home_;
  std::map<std::string, std::string> env_map_;
  std::shared_ptr<FakeTransport> transport_ = std::make_shared<FakeTransport>();
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  CredentialEnvironment env_;
  ConnectionSettings settings_;
  bool imds_down_ = false;
};

TEST_F(ChainTest, EnvironmentKeysComeBeforeProfilesAndInstanceMetadata) {
  env_map_["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  env_map_["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  env_map_["AWS_WEB_IDENTITY_TOKEN_FILE"] = home_ + "/token";
  env_map_["AWS_ROLE_ARN"] = "arn:aws:iam::1:role/web";
  Write(".aws/credentials", "[default]\naws_access_key_id=FILEKEY\naws_secret_access_key=x\n");
  auto p = Resolve();
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ((*p)->Describe(), "environment");
  EXPECT_EQ(KeyOf(*p), "ENVKEY");
  EXPECT_TRUE(transport_->requests().empty());
}

TEST_F(ChainTest, PasswdFileInHomeComesBeforeProfiles) {
  Write(".passwd-s3fs", "PASSWDKEY:secret\n");
  Write(".aws/credentials", "[default]\naws_access_key_id=FILEKEY\naws_secret_access_key=x\n");
  auto p = Resolve();
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(KeyOf(*p), "PASSWDKEY");
}

TEST_F(ChainTest, StaticProfileFromTheConfigFile) {
  env_map_["AWS_PROFILE"] = "work";
  Write(".aws/config", "[profile work]\naws_access_key_id=CFGKEY\naws_secret_access_key=x\n");
  auto p = Resolve();
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(KeyOf(*p), "CFGKEY");
}

TEST_F(ChainTest, ProfileRoleArnWithSourceProfileAssumesTheRoleWithTheSourceKeys) {
  settings_.profile = "dev";
  Write(".aws/credentials", "[base]\naws_access_key_id=BASEKEY\naws_secret_access_key=bs\n");
  Write(".aws/config",
        "[profile dev]\nrole_arn = arn:aws:iam::1:role/dev\nsource_profile = base\n"
        "region = eu-west-1\nrole_session_name = me\nexternal_id = x1\n");
  auto p = Resolve();
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(KeyOf(*p), "FROM-ROLE");
  auto r = transport_->last();
  EXPECT_EQ(r.url, "https://sts.eu-west-1.amazonaws.com/");
  EXPECT_NE(r.body.find("RoleSessionName=me&ExternalId=x1"), std::string::npos);
  EXPECT_NE(r.headers.Get("Authorization").value_or("").find("Credential=BASEKEY/"),
            std::string::npos);
  EXPECT_NE((*p)->Describe().find("arn:aws:iam::1:role/dev"), std::string::npos);
  // Served from the cache afterwards.
  size_t n = transport_->requests().size();
  EXPECT_EQ(KeyOf(*p), "FROM-ROLE");
  EXPECT_EQ(transport_->requests().size(), n);
}

TEST_F(ChainTest, StsEndpointOverride) {
  env_map_["AWS_ENDPOINT_URL_STS"] = "https://sts.internal.example:8443";
  settings_.profile = "dev";
  Write(".aws/config",
        "[profile dev]\nrole_arn=arn:aws:iam::1:role/dev\nsource_profile=dev\n"
        "aws_access_key_id=SELF\naws_secret_access_key=s\n");
  auto p = Resolve();
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(transport_->last().url, "https://sts.internal.example:8443/");
  EXPECT_NE(transport_->last().headers.Get("Authorization").value_or("").find("Credential=SELF/"),
            std::string::npos);
}

TEST_F(ChainTest, BrokenRoleProfilesAreClearErrors) {
  settings_.profile = "dev";
  Write(".aws/config", "[profile dev]\nrole_arn=arn:aws:iam::1:role/dev\n");
  auto p = Resolve();
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("profile dev"), std::string::npos);
  EXPECT_NE(p.error().message.find("role_arn needs source_profile"), std::string::npos);
  Write(".aws/config",
        "[profile dev]\nrole_arn=r\nsource_profile=loop\n[profile loop]\nrole_arn=r\n"
        "source_profile=dev\n");
  p = Resolve();
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("circular"), std::string::npos) << p.error().message;
  settings_.profile = "missing";
  p = Resolve();
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("profile missing"), std::string::npos);
  EXPECT_NE(p.error().message.find("no such profile"), std::string::npos);
}

TEST_F(ChainTest, WebIdentityFromTheEnvironment) {
  Write("token", "eyJhbGciOi.jwt\n");
  env_map_["AWS_WEB_IDENTITY_TOKEN_FILE"] = home_ + "/token";
  env_map_["AWS_ROLE_ARN"] = "arn:aws:iam::1:role/web";
  env_map_["AWS_ROLE_SESSION_NAME"] = "pod";
  env_map_["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/credentials/x";  // comes later
  settings_.region = "ap-south-1";
  auto p = Resolve();
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(KeyOf(*p), "FROM-WEB");
  auto r = transport_->last();
  EXPECT_EQ(r.url, "https://sts.ap-south-1.amazonaws.com/");
  EXPECT_NE(r.body.find("RoleSessionName=pod&WebIdentityToken=eyJhbGciOi.jwt"), std::string::npos)
      << r.body;
  EXPECT_FALSE(r.headers.Has("Authorization"));
}

TEST_F(ChainTest, WebIdentityHalfConfiguredOrUnreadable) {
  env_map_["AWS_ROLE_ARN"] = "arn:aws:iam::1:role/web";
  auto p = Resolve();
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN"),
            std::string::npos);
  env_map_["AWS_WEB_IDENTITY_TOKEN_FILE"] = home_ + "/nope";
  p = Resolve();
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("cannot read the web identity token file " + home_ + "/nope"),
            std::string::npos)
      << p.error().message;
}

TEST_F(ChainTest, ContainerRelativeUriWithAuthorizationTokenFile) {
  env_map_["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/credentials/abc";
  env_map_["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = home_ + "/auth";
  Write("auth", "pod-identity-token\n");
  auto p = Resolve();
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(KeyOf(*p), "FROM-ECS");
  auto r = transport_->last();
  EXPECT_EQ(r.url, "http://169.254.170.2/v2/credentials/abc");
  EXPECT_EQ(r.headers.Get("Authorization").value_or(""), "pod-identity-token");
}

TEST_F(ChainTest, ContainerFullUriMustBeSafe) {
  env_map_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://10.1.2.3/creds";
  auto p = Resolve();
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("plain http is only allowed"), std::string::npos);
  settings_.ecs = true;
  env_map_.erase("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  p = Resolve();
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("ecs: neither"), std::string::npos);
}

TEST_F(ChainTest, InstanceMetadataIsTheLastFallback) {
  auto p = Resolve();
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(KeyOf(*p), "FROM-IMDS");
  EXPECT_NE((*p)->Describe().find("EC2 instance metadata"), std::string::npos);
}

TEST_F(ChainTest, NothingAnywhereNamesWhatWasTriedAndTheFix) {
  imds_down_ = true;
  auto p = Resolve();
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind, "CredentialsNotFound");
  EXPECT_NE(p.error().message.find("no credentials found (tried"), std::string::npos);
  EXPECT_NE(p.error().message.find("give -o passwd_file=FILE"), std::string::npos);
  EXPECT_EQ(p.error().message.find('\n'), std::string::npos);
  size_t asked = transport_->requests().size();
  EXPECT_EQ(asked, 1u);  // one token PUT that timed out
  env_map_["AWS_EC2_METADATA_DISABLED"] = "true";
  EXPECT_FALSE(Resolve().ok());
  EXPECT_EQ(transport_->requests().size(), asked);
}

TEST_F(ChainTest, IamRoleOptionUsesInstanceMetadataFirst) {
  env_map_["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  env_map_["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  settings_.iam_role = "auto";
  auto p = Resolve();
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(KeyOf(*p), "FROM-IMDS");
  settings_.iam_role = "other-role";
  p = Resolve();
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("role other-role is not attached"), std::string::npos);
  EXPECT_NE(p.error().message.find("-- iam_role needs"), std::string::npos);
  settings_.passwd_file = home_ + "/.passwd-s3fs";
  p = Resolve();
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("cannot be combined"), std::string::npos);
}

TEST_F(ChainTest, MetadataEndpointOverride) {
  env_map_["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://169.254.170.2:1338";
  settings_.iam_role = "auto";
  auto p = Resolve();
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(transport_->requests().front().url, "http://169.254.170.2:1338/latest/api/token");
}

TEST(ChainOptions, IamRoleImdsV1OnlyAndEcsAreParsed) {
  auto c = ParseMountArgs({"b", "/m", "-o", "iam_role"}, 1, 1);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->conn.iam_role, "auto");
  c = ParseMountArgs({"b", "/m", "-o", "iam_role=myrole,imdsv1only"}, 1, 1);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->conn.iam_role, "myrole");
  EXPECT_TRUE(c->conn.imds_v1_only);
  c = ParseMountArgs({"b", "/m", "-o", "ecs"}, 1, 1);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->conn.ecs);
  EXPECT_FALSE(ParseMountArgs({"b", "/m", "-o", "ibm_iam_auth"}, 1, 1).ok());
}

// The container endpoint over real HTTP (libcurl transport made by the chain itself).
TEST(ChainHttp, ContainerEndpointOverRealHttp) {
  FakeClock clock;
  std::string exp = s3::xml::FormatIso8601(std::chrono::system_clock::now() + hours(1));
  testing::TinyHttpServer server([&](const testing::TinyRequest& r) {
    testing::TinyResponse resp;
    if (r.target != "/creds" || r.headers.count("authorization") == 0 ||
        r.headers.at("authorization") != "Bearer t0k") {
      resp.status = 403;
      return resp;
    }
    resp.body = R"({"AccessKeyId":"HTTPKEY","SecretAccessKey":"s","Token":"t","Expiration":")" +
                exp + "\"}";
    return resp;
  });
  std::map<std::string, std::string> env = {
      {"HOME", "/nonexistent"},
      {"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url("/creds")},
      {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer t0k"}};
  CredentialEnvironment ce;
  ce.getenv = [&](const char* n) { return env.count(n) ? env[n] : std::string(); };
  ConnectionSettings s;
  auto p = ResolveCredentials(s, ce);
  ASSERT_TRUE(p.ok()) << p.error().message;
  auto c = (*p)->Get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "HTTPKEY");
  EXPECT_EQ(server.requests().size(), 1u);
}

}  // namespace
}  // namespace s3fs::cli
