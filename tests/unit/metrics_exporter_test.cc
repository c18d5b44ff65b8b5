// MetricsExporter: the loopback HTTP endpoint (GET/HEAD /metrics, 404, 405, bound to
// 127.0.0.1 only) and the metrics file (written at start, periodically and at stop, atomically).
#include "metrics_exporter.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "s3fs/common/fd_io.h"

namespace s3fs::cli {
namespace {

using namespace std::chrono_literals;

// Sends `request` to 127.0.0.1:port and returns everything the server answered.
std::string Exchange(int port, const std::string& request) {
  UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_TRUE(s.valid());
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return "";
  EXPECT_EQ(::send(s.get(), request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(s.get(), buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class MetricsExporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = std::make_shared<metrics::Registry>();
    counter_ = &registry_->SimpleCounter("test_events_total", "Events.");
    counter_->Inc(41);
    char tmpl[] = "/tmp/s3fs-metrics-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    ::unlink((dir_ + "/m.prom").c_str());
    ::rmdir(dir_.c_str());
  }

  std::shared_ptr<metrics::Registry> registry_;
  metrics::Counter* counter_ = nullptr;
  std::string dir_;
};

TEST_F(MetricsExporterTest, ServesMetricsOnLoopback) {
  MetricsExporterOptions o;
  o.port = 0;
  auto e = MetricsExporter::Start(o, registry_, RealClock::Instance());
  ASSERT_TRUE(e.ok()) << e.error();
  const int port = (*e)->port();
  ASSERT_GT(port, 0);
  std::string r = Exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
  EXPECT_NE(r.find("Content-Type: text/plain; version=0.0.4"), std::string::npos);
  EXPECT_NE(r.find("\r\n\r\n# HELP test_events_total Events.\n"), std::string::npos);
  EXPECT_NE(r.find("\ntest_events_total 41\n"), std::string::npos);
  counter_->Inc();
  r = Exchange(port, "GET /metrics?x=1 HTTP/1.0\r\n\r\n");
  EXPECT_NE(r.find("\ntest_events_total 42\n"), std::string::npos);
  const std::string body = r.substr(r.find("\r\n\r\n") + 4);
  EXPECT_NE(r.find("Content-Length: " + std::to_string(body.size()) + "\r\n"), std::string::npos);

  r = Exchange(port, "HEAD /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_EQ(r.substr(r.find("\r\n\r\n") + 4), "");
  r = Exchange(port, "GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 404 ", 0), 0u) << r;
  r = Exchange(port, "POST /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 405 ", 0), 0u) << r;
  r = Exchange(port, "garbage\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 400 ", 0), 0u) << r;
  // A client that never finishes its request does not stop the next one (2 s limit).
  UniqueFd idle(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(idle.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  r = Exchange(port, "GET /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
}

TEST_F(MetricsExporterTest, ListensOnLoopbackOnly) {
  MetricsExporterOptions o;
  o.port = 0;
  auto e = MetricsExporter::Start(o, registry_, RealClock::Instance());
  ASSERT_TRUE(e.ok()) << e.error();
  // The kernel's socket table: one listener on the port, at 127.0.0.1 (0100007F), none on
  // any other address.
  char port_hex[8];
  std::snprintf(port_hex, sizeof port_hex, ":%04X", (*e)->port());
  std::istringstream table(ReadFile("/proc/net/tcp"));
  std::string line;
  int loopback = 0;
  int other = 0;
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string sl, local, remote, state;
    fields >> sl >> local >> remote >> state;
    if (state != "0A" || !local.ends_with(port_hex)) continue;  // 0A: LISTEN
    (local.starts_with("0100007F:") ? loopback : other)++;
  }
  EXPECT_EQ(loopback, 1);
  EXPECT_EQ(other, 0);
  // A second exporter on the taken port fails with a message naming it.
  o.port = (*e)->port();
  auto second = MetricsExporter::Start(o, registry_, RealClock::Instance());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().find("metrics_port=" + std::to_string(o.port)), std::string::npos);
}

TEST_F(MetricsExporterTest, FileWrittenAtStartPeriodicallyAndAtStop) {
  MetricsExporterOptions o;
  o.file = dir_ + "/m.prom";
  o.interval = 50ms;
  auto e = MetricsExporter::Start(o, registry_, RealClock::Instance());
  ASSERT_TRUE(e.ok()) << e.error();
  EXPECT_NE(ReadFile(o.file).find("\ntest_events_total 41\n"), std::string::npos);
  counter_->Inc();
  bool seen = false;
  for (int i = 0; i < 200 && !seen; ++i) {
    std::this_thread::sleep_for(10ms);
    seen = ReadFile(o.file).find("\ntest_events_total 42\n") != std::string::npos;
  }
  EXPECT_TRUE(seen);
  counter_->Inc();
  e->reset();  // the last write
  EXPECT_NE(ReadFile(o.file).find("\ntest_events_total 43\n"), std::string::npos);
  EXPECT_NE(::access((o.file + ".tmp").c_str(), F_OK), 0);  // renamed, never left behind
}

TEST_F(MetricsExporterTest, UnwritableFileFailsStart) {
  MetricsExporterOptions o;
  o.file = dir_ + "/no/such/dir/m.prom";
  auto e = MetricsExporter::Start(o, registry_, RealClock::Instance());
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().find("metrics_file=" + o.file), std::string::npos);
}

}  // namespace
}  // namespace s3fs::cli
