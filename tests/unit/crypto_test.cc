#include "s3fs/s3/crypto.h"

#include <gtest/gtest.h>

namespace s3fs::s3::crypto {
namespace {

TEST(Crypto, KnownDigests) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HexEncode(Md5("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(HexEncode(Sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(Crypto, HmacRfc4231Case2) {
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Crypto, Crc) {
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32(""), 0u);
  // Incremental equals one-shot, across the 8-byte stride boundary.
  std::string data(1000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  EXPECT_EQ(Crc32c(data.substr(3), Crc32c(data.substr(0, 3))), Crc32c(data));
  EXPECT_EQ(Crc32(data.substr(501), Crc32(data.substr(0, 501))), Crc32(data));
  EXPECT_EQ(Base64Encode(CrcBytes(0xE3069283u)), "4waSgw==");
}

TEST(Crypto, IncrementalHasherMatchesOneShot) {
  Hasher h(Hasher::Algo::kSha256);
  h.Update("a");
  h.Update("bc");
  EXPECT_EQ(HexEncode(h.Finish()), Sha256Hex("abc"));
  h.Update("abc");  // reset after Finish
  EXPECT_EQ(HexEncode(h.Finish()), Sha256Hex("abc"));
  Hasher m(Hasher::Algo::kMd5);
  m.Update("");
  EXPECT_EQ(HexEncode(m.Finish()), "d41d8cd98f00b204e9800998ecf8427e");
}

TEST(Crypto, Base64) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    std::string back;
    ASSERT_TRUE(Base64Decode(Base64Encode(s), &back)) << s;
    EXPECT_EQ(back, s);
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  std::string out;
  EXPECT_FALSE(Base64Decode("Zm9", &out));
  EXPECT_FALSE(Base64Decode("Zm9v!mFy", &out));
  EXPECT_FALSE(Base64Decode("=m9v", &out));
  EXPECT_FALSE(Base64Decode("Zm=v", &out));
}

TEST(Crypto, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
}

}  // namespace
}  // namespace s3fs::s3::crypto
