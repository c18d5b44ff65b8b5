// Metadata cache figures: write rate, lookup latency (p50/p99, hits and misses) and file size
// per 100,000 records, for the LMDB store as a mount uses it.
//   build/bench/meta_bench [RECORDS]      (default 100000; prints one line per figure)
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "s3fs/meta/metadata_store.h"

using namespace s3fs::meta;
using Clock = std::chrono::steady_clock;

namespace {

ObjectRecord Typical(int i) {
  ObjectRecord r;
  r.kind = Kind::kFile;
  r.size = 1000 + i;
  r.etag = "\"0123456789abcdef0123456789abcdef\"";
  r.last_modified_ns = 1700000000LL * 1000000000 + i;
  r.content_type = "application/octet-stream";
  r.storage_class = "STANDARD";
  r.metadata = {{"mode", "33188"},
                {"uid", "1000"},
                {"gid", "1000"},
                {"mtime", "1700000000.123456789"},
                {"ctime", "1700000000"}};
  r.fetched_at_ns = 1800000000LL * 1000000000;
  return r;
}

std::string PathOf(int i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "data/dir%03d/file-%07d.dat", i % 1000, i);
  return buf;
}

void Percentiles(const char* what, std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  auto at = [&](double q) { return us[std::min(us.size() - 1, size_t(q * us.size()))]; };
  std::printf("%-28s p50 %.2f us  p99 %.2f us  (%zu lookups)\n", what, at(0.5), at(0.99),
              us.size());
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 100000;
  char tmpl[] = "/tmp/s3fs-meta-bench-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return 1;
  LmdbOptions o;
  o.dir = tmpl;
  o.max_bytes = 1ULL << 30;
  {
    auto s = OpenLmdbMetadataStore(o);
    auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) s->PutObject(PathOf(i), Typical(i));
    s->Flush();
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    Stats st = s->GetStats();
    std::printf("records                      %d\n", n);
    std::printf("write (batched, committed)   %.0f records/s\n", n / secs);
    std::printf("file size                    %.1f MiB (%.1f MiB per 100,000 records)\n",
                st.file_bytes / 1048576.0, st.file_bytes / 1048576.0 * 100000.0 / n);
  }
  // A fresh open, as after a remount: the first lookups read pages from the OS cache.
  auto s = OpenLmdbMetadataStore(o);
  std::mt19937 rng(42);
  std::vector<double> hit, miss;
  for (int i = 0; i < 200000; ++i) {
    int k = static_cast<int>(rng() % n);
    auto t0 = Clock::now();
    auto r = s->GetObject(PathOf(k));
    hit.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    if (!r) {
      std::fprintf(stderr, "missing record %d\n", k);
      return 1;
    }
  }
  for (int i = 0; i < 100000; ++i) {
    std::string p = PathOf(static_cast<int>(rng() % n)) + ".absent";
    auto t0 = Clock::now();
    auto r = s->GetObject(p);
    miss.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    if (r) return 1;
  }
  Percentiles("lookup (hit)", hit);
  Percentiles("lookup (miss)", miss);
  s.reset();
  std::filesystem::remove_all(tmpl);
  return 0;
}
