// Parsing a 1000-key ListObjectsV2 page (issue 2 target: < 5 ms p99).
#include <benchmark/benchmark.h>

#include "latency.h"

#include "s3fs/s3/xml.h"

namespace {

std::string Page(bool url) {
  std::string body =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>bucket</Name><Prefix>data%2F"
      "</Prefix><KeyCount>1000</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>%2F</Delimiter>"
      "<IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/"
      "wm36Hy4vbOwM=</NextContinuationToken>";
  if (url) body += "<EncodingType>url</EncodingType>";
  for (int i = 0; i < 1000; ++i) {
    std::string key = url ? "data%2Fsubdir%2Ffile%20number%20" + std::to_string(i) + ".txt"
                          : "data/subdir/file_number_" + std::to_string(i) + ".txt";
    body += "<Contents><Key>" + key +
            "</Key><LastModified>2024-05-01T12:34:56.000Z</LastModified><ETag>&quot;"
            "fba9dede5f27731c9771645a39863328&quot;</ETag><Size>" +
            std::to_string(1000 + i) + "</Size><StorageClass>STANDARD</StorageClass></Contents>";
  }
  return body + "</ListBucketResult>";
}

void BM_XmlParseListObjectsV2_1000(benchmark::State& state) {
  std::string body = Page(true);
  LatencyRecorder lat;
  for (auto _ : state) {
    lat.Start();
    benchmark::DoNotOptimize(s3fs::s3::xml::ParseListObjectsV2(body));
    lat.Stop();
  }
  lat.Report(state);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_XmlParseListObjectsV2_1000);

void BM_XmlParseListObjectsV2_1000_Plain(benchmark::State& state) {
  std::string body = Page(false);
  LatencyRecorder lat;
  for (auto _ : state) {
    lat.Start();
    benchmark::DoNotOptimize(s3fs::s3::xml::ParseListObjectsV2(body));
    lat.Stop();
  }
  lat.Report(state);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_XmlParseListObjectsV2_1000_Plain);

}  // namespace
