#include "s3fs/s3/json_flat.h"

#include <gtest/gtest.h>

namespace s3fs::s3::json {
namespace {

std::string Get(const FlatObject& o, const std::string& k) {
  auto it = o.find(k);
  return it == o.end() ? "<absent>" : std::string(it->second.reveal());
}

TEST(JsonFlat, ImdsAnswer) {
  auto o = ParseFlatObject(R"({
  "Code" : "Success",
  "LastUpdated" : "2012-04-26T16:39:16Z",
  "Type" : "AWS-HMAC",
  "AccessKeyId" : "ASIAEXAMPLE",
  "SecretAccessKey" : "wJalr/K7MDENG+bPxRfiCY",
  "Token" : "token==",
  "Expiration" : "2017-05-17T15:09:54Z"
})");
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->size(), 7u);
  EXPECT_EQ(Get(*o, "SecretAccessKey"), "wJalr/K7MDENG+bPxRfiCY");
  EXPECT_EQ(Get(*o, "Expiration"), "2017-05-17T15:09:54Z");
}

TEST(JsonFlat, EmptyObjectAndScalars) {
  auto e = ParseFlatObject(" {} ");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->empty());
  auto o = ParseFlatObject(R"({"a":-1.5e+3,"b":true,"c":false,"d":null,"e":0})");
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(Get(*o, "a"), "-1.5e+3");
  EXPECT_EQ(Get(*o, "b"), "true");
  EXPECT_EQ(Get(*o, "d"), "null");
  EXPECT_EQ(Get(*o, "e"), "0");
}

TEST(JsonFlat, Escapes) {
  auto o = ParseFlatObject(R"({"k":"a\"b\\c\/d\n\t\u00e9\u20ac\ud83d\ude00"})");
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(Get(*o, "k"), "a\"b\\c/d\n\t\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
}

TEST(JsonFlat, MalformedInputIsAClearError) {
  const char* bad[] = {
      "",
      "[]",
      "\"str\"",
      "{",
      "{\"a\"}",
      "{\"a\":}",
      "{\"a\":\"b\",}",
      "{\"a\":\"b\"",
      "{\"a\":\"b\"} x",
      "{\"a\":\"b\"}{}",
      "{a:\"b\"}",
      "{'a':'b'}",
      "{\"a\":{\"b\":\"c\"}}",
      "{\"a\":[1]}",
      "{\"a\":\"b\",\"a\":\"c\"}",
      "{\"a\":\"unterminated}",
      "{\"a\":\"bad \\x escape\"}",
      "{\"a\":\"\\u12\"}",
      "{\"a\":\"\\uZZZZ\"}",
      "{\"a\":\"\\ud83d\"}",
      "{\"a\":\"\\ude00\"}",
      "{\"a\":\"line\nbreak\"}",
      "{\"a\":01}",
      "{\"a\":1.}",
      "{\"a\":-}",
      "{\"a\":1e}",
      "{\"a\":tru}",
      "{\"a\":nul}",
  };
  for (const char* text : bad) {
    auto o = ParseFlatObject(text);
    ASSERT_FALSE(o.ok()) << "accepted: " << text;
    EXPECT_EQ(o.error().kind, "InvalidJson") << text;
    EXPECT_NE(o.error().message.find("at byte"), std::string::npos) << o.error().message;
  }
}

TEST(JsonFlat, ErrorsNeverQuoteTheContent) {
  auto o = ParseFlatObject(R"({"SecretAccessKey":"topsecret-value" "Token":"x"})");
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().message.find("topsecret"), std::string::npos);
  EXPECT_NE(o.error().message.find("expected ',' or '}'"), std::string::npos);
}

}  // namespace
}  // namespace s3fs::s3::json
