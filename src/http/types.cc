#include "s3fs/http/types.h"

#include <strings.h>

#include <algorithm>
#include <cstring>

#include "s3fs/common/secret.h"

namespace s3fs::http {

std::string_view MethodName(Method m) {
  switch (m) {
    case Method::kGet:
      return "GET";
    case Method::kHead:
      return "HEAD";
    case Method::kPut:
      return "PUT";
    case Method::kPost:
      return "POST";
    case Method::kDelete:
      return "DELETE";
  }
  return "GET";
}

namespace {
bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}
}  // namespace

bool IsSecretHeader(std::string_view name) {
  static constexpr std::string_view kExact[] = {"authorization", "proxy-authorization",
                                                "x-amz-security-token", "x-aws-ec2-metadata-token"};
  static constexpr std::string_view kPrefixes[] = {
      "x-amz-server-side-encryption-customer-key",
      "x-amz-copy-source-server-side-encryption-customer-key"};
  for (std::string_view s : kExact) {
    if (IEquals(name, s)) return true;
  }
  for (std::string_view p : kPrefixes) {
    if (name.size() >= p.size() && IEquals(name.substr(0, p.size()), p)) return true;
  }
  return false;
}

Headers& Headers::operator=(const Headers& other) {
  if (this != &other) {
    WipeSecretValues();
    entries_ = other.entries_;
  }
  return *this;
}

Headers& Headers::operator=(Headers&& other) noexcept {
  if (this != &other) {
    WipeSecretValues();
    entries_ = std::move(other.entries_);
    other.entries_.clear();
  }
  return *this;
}

void Headers::WipeSecretValues() {
  for (auto& [name, value] : entries_) {
    if (IsSecretHeader(name)) {
      SecureWipe(value.data(), value.size());
      value.clear();
    }
  }
}

void Headers::Set(std::string name, std::string value) {
  Remove(name);
  entries_.emplace_back(std::move(name), std::move(value));
}

void Headers::Add(std::string name, std::string value) {
  entries_.emplace_back(std::move(name), std::move(value));
}

void Headers::Remove(std::string_view name) {
  if (IsSecretHeader(name)) {
    for (auto& [n, v] : entries_) {
      if (IEquals(n, name)) SecureWipe(v.data(), v.size());
    }
  }
  std::erase_if(entries_, [&](const Entry& e) { return IEquals(e.first, name); });
}

std::optional<std::string> Headers::Get(std::string_view name) const {
  for (const auto& e : entries_) {
    if (IEquals(e.first, name)) return e.second;
  }
  return std::nullopt;
}

StringBodySource::StringBodySource(std::shared_ptr<const std::string> data)
    : data_(std::move(data)) {}

int64_t StringBodySource::Read(char* buf, size_t n) {
  size_t k = std::min(n, data_->size() - pos_);
  std::memcpy(buf, data_->data() + pos_, k);
  pos_ += k;
  return static_cast<int64_t>(k);
}

uint64_t Request::BodySize() const {
  if (body) return body->size();
  if (body_source) return body_source->Size();
  return 0;
}

std::string_view TransportErrorKindName(TransportError::Kind k) {
  switch (k) {
    case TransportError::Kind::kConnect:
      return "ConnectionFailed";
    case TransportError::Kind::kDns:
      return "DnsResolutionFailed";
    case TransportError::Kind::kTimeout:
      return "Timeout";
    case TransportError::Kind::kTls:
      return "TlsError";
    case TransportError::Kind::kSend:
      return "SendFailed";
    case TransportError::Kind::kReceive:
      return "StreamInterrupted";
    case TransportError::Kind::kAborted:
      return "Aborted";
    case TransportError::Kind::kInvalid:
      return "InvalidRequest";
  }
  return "Unknown";
}

}  // namespace s3fs::http
