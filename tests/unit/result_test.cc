#include "s3fs/common/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "s3fs/common/secret.h"
#include "s3fs/common/strings.h"

namespace s3fs {
namespace {

struct Err {
  std::string what;
};

Result<int, Err> Half(int v) {
  if (v % 2 != 0) return Fail(Err{"odd"});
  return v / 2;
}

Result<int, Err> Quarter(int v) {
  S3FS_ASSIGN_OR_RETURN(int h, Half(v));
  S3FS_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Result<void, Err> CheckEven(int v) {
  S3FS_RETURN_IF_ERROR(Half(v));
  return {};
}

TEST(Result, ValueAndError) {
  auto ok = Half(8);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 4);
  auto bad = Half(3);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().what, "odd");
  EXPECT_EQ(bad.value_or(-1), -1);
}

TEST(Result, MacrosPropagate) {
  EXPECT_EQ(*Quarter(12), 3);
  EXPECT_EQ(Quarter(6).error().what, "odd");  // 6 -> 3 -> odd
  EXPECT_TRUE(CheckEven(2).ok());
  EXPECT_FALSE(CheckEven(1).ok());
}

TEST(Result, MoveOnlyValue) {
  Result<std::unique_ptr<int>, Err> r(std::make_unique<int>(7));
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

TEST(SecretString, WipesOnMoveAndCompares) {
  SecretString a("hunter2");
  SecretString b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from is wiped by contract
  EXPECT_EQ(b.reveal(), "hunter2");
  SecretString c(b);
  EXPECT_EQ(b, c);
}

TEST(Strings, ParseSize) {
  uint64_t v = 0;
  EXPECT_TRUE(str::ParseSize("10", &v));
  EXPECT_EQ(v, 10u);
  EXPECT_TRUE(str::ParseSize("64M", &v));
  EXPECT_EQ(v, 64u << 20);
  EXPECT_TRUE(str::ParseSize("1GB", &v));
  EXPECT_EQ(v, 1u << 30);
  EXPECT_FALSE(str::ParseSize("x1", &v));
  EXPECT_FALSE(str::ParseSize("", &v));
  EXPECT_FALSE(str::ParseSize("99999999999999999999T", &v));
}

TEST(Strings, SplitTrim) {
  auto parts = str::Split("a::b", ':');
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[1], "");
  EXPECT_EQ(str::Trim("  x y \n"), "x y");
  EXPECT_EQ(str::HumanBytes(1536), "1.5 KiB");
}

}  // namespace
}  // namespace s3fs
