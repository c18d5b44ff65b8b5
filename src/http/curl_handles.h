// Private helpers of the libcurl transport (src/http/curl_transport.cc) that do not need
// libcurl itself, so that unit tests can include this header without seeing <curl/curl.h>.
//
// Debug output redaction: with CurlOptions::verbose the transport logs the request and
// response header text. Secrets must never reach the log, so every line goes through
// RedactUrl(RedactHeaderLine(line)) first.
#ifndef S3FS_SRC_HTTP_CURL_HANDLES_H_
#define S3FS_SRC_HTTP_CURL_HANDLES_H_

#include <string>
#include <string_view>

namespace s3fs::http::internal {

// Returns `line` ("Name: value", no line terminator needed) with the value replaced by
// "[redacted]" when the header carries a secret: Authorization, Proxy-Authorization,
// X-Amz-Security-Token and every x-amz-[copy-source-]server-side-encryption-customer-key*
// header (names compared case-insensitively). Any other line is returned unchanged.
std::string RedactHeaderLine(std::string_view line);

// Returns `text` (a URL, a request line such as "GET /k?... HTTP/1.1", or an error message that
// may contain a URL) with the values of the X-Amz-Signature, X-Amz-Credential and
// X-Amz-Security-Token query parameters replaced by "[redacted]" (parameter names compared
// case-insensitively; a value ends at '&', '#', whitespace or the end of the text).
std::string RedactUrl(std::string_view text);

}  // namespace s3fs::http::internal

#endif  // S3FS_SRC_HTTP_CURL_HANDLES_H_
