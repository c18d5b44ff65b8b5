#include "s3fs/s3/uri.h"

#include "s3fs/common/strings.h"

namespace s3fs::s3::uri {

std::string Encode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() + s.size() / 4);
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    bool unreserved = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') ||
                      u == '-' || u == '_' || u == '.' || u == '~';
    if (unreserved || (keep_slash && c == '/')) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    }
  }
  return out;
}

bool Decode(std::string_view s, std::string* out, bool plus_is_space) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  out->clear();
  out->reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return false;
      int hi = hex(s[i + 1]);
      int lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi << 4 | lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

std::string Url::HostHeader() const {
  bool default_port =
      port == 0 || (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return default_port ? h : h + ":" + std::to_string(port);
}

bool Parse(std::string_view url, Url* out) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return false;
  out->scheme = str::ToLower(url.substr(0, scheme_end));
  if (out->scheme != "http" && out->scheme != "https") return false;
  std::string_view rest = url.substr(scheme_end + 3);
  size_t path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return false;
  out->port = 0;
  if (authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    out->host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return false;
      uint64_t p = 0;
      if (!str::ParseUint64(after.substr(1), &p) || p == 0 || p > 65535) return false;
      out->port = static_cast<int>(p);
    }
  } else {
    size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      uint64_t p = 0;
      if (!str::ParseUint64(authority.substr(colon + 1), &p) || p == 0 || p > 65535) return false;
      out->port = static_cast<int>(p);
      authority = authority.substr(0, colon);
    }
    out->host = str::ToLower(authority);
  }
  if (out->host.empty()) return false;
  out->path = "/";
  out->query.clear();
  if (path_start == std::string_view::npos) return true;
  std::string_view tail = rest.substr(path_start);
  size_t q = tail.find('?');
  std::string_view path = tail.substr(0, q);
  size_t hash = path.find('#');
  if (hash != std::string_view::npos) path = path.substr(0, hash);
  if (!path.empty()) out->path = std::string(path);
  if (q != std::string_view::npos) {
    std::string_view query = tail.substr(q + 1);
    size_t h = query.find('#');
    if (h != std::string_view::npos) query = query.substr(0, h);
    for (const auto& part : str::Split(query, '&')) {
      if (part.empty()) continue;
      size_t eq = part.find('=');
      std::string name;
      std::string value;
      if (!Decode(std::string_view(part).substr(0, eq), &name)) return false;
      if (eq != std::string::npos && !Decode(std::string_view(part).substr(eq + 1), &value)) {
        return false;
      }
      out->query.emplace_back(std::move(name), std::move(value));
    }
  }
  return true;
}

}  // namespace s3fs::s3::uri
