#include "s3fs/fs/layout.h"

#include <cctype>

#include "s3fs/common/strings.h"
#include "s3fs/s3/crypto.h"
#include "s3fs/s3/uri.h"

namespace s3fs::fs {

bool ParseTimespec(std::string_view text, struct timespec* out) {
  text = str::Trim(text);
  size_t dot = text.find('.');
  int64_t sec = 0;
  if (!str::ParseInt64(text.substr(0, dot), &sec)) return false;
  long nsec = 0;
  if (dot != std::string_view::npos) {
    std::string_view frac = text.substr(dot + 1);
    if (frac.empty() || frac.size() > 9) return false;
    for (char c : frac) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    }
    std::string padded(frac);
    padded.resize(9, '0');
    nsec = std::stol(padded);
  }
  out->tv_sec = static_cast<time_t>(sec);
  out->tv_nsec = nsec;
  return true;
}

std::string FormatTimespec(const struct timespec& t) {
  if (t.tv_nsec == 0) return std::to_string(static_cast<int64_t>(t.tv_sec));
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lld.%09ld", static_cast<long long>(t.tv_sec), t.tv_nsec);
  return buf;
}

namespace {

std::optional<uint32_t> ParseU32(const std::map<std::string, std::string>& m, const char* name) {
  auto it = m.find(name);
  if (it == m.end()) return std::nullopt;
  uint64_t v = 0;
  if (!str::ParseUint64(str::Trim(it->second), &v) || v > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(v);
}

std::optional<struct timespec> ParseTime(const std::map<std::string, std::string>& m,
                                         const char* name) {
  auto it = m.find(name);
  if (it == m.end()) return std::nullopt;
  struct timespec t {};
  if (!ParseTimespec(it->second, &t)) return std::nullopt;
  return t;
}

// Minimal JSON for {"name":"base64",...}: names and values are JSON strings.
bool ParseJsonString(std::string_view s, size_t* pos, std::string* out) {
  if (*pos >= s.size() || s[*pos] != '"') return false;
  ++*pos;
  out->clear();
  while (*pos < s.size()) {
    char c = s[(*pos)++];
    if (c == '"') return true;
    if (c == '\\') {
      if (*pos >= s.size()) return false;
      char e = s[(*pos)++];
      switch (e) {
        case '"':
          out->push_back('"');
          break;
        case '\\':
          out->push_back('\\');
          break;
        case '/':
          out->push_back('/');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'u': {
          if (*pos + 4 > s.size()) return false;
          unsigned v = 0;
          for (int i = 0; i < 4; ++i) {
            char h = s[(*pos)++];
            v <<= 4;
            if (h >= '0' && h <= '9')
              v |= static_cast<unsigned>(h - '0');
            else if (h >= 'a' && h <= 'f')
              v |= static_cast<unsigned>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F')
              v |= static_cast<unsigned>(h - 'A' + 10);
            else
              return false;
          }
          if (v < 0x80) {
            out->push_back(static_cast<char>(v));
          } else if (v < 0x800) {
            out->push_back(static_cast<char>(0xC0 | (v >> 6)));
            out->push_back(static_cast<char>(0x80 | (v & 0x3F)));
          } else {
            out->push_back(static_cast<char>(0xE0 | (v >> 12)));
            out->push_back(static_cast<char>(0x80 | ((v >> 6) & 0x3F)));
            out->push_back(static_cast<char>(0x80 | (v & 0x3F)));
          }
          break;
        }
        default:
          return false;
      }
    } else {
      out->push_back(c);
    }
  }
  return false;
}

void SkipSpace(std::string_view s, size_t* pos) {
  while (*pos < s.size() && std::isspace(static_cast<unsigned char>(s[*pos]))) ++*pos;
}

std::string JsonQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

bool DecodeXattrs(std::string_view encoded, std::map<std::string, std::string>* out) {
  std::string json;
  if (!s3::uri::Decode(encoded, &json)) return false;
  size_t pos = 0;
  SkipSpace(json, &pos);
  if (pos >= json.size() || json[pos] != '{') return false;
  ++pos;
  SkipSpace(json, &pos);
  if (pos < json.size() && json[pos] == '}') return true;
  while (pos < json.size()) {
    std::string name;
    std::string b64;
    SkipSpace(json, &pos);
    if (!ParseJsonString(json, &pos, &name)) return false;
    SkipSpace(json, &pos);
    if (pos >= json.size() || json[pos] != ':') return false;
    ++pos;
    SkipSpace(json, &pos);
    if (!ParseJsonString(json, &pos, &b64)) return false;
    std::string value;
    if (!s3::crypto::Base64Decode(b64, &value)) return false;
    (*out)[name] = value;
    SkipSpace(json, &pos);
    if (pos < json.size() && json[pos] == ',') {
      ++pos;
      continue;
    }
    if (pos < json.size() && json[pos] == '}') return true;
    return false;
  }
  return false;
}

std::string EncodeXattrs(const std::map<std::string, std::string>& xattrs) {
  std::string json = "{";
  bool first = true;
  for (const auto& [name, value] : xattrs) {
    if (!first) json += ",";
    first = false;
    json += JsonQuote(name) + ":" + JsonQuote(s3::crypto::Base64Encode(value));
  }
  json += "}";
  return s3::uri::Encode(json);
}

StoredAttrs DecodeAttrs(const std::map<std::string, std::string>& m) {
  StoredAttrs a;
  a.mode = ParseU32(m, "mode");
  a.uid = ParseU32(m, "uid");
  a.gid = ParseU32(m, "gid");
  a.mtime = ParseTime(m, "mtime");
  a.atime = ParseTime(m, "atime");
  a.ctime = ParseTime(m, "ctime");
  if (auto it = m.find("xattr"); it != m.end()) DecodeXattrs(it->second, &a.xattrs);
  return a;
}

void EncodeAttrs(const StoredAttrs& a, std::map<std::string, std::string>* m) {
  if (a.mode) (*m)["mode"] = std::to_string(*a.mode);
  if (a.uid) (*m)["uid"] = std::to_string(*a.uid);
  if (a.gid) (*m)["gid"] = std::to_string(*a.gid);
  if (a.mtime) (*m)["mtime"] = FormatTimespec(*a.mtime);
  if (a.atime) (*m)["atime"] = FormatTimespec(*a.atime);
  if (a.ctime) (*m)["ctime"] = std::to_string(static_cast<int64_t>(a.ctime->tv_sec));
  if (!a.xattrs.empty()) {
    (*m)["xattr"] = EncodeXattrs(a.xattrs);
  } else {
    m->erase("xattr");
  }
}

struct timespec ToTimespec(s3::TimePoint t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  struct timespec ts {};
  ts.tv_sec = static_cast<time_t>(ns / 1000000000);
  ts.tv_nsec = static_cast<long>(ns % 1000000000);
  return ts;
}

bool IsDirectoryObject(const ObjectMeta& meta) {
  if (str::EndsWith(meta.key, "/")) return true;
  if (str::EndsWith(meta.key, "_$folder$")) return true;
  if (str::StartsWith(meta.content_type, kDirContentType)) return true;
  if (auto it = meta.metadata.find("mode"); it != meta.metadata.end()) {
    uint64_t v = 0;
    if (str::ParseUint64(it->second, &v) && S_ISDIR(static_cast<mode_t>(v))) return true;
  }
  return false;
}

}  // namespace s3fs::fs
