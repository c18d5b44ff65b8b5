// The s3fs-fuse object layout, byte for byte as design.md records it from s3fs 1.90.
#include "s3fs/fs/layout.h"

#include <gtest/gtest.h>

namespace s3fs::fs {
namespace {

TEST(Layout, TimespecForms) {
  struct timespec t {};
  ASSERT_TRUE(ParseTimespec("1577934245", &t));
  EXPECT_EQ(t.tv_sec, 1577934245);
  EXPECT_EQ(t.tv_nsec, 0);
  ASSERT_TRUE(ParseTimespec("1577934245.123456789", &t));
  EXPECT_EQ(t.tv_nsec, 123456789);
  ASSERT_TRUE(ParseTimespec("1577934245.5", &t));
  EXPECT_EQ(t.tv_nsec, 500000000);
  EXPECT_FALSE(ParseTimespec("12x", &t));
  EXPECT_FALSE(ParseTimespec("1.1234567890", &t));
  EXPECT_EQ(FormatTimespec({1577934245, 123456789}), "1577934245.123456789");
  EXPECT_EQ(FormatTimespec({1577934245, 0}), "1577934245");
  EXPECT_EQ(FormatTimespec({5, 7}), "5.000000007");
}

TEST(Layout, XattrEncodingMatchesS3fs) {
  std::map<std::string, std::string> x{{"user.color", "blue"}};
  EXPECT_EQ(EncodeXattrs(x), "%7B%22user.color%22%3A%22Ymx1ZQ%3D%3D%22%7D");
  std::map<std::string, std::string> back;
  ASSERT_TRUE(DecodeXattrs("%7B%22user.color%22%3A%22Ymx1ZQ%3D%3D%22%7D", &back));
  EXPECT_EQ(back, x);
  std::map<std::string, std::string> odd{{"user.q\"uote", std::string("bin\0ary", 7)},
                                         {"user.empty", ""}};
  std::map<std::string, std::string> odd_back;
  ASSERT_TRUE(DecodeXattrs(EncodeXattrs(odd), &odd_back));
  EXPECT_EQ(odd_back, odd);
  std::map<std::string, std::string> bad;
  EXPECT_FALSE(DecodeXattrs("%7B%22a%22", &bad));
  EXPECT_FALSE(DecodeXattrs("not json", &bad));
}

TEST(Layout, AttrsRoundTrip) {
  StoredAttrs a;
  a.mode = 0100640;  // 33184
  a.uid = 1000;
  a.gid = 100;
  a.mtime = timespec{1577934245, 123456789};
  a.ctime = timespec{1577934246, 999};
  std::map<std::string, std::string> m;
  EncodeAttrs(a, &m);
  EXPECT_EQ(m["mode"], "33184");
  EXPECT_EQ(m["uid"], "1000");
  EXPECT_EQ(m["gid"], "100");
  EXPECT_EQ(m["mtime"], "1577934245.123456789");
  EXPECT_EQ(m["ctime"], "1577934246");  // s3fs writes ctime as whole seconds
  EXPECT_EQ(m.count("xattr"), 0u);
  StoredAttrs b = DecodeAttrs(m);
  EXPECT_EQ(*b.mode, 33184u);
  EXPECT_EQ(b.mtime->tv_nsec, 123456789);
  StoredAttrs junk = DecodeAttrs({{"mode", "abc"}, {"uid", "-1"}});
  EXPECT_FALSE(junk.mode.has_value());
  EXPECT_FALSE(junk.uid.has_value());
}

TEST(Layout, DirectoryObjects) {
  ObjectMeta m;
  m.key = "a/b/";
  EXPECT_TRUE(IsDirectoryObject(m));
  m.key = "a/b";
  EXPECT_FALSE(IsDirectoryObject(m));
  m.content_type = "application/x-directory";
  EXPECT_TRUE(IsDirectoryObject(m));
  m.content_type = "";
  m.key = "old_$folder$";
  EXPECT_TRUE(IsDirectoryObject(m));
  m.key = "x";
  m.metadata = {{"mode", "16877"}};  // 040755
  EXPECT_TRUE(IsDirectoryObject(m));
  m.metadata = {{"mode", "41471"}};  // symlink 0120777
  EXPECT_FALSE(IsDirectoryObject(m));
}

}  // namespace
}  // namespace s3fs::fs
