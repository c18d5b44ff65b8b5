// The S3 client's metrics (ClientMetrics through ClientConfig::observer) against the recording
// fake transport: what each operation, retry, failure, breaker change and presign adds.
#include "s3fs/s3/client_metrics.h"

#include <gtest/gtest.h>

#include "s3fs/s3/client.h"
#include "tests/fakes/fake_transport.h"

namespace s3fs::s3 {
namespace {

using namespace std::chrono_literals;
using s3fs::testing::FakeTransport;

// The value of the sample `series` (name with labels) in `text`, or -1 when absent.
double Sample(const std::string& text, const std::string& series) {
  size_t at = 0;
  while ((at = text.find(series + " ", at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') {
      return std::stod(text.substr(at + series.size() + 1));
    }
    at += series.size();
  }
  return -1;
}

class ClientMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    transport_ = std::make_shared<FakeTransport>();
    clock_ = std::make_shared<FakeClock>();
    ClientConfig cfg;
    cfg.breaker.failure_threshold = 5;  // the breaker tests' arithmetic (default 8)
    cfg.endpoint = "http://127.0.0.1:7480";
    cfg.addressing = ClientConfig::Addressing::kPath;
    cfg.observer = std::make_shared<ClientMetrics>(registry_);
    Credentials creds;
    creds.access_key_id = "AKIDTEST";
    creds.secret_access_key = SecretString("secret");
    auto c =
        Client::Create(cfg, transport_, std::make_shared<StaticCredentialsProvider>(creds, "test"),
                       clock_, std::make_shared<FixedRandom>(0.5));
    ASSERT_TRUE(c.ok()) << c.error().ToString();
    client_ = std::move(c).value();
  }
  double Get(const std::string& series) const { return Sample(registry_.Render(), series); }

  metrics::Registry registry_;
  std::shared_ptr<FakeTransport> transport_;
  std::shared_ptr<FakeClock> clock_;
  std::unique_ptr<Client> client_;
};

TEST_F(ClientMetricsTest, SuccessCountsRequestBytesAndDuration) {
  transport_->Push(200, "");
  PutObjectRequest put;
  put.bucket = "bkt";
  put.key = "k";
  ASSERT_TRUE(client_->PutObject(put, "hello").ok());
  transport_->Push(200, "0123456789");
  ASSERT_TRUE(client_->GetObject({"bkt", "k"}).ok());
  EXPECT_EQ(Get("s3_requests_total{operation=\"PutObject\",bucket=\"bkt\",status=\"200\"}"), 1);
  EXPECT_EQ(Get("s3_requests_total{operation=\"GetObject\",bucket=\"bkt\",status=\"200\"}"), 1);
  EXPECT_EQ(Get("s3_bytes_transferred_total{operation=\"PutObject\",bucket=\"bkt\","
                "direction=\"sent\"}"),
            5);
  EXPECT_EQ(Get("s3_bytes_transferred_total{operation=\"GetObject\",bucket=\"bkt\","
                "direction=\"received\"}"),
            10);
  EXPECT_EQ(Get("s3_request_duration_seconds_count{operation=\"GetObject\",bucket=\"bkt\"}"), 1);
  EXPECT_EQ(Get("s3_circuit_breaker_state{state=\"closed\"}"), 1);
  EXPECT_EQ(Get("s3_circuit_breaker_state{state=\"open\"}"), 0);
  EXPECT_EQ(registry_.Render().find("s3_errors_total{"), std::string::npos);
}

TEST_F(ClientMetricsTest, DurationIsMeasuredOnTheInjectedClock) {
  transport_->SetHandler([clock = clock_](const testing::RecordedRequest&) {
    clock->Advance(30ms);  // the server takes 30 ms
    http::Response r;
    r.status = 200;
    return FakeTransport::Answer(std::move(r));
  });
  ASSERT_TRUE(client_->HeadObject({"bkt", "k", {}, "", {}, {}}).ok());
  const std::string s = "s3_request_duration_seconds";
  const std::string labels = "operation=\"HeadObject\",bucket=\"bkt\"";
  EXPECT_EQ(Get(s + "_bucket{" + labels + ",le=\"0.025\"}"), 0);
  EXPECT_EQ(Get(s + "_bucket{" + labels + ",le=\"0.05\"}"), 1);
  EXPECT_EQ(Get(s + "_bucket{" + labels + ",le=\"+Inf\"}"), 1);
  EXPECT_NEAR(Get(s + "_sum{" + labels + "}"), 0.03, 1e-9);
}

TEST_F(ClientMetricsTest, RetriesCountedByAttemptAndFinalOutcomeOnce) {
  transport_->Push(503, "<Error><Code>SlowDown</Code></Error>");
  transport_->Push(500, "<Error><Code>InternalError</Code></Error>");
  transport_->Push(200, "data");
  ASSERT_TRUE(client_->GetObject({"bkt", "k"}).ok());
  EXPECT_EQ(Get("s3_retries_total{operation=\"GetObject\",attempt=\"1\"}"), 1);
  EXPECT_EQ(Get("s3_retries_total{operation=\"GetObject\",attempt=\"2\"}"), 1);
  EXPECT_EQ(Get("s3_requests_total{operation=\"GetObject\",bucket=\"bkt\",status=\"200\"}"), 1);
  EXPECT_EQ(Get("s3_requests_total{operation=\"GetObject\",bucket=\"bkt\",status=\"503\"}"), -1);
  EXPECT_EQ(Get("s3_request_duration_seconds_count{operation=\"GetObject\",bucket=\"bkt\"}"), 1);
}

TEST_F(ClientMetricsTest, ErrorsByCategoryAndS3Code) {
  transport_->Push(404, "<Error><Code>NoSuchKey</Code></Error>");
  ASSERT_FALSE(client_->GetObject({"bkt", "missing"}).ok());
  for (int i = 0; i < 3; ++i) transport_->PushError(http::TransportError::Kind::kConnect);
  ASSERT_FALSE(client_->ListBuckets().ok());
  EXPECT_EQ(Get("s3_requests_total{operation=\"GetObject\",bucket=\"bkt\",status=\"404\"}"), 1);
  EXPECT_EQ(Get("s3_errors_total{operation=\"GetObject\",error_type=\"" +
                std::string(CategoryName(Category::kObject)) + "\",s3_code=\"NoSuchKey\"}"),
            1);
  EXPECT_EQ(Get("s3_requests_total{operation=\"ListBuckets\",bucket=\"\",status=\"none\"}"), 1);
  EXPECT_EQ(Get("s3_errors_total{operation=\"ListBuckets\",error_type=\"" +
                std::string(CategoryName(Category::kNetwork)) + "\",s3_code=\"\"}"),
            1);
  EXPECT_EQ(Get("s3_retries_total{operation=\"ListBuckets\",attempt=\"2\"}"), 1);
}

TEST_F(ClientMetricsTest, BreakerStateAndTransitions) {
  transport_->SetHandler([](const testing::RecordedRequest&) {
    return FakeTransport::Answer(
        Fail(http::TransportError{http::TransportError::Kind::kConnect, "refused", 0}));
  });
  (void)client_->ListBuckets();
  clock_->Advance(2s);
  (void)client_->ListBuckets();
  ASSERT_EQ(client_->breaker_state(), CircuitBreaker::State::kOpen);
  EXPECT_EQ(Get("s3_circuit_breaker_state{state=\"open\"}"), 1);
  EXPECT_EQ(Get("s3_circuit_breaker_state{state=\"closed\"}"), 0);
  EXPECT_EQ(Get("s3_circuit_breaker_transitions_total{state=\"open\"}"), 1);
  auto rejected = client_->ListBuckets();
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(Get("s3_requests_total{operation=\"ListBuckets\",bucket=\"\",status=\"none\"}"), 3);
  clock_->Advance(30s);
  transport_->SetHandler([](const testing::RecordedRequest&) {
    http::Response r;
    r.status = 200;
    r.body = "<ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>";
    return FakeTransport::Answer(std::move(r));
  });
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(client_->ListBuckets().ok());
  EXPECT_EQ(Get("s3_circuit_breaker_transitions_total{state=\"half_open\"}"), 1);
  EXPECT_EQ(Get("s3_circuit_breaker_transitions_total{state=\"closed\"}"), 1);
  EXPECT_EQ(Get("s3_circuit_breaker_state{state=\"closed\"}"), 1);
  EXPECT_EQ(Get("s3_circuit_breaker_state{state=\"open\"}"), 0);
  EXPECT_EQ(Get("s3_circuit_breaker_state{state=\"half_open\"}"), 0);
}

TEST_F(ClientMetricsTest, PresignListingAndParts) {
  PresignRequest p;
  p.bucket = "bkt";
  p.key = "f";
  p.expires_in = 60s;
  ASSERT_TRUE(client_->Presign(p).ok());
  p.op = PresignRequest::Op::kPut;
  ASSERT_TRUE(client_->Presign(p).ok());
  ASSERT_TRUE(client_->Presign(p).ok());
  EXPECT_EQ(Get("s3_presigned_urls_total{operation=\"GetObject\"}"), 1);
  EXPECT_EQ(Get("s3_presigned_urls_total{operation=\"PutObject\"}"), 2);

  transport_->Push(200,
                   "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a</Key>"
                   "<Size>1</Size></Contents><Contents><Key>b</Key><Size>2</Size></Contents>"
                   "</ListBucketResult>");
  ListObjectsV2Request list;
  list.bucket = "bkt";
  ASSERT_TRUE(client_->ListObjectsV2(list).ok());
  EXPECT_EQ(Get("s3_objects_listed_total{bucket=\"bkt\"}"), 2);

  http::Headers h;
  h.Set("ETag", "\"e1\"");
  transport_->Push(200, "", h);
  UploadPartRequest part;
  part.bucket = "bkt";
  part.key = "big";
  part.upload_id = "u1";
  part.part_number = 1;
  ASSERT_TRUE(client_->UploadPart(part, std::string(100, 'x')).ok());
  transport_->Push(403, "<Error><Code>AccessDenied</Code></Error>");
  part.part_number = 2;
  ASSERT_FALSE(client_->UploadPart(part, "y").ok());
  EXPECT_EQ(Get("s3_multipart_parts_total{bucket=\"bkt\",status=\"ok\"}"), 1);
  EXPECT_EQ(Get("s3_multipart_parts_total{bucket=\"bkt\",status=\"error\"}"), 1);
  EXPECT_EQ(Get("s3_bytes_transferred_total{operation=\"UploadPart\",bucket=\"bkt\","
                "direction=\"sent\"}"),
            101);
}

}  // namespace
}  // namespace s3fs::s3
