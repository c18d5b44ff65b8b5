#include "s3fs/s3/temporary_credentials.h"

#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <future>
#include <thread>

#include "s3fs/s3/crypto.h"
#include "s3fs/s3/xml.h"
#include "tests/fakes/fake_transport.h"

namespace s3fs::s3 {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::FakeTransport;
using testing::RecordedRequest;
using Answer = FakeTransport::Answer;

Answer Reply(int status, std::string body = "") { return FakeTransport::Reply(status, body); }

std::string Iso(std::chrono::system_clock::time_point t) { return xml::FormatIso8601(t); }

std::string JsonCreds(const std::string& id, std::chrono::system_clock::time_point exp) {
  return R"({"Code":"Success","Type":"AWS-HMAC","AccessKeyId":")" + id +
         R"(","SecretAccessKey":"secret-)" + id + R"(","Token":"token-)" + id +
         R"(","Expiration":")" + Iso(exp) + "\"}";
}

std::string StsXml(const std::string& action, const std::string& id,
                   std::chrono::system_clock::time_point exp) {
  return "<" + action + "Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><" + action +
         "Result><Credentials><AccessKeyId>" + id + "</AccessKeyId><SecretAccessKey>secret-" + id +
         "</SecretAccessKey><SessionToken>token-" + id + "</SessionToken><Expiration>" + Iso(exp) +
         "</Expiration></Credentials></" + action + "Result></" + action + "Response>";
}

std::string Header(const RecordedRequest& r, std::string_view name) {
  return r.headers.Get(name).value_or("<absent>");
}

std::string Path(const RecordedRequest& r) {
  size_t p = r.url.find('/', r.url.find("//") + 2);
  return p == std::string::npos ? "/" : r.url.substr(p);
}

// ---- IMDS ----

class ImdsTest : public ::testing::Test {
 protected:
  // A metadata service with one role; counts token PUTs; `expire_tokens` answers 401 once.
  void Serve() {
    transport_->SetHandler([this](const RecordedRequest& r) -> Answer {
      std::string path = Path(r);
      if (path == "/latest/api/token") {
        if (r.method != http::Method::kPut) return Reply(405);
        EXPECT_EQ(Header(r, "X-aws-ec2-metadata-token-ttl-seconds"), "21600");
        return Reply(200, "TOKEN" + std::to_string(++tokens_));
      }
      if (Header(r, "X-aws-ec2-metadata-token") != "TOKEN" + std::to_string(tokens_)) {
        return Reply(401);
      }
      if (reject_next_ > 0) {
        --reject_next_;
        return Reply(401);
      }
      if (path == "/latest/meta-data/iam/security-credentials/") return Reply(200, "my-role\n");
      if (path == "/latest/meta-data/iam/security-credentials/my-role") {
        return Reply(200, JsonCreds("ASIA1", clock_->Now() + hours(6)));
      }
      return Reply(404);
    });
  }
  std::shared_ptr<FakeTransport> transport_ = std::make_shared<FakeTransport>();
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  int tokens_ = 0;
  int reject_next_ = 0;
};

TEST_F(ImdsTest, TokenThenRoleDiscoveryThenCredentials) {
  Serve();
  ImdsCredentialsProvider p(transport_, clock_, ImdsOptions{});
  auto c = p.Get();
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->access_key_id, "ASIA1");
  EXPECT_EQ(c->secret_access_key.reveal(), "secret-ASIA1");
  EXPECT_EQ(c->session_token.reveal(), "token-ASIA1");
  EXPECT_EQ(c->expiration, clock_->Now() + hours(6));
  auto reqs = transport_->requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].method, http::Method::kPut);
  EXPECT_EQ(reqs[0].url, "http://169.254.169.254/latest/api/token");
  EXPECT_EQ(Path(reqs[1]), "/latest/meta-data/iam/security-credentials/");
  EXPECT_EQ(Path(reqs[2]), "/latest/meta-data/iam/security-credentials/my-role");
  // The session token is reused: the next fetch sends no PUT.
  ASSERT_TRUE(p.Get().ok());
  EXPECT_EQ(transport_->requests().size(), 5u);
  EXPECT_EQ(tokens_, 1);
}

TEST_F(ImdsTest, NamedRoleSkipsDiscoveryAndEndpointOverride) {
  Serve();
  ImdsOptions o;
  o.role = "my-role";
  o.endpoint = "http://127.0.0.1:1338/";
  ImdsCredentialsProvider p(transport_, clock_, o);
  ASSERT_TRUE(p.Get().ok());
  auto reqs = transport_->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].url, "http://127.0.0.1:1338/latest/meta-data/iam/security-credentials/my-role");
}

TEST_F(ImdsTest, NewTokenAfterTtlAndAfter401) {
  Serve();
  ImdsCredentialsProvider p(transport_, clock_, ImdsOptions{});
  ASSERT_TRUE(p.Get().ok());
  clock_->Advance(hours(6));
  ASSERT_TRUE(p.Get().ok());
  EXPECT_EQ(tokens_, 2);
  reject_next_ = 1;  // e.g. the metadata service restarted and forgot the token
  auto c = p.Get();
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(tokens_, 3);
}

TEST_F(ImdsTest, NoRoleAttached) {
  transport_->SetHandler([](const RecordedRequest& r) -> Answer {
    return Path(r) == "/latest/api/token" ? Reply(200, "T") : Reply(404);
  });
  ImdsCredentialsProvider p(transport_, clock_, ImdsOptions{});
  auto c = p.Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().category, Category::kCredentials);
  EXPECT_EQ(c.error().kind, "CredentialsNotFound");
  EXPECT_NE(c.error().message.find("EC2 instance metadata http://169.254.169.254"),
            std::string::npos);
  EXPECT_NE(c.error().message.find("no IAM role"), std::string::npos);
}

TEST_F(ImdsTest, WithoutV2FallsBackToV1AndV1OnlySendsNoToken) {
  transport_->SetHandler([&](const RecordedRequest& r) -> Answer {
    if (Path(r) == "/latest/api/token") return Reply(405);
    EXPECT_FALSE(r.headers.Has("X-aws-ec2-metadata-token"));
    if (Path(r) == "/latest/meta-data/iam/security-credentials/") return Reply(200, "r");
    return Reply(200, JsonCreds("V1", clock_->Now() + hours(1)));
  });
  ImdsCredentialsProvider p(transport_, clock_, ImdsOptions{});
  ASSERT_TRUE(p.Get().ok());
  ImdsOptions v1;
  v1.v1_only = true;
  ImdsCredentialsProvider q(transport_, clock_, v1);
  size_t before = transport_->requests().size();
  ASSERT_TRUE(q.Get().ok());
  auto reqs = transport_->requests();
  EXPECT_EQ(reqs.size() - before, 2u);
  EXPECT_EQ(reqs[before].method, http::Method::kGet);
}

TEST_F(ImdsTest, UnreachableAndForbidden) {
  transport_->PushError(http::TransportError::Kind::kTimeout, "timed out");
  ImdsCredentialsProvider p(transport_, clock_, ImdsOptions{});
  auto c = p.Get();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("cannot reach http://169.254.169.254/latest/api/token"),
            std::string::npos)
      << c.error().message;
  transport_->Push(403);
  c = p.Get();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("HTTP 403"), std::string::npos);
}

TEST_F(ImdsTest, MalformedJsonIsAClearError) {
  transport_->SetHandler([](const RecordedRequest& r) -> Answer {
    if (Path(r) == "/latest/api/token") return Reply(200, "T");
    if (Path(r) == "/latest/meta-data/iam/security-credentials/") return Reply(200, "r");
    return Reply(200, R"({"AccessKeyId":"A","SecretAccessKey":"very-secret",)");
  });
  ImdsCredentialsProvider p(transport_, clock_, ImdsOptions{});
  auto c = p.Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, "InvalidCredentials");
  EXPECT_NE(c.error().message.find("malformed JSON at byte"), std::string::npos);
  EXPECT_EQ(c.error().message.find("very-secret"), std::string::npos);
}

TEST(JsonCredentials, FieldsAndErrors) {
  auto ok = ParseJsonCredentials(
      R"({"AccessKeyId":"A","SecretAccessKey":"S","Token":"T","Expiration":"2030-01-02T03:04:05Z"})",
      "src");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(Iso(ok->expiration), "2030-01-02T03:04:05.000Z");
  auto keys_only = ParseJsonCredentials(R"({"AccessKeyId":"A","SecretAccessKey":"S"})", "src");
  ASSERT_TRUE(keys_only.ok());
  EXPECT_EQ(keys_only->expiration, std::chrono::system_clock::time_point{});
  auto failed = ParseJsonCredentials(R"({"Code":"AssumeRoleUnauthorizedAccess"})", "src");
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("AssumeRoleUnauthorizedAccess"), std::string::npos);
  EXPECT_FALSE(ParseJsonCredentials(R"({"AccessKeyId":"A"})", "src").ok());
  auto bad_time = ParseJsonCredentials(
      R"({"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"tomorrow"})", "src");
  ASSERT_FALSE(bad_time.ok());
  EXPECT_EQ(bad_time.error().message, "src: bad Expiration time");
}

// ---- Container endpoint ----

TEST(ContainerCredentials, FullUriWithAuthorizationToken) {
  auto transport = std::make_shared<FakeTransport>();
  FakeClock clock;
  transport->Push(200, JsonCreds("ECS", clock.Now() + hours(1)));
  ContainerOptions o;
  o.url = "http://127.0.0.1:51679/creds?id=1";
  int reads = 0;
  o.authorization = [&]() -> S3Result<SecretString> {
    ++reads;
    return SecretString("Bearer abc");
  };
  ContainerCredentialsProvider p(transport, o);
  auto c = p.Get();
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->access_key_id, "ECS");
  EXPECT_EQ(reads, 1);
  auto r = transport->last();
  EXPECT_EQ(r.url, "http://127.0.0.1:51679/creds?id=1");
  EXPECT_EQ(Header(r, "Authorization"), "Bearer abc");
  EXPECT_EQ(p.Describe(), "container credentials endpoint http://127.0.0.1:51679/creds?id=1");
}

TEST(ContainerCredentials, ErrorsNameTheEndpoint) {
  auto transport = std::make_shared<FakeTransport>();
  ContainerOptions o;
  o.url = "http://169.254.170.2/v2/credentials/abc";
  ContainerCredentialsProvider p(transport, o);
  transport->Push(403, "denied");
  auto c = p.Get();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("http://169.254.170.2/v2/credentials/abc"), std::string::npos);
  EXPECT_NE(c.error().message.find("HTTP 403"), std::string::npos);
  transport->Push(200, "<html>not json</html>");
  c = p.Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, "InvalidCredentials");
  o.authorization = []() -> S3Result<SecretString> {
    return Fail(CredentialsError("CredentialsNotFound", "cannot read the token file /x"));
  };
  ContainerCredentialsProvider q(transport, o);
  c = q.Get();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("/x"), std::string::npos);
}

TEST(ContainerCredentials, PlainHttpOnlyToLoopbackOrTheAgent) {
  EXPECT_TRUE(CheckContainerCredentialsUrl("http://169.254.170.2/v2/x").ok());
  EXPECT_TRUE(CheckContainerCredentialsUrl("http://169.254.170.23/v1/credentials").ok());
  EXPECT_TRUE(CheckContainerCredentialsUrl("http://127.0.0.1:8080/c").ok());
  EXPECT_TRUE(CheckContainerCredentialsUrl("http://localhost/c").ok());
  EXPECT_TRUE(CheckContainerCredentialsUrl("https://creds.example.com/c").ok());
  EXPECT_FALSE(CheckContainerCredentialsUrl("http://creds.example.com/c").ok());
  EXPECT_FALSE(CheckContainerCredentialsUrl("ftp://127.0.0.1/c").ok());
  auto transport = std::make_shared<FakeTransport>();
  ContainerOptions o;
  o.url = "http://10.0.0.1/creds";
  ContainerCredentialsProvider p(transport, o);
  EXPECT_FALSE(p.Get().ok());
  EXPECT_TRUE(transport->requests().empty());
}

// ---- STS ----

TEST(Sts, RegionalEndpointAndOverride) {
  EXPECT_EQ(StsEndpoint("", "eu-west-1"), "https://sts.eu-west-1.amazonaws.com");
  EXPECT_EQ(StsEndpoint("", ""), "https://sts.us-east-1.amazonaws.com");
  EXPECT_EQ(StsEndpoint("", "cn-north-1"), "https://sts.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(StsEndpoint("http://127.0.0.1:7480/", "x"), "http://127.0.0.1:7480");
}

TEST(Sts, WebIdentityUnsignedPostReadsTheTokenEachTime) {
  auto transport = std::make_shared<FakeTransport>();
  auto clock = std::make_shared<FakeClock>();
  transport->Push(200, StsXml("AssumeRoleWithWebIdentity", "WEB1", clock->Now() + hours(1)));
  transport->Push(200, StsXml("AssumeRoleWithWebIdentity", "WEB2", clock->Now() + hours(2)));
  WebIdentityOptions o;
  o.sts_endpoint = "https://sts.eu-west-1.amazonaws.com";
  o.role_arn = "arn:aws:iam::123456789012:role/web";
  o.session_name = "sess";
  int reads = 0;
  o.token = [&]() -> S3Result<SecretString> {
    return SecretString("jwt+/=" + std::to_string(++reads));
  };
  WebIdentityCredentialsProvider p(transport, clock, o);
  auto c = p.Get();
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->access_key_id, "WEB1");
  EXPECT_EQ(c->session_token.reveal(), "token-WEB1");
  EXPECT_EQ(c->expiration, clock->Now() + hours(1));
  auto r = transport->last();
  EXPECT_EQ(r.method, http::Method::kPost);
  EXPECT_EQ(r.url, "https://sts.eu-west-1.amazonaws.com/");
  EXPECT_FALSE(r.headers.Has("Authorization"));
  EXPECT_EQ(Header(r, "Content-Type"), "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_EQ(r.body,
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%"
            "3A123456789012%3Arole%2Fweb&RoleSessionName=sess&WebIdentityToken=jwt%2B%2F%3D1");
  ASSERT_TRUE(p.Get().ok());
  EXPECT_EQ(reads, 2);
  EXPECT_NE(transport->last().body.find("WebIdentityToken=jwt%2B%2F%3D2"), std::string::npos);
}

TEST(Sts, ErrorDocumentAndMalformedXml) {
  auto transport = std::make_shared<FakeTransport>();
  auto clock = std::make_shared<FakeClock>();
  WebIdentityOptions o;
  o.sts_endpoint = "https://sts.us-east-1.amazonaws.com";
  o.role_arn = "arn:aws:iam::1:role/r";
  o.token = []() -> S3Result<SecretString> { return SecretString("the-jwt"); };
  WebIdentityCredentialsProvider p(transport, clock, o);
  transport->Push(400,
                  "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>"
                  "<Message>No OpenIDConnect provider found</Message></Error>"
                  "<RequestId>req-1</RequestId></ErrorResponse>");
  auto c = p.Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().category, Category::kCredentials);
  EXPECT_NE(c.error().message.find("InvalidIdentityToken: No OpenIDConnect provider found"),
            std::string::npos)
      << c.error().message;
  EXPECT_NE(c.error().message.find("arn:aws:iam::1:role/r"), std::string::npos);
  EXPECT_EQ(c.error().message.find("the-jwt"), std::string::npos);
  EXPECT_TRUE(transport->last().body.find("RoleSessionName=s3fs-") != std::string::npos);
  transport->Push(200, "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>");
  c = p.Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, "InvalidCredentials");
  transport->Push(200,
                  "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>"
                  "<Credentials><AccessKeyId>A</AccessKeyId></Credentials>"
                  "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>");
  c = p.Get();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("without AccessKeyId, SecretAccessKey or SessionToken"),
            std::string::npos);
}

TEST(Sts, AssumeRoleIsSignedWithTheSourceKeys) {
  auto transport = std::make_shared<FakeTransport>();
  auto clock = std::make_shared<FakeClock>();
  transport->Push(200, StsXml("AssumeRole", "ROLE1", clock->Now() + hours(1)));
  Credentials src;
  src.access_key_id = "AKIDSOURCE";
  src.secret_access_key = SecretString("source-secret");
  src.session_token = SecretString("source-token");
  auto source = std::make_shared<StaticCredentialsProvider>(src, "profile base");
  AssumeRoleOptions o;
  o.sts_endpoint = "https://sts.us-west-2.amazonaws.com";
  o.region = "us-west-2";
  o.role_arn = "arn:aws:iam::1:role/target";
  o.session_name = "s";
  o.external_id = "ext";
  o.duration = seconds(900);
  AssumeRoleCredentialsProvider p(transport, clock, o, source);
  auto c = p.Get();
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->access_key_id, "ROLE1");
  auto r = transport->last();
  EXPECT_EQ(r.body,
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Ftarget"
            "&RoleSessionName=s&ExternalId=ext&DurationSeconds=900");
  std::string auth = Header(r, "Authorization");
  EXPECT_NE(auth.find("Credential=AKIDSOURCE/20150819/us-west-2/sts/aws4_request"),
            std::string::npos)
      << auth;
  EXPECT_EQ(Header(r, "x-amz-security-token"), "source-token");
  // The signature is the one SigV4 gives for this request with the source's secret.
  http::Request again;
  again.method = http::Method::kPost;
  again.url = r.url;
  for (const auto& [k, v] : r.headers.entries()) {
    if (k != "Authorization") again.headers.Set(k, v);
  }
  SigningParams params;
  params.region = "us-west-2";
  params.service = "sts";
  params.time = clock->Now();
  params.s3_path_rules = false;
  auto parts = Signer().Sign(again, src, params, crypto::Sha256Hex(r.body));
  EXPECT_EQ(parts.authorization, auth);
  EXPECT_NE(p.Describe().find("source: profile base"), std::string::npos);
}

TEST(Sts, AssumeRoleWithoutSourceCredentialsSendsNothing) {
  auto transport = std::make_shared<FakeTransport>();
  auto clock = std::make_shared<FakeClock>();
  class Broken final : public CredentialsProvider {
   public:
    S3Result<Credentials> Get() override {
      return Fail(CredentialsError("CredentialsNotFound", "profile base: no keys"));
    }
    std::string Describe() const override { return "broken"; }
  };
  AssumeRoleOptions o;
  o.sts_endpoint = "https://sts.us-east-1.amazonaws.com";
  o.role_arn = "arn:aws:iam::1:role/t";
  AssumeRoleCredentialsProvider p(transport, clock, o, std::make_shared<Broken>());
  auto c = p.Get();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("profile base: no keys"), std::string::npos);
  EXPECT_TRUE(transport->requests().empty());
}

// ---- Refreshing ----

// A source that answers from a script and counts its fetches.
class ScriptedSource final : public CredentialsProvider {
 public:
  void Push(S3Result<Credentials> r) {
    std::lock_guard lock(mu_);
    script_.push_back(std::move(r));
  }
  void PushCreds(const std::string& id, std::chrono::system_clock::time_point exp) {
    Credentials c;
    c.access_key_id = id;
    c.secret_access_key = SecretString("s-" + id);
    c.expiration = exp;
    Push(std::move(c));
  }
  void PushError() { Push(Fail(CredentialsError("CredentialsRefreshFailed", "src: down"))); }
  S3Result<Credentials> Get() override {
    if (gate_.valid()) gate_.wait();
    std::lock_guard lock(mu_);
    ++fetches_;
    if (script_.empty()) return Fail(CredentialsError("CredentialsRefreshFailed", "src: empty"));
    auto r = std::move(script_.front());
    script_.pop_front();
    return r;
  }
  std::string Describe() const override { return "scripted"; }
  int fetches() {
    std::lock_guard lock(mu_);
    return fetches_;
  }
  std::shared_future<void> gate_;

 private:
  std::mutex mu_;
  std::deque<S3Result<Credentials>> script_;
  int fetches_ = 0;
};

class RefreshTest : public ::testing::Test {
 protected:
  RefreshOptions Inline() {
    RefreshOptions o;
    o.background = false;
    return o;
  }
  std::shared_ptr<ScriptedSource> source_ = std::make_shared<ScriptedSource>();
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
};

TEST_F(RefreshTest, FetchesOnFirstUseThenServesTheCache) {
  source_->PushCreds("A", clock_->Now() + hours(1));
  RefreshingCredentialsProvider p(source_, clock_, Inline());
  EXPECT_EQ(source_->fetches(), 0);
  for (int i = 0; i < 5; ++i) {
    auto c = p.Get();
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->access_key_id, "A");
    clock_->Advance(minutes(10));
  }
  EXPECT_EQ(source_->fetches(), 1);
  EXPECT_EQ(p.Describe(), "scripted");
}

TEST_F(RefreshTest, RefreshesFiveMinutesBeforeExpiry) {
  source_->PushCreds("A", clock_->Now() + hours(1));
  source_->PushCreds("B", clock_->Now() + hours(2));
  RefreshingCredentialsProvider p(source_, clock_, Inline());
  ASSERT_EQ(p.Get()->access_key_id, "A");
  clock_->Advance(minutes(54));
  EXPECT_EQ(p.Get()->access_key_id, "A");
  EXPECT_EQ(source_->fetches(), 1);
  clock_->Advance(minutes(1) + seconds(1));  // 4:59 before expiry
  EXPECT_EQ(p.Get()->access_key_id, "B");
  EXPECT_EQ(source_->fetches(), 2);
}

TEST_F(RefreshTest, FailedRefreshWhileValidKeepsTheOldCredentials) {
  source_->PushCreds("A", clock_->Now() + hours(1));
  source_->PushError();
  source_->PushCreds("B", clock_->Now() + hours(2));
  RefreshingCredentialsProvider p(source_, clock_, Inline());
  ASSERT_TRUE(p.Get().ok());
  clock_->Advance(minutes(57));
  auto c = p.Get();  // the refresh fails: no request fails because of it
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "A");
  EXPECT_EQ(source_->fetches(), 2);
  clock_->Advance(seconds(10));  // within retry_interval: the source is not asked again
  EXPECT_EQ(p.Get()->access_key_id, "A");
  EXPECT_EQ(source_->fetches(), 2);
  clock_->Advance(seconds(25));
  EXPECT_EQ(p.Get()->access_key_id, "B");
  EXPECT_EQ(source_->fetches(), 3);
}

TEST_F(RefreshTest, ExpiredAndRefreshFailingIsAnError) {
  source_->PushCreds("A", clock_->Now() + hours(1));
  source_->PushError();
  source_->PushError();
  source_->PushCreds("B", clock_->Now() + hours(3));
  RefreshingCredentialsProvider p(source_, clock_, Inline());
  ASSERT_TRUE(p.Get().ok());
  clock_->Advance(hours(2));
  auto c = p.Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().category, Category::kCredentials);
  EXPECT_EQ(c.error().kind, "CredentialsExpired");
  EXPECT_NE(c.error().message.find("src: down"), std::string::npos) << c.error().message;
  // Later callers get the error at once instead of hammering the source.
  EXPECT_FALSE(p.Get().ok());
  EXPECT_EQ(source_->fetches(), 2);
  clock_->Advance(seconds(31));
  EXPECT_FALSE(p.Get().ok());
  clock_->Advance(seconds(31));
  auto ok = p.Get();
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->access_key_id, "B");
}

TEST_F(RefreshTest, FirstFetchFailureIsTheSourcesError) {
  source_->PushError();
  RefreshingCredentialsProvider p(source_, clock_, Inline());
  auto c = p.Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, "src: down");
}

TEST_F(RefreshTest, AlreadyExpiredAnswerIsRejected) {
  source_->PushCreds("OLD", clock_->Now() - seconds(1));
  RefreshingCredentialsProvider p(source_, clock_, Inline());
  auto c = p.Get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, "CredentialsExpired");
}

TEST_F(RefreshTest, CredentialsWithoutExpirationAreFetchedOnce) {
  source_->PushCreds("LONG", {});
  RefreshingCredentialsProvider p(source_, clock_, Inline());
  ASSERT_TRUE(p.Get().ok());
  clock_->Advance(hours(24 * 365));
  ASSERT_TRUE(p.Get().ok());
  EXPECT_EQ(source_->fetches(), 1);
}

TEST_F(RefreshTest, BackgroundRefreshServesTheOldCredentialsMeanwhile) {
  source_->PushCreds("A", clock_->Now() + hours(1));
  source_->PushCreds("B", clock_->Now() + hours(2));
  RefreshingCredentialsProvider p(source_, clock_);  // background refresh
  ASSERT_EQ(p.Get()->access_key_id, "A");
  auto gate = std::make_shared<std::promise<void>>();
  source_->gate_ = gate->get_future().share();
  clock_->Advance(minutes(58));
  // The refresh is blocked in the source; callers still get A without waiting.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(p.Get()->access_key_id, "A");
  gate->set_value();
  for (int i = 0; i < 2000 && p.Get()->access_key_id != "B"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(p.Get()->access_key_id, "B");
  EXPECT_EQ(source_->fetches(), 2);
}

TEST_F(RefreshTest, ConcurrentCallersShareOneFetch) {
  source_->PushCreds("A", clock_->Now() + hours(1));
  auto gate = std::make_shared<std::promise<void>>();
  source_->gate_ = gate->get_future().share();
  RefreshingCredentialsProvider p(source_, clock_, Inline());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (p.Get().ok()) ++ok;
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  gate->set_value();
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(source_->fetches(), 1);
}

}  // namespace
}  // namespace s3fs::s3
