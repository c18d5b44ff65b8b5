// Signing, presigning and hashing costs (issue 2 targets: sign and presign < 1 ms p99).
#include <benchmark/benchmark.h>

#include "latency.h"

#include "s3fs/s3/crypto.h"
#include "s3fs/s3/sigv4.h"

namespace {

using namespace s3fs;

s3::Credentials Creds() {
  s3::Credentials c;
  c.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  c.secret_access_key = SecretString("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  return c;
}

void BM_SignRequest(benchmark::State& state) {
  s3::Signer signer;
  auto creds = Creds();
  s3::SigningParams p;
  p.region = "us-east-1";
  p.time = std::chrono::system_clock::now();
  LatencyRecorder lat;
  for (auto _ : state) {
    lat.Start();
    http::Request req;
    req.method = http::Method::kPut;
    req.url = "https://bucket.s3.amazonaws.com/photos/2024/img%20001.jpg?partNumber=3&uploadId=abc";
    req.headers.Set("Content-Type", "image/jpeg");
    req.headers.Set("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg==");
    req.headers.Set("x-amz-meta-mode", "33188");
    req.headers.Set("x-amz-meta-uid", "1000");
    req.headers.Set("x-amz-meta-gid", "1000");
    req.headers.Set("x-amz-meta-mtime", "1700000000.123456789");
    req.headers.Set("x-amz-storage-class", "STANDARD_IA");
    benchmark::DoNotOptimize(signer.Sign(req, creds, p, s3::kUnsignedPayload));
    lat.Stop();
  }
  lat.Report(state);
}
BENCHMARK(BM_SignRequest);

void BM_Presign(benchmark::State& state) {
  s3::Signer signer;
  auto creds = Creds();
  s3::SigningParams p;
  p.region = "us-east-1";
  p.time = std::chrono::system_clock::now();
  LatencyRecorder lat;
  for (auto _ : state) {
    lat.Start();
    benchmark::DoNotOptimize(signer.Presign(http::Method::kGet,
                                            "https://bucket.s3.amazonaws.com/a/b/c.txt",
                                            http::Headers(), creds, p, std::chrono::seconds(3600)));
    lat.Stop();
  }
  lat.Report(state);
}
BENCHMARK(BM_Presign);

void BM_Sha256_1MiB(benchmark::State& state) {
  std::string data(1 << 20, 'x');
  for (auto _ : state) benchmark::DoNotOptimize(s3::crypto::Sha256(data));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * (1 << 20));
}
BENCHMARK(BM_Sha256_1MiB);

void BM_Md5_1MiB(benchmark::State& state) {
  std::string data(1 << 20, 'x');
  for (auto _ : state) benchmark::DoNotOptimize(s3::crypto::Md5(data));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * (1 << 20));
}
BENCHMARK(BM_Md5_1MiB);

void BM_Crc32c_1MiB(benchmark::State& state) {
  std::string data(1 << 20, 'x');
  for (auto _ : state) benchmark::DoNotOptimize(s3::crypto::Crc32c(data));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * (1 << 20));
}
BENCHMARK(BM_Crc32c_1MiB);

}  // namespace
