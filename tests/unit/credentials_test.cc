#include "s3fs/s3/credentials.h"

#include <gtest/gtest.h>

namespace s3fs::s3 {
namespace {

TEST(Credentials, PasswdDefaultLine) {
  auto c = ParsePasswdFile("# comment\n\nAKID:SECRET\n", "bucket");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "AKID");
  EXPECT_EQ(c->secret_access_key.reveal(), "SECRET");
}

TEST(Credentials, PasswdPerBucketWins) {
  auto c = ParsePasswdFile("AKID:SECRET\nmybucket:BKID:BSECRET\nother:OKID:OSECRET\n", "mybucket");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "BKID");
  EXPECT_EQ(c->secret_access_key.reveal(), "BSECRET");
}

TEST(Credentials, PasswdKeyValueForm) {
  auto c = ParsePasswdFile("AWSAccessKeyId=AK\nAWSSecretKey=SK\n", "b");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "AK");
}

TEST(Credentials, PasswdErrorsNameLineNotSecret) {
  auto c = ParsePasswdFile("a:b:c:d-secret-part\n", "b");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("line 1"), std::string::npos);
  EXPECT_EQ(c.error().message.find("secret-part"), std::string::npos);
  EXPECT_FALSE(ParsePasswdFile("only:\n", "b").ok());
  auto none = ParsePasswdFile("other:K:S\n", "mine");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().kind, "CredentialsNotFound");
}

TEST(Credentials, PasswdModeRules) {
  EXPECT_TRUE(CheckPasswdFileMode("/root/.passwd-s3fs", 0100600).ok());
  EXPECT_FALSE(CheckPasswdFileMode("/root/.passwd-s3fs", 0100604).ok());
  EXPECT_FALSE(CheckPasswdFileMode("/root/.passwd-s3fs", 0100640).ok());
  EXPECT_TRUE(CheckPasswdFileMode("/etc/passwd-s3fs", 0100640).ok());
  EXPECT_FALSE(CheckPasswdFileMode("/etc/passwd-s3fs", 0100644).ok());
}

TEST(Credentials, AwsSharedFile) {
  const char* file =
      "[default]\naws_access_key_id = D\naws_secret_access_key = DS\n"
      "[work]\naws_access_key_id=W\naws_secret_access_key=WS\naws_session_token=T\n";
  auto d = ParseAwsCredentialsFile(file, "default", false);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->access_key_id, "D");
  auto w = ParseAwsCredentialsFile(file, "work", false);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->session_token.reveal(), "T");
  EXPECT_FALSE(ParseAwsCredentialsFile(file, "missing", false).ok());
  auto cfg = ParseAwsCredentialsFile("[profile p]\naws_access_key_id=P\naws_secret_access_key=PS\n",
                                     "p", true);
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->access_key_id, "P");
}

}  // namespace
}  // namespace s3fs::s3
