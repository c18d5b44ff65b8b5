// Shared fixture of the integration tests: a client of the real server given by
// S3FS_TEST_ENDPOINT / S3FS_TEST_ACCESS_KEY / S3FS_TEST_SECRET_KEY / S3FS_TEST_REGION and a
// fresh bucket per test, emptied (uploads aborted) and removed afterwards. Without the server
// every test FAILS: integration tests never skip.
#ifndef S3FS_TESTS_INTEGRATION_S3_FIXTURE_H_
#define S3FS_TESTS_INTEGRATION_S3_FIXTURE_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include "s3fs/http/transport.h"
#include "s3fs/s3/client.h"

namespace s3fs::s3 {

using namespace std::chrono_literals;

inline std::string Env(const char* n) {
  const char* v = std::getenv(n);
  return v ? v : "";
}

struct Server {
  std::string endpoint = Env("S3FS_TEST_ENDPOINT");
  std::string access = Env("S3FS_TEST_ACCESS_KEY");
  std::string secret = Env("S3FS_TEST_SECRET_KEY");
  std::string region = Env("S3FS_TEST_REGION").empty() ? "us-east-1" : Env("S3FS_TEST_REGION");
};

inline std::string RandomData(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng();
    std::memcpy(s.data() + i, &v, std::min<size_t>(8, n - i));
  }
  return s;
}

class S3IT : public ::testing::Test {
 protected:
  static std::shared_ptr<http::Transport> SharedTransport() {
    static std::shared_ptr<http::Transport> t = [] {
      http::CurlOptions o;
      o.connect_timeout = 2000ms;
      o.low_speed_time = 10s;
      return http::MakeCurlTransport(o).value();
    }();
    return t;
  }

  static std::unique_ptr<Client> MakeClient(const std::string& access, const std::string& secret,
                                            std::shared_ptr<Clock> clock = nullptr,
                                            std::string endpoint = "") {
    Server s;
    ClientConfig cfg;
    cfg.endpoint = endpoint.empty() ? s.endpoint : endpoint;
    cfg.region = s.region;
    cfg.addressing = ClientConfig::Addressing::kPath;
    Credentials c;
    c.access_key_id = access;
    c.secret_access_key = SecretString(secret);
    auto r = Client::Create(
        cfg, SharedTransport(), std::make_shared<StaticCredentialsProvider>(c, "test"),
        clock ? clock : RealClock::Instance(), std::make_shared<DefaultRandom>(42));
    EXPECT_TRUE(r.ok());
    return std::move(r).value();
  }

  void SetUp() override {
    Server s;
    ASSERT_FALSE(s.endpoint.empty())
        << "S3FS_TEST_ENDPOINT is not set: start the server with tests/servers/rgw start and "
           "source its env (scripts/test does both). Integration tests never skip.";
    client_ = MakeClient(s.access, s.secret);
    bucket_ = "it-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++) + "-" +
              std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 100000);
    auto r = client_->CreateBucket({bucket_, "", "", false});
    ASSERT_TRUE(r.ok()) << r.error().ToString();
  }

  void TearDown() override {
    if (!client_ || bucket_.empty()) return;
    // Empty and delete the bucket (also aborts leftover multipart uploads).
    auto uploads = client_->ListMultipartUploads({bucket_, "", "", "", "", {}});
    if (uploads.ok()) {
      for (const auto& u : uploads->uploads) {
        (void)client_->AbortMultipartUpload({bucket_, u.key, u.upload_id});
      }
    }
    ListObjectsV2Request req;
    req.bucket = bucket_;
    std::vector<ObjectIdentifier> keys;
    (void)client_->ListObjectsV2All(req, [&](const ListObjectsV2Output& page) {
      for (const auto& o : page.contents) keys.push_back({o.key, ""});
      return true;
    });
    for (size_t i = 0; i < keys.size(); i += 1000) {
      std::vector<ObjectIdentifier> batch(
          keys.begin() + static_cast<long>(i),
          keys.begin() + static_cast<long>(std::min(keys.size(), i + 1000)));
      (void)client_->DeleteObjects({bucket_, batch, true});
    }
    auto d = client_->DeleteBucket(bucket_);
    EXPECT_TRUE(d.ok()) << d.error().ToString();
  }

  PutObjectRequest Put(const std::string& key) {
    PutObjectRequest r;
    r.bucket = bucket_;
    r.key = key;
    return r;
  }

  static inline std::atomic<int> counter_{0};
  std::unique_ptr<Client> client_;
  std::string bucket_;
};

}  // namespace s3fs::s3

#endif  // S3FS_TESTS_INTEGRATION_S3_FIXTURE_H_
