// Record encoding: version byte, record tag, then fixed-width little-endian integers and
// length-prefixed strings. Decoding checks every length against the bytes left.
#include "s3fs/meta/records.h"

#include <cstring>

namespace s3fs::meta {

namespace {

constexpr uint8_t kObjectTag = 'O';
constexpr uint8_t kDirTag = 'D';
constexpr uint32_t kMaxCount = 1u << 24;

class Writer {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U64(uint64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  void U32(uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  void Str(std::string_view s) {
    U32(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool U8(uint8_t* v) {
    if (in_.size() < 1) return false;
    *v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool U32(uint32_t* v) {
    if (in_.size() < 4) return false;
    *v = 0;
    for (int i = 0; i < 4; ++i)
      *v |= static_cast<uint32_t>(static_cast<uint8_t>(in_[i])) << (8 * i);
    in_.remove_prefix(4);
    return true;
  }
  bool U64(uint64_t* v) {
    if (in_.size() < 8) return false;
    *v = 0;
    for (int i = 0; i < 8; ++i)
      *v |= static_cast<uint64_t>(static_cast<uint8_t>(in_[i])) << (8 * i);
    in_.remove_prefix(8);
    return true;
  }
  bool I64(int64_t* v) {
    uint64_t u;
    if (!U64(&u)) return false;
    *v = static_cast<int64_t>(u);
    return true;
  }
  bool Str(std::string* s) {
    uint32_t n;
    if (!U32(&n) || in_.size() < n) return false;
    s->assign(in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  bool AtEnd() const { return in_.empty(); }

 private:
  std::string_view in_;
};

bool Header(Reader& r, uint8_t tag) {
  uint8_t version = 0;
  uint8_t got = 0;
  return r.U8(&version) && version == kRecordVersion && r.U8(&got) && got == tag;
}

}  // namespace

std::string EncodeObject(const ObjectRecord& r) {
  Writer w;
  w.U8(kRecordVersion);
  w.U8(kObjectTag);
  w.U8(static_cast<uint8_t>(r.kind));
  w.U64(r.size);
  w.Str(r.etag);
  w.U64(static_cast<uint64_t>(r.last_modified_ns));
  w.Str(r.content_type);
  w.Str(r.storage_class);
  w.Str(r.sse);
  w.Str(r.sse_kms_key_id);
  w.Str(r.sse_customer_algorithm);
  w.Str(r.version_id);
  w.U32(r.tag_count);
  w.U32(static_cast<uint32_t>(r.metadata.size()));
  for (const auto& [k, v] : r.metadata) {
    w.Str(k);
    w.Str(v);
  }
  w.U64(static_cast<uint64_t>(r.fetched_at_ns));
  return w.Take();
}

std::optional<ObjectRecord> DecodeObject(std::string_view bytes) {
  Reader in(bytes);
  if (!Header(in, kObjectTag)) return std::nullopt;
  ObjectRecord r;
  uint8_t kind = 0;
  if (!in.U8(&kind) || kind < 1 || kind > 4) return std::nullopt;
  r.kind = static_cast<Kind>(kind);
  uint32_t count = 0;
  if (!in.U64(&r.size) || !in.Str(&r.etag) || !in.I64(&r.last_modified_ns) ||
      !in.Str(&r.content_type) || !in.Str(&r.storage_class) || !in.Str(&r.sse) ||
      !in.Str(&r.sse_kms_key_id) || !in.Str(&r.sse_customer_algorithm) || !in.Str(&r.version_id) ||
      !in.U32(&r.tag_count) || !in.U32(&count) || count > kMaxCount) {
    return std::nullopt;
  }
  for (uint32_t i = 0; i < count; ++i) {
    std::string k, v;
    if (!in.Str(&k) || !in.Str(&v)) return std::nullopt;
    r.metadata.emplace(std::move(k), std::move(v));
  }
  if (!in.I64(&r.fetched_at_ns) || !in.AtEnd()) return std::nullopt;
  return r;
}

std::string EncodeDir(const DirRecord& r) {
  Writer w;
  w.U8(kRecordVersion);
  w.U8(kDirTag);
  w.U64(static_cast<uint64_t>(r.listed_at_ns));
  w.U32(static_cast<uint32_t>(r.children.size()));
  for (const auto& c : r.children) {
    w.Str(c.name);
    w.U8(c.is_dir ? 1 : 0);
    w.Str(c.etag);
    w.U64(c.size);
    w.U64(static_cast<uint64_t>(c.last_modified_ns));
  }
  return w.Take();
}

std::optional<DirRecord> DecodeDir(std::string_view bytes) {
  Reader in(bytes);
  if (!Header(in, kDirTag)) return std::nullopt;
  DirRecord r;
  uint32_t count = 0;
  if (!in.I64(&r.listed_at_ns) || !in.U32(&count) || count > kMaxCount) return std::nullopt;
  r.children.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    DirChild c;
    uint8_t is_dir = 0;
    if (!in.Str(&c.name) || !in.U8(&is_dir) || is_dir > 1 || !in.Str(&c.etag) || !in.U64(&c.size) ||
        !in.I64(&c.last_modified_ns)) {
      return std::nullopt;
    }
    c.is_dir = is_dir == 1;
    r.children.push_back(std::move(c));
  }
  if (!in.AtEnd()) return std::nullopt;
  return r;
}

}  // namespace s3fs::meta
