// Micro-benchmarks of the S3 client's CPU paths (sigv4_bench.cc, xml_bench.cc). Each latency
// benchmark also reports p50_us/p99_us over its individual iterations (LatencyRecorder).
// Run: build/bench/client_bench  (figures and targets in docs/benchmarks.md)
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
