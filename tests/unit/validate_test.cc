#include "s3fs/s3/validate.h"

#include <gtest/gtest.h>

namespace s3fs::s3 {
namespace {

TEST(Validate, BucketNames) {
  for (const char* good : {"abc", "my-bucket.logs", "a1b2c3", "0bucket9"}) {
    EXPECT_TRUE(ValidateBucketName(good).ok()) << good;
  }
  for (const char* bad : {"ab", "Upper", "under_score", "-start", "end-", "a..b", "192.168.1.1",
                          "xn--punycode", "thing-s3alias", "has space"}) {
    auto s = ValidateBucketName(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().kind, "InvalidBucketName");
  }
  EXPECT_FALSE(ValidateBucketName(std::string(64, 'a')).ok());
  EXPECT_TRUE(ValidateBucketName(std::string(63, 'a')).ok());
  // S3-compatible services allow what s3fs-fuse allows.
  EXPECT_TRUE(ValidateBucketName("Legacy_Bucket", /*legacy=*/true).ok());
  EXPECT_FALSE(ValidateBucketName("bad/slash", true).ok());
}

TEST(Validate, Keys) {
  EXPECT_TRUE(ValidateKey("a").ok());
  EXPECT_TRUE(ValidateKey(std::string(1024, 'k')).ok());
  auto too_long = ValidateKey(std::string(1025, 'k'));
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().kind, "InvalidObjectKey");
  EXPECT_NE(too_long.error().message.find("1025"), std::string::npos);
  EXPECT_FALSE(ValidateKey("").ok());
  EXPECT_TRUE(ValidateKey("dir/ファイル.txt").ok());
  EXPECT_FALSE(ValidateKey(std::string("bad\xff", 4)).ok());
  EXPECT_FALSE(ValidateKey(std::string("\xc0\xaf", 2)).ok());      // overlong '/'
  EXPECT_FALSE(ValidateKey(std::string("\xed\xa0\x80", 3)).ok());  // surrogate
  EXPECT_FALSE(ValidateKey(std::string("\xe3\x81", 2)).ok());      // truncated
}

TEST(Validate, Metadata) {
  EXPECT_TRUE(ValidateMetadata({{"mode", "33188"}, {"mtime", "1.5"}}).ok());
  EXPECT_FALSE(ValidateMetadata({{"bad name", "v"}}).ok());
  EXPECT_FALSE(ValidateMetadata({{"k", "caf\xc3\xa9"}}).ok());
  EXPECT_FALSE(ValidateMetadata({{"k", "line\nbreak"}}).ok());
  EXPECT_FALSE(ValidateMetadata({{"k", std::string(2100, 'x')}}).ok());
}

TEST(Validate, Tags) {
  std::vector<Tag> ten;
  for (int i = 0; i < 10; ++i) ten.push_back({"k" + std::to_string(i), "v"});
  EXPECT_TRUE(ValidateTags(ten).ok());
  ten.push_back({"k10", "v"});
  auto eleven = ValidateTags(ten);
  ASSERT_FALSE(eleven.ok());
  EXPECT_NE(eleven.error().message.find("at most 10"), std::string::npos);
  EXPECT_FALSE(ValidateTags({{std::string(129, 'k'), "v"}}).ok());
  EXPECT_TRUE(ValidateTags({{std::string(128, 'k'), std::string(256, 'v')}}).ok());
  EXPECT_FALSE(ValidateTags({{"k", std::string(257, 'v')}}).ok());
  EXPECT_FALSE(ValidateTags({{"", "v"}}).ok());
  EXPECT_FALSE(ValidateTags({{"a", "1"}, {"a", "2"}}).ok());
  EXPECT_FALSE(ValidateTags({{"aws:x", "1"}}).ok());
}

TEST(Validate, TaggingRoundTrip) {
  std::vector<Tag> tags = {{"project", "blue sky"}, {"a&b", "c=d"}};
  std::string enc = EncodeTagging(tags);
  EXPECT_EQ(enc, "project=blue%20sky&a%26b=c%3Dd");
  auto back = DecodeTagging(enc);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, tags);
  EXPECT_FALSE(DecodeTagging("a=%zz").ok());
}

}  // namespace
}  // namespace s3fs::s3
