// S3ObjectStore's lookup with first bytes (HeadManyFirstBytes) over a scripted transport: what
// the ranged GET's answer must say for it to stand in for a HEAD, and when a HEAD answers
// instead.
#include <gtest/gtest.h>

#include "s3fs/common/random.h"
#include "s3fs/fs/object_store.h"
#include "s3fs/s3/client.h"
#include "s3fs/s3/credentials.h"
#include "tests/fakes/fake_transport.h"

namespace s3fs::fs {
namespace {

using s3fs::testing::FakeTransport;
using s3fs::testing::RecordedRequest;

class StoreFirstBytesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    transport_ = std::make_shared<FakeTransport>();
    s3::ClientConfig cfg;
    cfg.endpoint = "http://127.0.0.1:7480";
    cfg.region = "us-east-1";
    cfg.addressing = s3::ClientConfig::Addressing::kPath;
    s3::Credentials creds;
    creds.access_key_id = "AKIDTEST";
    creds.secret_access_key = SecretString("secret");
    auto c = s3::Client::Create(cfg, transport_,
                                std::make_shared<s3::StaticCredentialsProvider>(creds, "test"),
                                std::make_shared<FakeClock>(), std::make_shared<FixedRandom>(0.5));
    ASSERT_TRUE(c.ok());
    client_ = std::move(c).value();
    S3ObjectStoreOptions o;
    o.bucket = "bkt";
    store_ = MakeS3ObjectStore(client_.get(), o);
  }

  // Serves the file key "f" with `get` (GET) and a HEAD of 5000 bytes; "f/" does not exist.
  void Serve(std::function<FakeTransport::Answer(const RecordedRequest&)> get) {
    transport_->SetHandler([get](const RecordedRequest& r) {
      const bool marker = r.url.find("/bkt/f/") != std::string::npos;
      if (r.method == http::Method::kHead) {
        if (marker) return FakeTransport::Reply(404);
        http::Response resp;
        resp.status = 200;
        resp.headers.Set("Content-Length", "5000");
        resp.headers.Set("ETag", "\"h\"");
        resp.headers.Set("x-amz-meta-mode", "33184");
        return FakeTransport::Answer(std::move(resp));
      }
      return get(r);
    });
  }

  int Count(http::Method m) {
    int n = 0;
    for (const auto& r : transport_->requests()) n += r.method == m;
    return n;
  }

  std::shared_ptr<FakeTransport> transport_;
  std::unique_ptr<s3::Client> client_;
  std::shared_ptr<ObjectStore> store_;
};

FakeTransport::Answer Partial(std::string body, std::string range) {
  http::Response resp;
  resp.status = 206;
  resp.headers.Set("Content-Length", std::to_string(body.size()));
  resp.headers.Set("Content-Range", std::move(range));
  resp.headers.Set("ETag", "\"g\"");
  resp.headers.Set("x-amz-meta-mode", "33184");
  resp.body = std::move(body);
  return FakeTransport::Answer(std::move(resp));
}

TEST_F(StoreFirstBytesTest, ARangedAnswerStandsInForTheHead) {
  Serve([](const RecordedRequest& r) {
    EXPECT_EQ(r.headers.Get("Range"), "bytes=0-1023");
    return Partial(std::string(1024, 'a'), "bytes 0-1023/5000");
  });
  std::string first;
  auto out = store_->HeadManyFirstBytes({"f", "f/"}, 1024, &first);
  ASSERT_TRUE(out[0].ok());
  EXPECT_EQ(out[0]->size, 5000u);  // the object's, from Content-Range
  EXPECT_EQ(out[0]->etag, "\"g\"");
  EXPECT_EQ(out[0]->metadata.at("mode"), "33184");
  EXPECT_EQ(first, std::string(1024, 'a'));
  EXPECT_FALSE(out[1].ok());
  EXPECT_EQ(out[1].error().kind, "ObjectNotFound");
  EXPECT_EQ(Count(http::Method::kHead), 1);  // the marker's only
}

TEST_F(StoreFirstBytesTest, AnUnknownTotalOrAnEmptyObjectIsHeaded) {
  for (auto answer : {Partial(std::string(1024, 'a'), "bytes 0-1023/*"),
                      FakeTransport::Reply(416, "<Error><Code>InvalidRange</Code></Error>")}) {
    SetUp();  // a fresh transport and client
    Serve([answer](const RecordedRequest&) { return answer; });
    std::string first;
    auto out = store_->HeadManyFirstBytes({"f", "f/"}, 1024, &first);
    ASSERT_TRUE(out[0].ok());
    EXPECT_EQ(out[0]->size, 5000u);  // the HEAD's
    EXPECT_EQ(out[0]->etag, "\"h\"");
    EXPECT_TRUE(first.empty());
    EXPECT_EQ(Count(http::Method::kHead), 2);
  }
}

TEST_F(StoreFirstBytesTest, AMissingFileIsNotHeadedAgain) {
  Serve([](const RecordedRequest&) {
    return FakeTransport::Reply(404, "<Error><Code>NoSuchKey</Code></Error>");
  });
  std::string first;
  auto out = store_->HeadManyFirstBytes({"f", "f/"}, 1024, &first);
  ASSERT_FALSE(out[0].ok());
  EXPECT_EQ(out[0].error().kind, "ObjectNotFound");
  EXPECT_EQ(Count(http::Method::kHead), 1);
}

TEST_F(StoreFirstBytesTest, AWholeObjectAnswerOfKnownLengthIsTheObject) {
  Serve([](const RecordedRequest&) {
    http::Response resp;  // a server that ignored the Range header, small object
    resp.status = 200;
    resp.headers.Set("Content-Length", "300");
    resp.headers.Set("ETag", "\"g\"");
    resp.body = std::string(300, 'z');
    return FakeTransport::Answer(std::move(resp));
  });
  std::string first;
  auto out = store_->HeadManyFirstBytes({"f", "f/"}, 1024, &first);
  ASSERT_TRUE(out[0].ok());
  EXPECT_EQ(out[0]->size, 300u);
  EXPECT_EQ(first, std::string(300, 'z'));
}

}  // namespace
}  // namespace s3fs::fs
