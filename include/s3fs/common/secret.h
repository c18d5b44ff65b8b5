// SecretString: holds a secret (secret key, session token, SSE-C key). Its bytes are wiped when
// it is destroyed or overwritten, and it has no stream operator, so it cannot be logged by
// accident. Use reveal() only where the secret is consumed (signing, headers).
#ifndef S3FS_COMMON_SECRET_H_
#define S3FS_COMMON_SECRET_H_

#include <string>
#include <string_view>

namespace s3fs {

// Overwrites `n` bytes at `p` in a way the compiler may not elide.
void SecureWipe(void* p, size_t n);

class SecretString {
 public:
  SecretString() = default;
  explicit SecretString(std::string value) : value_(std::move(value)) {}
  SecretString(const SecretString& other) : value_(other.value_) {}
  SecretString(SecretString&& other) noexcept : value_(std::move(other.value_)) { other.Wipe(); }
  SecretString& operator=(const SecretString& other) {
    if (this != &other) {
      Wipe();
      value_ = other.value_;
    }
    return *this;
  }
  SecretString& operator=(SecretString&& other) noexcept {
    if (this != &other) {
      Wipe();
      value_ = std::move(other.value_);
      other.Wipe();
    }
    return *this;
  }
  ~SecretString() { Wipe(); }

  std::string_view reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  size_t size() const { return value_.size(); }
  bool operator==(const SecretString& o) const = default;

 private:
  void Wipe() {
    SecureWipe(value_.data(), value_.size());
    value_.clear();
  }
  std::string value_;
};

}  // namespace s3fs

#endif  // S3FS_COMMON_SECRET_H_
