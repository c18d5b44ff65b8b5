// (being written)
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>
std::vector<std::string> FuzzSeeds() { return {}; }
extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }
