#include "s3fs/s3/validate.h"

#include <set>

#include "s3fs/common/strings.h"
#include "s3fs/s3/uri.h"

namespace s3fs::s3 {

namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool LooksLikeIpv4(std::string_view s) {
  auto parts = str::Split(s, '.');
  if (parts.size() != 4) return false;
  for (const auto& p : parts) {
    uint64_t v = 0;
    if (!str::ParseUint64(p, &v) || v > 255) return false;
  }
  return true;
}

}  // namespace

S3Status ValidateBucketName(std::string_view b, bool legacy) {
  auto fail = [&](const std::string& why) {
    return Fail(ValidationError("InvalidBucketName",
                                "invalid bucket name '" + std::string(b) + "': " + why));
  };
  if (b.size() < 3 || b.size() > (legacy ? 255 : 63)) {
    return fail(legacy ? "must be 3 to 255 characters" : "must be 3 to 63 characters");
  }
  for (char c : b) {
    bool ok = IsLowerAlnum(c) || c == '-' || c == '.';
    if (legacy) ok = ok || (c >= 'A' && c <= 'Z') || c == '_';
    if (!ok) {
      return fail(legacy ? "only letters, digits, '.', '-' and '_' are allowed"
                         : "only lower-case letters, digits, '.' and '-' are allowed");
    }
  }
  auto alnum = [&](char c) { return IsLowerAlnum(c) || (legacy && c >= 'A' && c <= 'Z'); };
  if (!alnum(b.front()) || !alnum(b.back())) {
    return fail("must start and end with a letter or digit");
  }
  if (!legacy) {
    if (b.find("..") != std::string_view::npos) return fail("must not contain '..'");
    if (LooksLikeIpv4(b)) return fail("must not look like an IP address");
    if (str::StartsWith(b, "xn--")) return fail("must not start with 'xn--'");
    if (str::EndsWith(b, "-s3alias")) return fail("must not end with '-s3alias'");
  }
  return {};
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates, out of range.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

S3Status ValidateKey(std::string_view key) {
  if (key.empty()) return Fail(ValidationError("InvalidObjectKey", "object key is empty"));
  if (key.size() > kMaxKeyBytes) {
    return Fail(ValidationError("InvalidObjectKey", "object key is " + std::to_string(key.size()) +
                                                        " bytes; S3 allows at most 1024"));
  }
  if (!IsValidUtf8(key)) {
    return Fail(ValidationError("InvalidObjectKey", "object key is not valid UTF-8"));
  }
  return {};
}

S3Status ValidateMetadata(const std::map<std::string, std::string>& metadata) {
  size_t total = 0;
  for (const auto& [name, value] : metadata) {
    if (name.empty()) return Fail(ValidationError("ValidationError", "empty metadata name"));
    for (char c : name) {
      unsigned char u = static_cast<unsigned char>(c);
      bool token = u > 0x20 && u < 0x7F &&
                   std::string_view("()<>@,;:\\\"/[]?={}").find(c) == std::string_view::npos;
      if (!token) {
        return Fail(ValidationError("ValidationError",
                                    "metadata name '" + name + "' has a character HTTP forbids"));
      }
    }
    for (char c : value) {
      unsigned char u = static_cast<unsigned char>(c);
      if (u < 0x20 || u >= 0x7F) {
        return Fail(ValidationError("ValidationError",
                                    "metadata '" + name + "' value must be printable ASCII"));
      }
    }
    total += name.size() + value.size();
  }
  if (total > kMaxUserMetadataBytes) {
    return Fail(ValidationError("ValidationError", "user metadata is " + std::to_string(total) +
                                                       " bytes; S3 allows at most 2048"));
  }
  return {};
}

S3Status ValidateTags(const std::vector<Tag>& tags) {
  if (tags.size() > kMaxTags) {
    return Fail(ValidationError("ValidationError",
                                std::to_string(tags.size()) + " tags given; S3 allows at most 10"));
  }
  std::set<std::string> seen;
  for (const auto& t : tags) {
    if (!IsValidUtf8(t.key) || !IsValidUtf8(t.value)) {
      return Fail(ValidationError("ValidationError", "tag is not valid UTF-8"));
    }
    size_t kl = Utf8Length(t.key);
    if (kl == 0 || kl > kMaxTagKeyChars) {
      return Fail(ValidationError("ValidationError",
                                  "tag key must be 1 to 128 characters: '" + t.key + "'"));
    }
    if (Utf8Length(t.value) > kMaxTagValueChars) {
      return Fail(ValidationError("ValidationError",
                                  "tag value of '" + t.key + "' exceeds 256 characters"));
    }
    if (str::StartsWith(t.key, "aws:")) {
      return Fail(ValidationError("ValidationError", "tag keys starting with 'aws:' are reserved"));
    }
    if (!seen.insert(t.key).second) {
      return Fail(ValidationError("ValidationError", "duplicate tag key '" + t.key + "'"));
    }
  }
  return {};
}

std::string EncodeTagging(const std::vector<Tag>& tags) {
  std::string out;
  for (const auto& t : tags) {
    if (!out.empty()) out += '&';
    out += uri::Encode(t.key);
    out += '=';
    out += uri::Encode(t.value);
  }
  return out;
}

S3Result<std::vector<Tag>> DecodeTagging(std::string_view text) {
  std::vector<Tag> tags;
  if (text.empty()) return tags;
  for (const auto& pair : str::Split(text, '&')) {
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    Tag t;
    std::string_view k = std::string_view(pair).substr(0, eq);
    std::string_view v =
        eq == std::string::npos ? std::string_view() : std::string_view(pair).substr(eq + 1);
    if (!uri::Decode(k, &t.key, true) || !uri::Decode(v, &t.value, true)) {
      return Fail(
          ValidationError("ValidationError", "malformed tagging '" + std::string(text) + "'"));
    }
    tags.push_back(std::move(t));
  }
  S3FS_RETURN_IF_ERROR(ValidateTags(tags));
  return tags;
}

bool IsKnownStorageClass(const std::string& name) {
  static const std::set<std::string> kClasses = {
      "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
      "GLACIER",  "DEEP_ARCHIVE",       "GLACIER_IR",  "OUTPOSTS",   "EXPRESS_ONEZONE",
      "SNOW"};
  return kClasses.count(name) > 0;
}

}  // namespace s3fs::s3
