#include "s3fs/s3/sigv4.h"

#include <algorithm>
#include <ctime>
#include <map>

#include "s3fs/common/strings.h"
#include "s3fs/s3/crypto.h"
#include "s3fs/s3/uri.h"

namespace s3fs::s3 {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

std::string FormatUtc(std::chrono::system_clock::time_point t, const char* fmt) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, fmt, &tm);
  return buf;
}

// Header values: trimmed, inner runs of spaces collapsed to one.
std::string CanonicalHeaderValue(std::string_view v) {
  v = str::Trim(v);
  std::string out;
  out.reserve(v.size());
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      if (!space) out += ' ';
      space = true;
    } else {
      out += c;
      space = false;
    }
  }
  return out;
}

// Removes "." and ".." segments and empty segments (generic AWS services, not S3).
std::string NormalizePath(const std::string& decoded) {
  std::vector<std::string> out;
  for (const auto& seg : str::Split(decoded, '/')) {
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(seg);
  }
  std::string path;
  for (const auto& seg : out) path += "/" + uri::Encode(seg);
  if (path.empty()) path = "/";
  if (decoded.size() > 1 && decoded.back() == '/' && path != "/") path += "/";
  return path;
}

std::string CanonicalQuery(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> enc;
  enc.reserve(query.size());
  for (const auto& [k, v] : query) enc.emplace_back(uri::Encode(k), uri::Encode(v));
  std::sort(enc.begin(), enc.end());
  std::string out;
  for (const auto& [k, v] : enc) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;
  }
  return out;
}

}  // namespace

std::string Signer::AmzDate(std::chrono::system_clock::time_point t) {
  return FormatUtc(t, "%Y%m%dT%H%M%SZ");
}

std::string Signer::DateStamp(std::chrono::system_clock::time_point t) {
  return FormatUtc(t, "%Y%m%d");
}

std::string Signer::CanonicalRequest(http::Method method, const std::string& url,
                                     const http::Headers& headers, std::string_view payload_hash,
                                     bool s3_path_rules, std::string* signed_headers) {
  uri::Url u;
  if (!uri::Parse(url, &u)) u.path = "/";
  std::string path = u.path;
  if (!s3_path_rules) {
    std::string decoded;
    if (!uri::Decode(path, &decoded)) decoded = path;
    path = NormalizePath(decoded);
  }
  // Sorted, lower-cased, multi-valued headers joined with ','.
  std::map<std::string, std::string> canon;
  for (const auto& [name, value] : headers.entries()) {
    std::string lname = str::ToLower(name);
    std::string v = CanonicalHeaderValue(value);
    auto it = canon.find(lname);
    if (it == canon.end()) {
      canon.emplace(std::move(lname), std::move(v));
    } else {
      it->second += "," + v;
    }
  }
  if (canon.find("host") == canon.end()) canon["host"] = u.HostHeader();
  // Header values may be secrets (a session token, an SSE-C key): every buffer that holds
  // them is sized up front (no reallocation leaves a copy behind) and wiped after use.
  size_t block_size = 0;
  for (const auto& [k, v] : canon) block_size += k.size() + v.size() + 2;
  std::string header_block;
  header_block.reserve(block_size);
  std::string names;
  for (const auto& [k, v] : canon) {
    header_block.append(k).append(":").append(v).append("\n");
    if (!names.empty()) names += ';';
    names += k;
  }
  if (signed_headers != nullptr) *signed_headers = names;
  const std::string query = CanonicalQuery(u.query);
  std::string out;
  out.reserve(16 + path.size() + query.size() + header_block.size() + names.size() +
              payload_hash.size());
  out += http::MethodName(method);
  out += '\n';
  out += path;
  out += '\n';
  out += query;
  out += '\n';
  out += header_block;
  out += '\n';
  out += names;
  out += '\n';
  out += payload_hash;
  SecureWipe(header_block.data(), header_block.size());
  for (auto& [k, v] : canon) {
    if (http::IsSecretHeader(k)) SecureWipe(v.data(), v.size());
  }
  return out;
}

std::string Signer::SigningKey(const Credentials& creds, const std::string& date,
                               const std::string& region, const std::string& service) const {
  std::string id = creds.access_key_id + "/" + date + "/" + region + "/" + service;
  std::lock_guard lock(mu_);
  if (id == cache_id_ && !cache_key_.empty() &&
      crypto::ConstantTimeEquals(cache_secret_.reveal(), creds.secret_access_key.reveal())) {
    return std::string(cache_key_.reveal());
  }
  std::string secret = "AWS4" + std::string(creds.secret_access_key.reveal());
  std::string k = crypto::HmacSha256(secret, date);
  SecureWipe(secret.data(), secret.size());
  k = crypto::HmacSha256(k, region);
  k = crypto::HmacSha256(k, service);
  k = crypto::HmacSha256(k, "aws4_request");
  cache_id_ = id;
  cache_secret_ = creds.secret_access_key;
  cache_key_ = SecretString(k);
  return k;
}

SignatureParts Signer::Sign(http::Request& req, const Credentials& creds,
                            const SigningParams& params, std::string_view payload_hash) const {
  SignatureParts parts;
  std::string amz_date = AmzDate(params.time);
  std::string date = DateStamp(params.time);
  req.headers.Remove("Authorization");
  req.headers.Set("x-amz-date", amz_date);
  if (params.service == "s3") req.headers.Set("x-amz-content-sha256", std::string(payload_hash));
  if (!creds.session_token.empty()) {
    req.headers.Set("x-amz-security-token", std::string(creds.session_token.reveal()));
  }
  if (!req.headers.Has("Host")) {
    uri::Url u;
    if (uri::Parse(req.url, &u)) req.headers.Set("Host", u.HostHeader());
  }
  parts.canonical_request = CanonicalRequest(req.method, req.url, req.headers, payload_hash,
                                             params.s3_path_rules, &parts.signed_headers);
  std::string scope = date + "/" + params.region + "/" + params.service + "/aws4_request";
  parts.string_to_sign = std::string(kAlgorithm) + "\n" + amz_date + "\n" + scope + "\n" +
                         crypto::Sha256Hex(parts.canonical_request);
  std::string key = SigningKey(creds, date, params.region, params.service);
  parts.signature = crypto::HexEncode(crypto::HmacSha256(key, parts.string_to_sign));
  SecureWipe(key.data(), key.size());
  parts.authorization = std::string(kAlgorithm) + " Credential=" + creds.access_key_id + "/" +
                        scope + ", SignedHeaders=" + parts.signed_headers +
                        ", Signature=" + parts.signature;
  req.headers.Set("Authorization", parts.authorization);
  return parts;
}

std::string Signer::Presign(http::Method method, const std::string& url,
                            const http::Headers& headers, const Credentials& creds,
                            const SigningParams& params, std::chrono::seconds expires_in,
                            SignatureParts* out_parts) const {
  SignatureParts parts;
  std::string amz_date = AmzDate(params.time);
  std::string date = DateStamp(params.time);
  std::string scope = date + "/" + params.region + "/" + params.service + "/aws4_request";
  http::Headers h = headers;
  uri::Url u;
  if (!uri::Parse(url, &u)) return url;
  if (!h.Has("Host")) h.Set("Host", u.HostHeader());
  // Signed header names are needed before the canonical request is built.
  std::map<std::string, int> names;
  for (const auto& [k, v] : h.entries()) names[str::ToLower(k)] = 1;
  std::string signed_headers;
  for (const auto& [k, v] : names) signed_headers += (signed_headers.empty() ? "" : ";") + k;
  std::string full = url;
  char sep = url.find('?') == std::string::npos ? '?' : '&';
  auto add = [&](const std::string& k, const std::string& v) {
    full += sep;
    sep = '&';
    full += uri::Encode(k) + "=" + uri::Encode(v);
  };
  add("X-Amz-Algorithm", std::string(kAlgorithm));
  add("X-Amz-Credential", creds.access_key_id + "/" + scope);
  add("X-Amz-Date", amz_date);
  add("X-Amz-Expires", std::to_string(expires_in.count()));
  add("X-Amz-SignedHeaders", signed_headers);
  if (!creds.session_token.empty()) {
    add("X-Amz-Security-Token", std::string(creds.session_token.reveal()));
  }
  parts.canonical_request = CanonicalRequest(method, full, h, kUnsignedPayload,
                                             params.s3_path_rules, &parts.signed_headers);
  parts.string_to_sign = std::string(kAlgorithm) + "\n" + amz_date + "\n" + scope + "\n" +
                         crypto::Sha256Hex(parts.canonical_request);
  std::string key = SigningKey(creds, date, params.region, params.service);
  parts.signature = crypto::HexEncode(crypto::HmacSha256(key, parts.string_to_sign));
  SecureWipe(key.data(), key.size());
  full += "&X-Amz-Signature=" + parts.signature;
  if (out_parts != nullptr) *out_parts = parts;
  return full;
}

}  // namespace s3fs::s3
