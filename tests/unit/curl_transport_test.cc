// The libcurl transport against a local scripted HTTP server (tests/fakes/tiny_http_server.h).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <future>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "s3fs/http/transport.h"
#include "src/http/curl_handles.h"
#include "tests/fakes/tiny_http_server.h"

namespace s3fs::http {
namespace {

using namespace std::chrono_literals;
using s3fs::testing::TinyHttpServer;
using s3fs::testing::TinyRequest;
using s3fs::testing::TinyResponse;
using Kind = TransportError::Kind;
using SendResult = Result<Response, TransportError>;

std::shared_ptr<Transport> MakeTransport(CurlOptions o = {}) {
  auto t = MakeCurlTransport(o);
  EXPECT_TRUE(t.ok());
  return t.ok() ? t.value() : nullptr;
}

TinyResponse Ok(std::string body) {
  TinyResponse r;
  r.body = std::move(body);
  return r;
}

Request MakeRequest(Method m, std::string url) {
  Request r;
  r.method = m;
  r.url = std::move(url);
  return r;
}

// Bytes that differ from position to position (catches reordering and off-by-one copies).
std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 251) & 0xff);
  return s;
}

class VectorSource final : public BodySource {
 public:
  explicit VectorSource(std::string d) : d_(std::move(d)) {}
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

// Announces `size` bytes but fails (or ends) after `good` bytes.
class BrokenSource final : public BodySource {
 public:
  BrokenSource(uint64_t size, uint64_t good, bool error)
      : size_(size), good_(good), error_(error) {}
  uint64_t Size() const override { return size_; }
  int64_t Read(char* buf, size_t n) override {
    if (pos_ >= good_) return error_ ? -1 : 0;
    size_t k = static_cast<size_t>(std::min<uint64_t>(n, good_ - pos_));
    std::memset(buf, 'b', k);
    pos_ += k;
    return static_cast<int64_t>(k);
  }
  bool Rewind() override {
    pos_ = 0;
    return true;
  }

 private:
  uint64_t size_;
  uint64_t good_;
  bool error_;
  uint64_t pos_ = 0;
};

struct CollectSink final : BodySink {
  bool Write(const char* d, size_t n) override {
    data.append(d, n);
    ++calls;
    return true;
  }
  std::string data;
  int calls = 0;
};

// Polls `pred` for up to `limit`.
template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

TEST(CurlTransport, Get200Body) {
  TinyHttpServer server([](const TinyRequest& r) {
    TinyResponse out = Ok("hello " + r.target);
    out.headers.emplace_back("ETag", "\"abc\"");
    out.headers.emplace_back("X-Amz-Meta-Empty", "");
    return out;
  });
  auto t = MakeTransport();
  Request get = MakeRequest(Method::kGet, server.url("/a/b?c=d&e"));
  get.headers.Set("X-Custom", "v 1");
  auto r = t->Send(get);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello /a/b?c=d&e");
  EXPECT_EQ(r->bytes_received, r->body.size());
  EXPECT_EQ(r->headers.Get("etag"), "\"abc\"");
  EXPECT_EQ(r->headers.Get("x-amz-meta-empty"), "");
  EXPECT_EQ(r->headers.Get("Content-Length"), std::to_string(r->body.size()));
  auto seen = server.requests().at(0);
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.headers["x-custom"], "v 1");
  EXPECT_EQ(seen.headers.count("accept"), 0u);
  EXPECT_EQ(seen.headers.count("content-length"), 0u);
}

TEST(CurlTransport, DotSegmentsArePreserved) {
  TinyHttpServer server([](const TinyRequest& r) { return Ok(r.target); });
  auto t = MakeTransport();
  auto r = t->Send(MakeRequest(Method::kGet, server.url("/b/a/../x/./y")));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->body, "/b/a/../x/./y");
}

TEST(CurlTransport, HeadReturnsHeadersWithoutWaitingForABody) {
  TinyHttpServer server([](const TinyRequest&) {
    TinyResponse out = Ok(std::string(5000, 'x'));  // only its length is announced
    out.headers.emplace_back("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT");
    return out;
  });
  auto t = MakeTransport();
  auto r = t->Send(MakeRequest(Method::kHead, server.url("/h")));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->body.empty());
  EXPECT_EQ(r->headers.Get("Content-Length"), "5000");
  EXPECT_EQ(r->headers.Get("last-modified"), "Wed, 21 Oct 2015 07:28:00 GMT");
  EXPECT_EQ(server.requests().at(0).method, "HEAD");
  // The connection is still usable.
  r = t->Send(MakeRequest(Method::kHead, server.url("/h")));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(server.connections(), 1);
}

TEST(CurlTransport, PutStringBodySendsExactBytesWithoutExpect) {
  TinyHttpServer server([](const TinyRequest& r) { return Ok(std::to_string(r.body.size())); });
  auto t = MakeTransport();
  Request put = MakeRequest(Method::kPut, server.url("/p"));
  const std::string payload = Pattern(200000);
  put.body = std::make_shared<const std::string>(payload);
  put.headers.Set("x-amz-meta-a", "1");
  put.headers.Set("X-Empty", "");
  auto r = t->Send(put);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->body, "200000");
  auto seen = server.requests().at(0);
  EXPECT_EQ(seen.method, "PUT");
  EXPECT_EQ(seen.body, payload);
  EXPECT_EQ(seen.headers["content-length"], "200000");
  EXPECT_FALSE(seen.chunked);
  EXPECT_EQ(seen.headers.count("expect"), 0u);
  EXPECT_EQ(seen.headers.count("content-type"), 0u);
  EXPECT_EQ(seen.headers["x-amz-meta-a"], "1");
  ASSERT_EQ(seen.headers.count("x-empty"), 1u);  // an empty header is sent, not dropped
  EXPECT_EQ(seen.headers["x-empty"], "");
}

TEST(CurlTransport, PutBodySourceSendsExactBytes) {
  TinyHttpServer server([](const TinyRequest& r) { return Ok(std::to_string(r.body.size())); });
  auto t = MakeTransport();
  const std::string payload = Pattern(3 << 20);
  Request put = MakeRequest(Method::kPut, server.url("/s"));
  put.body_source = std::make_shared<VectorSource>(payload);
  auto r = t->Send(put);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->body, std::to_string(payload.size()));
  auto seen = server.requests().at(0);
  EXPECT_TRUE(seen.body == payload);
  EXPECT_EQ(seen.headers["content-length"], std::to_string(payload.size()));
  EXPECT_FALSE(seen.chunked);
  EXPECT_EQ(seen.headers.count("expect"), 0u);
}

TEST(CurlTransport, EmptyBodiesSendContentLengthZero) {
  TinyHttpServer server([](const TinyRequest& r) { return Ok(r.method); });
  auto t = MakeTransport();
  for (Method m : {Method::kDelete, Method::kPost, Method::kPut}) {
    auto r = t->Send(MakeRequest(m, server.url("/d")));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->body, MethodName(m));
    auto seen = server.requests().back();
    EXPECT_EQ(seen.method, MethodName(m));
    EXPECT_EQ(seen.headers["content-length"], "0") << MethodName(m);
    EXPECT_EQ(seen.headers.count("content-type"), 0u) << MethodName(m);
    EXPECT_FALSE(seen.chunked);
  }
  EXPECT_EQ(server.connections(), 1);
}

TEST(CurlTransport, PostAndDeleteWithBody) {
  TinyHttpServer server([](const TinyRequest& r) { return Ok(r.method + ":" + r.body); });
  auto t = MakeTransport();
  Request post = MakeRequest(Method::kPost, server.url("/?delete"));
  post.body = std::make_shared<const std::string>("<Delete/>");
  post.headers.Set("Content-Type", "application/xml");
  auto r = t->Send(post);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->body, "POST:<Delete/>");
  auto seen = server.requests().back();
  EXPECT_EQ(seen.headers["content-length"], "9");
  EXPECT_EQ(seen.headers["content-type"], "application/xml");
  EXPECT_EQ(seen.headers.count("expect"), 0u);

  Request del = MakeRequest(Method::kDelete, server.url("/x"));
  del.body_source = std::make_shared<VectorSource>("abc");
  r = t->Send(del);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->body, "DELETE:abc");
  EXPECT_EQ(server.requests().back().headers["content-length"], "3");
}

TEST(CurlTransport, ErrorBodyIsBufferedEvenWithASink) {
  TinyHttpServer server([](const TinyRequest&) {
    TinyResponse r = Ok("<Error><Code>NoSuchKey</Code></Error>");
    r.status = 404;
    return r;
  });
  auto t = MakeTransport();
  CollectSink sink;
  Request get = MakeRequest(Method::kGet, server.url("/x"));
  get.sink = &sink;
  auto r = t->Send(get);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, "<Error><Code>NoSuchKey</Code></Error>");
  EXPECT_EQ(sink.calls, 0);
}

TEST(CurlTransport, ErrorBodyIsCappedAtOneMebibyte) {
  TinyHttpServer server([](const TinyRequest& r) {
    TinyResponse out = Ok(std::string(3 << 20, 'e'));
    out.status = r.target == "/big" ? 500 : 200;
    if (r.target != "/big") out.body = "after";
    return out;
  });
  auto t = MakeTransport();
  auto r = t->Send(MakeRequest(Method::kGet, server.url("/big")));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body.size(), size_t{1} << 20);
  EXPECT_EQ(r->bytes_received, uint64_t{3} << 20);
  r = t->Send(MakeRequest(Method::kGet, server.url("/next")));  // the connection survives
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->body, "after");
  EXPECT_EQ(server.connections(), 1);
}

TEST(CurlTransport, SinkGetsA2xxBodyInPieces) {
  const std::string big = Pattern(3 << 20);
  TinyHttpServer server([&](const TinyRequest&) { return Ok(big); });
  auto t = MakeTransport();
  CollectSink sink;
  Request get = MakeRequest(Method::kGet, server.url("/g"));
  get.sink = &sink;
  auto r = t->Send(get);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->body.empty());
  EXPECT_TRUE(sink.data == big);
  EXPECT_GT(sink.calls, 1);
  EXPECT_EQ(r->bytes_received, big.size());
}

TEST(CurlTransport, SinkRefusalIsAborted) {
  TinyHttpServer server([](const TinyRequest&) { return Ok(std::string(1 << 20, 'a')); });
  auto t = MakeTransport();
  struct Refuse final : BodySink {
    bool Write(const char*, size_t) override {
      ++calls;
      return false;
    }
    int calls = 0;
  } sink;
  Request get = MakeRequest(Method::kGet, server.url("/x"));
  get.sink = &sink;
  auto r = t->Send(get);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Kind::kAborted) << r.error().message;
  EXPECT_EQ(sink.calls, 1);
}

TEST(CurlTransport, ConnectionRefusedIsConnect) {
  // A bound socket that does not listen: connecting to its port is refused.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  auto t = MakeTransport();
  auto r = t->Send(
      MakeRequest(Method::kGet, "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/"));
  ::close(fd);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Kind::kConnect) << r.error().message;
  EXPECT_FALSE(r.error().message.empty());
}

TEST(CurlTransport, TruncatedBodyIsReceive) {
  TinyHttpServer server([](const TinyRequest&) {
    TinyResponse r = Ok(std::string(100000, 'x'));
    r.close_after = 50000;
    return r;
  });
  auto t = MakeTransport();
  auto r = t->Send(MakeRequest(Method::kGet, server.url("/x")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Kind::kReceive) << r.error().message;

  CollectSink sink;
  Request get = MakeRequest(Method::kGet, server.url("/x"));
  get.sink = &sink;
  r = t->Send(get);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Kind::kReceive) << r.error().message;
  EXPECT_EQ(r.error().bytes_received, sink.data.size());
  EXPECT_EQ(sink.data.size(), 50000u);
}

TEST(CurlTransport, LyingContentLengths) {
  TinyHttpServer server([](const TinyRequest& r) {
    TinyResponse out = Ok("helloEXTRA");
    if (r.target == "/short") {
      out.content_length = 5;  // five bytes announced, ten sent
    } else if (r.target == "/long") {
      out.content_length = 20;  // twenty announced, ten sent, then the connection closes
      out.close_after = 10;
    } else {
      out.body = "fine";
    }
    return out;
  });
  auto t = MakeTransport();
  auto r = t->Send(MakeRequest(Method::kGet, server.url("/short")));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->body, "hello");
  // The excess must not be taken for the next answer.
  r = t->Send(MakeRequest(Method::kGet, server.url("/next")));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->body, "fine");

  r = t->Send(MakeRequest(Method::kGet, server.url("/long")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Kind::kReceive) << r.error().message;
}

TEST(CurlTransport, ClosedWithoutAnswerIsReceive) {
  TinyHttpServer server([](const TinyRequest&) {
    TinyResponse r;
    r.close_without_answer = true;
    return r;
  });
  auto t = MakeTransport();
  auto r = t->Send(MakeRequest(Method::kGet, server.url("/x")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Kind::kReceive) << r.error().message;
}

TEST(CurlTransport, StallBeyondLowSpeedTimeIsTimeout) {
  TinyHttpServer server([](const TinyRequest&) {
    TinyResponse r = Ok("late");
    r.stall = 5s;
    return r;
  });
  CurlOptions o;
  o.low_speed_time = 1s;
  auto t = MakeTransport(o);
  auto start = std::chrono::steady_clock::now();
  auto r = t->Send(MakeRequest(Method::kGet, server.url("/x")));
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Kind::kTimeout) << r.error().message;
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 3500ms);
}

TEST(CurlTransport, RequestTimeoutIsTimeout) {
  TinyHttpServer server([](const TinyRequest&) {
    TinyResponse r = Ok("late");
    r.stall = 5s;
    return r;
  });
  auto t = MakeTransport();
  Request get = MakeRequest(Method::kGet, server.url("/x"));
  get.timeout = 300ms;
  auto start = std::chrono::steady_clock::now();
  auto r = t->Send(get);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Kind::kTimeout) << r.error().message;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 2s);
}

TEST(CurlTransport, DelayedSendHonoursTheDelayInDueOrder) {
  TinyHttpServer server([](const TinyRequest& r) { return Ok(r.target); });
  auto t = MakeTransport();
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<std::string, std::chrono::steady_clock::duration>> done;
  const auto start = std::chrono::steady_clock::now();
  for (int ms : {300, 100, 200, 0}) {
    t->SendAsync(
        MakeRequest(Method::kGet, server.url("/" + std::to_string(ms))),
        [&, ms](SendResult r) {
          std::lock_guard lock(mu);
          done.emplace_back(r.ok() ? r->body : "error", std::chrono::steady_clock::now() - start);
          EXPECT_GE(done.back().second, std::chrono::milliseconds(ms));
          cv.notify_all();
        },
        std::chrono::milliseconds(ms));
  }
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return done.size() == 4; }));
  EXPECT_EQ(done[0].first, "/0");
  EXPECT_EQ(done[1].first, "/100");
  EXPECT_EQ(done[2].first, "/200");
  EXPECT_EQ(done[3].first, "/300");
  EXPECT_LT(done[3].second, 2s);
}

TEST(CurlTransport, TwoHundredConcurrentRequestsShareFewConnections) {
  TinyHttpServer server([](const TinyRequest& r) { return Ok(r.target); });
  CurlOptions o;
  o.max_connections = 16;
  auto t = MakeTransport(o);
  constexpr int kN = 200;
  std::vector<std::atomic<int>> calls(kN);
  std::atomic<int> ok{0};
  std::atomic<int> total{0};
  std::mutex mu;
  std::condition_variable cv;
  for (int i = 0; i < kN; ++i) {
    t->SendAsync(MakeRequest(Method::kGet, server.url("/" + std::to_string(i))),
                 [&, i](SendResult r) {
                   calls[i]++;
                   if (r.ok() && r->status == 200 && r->body == "/" + std::to_string(i)) ok++;
                   std::lock_guard lock(mu);
                   if (++total == kN) cv.notify_all();
                 });
  }
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 20s, [&] { return total == kN; }));
  }
  std::this_thread::sleep_for(50ms);  // a second call would show up now
  EXPECT_EQ(ok.load(), kN);
  for (int i = 0; i < kN; ++i) EXPECT_EQ(calls[i].load(), 1) << i;
  EXPECT_LE(server.connections(), 16);
  EXPECT_GE(server.connections(), 1);
}

TEST(CurlTransport, SequentialRequestsReuseOneConnection) {
  TinyHttpServer server([](const TinyRequest& r) { return Ok(r.target); });
  auto t = MakeTransport();
  for (int i = 0; i < 10; ++i) {
    auto r = t->Send(MakeRequest(Method::kGet, server.url("/" + std::to_string(i))));
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  EXPECT_EQ(server.connections(), 1);
}

TEST(CurlTransport, CallbackMaySendAsync) {
  TinyHttpServer server([](const TinyRequest& r) { return Ok(r.target); });
  auto t = MakeTransport();
  std::promise<std::string> second;
  std::atomic<int> chain{0};
  t->SendAsync(MakeRequest(Method::kGet, server.url("/first")), [&](SendResult r) {
    EXPECT_TRUE(r.ok());
    chain++;
    t->SendAsync(MakeRequest(Method::kGet, server.url("/second")), [&](SendResult r2) {
      chain++;
      second.set_value(r2.ok() ? r2->body : r2.error().message);
    });
  });
  auto f = second.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(f.get(), "/second");
  EXPECT_EQ(chain.load(), 2);
}

TEST(CurlTransport, DestructorCallsEveryCallbackExactlyOnce) {
  TinyHttpServer server([](const TinyRequest&) {
    TinyResponse r = Ok("slow");
    r.stall = 10s;
    return r;
  });
  constexpr int kInFlight = 5;
  constexpr int kDelayed = 5;
  constexpr int kQueued = 5;
  constexpr int kN = kInFlight + kDelayed + kQueued + 1;  // +1: sent from a callback
  std::vector<std::atomic<int>> calls(kN);
  std::vector<std::atomic<int>> aborted(kN);
  auto record = [&](int i) {
    return [&, i](SendResult r) {
      calls[i]++;
      if (!r.ok() && r.error().kind == Kind::kAborted) aborted[i]++;
    };
  };
  const auto start = std::chrono::steady_clock::now();
  {
    auto t = MakeTransport();
    std::weak_ptr<Transport> weak = t;
    for (int i = 0; i < kInFlight; ++i) {
      Completion done = record(i);
      if (i == 0) {
        // During shutdown a completion starts another request: it fails at once.
        done = [&, weak, inner = record(0)](SendResult r) {
          inner(std::move(r));
          // The transport is being destroyed: no strong reference can be taken.
          EXPECT_EQ(weak.lock(), nullptr);
        };
      }
      t->SendAsync(MakeRequest(Method::kGet, server.url("/x")), std::move(done));
    }
    for (int i = 0; i < kDelayed; ++i) {
      t->SendAsync(MakeRequest(Method::kGet, server.url("/x")), record(kInFlight + i), 10s);
    }
    ASSERT_TRUE(WaitFor([&] { return server.requests().size() == kInFlight; }, 3s));
    for (int i = 0; i < kQueued; ++i) {
      t->SendAsync(MakeRequest(Method::kGet, server.url("/x")), record(kInFlight + kDelayed + i));
    }
    // A completion that sends again while the transport shuts down.
    Transport* raw = t.get();
    t->SendAsync(
        MakeRequest(Method::kGet, server.url("/x")),
        [&, raw](SendResult r) {
          calls[kN - 1]++;
          if (!r.ok() && r.error().kind == Kind::kAborted) aborted[kN - 1]++;
          raw->SendAsync(MakeRequest(Method::kGet, server.url("/y")), [&](SendResult r2) {
            calls[kN - 1] += 10;  // counted separately: 11 in total when both ran once
            if (!r2.ok() && r2.error().kind == Kind::kAborted) aborted[kN - 1] += 10;
          });
        },
        5s);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
  for (int i = 0; i < kN - 1; ++i) {
    EXPECT_EQ(calls[i].load(), 1) << i;
    EXPECT_EQ(aborted[i].load(), 1) << i;
  }
  EXPECT_EQ(calls[kN - 1].load(), 11);
  EXPECT_EQ(aborted[kN - 1].load(), 11);
}

TEST(CurlTransport, DroppingTheLastReferenceFromACallbackIsSafe) {
  TinyHttpServer server([](const TinyRequest& r) { return Ok(r.target); });
  auto holder = std::make_shared<std::shared_ptr<Transport>>(MakeTransport());
  std::promise<Kind> delayed_kind;
  std::atomic<int> first_calls{0};
  (*holder)->SendAsync(
      MakeRequest(Method::kGet, server.url("/later")),
      [&](SendResult r) { delayed_kind.set_value(r.ok() ? Kind::kInvalid : r.error().kind); }, 10s);
  (*holder)->SendAsync(MakeRequest(Method::kGet, server.url("/now")),
                       [holder, &first_calls](SendResult r) {
                         EXPECT_TRUE(r.ok());
                         first_calls++;
                         holder->reset();  // destroys the transport on its own thread
                       });
  auto f = delayed_kind.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(f.get(), Kind::kAborted);
  EXPECT_EQ(first_calls.load(), 1);
  EXPECT_EQ(*holder, nullptr);
  std::this_thread::sleep_for(100ms);  // the detached event thread winds down
}

TEST(CurlTransport, InterimResponseHeadersAreDiscarded) {
  TinyHttpServer server([](const TinyRequest&) {
    TinyResponse r = Ok("done");
    r.interim_continue = true;
    r.headers.emplace_back("X-Final", "1");
    return r;
  });
  auto t = MakeTransport();
  auto r = t->Send(MakeRequest(Method::kGet, server.url("/x")));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "done");
  EXPECT_EQ(r->headers.Get("X-Final"), "1");
  EXPECT_FALSE(r->headers.Has("X-Interim"));
}

TEST(CurlTransport, RedirectsAreReturnedNotFollowed) {
  TinyHttpServer server([](const TinyRequest&) {
    TinyResponse r = Ok("<Error><Code>PermanentRedirect</Code></Error>");
    r.status = 301;
    r.headers.emplace_back("Location", "/elsewhere");
    return r;
  });
  auto t = MakeTransport();
  auto r = t->Send(MakeRequest(Method::kGet, server.url("/x")));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 301);
  EXPECT_EQ(r->headers.Get("Location"), "/elsewhere");
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(CurlTransport, InvalidRequestsFailWithoutSending) {
  TinyHttpServer server([](const TinyRequest&) { return Ok("x"); });
  auto t = MakeTransport();
  Request injected = MakeRequest(Method::kGet, server.url("/x"));
  injected.headers.Set("X-Bad", "a\r\nX-Injected: 1");
  auto r = t->Send(injected);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Kind::kInvalid);

  Request bad_name = MakeRequest(Method::kGet, server.url("/x"));
  bad_name.headers.Set("Bad Name", "v");
  r = t->Send(bad_name);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Kind::kInvalid);

  Request get_with_body = MakeRequest(Method::kGet, server.url("/x"));
  get_with_body.body = std::make_shared<const std::string>("body");
  r = t->Send(get_with_body);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Kind::kInvalid);

  Request both = MakeRequest(Method::kPut, server.url("/x"));
  both.body = std::make_shared<const std::string>("body");
  both.body_source = std::make_shared<VectorSource>("body");
  r = t->Send(both);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Kind::kInvalid);

  r = t->Send(MakeRequest(Method::kGet, "http://[::1/x"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Kind::kInvalid) << r.error().message;

  r = t->Send(MakeRequest(Method::kGet, "ftp://127.0.0.1:" + std::to_string(server.port())));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Kind::kInvalid) << r.error().message;

  EXPECT_EQ(server.requests().size(), 0u);
  // The transport still works.
  r = t->Send(MakeRequest(Method::kGet, server.url("/x")));
  ASSERT_TRUE(r.ok()) << r.error().message;
}

TEST(CurlTransport, BodySourceFailureIsInvalid) {
  TinyHttpServer server([](const TinyRequest&) { return Ok("x"); });
  auto t = MakeTransport();
  for (bool error : {true, false}) {
    Request put = MakeRequest(Method::kPut, server.url("/x"));
    put.body_source = std::make_shared<BrokenSource>(100000, 1000, error);
    auto r = t->Send(put);
    ASSERT_FALSE(r.ok()) << "error=" << error;
    EXPECT_EQ(r.error().kind, Kind::kInvalid) << r.error().message;
  }
  auto r = t->Send(MakeRequest(Method::kGet, server.url("/x")));
  ASSERT_TRUE(r.ok()) << r.error().message;
}

TEST(CurlTransport, TlsHandshakeFailureIsTls) {
  TinyHttpServer::Options o;
  o.send_on_accept = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
  TinyHttpServer server([](const TinyRequest&) { return Ok(""); }, o);
  auto t = MakeTransport();
  auto r = t->Send(
      MakeRequest(Method::kGet, "https://127.0.0.1:" + std::to_string(server.port()) + "/"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Kind::kTls) << r.error().message;
}

TEST(CurlTransport, ConcurrentBlockingSendsFromManyThreads) {
  // Blocking Send() from several threads at once on one transport.
  TinyHttpServer server([](const TinyRequest& r) { return Ok(r.target); });
  auto t = MakeTransport();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < 25; ++i) {
        std::string path = "/" + std::to_string(th) + "/" + std::to_string(i);
        auto r = t->Send(MakeRequest(Method::kGet, server.url(path)));
        if (r.ok() && r->body == path) ok++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 100);
  EXPECT_LE(server.connections(), 4);
}

TEST(CurlTransport, VerboseLogIsRedacted) {
  TinyHttpServer server([](const TinyRequest&) { return Ok("x"); });
  auto out = std::make_shared<std::ostringstream>();
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(
      "curl_test", std::make_shared<spdlog::sinks::ostream_sink_mt>(*out));
  logger->set_level(spdlog::level::debug);
  spdlog::set_default_logger(logger);
  {
    CurlOptions o;
    o.verbose = true;
    auto t = MakeTransport(o);
    Request get =
        MakeRequest(Method::kGet,
                    server.url("/k?X-Amz-Credential=credSECRET&X-Amz-Signature=sigSECRET&part=1"));
    get.headers.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/x, Signature=authSECRET");
    get.headers.Set("X-Amz-Security-Token", "tokenSECRET");
    get.headers.Set("x-amz-server-side-encryption-customer-key", "keySECRET");
    get.headers.Set("x-amz-server-side-encryption-customer-key-MD5", "md5SECRET");
    get.headers.Set("X-Visible", "plain");
    auto r = t->Send(get);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  spdlog::set_default_logger(previous);
  const std::string log = out->str();
  EXPECT_NE(log.find("X-Visible: plain"), std::string::npos) << log;
  EXPECT_NE(log.find("part=1"), std::string::npos) << log;
  EXPECT_NE(log.find("Authorization: [redacted]"), std::string::npos) << log;
  EXPECT_EQ(log.find("SECRET"), std::string::npos) << log;
}

TEST(CurlTransport, RedactHeaderLine) {
  using internal::RedactHeaderLine;
  EXPECT_EQ(RedactHeaderLine("Authorization: AWS4-HMAC-SHA256 Credential=AK/..., Signature=abc"),
            "Authorization: [redacted]");
  EXPECT_EQ(RedactHeaderLine("authorization:abc"), "authorization: [redacted]");
  EXPECT_EQ(RedactHeaderLine("Proxy-Authorization: Basic abc"), "Proxy-Authorization: [redacted]");
  EXPECT_EQ(RedactHeaderLine("X-Amz-Security-Token: tok"), "X-Amz-Security-Token: [redacted]");
  EXPECT_EQ(RedactHeaderLine("x-amz-server-side-encryption-customer-key: k"),
            "x-amz-server-side-encryption-customer-key: [redacted]");
  EXPECT_EQ(RedactHeaderLine("X-Amz-Server-Side-Encryption-Customer-Key-MD5: m"),
            "X-Amz-Server-Side-Encryption-Customer-Key-MD5: [redacted]");
  EXPECT_EQ(RedactHeaderLine("x-amz-copy-source-server-side-encryption-customer-key: k"),
            "x-amz-copy-source-server-side-encryption-customer-key: [redacted]");
  EXPECT_EQ(RedactHeaderLine("x-amz-server-side-encryption: AES256"),
            "x-amz-server-side-encryption: AES256");
  EXPECT_EQ(RedactHeaderLine("Content-Type: text/plain"), "Content-Type: text/plain");
  EXPECT_EQ(RedactHeaderLine("GET /k HTTP/1.1"), "GET /k HTTP/1.1");
  EXPECT_EQ(RedactHeaderLine(""), "");
}

TEST(CurlTransport, RedactUrl) {
  using internal::RedactUrl;
  EXPECT_EQ(RedactUrl("GET /b/k?X-Amz-Credential=AK%2F1&X-Amz-Signature=abcd HTTP/1.1"),
            "GET /b/k?X-Amz-Credential=[redacted]&X-Amz-Signature=[redacted] HTTP/1.1");
  EXPECT_EQ(RedactUrl("https://h/k?x-amz-security-token=t&X-Amz-Expires=60"),
            "https://h/k?x-amz-security-token=[redacted]&X-Amz-Expires=60");
  EXPECT_EQ(RedactUrl("https://h/k?X-Amz-Signature=abc#frag"),
            "https://h/k?X-Amz-Signature=[redacted]#frag");
  EXPECT_EQ(RedactUrl("https://h/k?X-Amz-SignedHeaders=host&a=b"),
            "https://h/k?X-Amz-SignedHeaders=host&a=b");
  EXPECT_EQ(RedactUrl("https://h/k?My-X-Amz-Signature=keep"),
            "https://h/k?My-X-Amz-Signature=keep");
  EXPECT_EQ(RedactUrl("X-Amz-Signature=abc"), "X-Amz-Signature=[redacted]");
  EXPECT_EQ(RedactUrl("no secrets here"), "no secrets here");
  EXPECT_EQ(RedactUrl(""), "");
}

}  // namespace
}  // namespace s3fs::http
