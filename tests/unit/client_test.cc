// Client behaviour against a recording fake transport: what goes on the wire, retries,
// the circuit breaker, validation before sending.
#include "s3fs/s3/client.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>

#include "s3fs/s3/crypto.h"
#include "s3fs/s3/transfer.h"
#include "tests/fakes/fake_transport.h"
#include "tests/fakes/string_sink.h"

namespace s3fs::s3 {
namespace {

using namespace std::chrono_literals;
using s3fs::testing::FakeTransport;

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override { Make(ClientConfig::Addressing::kPath); }

  void Make(ClientConfig::Addressing addressing, std::string endpoint = "http://127.0.0.1:7480") {
    transport_ = std::make_shared<FakeTransport>();
    clock_ = std::make_shared<FakeClock>();
    ClientConfig cfg;
    cfg.endpoint = std::move(endpoint);
    cfg.region = "us-east-1";
    cfg.breaker.failure_threshold = 5;  // the breaker tests' arithmetic (default 8)
    cfg.addressing = addressing;
    Credentials creds;
    creds.access_key_id = "AKIDTEST";
    creds.secret_access_key = SecretString("secret");
    auto c =
        Client::Create(cfg, transport_, std::make_shared<StaticCredentialsProvider>(creds, "test"),
                       clock_, std::make_shared<FixedRandom>(0.5));
    ASSERT_TRUE(c.ok()) << c.error().ToString();
    client_ = std::move(c).value();
  }

  std::shared_ptr<FakeTransport> transport_;
  std::shared_ptr<FakeClock> clock_;
  std::unique_ptr<Client> client_;
};

TEST_F(ClientTest, PutObjectWireFormat) {
  http::Headers h;
  h.Set("ETag", "\"abc\"");
  transport_->Push(200, "", h);
  PutObjectRequest req;
  req.bucket = "bkt";
  req.key = "dir/a b+c.txt";
  req.attrs.content_type = "text/plain";
  req.attrs.metadata = {{"Mode", "33188"}};
  req.attrs.storage_class = "STANDARD_IA";
  req.attrs.tagging = "k=v";
  req.compute_md5 = true;
  auto r = client_->PutObject(req, "hello");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->etag, "\"abc\"");
  auto sent = transport_->last();
  EXPECT_EQ(sent.method, http::Method::kPut);
  EXPECT_EQ(sent.url, "http://127.0.0.1:7480/bkt/dir/a%20b%2Bc.txt");
  EXPECT_EQ(sent.body, "hello");
  EXPECT_EQ(sent.headers.Get("Content-Type"), "text/plain");
  EXPECT_EQ(sent.headers.Get("x-amz-meta-mode"), "33188");
  EXPECT_EQ(sent.headers.Get("x-amz-storage-class"), "STANDARD_IA");
  EXPECT_EQ(sent.headers.Get("x-amz-tagging"), "k=v");
  EXPECT_EQ(sent.headers.Get("Content-MD5"), crypto::Base64Encode(crypto::Md5("hello")));
  // Small bodies are hashed into the signature.
  EXPECT_EQ(sent.headers.Get("x-amz-content-sha256"), crypto::Sha256Hex("hello"));
  auto auth = sent.headers.Get("Authorization");
  ASSERT_TRUE(auth.has_value());
  EXPECT_NE(auth->find("Credential=AKIDTEST/"), std::string::npos);
}

TEST_F(ClientTest, SseHeadersOnTheWire) {
  PutObjectRequest req;
  req.bucket = "bkt";
  req.key = "k";
  req.sse = Sse::S3();
  ASSERT_TRUE(client_->PutObject(req, "x").ok());
  EXPECT_EQ(transport_->last().headers.Get("x-amz-server-side-encryption"), "AES256");

  req.sse = Sse::Kms("testkey-1");
  ASSERT_TRUE(client_->PutObject(req, "x").ok());
  EXPECT_EQ(transport_->last().headers.Get("x-amz-server-side-encryption"), "aws:kms");
  EXPECT_EQ(transport_->last().headers.Get("x-amz-server-side-encryption-aws-kms-key-id"),
            "testkey-1");

  std::string key(32, 'K');
  req.sse = Sse::Customer(SecretString(key));
  ASSERT_TRUE(client_->PutObject(req, "x").ok());
  auto h = transport_->last().headers;
  EXPECT_EQ(h.Get("x-amz-server-side-encryption-customer-algorithm"), "AES256");
  EXPECT_EQ(h.Get("x-amz-server-side-encryption-customer-key"), crypto::Base64Encode(key));
  EXPECT_EQ(h.Get("x-amz-server-side-encryption-customer-key-MD5"),
            crypto::Base64Encode(crypto::Md5(key)));

  req.sse = Sse::Customer(SecretString("short"));
  size_t before = transport_->requests().size();
  auto bad = client_->PutObject(req, "x");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(transport_->requests().size(), before);  // rejected before sending
}

TEST_F(ClientTest, VirtualHostedAddressingOnAws) {
  Make(ClientConfig::Addressing::kAuto, "https://s3.eu-west-1.amazonaws.com");
  ASSERT_TRUE(client_->HeadObject({"my-bucket", "k", {}, "", {}, {}}).ok());
  EXPECT_EQ(transport_->last().url, "https://my-bucket.s3.eu-west-1.amazonaws.com/k");
  // Large bodies go unsigned (no SHA-256 pass over the data on either side).
  PutObjectRequest req;
  req.bucket = "my-bucket";
  req.key = "big";
  ASSERT_TRUE(client_->PutObject(req, std::string(100000, 'x')).ok());
  EXPECT_EQ(transport_->last().headers.Get("x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
  // Dotted names can't use the wildcard certificate: path-style.
  ASSERT_TRUE(client_->HeadObject({"my.bucket", "k", {}, "", {}, {}}).ok());
  EXPECT_EQ(transport_->last().url, "https://s3.eu-west-1.amazonaws.com/my.bucket/k");
}

TEST_F(ClientTest, RetriesServerErrorsWithBackoffThenSucceeds) {
  transport_->Push(503, "<Error><Code>SlowDown</Code></Error>");
  transport_->Push(500, "<Error><Code>InternalError</Code></Error>");
  transport_->Push(200, "data");
  auto r = client_->GetObject({"bkt", "k"});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->body, "data");
  auto delays = transport_->delays();
  ASSERT_EQ(delays.size(), 3u);
  EXPECT_EQ(delays[0], 0ms);
  EXPECT_EQ(delays[1], 500ms);  // SlowDown: ceiling 1 s x jitter 0.5
  EXPECT_EQ(delays[2], 500ms);  // first InternalError: ceiling 1 s x 0.5 (its own rule)
  EXPECT_EQ(client_->stats().retries.load(), 2u);
}

// Each retry rule counts only its own failures: two SlowDowns do not use up the three
// attempts an InternalError gets (a 13%-faulty endpoint failed operations this way).
TEST_F(ClientTest, RetryBudgetsArePerErrorClass) {
  transport_->Push(503, "<Error><Code>SlowDown</Code></Error>");
  transport_->Push(503, "<Error><Code>SlowDown</Code></Error>");
  transport_->Push(500, "<Error><Code>InternalError</Code></Error>");
  transport_->PushError(http::TransportError::Kind::kConnect);
  transport_->Push(500, "<Error><Code>InternalError</Code></Error>");
  transport_->Push(200, "data");
  auto r = client_->GetObject({"bkt", "k"});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(transport_->requests().size(), 6u);
  // Still bounded: a third InternalError ends it.
  for (int i = 0; i < 3; ++i) transport_->Push(500, "<Error><Code>InternalError</Code></Error>");
  transport_->Push(200, "data");
  auto r2 = client_->GetObject({"bkt", "k"});
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().kind, "InternalError");
  EXPECT_EQ(transport_->requests().size(), 9u);
}

TEST_F(ClientTest, GivesUpAfterMaxAttemptsAndNeverSaysNotFound) {
  for (int i = 0; i < 5; ++i) transport_->Push(500, "");
  auto r = client_->HeadObject({"bkt", "k", {}, "", {}, {}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, "InternalError");
  EXPECT_NE(r.error().kind, "ObjectNotFound");
  EXPECT_EQ(transport_->requests().size(), 3u);
}

TEST_F(ClientTest, NoRetryOnClientErrors) {
  transport_->Push(404, "<Error><Code>NoSuchKey</Code></Error>");
  auto r = client_->GetObject({"bkt", "missing"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, "ObjectNotFound");
  EXPECT_EQ(transport_->requests().size(), 1u);
}

TEST_F(ClientTest, NetworkErrorsRetriedThenReported) {
  for (int i = 0; i < 3; ++i) transport_->PushError(http::TransportError::Kind::kConnect);
  auto r = client_->ListBuckets();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, "ConnectionFailed");
  EXPECT_EQ(transport_->requests().size(), 3u);
}

TEST_F(ClientTest, CircuitBreakerFailsFastWhenEndpointIsDead) {
  transport_->SetHandler([](const testing::RecordedRequest&) {
    return FakeTransport::Answer(
        Fail(http::TransportError{http::TransportError::Kind::kConnect, "refused", 0}));
  });
  auto first = client_->ListBuckets();   // 3 attempts
  clock_->Advance(2s);                   // what the retries' backoff takes on a real clock
  auto second = client_->ListBuckets();  // 2 more failures open the breaker, then fail fast
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(client_->breaker_state(), CircuitBreaker::State::kOpen);
  size_t sent = transport_->requests().size();
  EXPECT_EQ(sent, 5u);
  auto third = client_->ListBuckets();
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().kind, "CircuitOpen");
  EXPECT_EQ(transport_->requests().size(), sent);  // nothing sent while open
  clock_->Advance(30s);
  transport_->SetHandler([](const testing::RecordedRequest&) {
    http::Response r;
    r.status = 200;
    r.body = "<ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>";
    return FakeTransport::Answer(std::move(r));
  });
  EXPECT_TRUE(client_->ListBuckets().ok());
}

// A Complete the server applied but whose answer was lost (reset, truncated body) is retried
// and finds the upload gone: the object holding exactly these parts makes it a success.
TEST_F(ClientTest, CompleteWhoseAnswerWasLostIsConfirmedByTheObjectEtag) {
  CompleteMultipartUploadRequest req;
  req.bucket = "bkt";
  req.key = "big";
  req.upload_id = "u1";
  req.parts = {{1, "\"" + std::string(32, 'a') + "\"", ""},
               {2, "\"" + std::string(32, 'b') + "\"", ""}};
  const std::string etag = MultipartEtag(req.parts);
  transport_->PushError(http::TransportError::Kind::kReceive, "connection reset");
  transport_->Push(404, "<Error><Code>NoSuchUpload</Code></Error>");
  http::Headers h;
  h.Set("ETag", etag);
  transport_->Push(200, "", h);
  auto r = client_->CompleteMultipartUpload(req);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->etag, etag);
  auto sent = transport_->requests();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[1].method, http::Method::kPost);
  EXPECT_EQ(sent[2].method, http::Method::kHead);
  EXPECT_EQ(sent[2].url, "http://127.0.0.1:7480/bkt/big");
}

TEST_F(ClientTest, CompleteOfAnUploadGoneWithOtherContentStaysAnError) {
  CompleteMultipartUploadRequest req;
  req.bucket = "bkt";
  req.key = "big";
  req.upload_id = "u1";
  req.parts = {{1, "\"" + std::string(32, 'a') + "\"", ""}};
  // The key holds something else (another writer's object): the upload was not ours to finish.
  transport_->Push(404, "<Error><Code>NoSuchUpload</Code></Error>");
  http::Headers h;
  h.Set("ETag", "\"0123456789abcdef0123456789abcdef-3\"");
  transport_->Push(200, "", h);
  auto r = client_->CompleteMultipartUpload(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, "UploadNotFound");
  // No object at all.
  transport_->Push(404, "<Error><Code>NoSuchUpload</Code></Error>");
  transport_->Push(404, "");
  r = client_->CompleteMultipartUpload(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, "UploadNotFound");
  EXPECT_EQ(transport_->requests().size(), 4u);
}

class CollectSink final : public http::BodySink {
 public:
  bool Write(const char* d, size_t n) override {
    data.append(d, n);
    return true;
  }
  std::string data;
};

TEST_F(ClientTest, StreamedGetGoesToSink) {
  transport_->Push(200, "streamed-bytes");
  CollectSink sink;
  auto r = client_->GetObject({"bkt", "k"}, &sink);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(sink.data, "streamed-bytes");
  EXPECT_TRUE(r->body.empty());
}

TEST_F(ClientTest, RangeAndConditionsAndOverrides) {
  GetObjectRequest req{"bkt", "k"};
  req.range = ByteRange{10, 19};
  req.conditions.if_match = "\"etag\"";
  req.response_content_type = "text/x";
  ASSERT_TRUE(client_->GetObject(req).ok());
  auto sent = transport_->last();
  EXPECT_EQ(sent.headers.Get("Range"), "bytes=10-19");
  EXPECT_EQ(sent.headers.Get("If-Match"), "\"etag\"");
  EXPECT_EQ(sent.url, "http://127.0.0.1:7480/bkt/k?response-content-type=text%2Fx");
  req.range = ByteRange{20, 10};
  EXPECT_FALSE(client_->GetObject(req).ok());
}

TEST_F(ClientTest, ValidationBeforeSending) {
  auto long_key = client_->HeadObject({"bkt", std::string(1025, 'k'), {}, "", {}, {}});
  ASSERT_FALSE(long_key.ok());
  EXPECT_EQ(long_key.error().kind, "InvalidObjectKey");
  std::vector<Tag> tags;
  for (int i = 0; i < 11; ++i) tags.push_back({"k" + std::to_string(i), "v"});
  EXPECT_FALSE(client_->PutObjectTagging("bkt", "k", tags).ok());
  EXPECT_FALSE(client_->CreateBucket({"bad/name", "", "", false}).ok());
  EXPECT_FALSE(client_->DeleteObjects({"bkt", {}, false}).ok());
  PresignRequest p;
  p.bucket = "bkt";
  p.key = "k";
  p.expires_in = std::chrono::seconds(604801);
  EXPECT_FALSE(client_->Presign(p).ok());
  EXPECT_TRUE(transport_->requests().empty());
}

TEST_F(ClientTest, DeleteObjectsSendsXmlWithMd5) {
  transport_->Push(200,
                   "<DeleteResult><Deleted><Key>a</Key></Deleted><Error><Key>b</Key><Code>"
                   "AccessDenied</Code><Message>no</Message></Error></DeleteResult>");
  auto r = client_->DeleteObjects({"bkt", {{"a", ""}, {"b", ""}}, false});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->deleted.size(), 1u);
  ASSERT_EQ(r->errors.size(), 1u);
  EXPECT_EQ(r->errors[0].code, "AccessDenied");
  auto sent = transport_->last();
  EXPECT_EQ(sent.method, http::Method::kPost);
  EXPECT_EQ(sent.url, "http://127.0.0.1:7480/bkt?delete");
  EXPECT_EQ(sent.headers.Get("Content-MD5"), crypto::Base64Encode(crypto::Md5(sent.body)));
  EXPECT_NE(sent.body.find("<Key>b</Key>"), std::string::npos);
}

TEST_F(ClientTest, CopyObjectHeaders) {
  transport_->Push(200,
                   "<CopyObjectResult><ETag>\"e\"</ETag><LastModified>"
                   "2024-01-01T00:00:00.000Z</LastModified></CopyObjectResult>");
  CopyObjectRequest req;
  req.source_bucket = "src";
  req.source_key = "a b";
  req.bucket = "dst";
  req.key = "c";
  req.metadata_directive = CopyObjectRequest::Directive::kReplace;
  req.attrs.metadata = {{"mode", "493"}};
  auto r = client_->CopyObject(req);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->etag, "\"e\"");
  auto h = transport_->last().headers;
  EXPECT_EQ(h.Get("x-amz-copy-source"), "/src/a%20b");
  EXPECT_EQ(h.Get("x-amz-metadata-directive"), "REPLACE");
  EXPECT_EQ(h.Get("x-amz-meta-mode"), "493");
  // 200 with an <Error> body is an error, not a success.
  transport_->Push(200, "<Error><Code>InternalError</Code><Message>x</Message></Error>");
  transport_->Push(200, "<Error><Code>InternalError</Code><Message>x</Message></Error>");
  transport_->Push(200, "<Error><Code>InternalError</Code><Message>x</Message></Error>");
  EXPECT_FALSE(client_->CopyObject(req).ok());
}

TEST_F(ClientTest, ListObjectsQueryAndPagination) {
  transport_->Push(200,
                   "<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>t2"
                   "</NextContinuationToken><Contents><Key>a</Key><Size>1</Size></Contents>"
                   "</ListBucketResult>");
  transport_->Push(200,
                   "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>b</Key>"
                   "<Size>2</Size></Contents></ListBucketResult>");
  ListObjectsV2Request req;
  req.bucket = "bkt";
  req.prefix = "dir/";
  req.delimiter = "/";
  std::vector<std::string> keys;
  auto st = client_->ListObjectsV2All(req, [&](const ListObjectsV2Output& page) {
    for (const auto& o : page.contents) keys.push_back(o.key);
    return true;
  });
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b"}));
  auto reqs = transport_->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].url,
            "http://127.0.0.1:7480/bkt?list-type=2&prefix=dir%2F&delimiter=%2F&encoding-type=url");
  EXPECT_NE(reqs[1].url.find("continuation-token=t2"), std::string::npos);
}

TEST_F(ClientTest, PresignedUrlHasSignatureAndExpiry) {
  PresignRequest p;
  p.bucket = "bkt";
  p.key = "file.txt";
  p.expires_in = 600s;
  auto r = client_->Presign(p);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->method, "GET");
  EXPECT_NE(r->url.find("http://127.0.0.1:7480/bkt/file.txt?"), std::string::npos);
  EXPECT_NE(r->url.find("X-Amz-Expires=600"), std::string::npos);
  EXPECT_NE(r->url.find("X-Amz-Signature="), std::string::npos);
  EXPECT_EQ(r->url.find("secret"), std::string::npos);
}

class StringSource final : public RandomAccessSource {
 public:
  explicit StringSource(std::string d) : d_(std::move(d)) {}
  uint64_t Size() const override { return d_.size(); }
  bool ReadAt(uint64_t off, size_t len, std::string* out) override {
    *out = d_.substr(off, len);
    return out->size() == len;
  }

 private:
  std::string d_;
};

TEST_F(ClientTest, UploadAbortsMultipartOnPartFailure) {
  transport_->SetHandler([](const testing::RecordedRequest& r) {
    http::Response resp;
    resp.status = 200;
    if (r.url.find("?uploads") != std::string::npos) {
      resp.body =
          "<InitiateMultipartUploadResult><UploadId>U1</UploadId>"
          "</InitiateMultipartUploadResult>";
    } else if (r.url.find("partNumber=2") != std::string::npos) {
      resp.status = 403;
      resp.body = "<Error><Code>AccessDenied</Code></Error>";
    } else if (r.method == http::Method::kPut) {
      resp.headers.Set("ETag", "\"p\"");
    } else if (r.method == http::Method::kDelete) {
      resp.status = 204;
    }
    return FakeTransport::Answer(std::move(resp));
  });
  StringSource src(std::string(12 << 20, 'x'));
  TransferOptions opt;
  opt.multipart_threshold = 5 << 20;
  opt.part_size = 5 << 20;
  opt.concurrency = 1;
  PutObjectRequest req;
  req.bucket = "bkt";
  req.key = "big";
  auto r = Upload(*client_, req, src, opt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, "AccessDenied");
  auto reqs = transport_->requests();
  ASSERT_FALSE(reqs.empty());
  EXPECT_EQ(reqs.back().method, http::Method::kDelete);
  EXPECT_NE(reqs.back().url.find("uploadId=U1"), std::string::npos);
  for (const auto& q : reqs) {
    EXPECT_EQ(q.url.find("uploadId=U1&") == std::string::npos && q.method == http::Method::kPost &&
                  q.url.find("?uploads") == std::string::npos,
              false)
        << "CompleteMultipartUpload must not be sent: " << q.url;
  }
}

// Answers HEAD and ranged GETs of `body` (ETag "v1"); the first GET of a range starting at a
// multiple of `part` delivers only half of it (a body cut short).
FakeTransport::Handler ServeRanges(const std::string& body, uint64_t part,
                                   std::map<uint64_t, int>* gets) {
  return [&body, part, gets](const testing::RecordedRequest& r) {
    http::Response resp;
    resp.headers.Set("ETag", "\"v1\"");
    if (r.method == http::Method::kHead) {
      resp.status = 200;
      resp.headers.Set("Content-Length", std::to_string(body.size()));
      return FakeTransport::Answer(std::move(resp));
    }
    if (r.headers.Get("If-Match").value_or("") != "\"v1\"") return FakeTransport::Reply(400);
    const std::string range = r.headers.Get("Range").value_or("");
    uint64_t first = 0, last = 0;
    if (std::sscanf(range.c_str(), "bytes=%lu-%lu", &first, &last) != 2) {
      return FakeTransport::Reply(400);
    }
    const int n = (*gets)[first]++;
    uint64_t len = last - first + 1;
    if (n == 0 && first % part == 0 && len > 1) len /= 2;  // cut short
    resp.status = 206;
    resp.headers.Set("Content-Range", "bytes " + std::to_string(first) + "-" +
                                          std::to_string(last) + "/" + std::to_string(body.size()));
    resp.body = body.substr(first, len);
    return FakeTransport::Answer(std::move(resp));
  };
}

TEST_F(ClientTest, DownloadStreamsPartsToTheSinkAndContinuesBrokenOnes) {
  std::string body(12 << 20, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 31 % 253);
  std::map<uint64_t, int> gets;
  transport_->SetHandler(ServeRanges(body, 5 << 20, &gets));
  testing::StringSink sink;
  TransferOptions opt;
  opt.part_size = 5 << 20;
  opt.concurrency = 2;
  auto r = Download(*client_, {"bkt", "obj"}, sink, opt);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->bytes, body.size());
  EXPECT_TRUE(sink.data == body);
  // Parts at 0, 5 and 10 MiB, each cut at its half once, then continued from there (not
  // fetched again from its start).
  EXPECT_EQ(gets[0], 1);
  EXPECT_EQ(gets[5 << 20], 1);
  EXPECT_EQ(gets[10 << 20], 1);
  EXPECT_EQ(gets[(5 << 20) / 2], 1);
  EXPECT_EQ(gets[(5 << 20) + (5 << 20) / 2], 1);
  EXPECT_EQ(gets[(10 << 20) + (2 << 20) / 2], 1);
  EXPECT_EQ(gets.size(), 6u);
}

TEST_F(ClientTest, DownloadOfAReplacedObjectFailsWithoutContinuing) {
  std::string body(6 << 20, 'x');
  std::map<uint64_t, int> gets;
  auto serve = ServeRanges(body, 5 << 20, &gets);
  transport_->SetHandler([&](const testing::RecordedRequest& r) {
    if (r.method == http::Method::kGet) {
      gets[0]++;
      return FakeTransport::Reply(412, "<Error><Code>PreconditionFailed</Code></Error>");
    }
    return serve(r);
  });
  testing::StringSink sink;
  TransferOptions opt;
  opt.part_size = 5 << 20;
  opt.concurrency = 1;
  auto r = Download(*client_, {"bkt", "obj"}, sink, opt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, "PreconditionFailed");
  EXPECT_EQ(gets[0], 1);  // not continued, and the next part not started
}

TEST(ChoosePartSize, GrowsToFitTenThousandParts) {
  EXPECT_EQ(ChoosePartSize(1 << 20, 8 << 20), 8u << 20);
  EXPECT_EQ(ChoosePartSize(1 << 20, 1 << 20), 5u << 20);  // S3 minimum
  uint64_t five_tib = 5ULL << 40;
  uint64_t part = ChoosePartSize(five_tib, 8 << 20);
  EXPECT_LE((five_tib + part - 1) / part, 10000u);
  EXPECT_EQ(part % (1 << 20), 0u);
}

TEST(ChoosePartSize, FitsALowerPartLimit) {
  // A service allowing 50 parts: 1 GiB needs parts of at least 1 GiB / 50.
  const uint64_t part = ChoosePartSize(1ULL << 30, 8 << 20, 50);
  EXPECT_LE(((1ULL << 30) + part - 1) / part, 50u);
  EXPECT_EQ(ChoosePartSize(100 << 20, 8 << 20, 50), 8u << 20);  // fits already
}

}  // namespace
}  // namespace s3fs::s3
