// Percent-encoding as AWS SigV4 and S3 require, and URL assembly helpers.
#ifndef S3FS_S3_URI_H_
#define S3FS_S3_URI_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3fs::s3::uri {

// RFC 3986 encoding: unreserved (A-Z a-z 0-9 - _ . ~) kept, every other byte %XX (upper hex).
// With keep_slash, '/' is kept (object key paths).
std::string Encode(std::string_view s, bool keep_slash = false);
// Decodes %XX (and '+' as space when plus_is_space). Returns false on malformed escapes.
bool Decode(std::string_view s, std::string* out, bool plus_is_space = false);

struct Url {
  std::string scheme;                                      // "http" or "https"
  std::string host;                                        // without port
  int port = 0;                                            // 0 = default for the scheme
  std::string path;                                        // encoded path, starts with "/"
  std::vector<std::pair<std::string, std::string>> query;  // decoded name/value pairs
  // "host" or "host:port" as the Host header must carry it (default ports omitted).
  std::string HostHeader() const;
};
// Parses an absolute http(s) URL. Returns false if it is not one.
bool Parse(std::string_view url, Url* out);

}  // namespace s3fs::s3::uri

#endif  // S3FS_S3_URI_H_
