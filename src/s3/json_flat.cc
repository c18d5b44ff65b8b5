#include "s3fs/s3/json_flat.h"

#include <cstdint>

namespace s3fs::s3::json {

namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  S3Result<FlatObject> Object() {
    FlatObject out;
    SkipSpace();
    if (!Eat('{')) return ::s3fs::Fail(Error("expected '{'"));
    SkipSpace();
    if (!Eat('}')) {
      while (true) {
        SkipSpace();
        std::string key;
        if (Peek() != '"') return ::s3fs::Fail(Error("expected a string key"));
        if (!String(&key)) return ::s3fs::Fail(Error(error_));
        if (out.find(key) != out.end()) return ::s3fs::Fail(Error("duplicate key"));
        SkipSpace();
        if (!Eat(':')) return ::s3fs::Fail(Error("expected ':'"));
        SkipSpace();
        std::string value;
        if (!Value(&value)) {
          SecureWipe(value.data(), value.size());
          return ::s3fs::Fail(Error(error_));
        }
        out.emplace(std::move(key), SecretString(value));
        SecureWipe(value.data(), value.size());
        SkipSpace();
        if (Eat('}')) break;
        if (!Eat(',')) return ::s3fs::Fail(Error("expected ',' or '}'"));
      }
    }
    SkipSpace();
    if (pos_ != s_.size()) return ::s3fs::Fail(Error("unexpected bytes after the object"));
    return out;
  }

 private:
  S3Error Error(const std::string& what) const {
    return ResponseError("InvalidJson",
                         "malformed JSON at byte " + std::to_string(pos_) + ": " + what);
  }
  char Peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool Eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void SkipSpace() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool Bad(const char* what) {
    error_ = what;
    return false;
  }

  bool Value(std::string* out) {
    char c = Peek();
    if (c == '"') return String(out);
    if (c == '{' || c == '[') return Bad("nested objects and arrays are not supported");
    if (c == '-' || (c >= '0' && c <= '9')) return Number(out);
    for (std::string_view word : {"true", "false", "null"}) {
      if (s_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        *out = std::string(word);
        return true;
      }
    }
    return Bad("expected a value");
  }

  bool Digits() {
    size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    return pos_ > start;
  }

  bool Number(std::string* out) {
    size_t start = pos_;
    Eat('-');
    if (Eat('0')) {
      if (Peek() >= '0' && Peek() <= '9') return Bad("leading zero in a number");
    } else if (!Digits()) {
      return Bad("expected digits");
    }
    if (Eat('.') && !Digits()) return Bad("expected digits after '.'");
    if (Peek() == 'e' || Peek() == 'E') {
      ++pos_;
      if (!Eat('+')) Eat('-');
      if (!Digits()) return Bad("expected digits in the exponent");
    }
    *out = std::string(s_.substr(start, pos_ - start));
    return true;
  }

  bool Hex4(uint32_t* out) {
    if (s_.size() - pos_ < 4) return Bad("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return Bad("bad hex digit in a \\u escape");
      }
    }
    *out = v;
    return true;
  }

  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  bool Escape(std::string* out) {
    if (pos_ >= s_.size()) return Bad("unterminated string");
    char c = s_[pos_++];
    switch (c) {
      case '"':
      case '\\':
      case '/':
        out->push_back(c);
        return true;
      case 'b':
        out->push_back('\b');
        return true;
      case 'f':
        out->push_back('\f');
        return true;
      case 'n':
        out->push_back('\n');
        return true;
      case 'r':
        out->push_back('\r');
        return true;
      case 't':
        out->push_back('\t');
        return true;
      case 'u':
        break;
      default:
        return Bad("bad escape");
    }
    uint32_t cp = 0;
    if (!Hex4(&cp)) return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return Bad("lone low surrogate");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      uint32_t low = 0;
      if (!Eat('\\') || !Eat('u')) return Bad("high surrogate without a low one");
      if (!Hex4(&low)) return false;
      if (low < 0xDC00 || low > 0xDFFF) return Bad("high surrogate without a low one");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    AppendUtf8(cp, out);
    return true;
  }

  bool String(std::string* out) {
    ++pos_;  // the opening quote
    while (true) {
      if (pos_ >= s_.size()) return Bad("unterminated string");
      char c = s_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return Bad("control character in a string");
      if (c == '\\') {
        if (!Escape(out)) return false;
      } else {
        out->push_back(c);
      }
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace

S3Result<FlatObject> ParseFlatObject(std::string_view text) { return Parser(text).Object(); }

}  // namespace s3fs::s3::json
