// Fuzz target: URL parsing, percent-decoding and SigV4 canonicalisation/signing on arbitrary
// input (first line = URL, following lines = "Name: value" headers).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "s3fs/common/strings.h"
#include "s3fs/s3/sigv4.h"
#include "s3fs/s3/uri.h"

std::vector<std::string> FuzzSeeds() {
  return {
      "http://127.0.0.1:7480/bucket/key%20with%20space?uploads\nContent-Type: text/plain\n",
      "https://b.s3.amazonaws.com/a/b/../c/./d?list-type=2&prefix=x%2Fy&max-keys=10\n"
      "X-Amz-Meta-Mode:   33188   \nHost: b.s3.amazonaws.com\n",
      "https://[::1]:9000/b?x=%zz\nRange: bytes=0-1\n",
      "http://example.amazonaws.com/%E1%88%B4\nMy-Header1:  a   b   c \n",
  };
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace s3fs;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto lines = str::Split(in, '\n');
  std::string url = lines.empty() ? std::string() : lines[0];
  s3::uri::Url parsed;
  (void)s3::uri::Parse(url, &parsed);
  std::string decoded;
  (void)s3::uri::Decode(url, &decoded, true);
  http::Request req;
  req.method = http::Method::kPut;
  req.url = url;
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    req.headers.Add(lines[i].substr(0, colon), lines[i].substr(colon + 1));
  }
  s3::Credentials creds;
  creds.access_key_id = "AKIDEXAMPLE";
  creds.secret_access_key = SecretString("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  s3::SigningParams params;
  params.region = "us-east-1";
  params.time = std::chrono::system_clock::time_point(std::chrono::seconds(1440938160));
  s3::Signer signer;
  std::string signed_headers;
  (void)s3::Signer::CanonicalRequest(req.method, url, req.headers, s3::kUnsignedPayload, false,
                                     &signed_headers);
  (void)signer.Sign(req, creds, params, s3::kEmptySha256);
  (void)signer.Presign(http::Method::kGet, url, http::Headers(), creds, params,
                       std::chrono::seconds(60));
  return 0;
}
