// The libcurl transport against a local scripted HTTP server.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <future>

#include "s3fs/http/transport.h"
#include "tests/fakes/tiny_http_server.h"

namespace s3fs::http {

std::string RedactHeaderLine(std::string_view line);
std::string RedactUrl(std::string_view url);

namespace {

using namespace std::chrono_literals;
using s3fs::testing::TinyHttpServer;
using s3fs::testing::TinyRequest;
using s3fs::testing::TinyResponse;

std::shared_ptr<Transport> MakeTransport(CurlOptions o = {}) {
  auto t = MakeCurlTransport(o);
  EXPECT_TRUE(t.ok());
  return t.value();
}

TinyResponse Ok(std::string body) {
  TinyResponse r;
  r.body = std::move(body);
  return r;
}

TEST(CurlTransport, GetHeadPutDelete) {
  TinyHttpServer server([](const TinyRequest& r) {
    TinyResponse out = Ok(r.method + " " + r.target + " " + r.body);
    out.headers.emplace_back("ETag", "\"x\"");
    return out;
  });
  auto t = MakeTransport();
  Request get;
  get.url = server.url("/a?b=c");
  auto r = t->Send(get);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "GET /a?b=c ");
  EXPECT_EQ(r->headers.Get("etag"), "\"x\"");

  Request head;
  head.method = Method::kHead;
  head.url = server.url("/h");
  r = t->Send(head);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->body.empty());

  Request put;
  put.method = Method::kPut;
  put.url = server.url("/p");
  put.body = std::make_shared<const std::string>("payload");
  put.headers.Set("x-amz-meta-a", "1");
  put.headers.Set("x-empty", "");
  r = t->Send(put);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "PUT /p payload");
  auto seen = server.requests().back();
  EXPECT_EQ(seen.headers["content-length"], "7");
  EXPECT_EQ(seen.headers.count("expect"), 0u);
  EXPECT_EQ(seen.headers["x-amz-meta-a"], "1");
  EXPECT_EQ(seen.headers.count("x-empty"), 1u);

  Request del;
  del.method = Method::kDelete;
  del.url = server.url("/d");
  r = t->Send(del);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "DELETE /d ");
}

TEST(CurlTransport, DotSegmentsArePreserved) {
  TinyHttpServer server([](const TinyRequest& r) { return Ok(r.target); });
  auto t = MakeTransport();
  Request get;
  get.url = server.url("/b/a/../x/./y");
  auto r = t->Send(get);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "/b/a/../x/./y");
}

class StringSource final : public BodySource {
 public:
  explicit StringSource(std::string d) : d_(std::move(d)) {}
  uint64_t Size() const override { return d_.size(); }
  int64_t Read(char* buf, size_t n) override {
    size_t k = std::min(n, d_.size() - pos_);
    std::memcpy(buf, d_.data() + pos_, k);
    pos_ += k;
    return static_cast<int64_t>(k);
  }
  bool Rewind() override {
    pos_ = 0;
    return true;
  }

 private:
  std::string d_;
  size_t pos_ = 0;
};

TEST(CurlTransport, StreamingBodySourceAndSink) {
  std::string big(3 << 20, 'z');
  TinyHttpServer server([&](const TinyRequest& r) {
    return r.method == "PUT" ? Ok(std::to_string(r.body.size())) : Ok(big);
  });
  auto t = MakeTransport();
  Request put;
  put.method = Method::kPut;
  put.url = server.url("/s");
  put.body_source = std::make_shared<StringSource>(big);
  auto r = t->Send(put);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, std::to_string(big.size()));

  struct Collect : BodySink {
    bool Write(const char* d, size_t n) override {
      data.append(d, n);
      ++calls;
      return true;
    }
    std::string data;
    int calls = 0;
  } sink;
  Request get;
  get.url = server.url("/g");
  get.sink = &sink;
  r = t->Send(get);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->body.empty());
  EXPECT_EQ(sink.data.size(), big.size());
  EXPECT_GT(sink.calls, 1);
  EXPECT_EQ(r->bytes_received, big.size());
}

TEST(CurlTransport, ErrorBodiesAreBufferedNotSunk) {
  TinyHttpServer server([](const TinyRequest&) {
    TinyResponse r;
    r.status = 404;
    r.body = "<Error><Code>NoSuchKey</Code></Error>";
    return r;
  });
  auto t = MakeTransport();
  struct Fail : BodySink {
    bool Write(const char*, size_t) override {
      called = true;
      return true;
    }
    bool called = false;
  } sink;
  Request get;
  get.url = server.url("/x");
  get.sink = &sink;
  auto r = t->Send(get);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(r->body.find("NoSuchKey"), std::string::npos);
  EXPECT_FALSE(sink.called);
}

TEST(CurlTransport, SinkAbortIsAborted) {
  TinyHttpServer server([](const TinyRequest&) { return Ok(std::string(1 << 20, 'a')); });
  auto t = MakeTransport();
  struct Stop : BodySink {
    bool Write(const char*, size_t) override { return false; }
  } sink;
  Request get;
  get.url = server.url("/x");
  get.sink = &sink;
  auto r = t->Send(get);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TransportError::Kind::kAborted);
}

TEST(CurlTransport, ConnectionRefused) {
  auto t = MakeTransport();
  Request get;
  get.url = "http://127.0.0.1:1/";
  auto r = t->Send(get);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TransportError::Kind::kConnect);
}

TEST(CurlTransport, TruncatedBodyIsReceiveError) {
  TinyHttpServer server([](const TinyRequest&) {
    TinyResponse r = Ok(std::string(100000, 'x'));
    r.close_after_half_body = true;
    return r;
  });
  auto t = MakeTransport();
  Request get;
  get.url = server.url("/x");
  auto r = t->Send(get);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TransportError::Kind::kReceive);
}

TEST(CurlTransport, StallAndDeadlineAreTimeouts) {
  TinyHttpServer server([](const TinyRequest&) {
    TinyResponse r = Ok("late");
    r.stall = 3s;
    return r;
  });
  CurlOptions o;
  o.low_speed_time = 1s;
  auto t = MakeTransport(o);
  Request get;
  get.url = server.url("/x");
  auto start = std::chrono::steady_clock::now();
  auto r = t->Send(get);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TransportError::Kind::kTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2900ms);
  auto t2 = MakeTransport();
  get.timeout = 500ms;
  r = t2->Send(get);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TransportError::Kind::kTimeout);
}

TEST(CurlTransport, DelayedSendWaits) {
  TinyHttpServer server([](const TinyRequest&) { return Ok("x"); });
  auto t = MakeTransport();
  std::promise<void> done;
  auto start = std::chrono::steady_clock::now();
  Request get;
  get.url = server.url("/x");
  t->SendAsync(
      get, [&](Result<Response, TransportError>) { done.set_value(); }, 300ms);
  done.get_future().wait();
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
}

TEST(CurlTransport, ManyConcurrentRequestsReuseConnections) {
  TinyHttpServer server([](const TinyRequest& r) { return Ok(r.target); });
  CurlOptions o;
  o.max_connections = 16;
  auto t = MakeTransport(o);
  const int n = 200;
  std::atomic<int> ok{0};
  std::atomic<int> calls{0};
  std::mutex mu;
  std::condition_variable cv;
  for (int i = 0; i < n; ++i) {
    Request get;
    get.url = server.url("/" + std::to_string(i));
    t->SendAsync(get, [&, i](Result<Response, TransportError> r) {
      if (r.ok() && r->body == "/" + std::to_string(i)) ok++;
      std::lock_guard lock(mu);
      if (++calls == n) cv.notify_all();
    });
  }
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, 30s, [&] { return calls == n; }));
  EXPECT_EQ(ok.load(), n);
  EXPECT_LE(server.connections(), 16);
}

TEST(CurlTransport, CallbackMaySendAgain) {
  TinyHttpServer server([](const TinyRequest& r) { return Ok(r.target); });
  auto t = MakeTransport();
  std::promise<std::string> second;
  Request a;
  a.url = server.url("/first");
  t->SendAsync(a, [&](Result<Response, TransportError>) {
    Request b;
    b.url = server.url("/second");
    t->SendAsync(b, [&](Result<Response, TransportError> r) { second.set_value(r->body); });
  });
  EXPECT_EQ(second.get_future().get(), "/second");
}

TEST(CurlTransport, ShutdownCallsEveryCallbackOnce) {
  TinyHttpServer server([](const TinyRequest&) {
    TinyResponse r = Ok("slow");
    r.stall = 2s;
    return r;
  });
  std::atomic<int> calls{0};
  {
    auto t = MakeTransport();
    for (int i = 0; i < 5; ++i) {
      Request get;
      get.url = server.url("/x");
      t->SendAsync(get, [&](Result<Response, TransportError>) { calls++; });
      t->SendAsync(
          get, [&](Result<Response, TransportError>) { calls++; }, 10s);
    }
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(calls.load(), 10);
}

TEST(CurlTransport, Redaction) {
  EXPECT_EQ(RedactHeaderLine("Authorization: AWS4-HMAC-SHA256 Credential=AK/..., Signature=abc"),
            "Authorization: [redacted]");
  EXPECT_EQ(RedactHeaderLine("x-amz-security-token: tok"), "x-amz-security-token: [redacted]");
  EXPECT_EQ(RedactHeaderLine("x-amz-server-side-encryption-customer-key: k"),
            "x-amz-server-side-encryption-customer-key: [redacted]");
  EXPECT_EQ(RedactHeaderLine("Content-Type: text/plain"), "Content-Type: text/plain");
  EXPECT_EQ(RedactUrl("GET /b/k?X-Amz-Credential=AK%2F1&X-Amz-Signature=abcd HTTP/1.1"),
            "GET /b/k?X-Amz-Credential=[redacted]&X-Amz-Signature=[redacted] HTTP/1.1");
}

}  // namespace
}  // namespace s3fs::http
