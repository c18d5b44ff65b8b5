#include "s3fs/s3/uri.h"

#include <gtest/gtest.h>

namespace s3fs::s3::uri {
namespace {

TEST(Uri, EncodeRfc3986) {
  EXPECT_EQ(Encode("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(Encode("a b+c/d"), "a%20b%2Bc%2Fd");
  EXPECT_EQ(Encode("a b/c", true), "a%20b/c");
  EXPECT_EQ(Encode("\xe1\x88\xb4"), "%E1%88%B4");
  EXPECT_EQ(Encode("$&=*"), "%24%26%3D%2A");
}

TEST(Uri, Decode) {
  std::string out;
  ASSERT_TRUE(Decode("a%20b%2Fc", &out));
  EXPECT_EQ(out, "a b/c");
  ASSERT_TRUE(Decode("a+b", &out, true));
  EXPECT_EQ(out, "a b");
  ASSERT_TRUE(Decode("a+b", &out));
  EXPECT_EQ(out, "a+b");
  EXPECT_FALSE(Decode("%zz", &out));
  EXPECT_FALSE(Decode("%2", &out));
  EXPECT_FALSE(Decode("%", &out));
}

TEST(Uri, Parse) {
  Url u;
  ASSERT_TRUE(Parse("http://127.0.0.1:7480/b/k%20x?uploads&partNumber=2", &u));
  EXPECT_EQ(u.scheme, "http");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 7480);
  EXPECT_EQ(u.path, "/b/k%20x");
  ASSERT_EQ(u.query.size(), 2u);
  EXPECT_EQ(u.query[0].first, "uploads");
  EXPECT_EQ(u.query[1].second, "2");
  EXPECT_EQ(u.HostHeader(), "127.0.0.1:7480");
  ASSERT_TRUE(Parse("HTTPS://S3.Amazonaws.com", &u));
  EXPECT_EQ(u.path, "/");
  EXPECT_EQ(u.HostHeader(), "s3.amazonaws.com");
  ASSERT_TRUE(Parse("https://[::1]:9000/x", &u));
  EXPECT_EQ(u.HostHeader(), "[::1]:9000");
  ASSERT_TRUE(Parse("https://h:443/", &u));
  EXPECT_EQ(u.HostHeader(), "h");
  EXPECT_FALSE(Parse("ftp://h/", &u));
  EXPECT_FALSE(Parse("http:///x", &u));
  EXPECT_FALSE(Parse("http://h:99999/", &u));
  EXPECT_FALSE(Parse("http://user@h/", &u));
  EXPECT_FALSE(Parse("no scheme", &u));
}

}  // namespace
}  // namespace s3fs::s3::uri
