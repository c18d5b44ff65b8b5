// http::Headers: which headers are secrets, and that their values are wiped from memory when
// the headers drop them.
#include <gtest/gtest.h>

#include <string>

#include "s3fs/http/types.h"

namespace s3fs::http {
namespace {

TEST(HttpHeaders, SecretNames) {
  for (const char* n :
       {"Authorization", "authorization", "Proxy-Authorization", "X-Amz-Security-Token",
        "X-aws-ec2-metadata-token", "x-amz-server-side-encryption-customer-key",
        "X-Amz-Server-Side-Encryption-Customer-Key-MD5",
        "x-amz-copy-source-server-side-encryption-customer-key"}) {
    EXPECT_TRUE(IsSecretHeader(n)) << n;
  }
  for (const char* n : {"Host", "x-amz-date", "x-amz-server-side-encryption",
                        "x-amz-server-side-encryption-customer-algorithm", "Authorizationx",
                        "x-amz-content-sha256", ""}) {
    EXPECT_FALSE(IsSecretHeader(n)) << n;
  }
}

// True when the n bytes at p are all zero.
bool Zeroed(const char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != '\0') return false;
  }
  return true;
}

TEST(HttpHeaders, WipeSecretValuesZeroesOnlySecrets) {
  Headers h;
  const std::string token(64, 't');
  h.Set("X-Amz-Security-Token", token);
  h.Set("x-amz-date", "20261127T000000Z");
  h.Set("x-amz-server-side-encryption-customer-key", std::string(44, 'k'));
  const std::string& tok = h.entries()[0].second;
  const char* tok_bytes = tok.data();  // the buffer stays owned by the (emptied) string
  const char* key_bytes = h.entries()[2].second.data();
  h.WipeSecretValues();
  EXPECT_TRUE(Zeroed(tok_bytes, 64));
  EXPECT_TRUE(Zeroed(key_bytes, 44));
  EXPECT_EQ(h.Get("X-Amz-Security-Token"), "");
  EXPECT_EQ(h.Get("x-amz-date"), "20261127T000000Z");
  EXPECT_EQ(h.entries().size(), 3u);  // names kept
}

TEST(HttpHeaders, CopiesAndMovesKeepValues) {
  Headers h;
  h.Set("Authorization", std::string(100, 'a'));
  Headers copy = h;
  Headers moved = std::move(h);
  EXPECT_EQ(copy.Get("authorization"), std::string(100, 'a'));
  EXPECT_EQ(moved.Get("authorization"), std::string(100, 'a'));
  copy = moved;
  EXPECT_EQ(copy.Get("authorization"), std::string(100, 'a'));
  Headers other;
  other.Set("Host", "h");
  copy = std::move(other);
  EXPECT_FALSE(copy.Has("authorization"));
  EXPECT_EQ(copy.Get("host"), "h");
  moved.Remove("AUTHORIZATION");
  EXPECT_TRUE(moved.empty());
}

}  // namespace
}  // namespace s3fs::http
