// Hashes, HMAC, checksums and encodings used by signing and integrity checks. The only file of
// the project that includes OpenSSL headers is src/s3/crypto.cc.
//
// All functions are thread-safe and allocation-light; digests are returned as raw bytes in a
// std::string unless the name says Hex/Base64.
#ifndef S3FS_S3_CRYPTO_H_
#define S3FS_S3_CRYPTO_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace s3fs::s3::crypto {

std::string Sha256(std::string_view data);
std::string Sha256Hex(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);
std::string Md5(std::string_view data);
std::string Sha1(std::string_view data);

// Incremental SHA-256 / MD5 for large or streamed bodies. RAII over the OpenSSL context.
class Hasher {
 public:
  enum class Algo { kSha256, kMd5, kSha1 };
  explicit Hasher(Algo algo);
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  void Update(std::string_view data);
  std::string Finish();  // raw digest; the hasher is reset afterwards

 private:
  void* ctx_;  // EVP_MD_CTX*, opaque so callers do not see OpenSSL
  Algo algo_;
};

// CRC-32 (IEEE, as S3's x-amz-checksum-crc32) and CRC-32C (Castagnoli). `crc` continues a
// previous value (start with 0).
uint32_t Crc32(std::string_view data, uint32_t crc = 0);
uint32_t Crc32c(std::string_view data, uint32_t crc = 0);
// Big-endian 4 bytes of a CRC, as S3 base64-encodes them.
std::string CrcBytes(uint32_t crc);

std::string HexEncode(std::string_view bytes);  // lower-case
std::string Base64Encode(std::string_view bytes);
// Returns false on malformed input.
bool Base64Decode(std::string_view text, std::string* out);

// Constant-time equality (for comparing signatures or digests).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace s3fs::s3::crypto

#endif  // S3FS_S3_CRYPTO_H_
