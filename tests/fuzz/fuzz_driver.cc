// Standalone driver for LLVMFuzzerTestOneInput targets, so fuzz targets run under g++ in CI:
// feeds every file named on the command line (seeds), then N inputs made by mutating the seeds
// and random bytes with a fixed-seed PRNG (reproducible). Usage: TARGET [N] [SEED_FILE...]
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// Each target provides its built-in seeds.
std::vector<std::string> FuzzSeeds();

int main(int argc, char** argv) {
  long n = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 10000;
  std::vector<std::string> seeds = FuzzSeeds();
  for (int i = 2; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    seeds.push_back(ss.str());
  }
  if (seeds.empty()) seeds.emplace_back("");
  for (const auto& s : seeds) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  std::mt19937_64 rng(0x5eed);
  for (long i = 0; i < n; ++i) {
    std::string s = seeds[rng() % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
      switch (rng() % 5) {
        case 0:  // flip a byte
          if (!s.empty()) s[pos % s.size()] = static_cast<char>(rng());
          break;
        case 1:  // insert a random byte
          s.insert(s.begin() + static_cast<long>(pos), static_cast<char>(rng()));
          break;
        case 2:  // truncate
          s.resize(pos);
          break;
        case 3:  // duplicate a slice
          if (!s.empty()) {
            size_t a = rng() % s.size();
            size_t len = rng() % (s.size() - a + 1);
            s.insert(pos, s.substr(a, len));
          }
          break;
        default:  // delete a slice
          if (!s.empty()) s.erase(pos % s.size(), rng() % 16);
          break;
      }
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  std::printf("fuzz: %zu seeds + %ld mutated inputs, no crash\n", seeds.size(), n);
  return 0;
}
