// Micro-benchmarks of the S3 client's CPU paths. Run: build/bench/client_bench
// (figures and targets in docs/benchmarks.md). Benchmarks live in sigv4_bench.cc, xml_bench.cc.
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
