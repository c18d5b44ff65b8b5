// SigV4 against AWS's published test vectors: the generic SigV4 test suite (service
// "service", credentials AKIDEXAMPLE, 2015-08-30) and the S3 examples of the S3 API reference
// ("Signature Calculations for the Authorization Header", "Authenticating Requests: Using Query
// Parameters", credentials AKIAIOSFODNN7EXAMPLE, 2013-05-24).
#include "s3fs/s3/sigv4.h"

#include <gtest/gtest.h>

#include "s3fs/s3/crypto.h"

namespace s3fs::s3 {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

Credentials SuiteCreds() {
  Credentials c;
  c.access_key_id = "AKIDEXAMPLE";
  c.secret_access_key = SecretString("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  return c;
}

Credentials S3Creds() {
  Credentials c;
  c.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  c.secret_access_key = SecretString("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  return c;
}

const system_clock::time_point kSuiteTime(seconds(1440938160));  // 20150830T123600Z
const system_clock::time_point kS3Time(seconds(1369353600));     // 20130524T000000Z

SignatureParts SignSuite(http::Method m, const std::string& url,
                         std::vector<std::pair<std::string, std::string>> headers = {}) {
  http::Request req;
  req.method = m;
  req.url = url;
  req.headers.Set("Host", "example.amazonaws.com");
  for (auto& [k, v] : headers) req.headers.Add(k, v);
  SigningParams p;
  p.region = "us-east-1";
  p.service = "service";
  p.time = kSuiteTime;
  p.s3_path_rules = false;
  return Signer().Sign(req, SuiteCreds(), p, kEmptySha256);
}

constexpr const char* kSuitePrefix =
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=";

TEST(SigV4Suite, GetVanilla) {
  auto p = SignSuite(http::Method::kGet, "https://example.amazonaws.com/");
  EXPECT_EQ(p.canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(p.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(p.authorization,
            std::string(kSuitePrefix) +
                "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4Suite, GetVanillaQueryOrderKeyCase) {
  auto p =
      SignSuite(http::Method::kGet, "https://example.amazonaws.com/?Param2=value2&Param1=value1");
  EXPECT_NE(p.canonical_request.find("\nParam1=value1&Param2=value2\n"), std::string::npos);
  EXPECT_EQ(p.authorization,
            std::string(kSuitePrefix) +
                "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(SigV4Suite, PostVanilla) {
  auto p = SignSuite(http::Method::kPost, "https://example.amazonaws.com/");
  EXPECT_EQ(p.authorization,
            std::string(kSuitePrefix) +
                "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

TEST(SigV4Suite, HeaderValuesTrimmedAndNamesSorted) {
  http::Headers h;
  h.Set("My-Header1", "  a   b   c ");
  h.Set("Host", "example.amazonaws.com");
  h.Set("X-Amz-Date", "20150830T123600Z");
  std::string signed_headers;
  std::string creq = Signer::CanonicalRequest(http::Method::kGet, "https://example.amazonaws.com/",
                                              h, kEmptySha256, false, &signed_headers);
  EXPECT_EQ(signed_headers, "host;my-header1;x-amz-date");
  EXPECT_NE(creq.find("my-header1:a b c\n"), std::string::npos);
}

TEST(SigV4Suite, PathNormalisationOnlyOutsideS3) {
  http::Headers h;
  h.Set("Host", "example.amazonaws.com");
  std::string sh;
  std::string generic =
      Signer::CanonicalRequest(http::Method::kGet, "https://example.amazonaws.com/a/./b/../c//d", h,
                               kEmptySha256, false, &sh);
  EXPECT_EQ(generic.substr(0, 10), "GET\n/a/c/d");
  std::string s3 =
      Signer::CanonicalRequest(http::Method::kGet, "https://example.amazonaws.com/a/./b/../c//d", h,
                               kEmptySha256, true, &sh);
  EXPECT_EQ(s3.substr(0, 19), "GET\n/a/./b/../c//d\n");
}

SigningParams S3Params() {
  SigningParams p;
  p.region = "us-east-1";
  p.service = "s3";
  p.time = kS3Time;
  return p;
}

TEST(SigV4S3, GetObjectWithRange) {
  http::Request req;
  req.method = http::Method::kGet;
  req.url = "https://examplebucket.s3.amazonaws.com/test.txt";
  req.headers.Set("Range", "bytes=0-9");
  auto p = Signer().Sign(req, S3Creds(), S3Params(), kEmptySha256);
  EXPECT_EQ(p.canonical_request,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(p.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(p.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(req.headers.Get("Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4S3, PutObject) {
  http::Request req;
  req.method = http::Method::kPut;
  req.url = "https://examplebucket.s3.amazonaws.com/test%24file.text";
  req.headers.Set("Date", "Fri, 24 May 2013 00:00:00 GMT");
  req.headers.Set("x-amz-storage-class", "REDUCED_REDUNDANCY");
  std::string body = "Welcome to Amazon S3.";
  auto p = Signer().Sign(req, S3Creds(), S3Params(), crypto::Sha256Hex(body));
  EXPECT_EQ(crypto::Sha256Hex(body),
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  EXPECT_EQ(p.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4S3, GetBucketLifecycle) {
  http::Request req;
  req.url = "https://examplebucket.s3.amazonaws.com/?lifecycle";
  auto p = Signer().Sign(req, S3Creds(), S3Params(), kEmptySha256);
  EXPECT_NE(p.canonical_request.find("\nlifecycle=\n"), std::string::npos);
  EXPECT_EQ(p.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4S3, ListObjects) {
  http::Request req;
  req.url = "https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J";
  auto p = Signer().Sign(req, S3Creds(), S3Params(), kEmptySha256);
  EXPECT_EQ(p.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4S3, PresignedGet) {
  SignatureParts parts;
  std::string url =
      Signer().Presign(http::Method::kGet, "https://examplebucket.s3.amazonaws.com/test.txt",
                       http::Headers(), S3Creds(), S3Params(), seconds(86400), &parts);
  EXPECT_EQ(parts.signature, "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  EXPECT_EQ(url,
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(SigV4S3, SessionTokenIsSignedAndSent) {
  Credentials c = S3Creds();
  c.session_token = SecretString("TOKEN");
  http::Request req;
  req.url = "https://examplebucket.s3.amazonaws.com/k";
  auto p = Signer().Sign(req, c, S3Params(), kEmptySha256);
  EXPECT_EQ(req.headers.Get("x-amz-security-token"), "TOKEN");
  EXPECT_NE(p.signed_headers.find("x-amz-security-token"), std::string::npos);
  std::string url =
      Signer().Presign(http::Method::kGet, req.url, http::Headers(), c, S3Params(), seconds(60));
  EXPECT_NE(url.find("X-Amz-Security-Token=TOKEN"), std::string::npos);
}

TEST(SigV4S3, SigningKeyCacheDoesNotLeakAcrossCredentials) {
  Signer s;
  http::Request a;
  a.url = "https://examplebucket.s3.amazonaws.com/test.txt";
  a.headers.Set("Range", "bytes=0-9");
  http::Request b = a;
  Credentials other = S3Creds();
  other.secret_access_key = SecretString("different");
  auto pa = s.Sign(a, S3Creds(), S3Params(), kEmptySha256);
  auto pb = s.Sign(b, other, S3Params(), kEmptySha256);
  EXPECT_NE(pa.signature, pb.signature);
  EXPECT_EQ(s.Sign(a, S3Creds(), S3Params(), kEmptySha256).signature, pa.signature);
}

}  // namespace
}  // namespace s3fs::s3
