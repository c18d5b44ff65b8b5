// Filesystem core, S3-feature half of the xattr surface: the virtual `user.s3.*` names
// (docs/xattrs.md). Reads come from the object's metadata (HEAD, cached) or from S3 (tags,
// presigned URLs); writes map to PutObjectTagging/DeleteObjectTagging or a self-copy that keeps
// everything else (metadata, SSE, tags).
//
//   user.s3.tags            rw  all tags, "k1=v1&k2=v2" (URL-encoded, as x-amz-tagging)
//   user.s3.tag.KEY         rw  one tag
//   user.s3.storage_class   rw  set = CopyObject in place with the new class
//   user.s3.content_type    rw  set = CopyObject in place with the new type
//   user.s3.sse             ro  AES256 | aws:kms | aws:kms:dsse | SSE-C
//   user.s3.sse_kms_key_id  ro
//   user.s3.etag            ro  without the quotes
//   user.s3.version_id      ro
//   user.s3.last_modified   ro  ISO 8601, UTC
//   user.s3.presigned_url   ro  presigned GET, valid presign_expires seconds
// Other user.s3.* names: ENODATA on get, ENOTSUP on set. Read-only names: EPERM on set/remove.
#include <sys/xattr.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "filesystem_impl.h"
#include "s3fs/common/log.h"
#include "s3fs/common/strings.h"
#include "s3fs/fs/errno_map.h"
#include "s3fs/s3/validate.h"
#include "s3fs/s3/xml.h"

namespace s3fs::fs {

namespace {

constexpr std::string_view kTagPrefix = "user.s3.tag.";

constexpr std::array<std::string_view, 10> kNames = {
    "user.s3.tags",       "user.s3.storage_class",  "user.s3.content_type",
    "user.s3.sse",        "user.s3.sse_kms_key_id", "user.s3.etag",
    "user.s3.version_id", "user.s3.last_modified",  "user.s3.presigned_url",
    "user.s3.tag."};  // last: prefix of the per-tag names (not listed)

bool ReadOnly(std::string_view name) {
  return name == "user.s3.sse" || name == "user.s3.sse_kms_key_id" || name == "user.s3.etag" ||
         name == "user.s3.version_id" || name == "user.s3.last_modified" ||
         name == "user.s3.presigned_url";
}

bool Known(std::string_view name) {
  if (str::StartsWith(name, kTagPrefix)) return name.size() > kTagPrefix.size();
  return std::find(kNames.begin(), kNames.end() - 1, name) != kNames.end() - 1;
}

size_t Utf8Chars(std::string_view s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// errno for a tag set S3 would refuse: too many or too long is E2BIG, malformed is EINVAL.
int TagErrno(const std::vector<s3::Tag>& tags) {
  if (tags.size() > s3::kMaxTags) return E2BIG;
  for (const auto& t : tags) {
    if (Utf8Chars(t.key) > s3::kMaxTagKeyChars || Utf8Chars(t.value) > s3::kMaxTagValueChars) {
      return E2BIG;
    }
  }
  return EINVAL;
}

// The same for a tagging string refused while parsing (s3::DecodeTagging validates too).
int TaggingErrno(const s3::S3Error& e) {
  const std::string& m = e.message;
  bool too_big = m.find("at most") != std::string::npos || m.find("exceeds") != std::string::npos ||
                 (m.find("1 to 128") != std::string::npos && m.find("''") == std::string::npos);
  return too_big ? E2BIG : EINVAL;
}

}  // namespace

bool FilesystemImpl::IsS3Xattr(std::string_view name) { return str::StartsWith(name, "user.s3."); }

std::vector<std::string> FilesystemImpl::S3XattrNames(const Node& n) const {
  std::vector<std::string> out;
  if (!o_.list_s3_xattrs || !n.has_object) return out;
  for (size_t i = 0; i + 1 < kNames.size(); ++i) out.emplace_back(kNames[i]);
  return out;
}

void FilesystemImpl::NoteTagCount(const std::shared_ptr<Node>& n, size_t count) {
  std::lock_guard lock(mu_);
  n->meta.tag_count = static_cast<uint32_t>(count);  // later rewrites carry the tags along
  CacheNodeLocked(*n);
}

FsResult<std::string> FilesystemImpl::S3ObjectKey(const std::shared_ptr<Node>& n) {
  std::lock_guard lock(mu_);
  if (!n->has_object) return Fail(ENODATA);  // implicit directory: no object to describe
  return n->is_dir ? DirKey(n->path) : FileKey(n->path);
}

FsResult<std::string> FilesystemImpl::GetS3Xattr(const std::shared_ptr<Node>& n,
                                                 std::string_view name) {
  if (!Known(name)) return Fail(ENODATA);
  S3FS_ASSIGN_OR_RETURN(std::string key, S3ObjectKey(n));
  if (name == "user.s3.tags" || str::StartsWith(name, kTagPrefix)) {
    auto tags = store_->GetTags(key);
    if (!tags.ok()) return Fail(ToErrno(tags.error()));
    if (name == "user.s3.tags") {
      if (tags->empty()) return Fail(ENODATA);
      return s3::EncodeTagging(*tags);
    }
    std::string_view want = name.substr(kTagPrefix.size());
    for (const auto& t : *tags) {
      if (t.key == want) return t.value;
    }
    return Fail(ENODATA);
  }
  if (name == "user.s3.presigned_url") {
    auto url = store_->PresignGet(key, o_.presign_expires);
    if (!url.ok()) return Fail(ToErrno(url.error()));
    return *url;
  }
  S3FS_RETURN_IF_ERROR(EnsureMeta(n));
  std::lock_guard lock(mu_);
  const ObjectMeta& m = n->meta;
  std::string v;
  if (name == "user.s3.storage_class") {
    v = m.storage_class.empty() ? "STANDARD" : m.storage_class;
  } else if (name == "user.s3.content_type") {
    v = m.content_type;
  } else if (name == "user.s3.sse") {
    v = !m.sse_customer_algorithm.empty() ? "SSE-C" : m.sse;
  } else if (name == "user.s3.sse_kms_key_id") {
    v = m.sse_kms_key_id;
  } else if (name == "user.s3.etag") {
    v = m.etag;
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  } else if (name == "user.s3.version_id") {
    v = m.version_id;
  } else if (name == "user.s3.last_modified") {
    if (m.last_modified.time_since_epoch().count() != 0)
      v = s3::xml::FormatIso8601(m.last_modified);
  }
  if (v.empty()) return Fail(ENODATA);
  return v;
}

FsStatus FilesystemImpl::SetS3Xattr(const std::shared_ptr<Node>& n, std::string_view name,
                                    std::string_view value, int flags) {
  if (!Known(name)) return Fail(ENOTSUP);
  if (ReadOnly(name)) return Fail(EPERM);
  // The object must exist in S3 with this mount's data before its S3 attributes change.
  if (n->file) S3FS_RETURN_IF_ERROR(UploadIfDirty(n));
  auto key_or = S3ObjectKey(n);
  if (!key_or.ok()) {
    S3FS_LOG_WARN("setxattr {}: {} is an implicit directory (no object to set it on)", name,
                  n->path);
    return Fail(ENOTSUP);
  }
  const std::string& key = *key_or;
  if (name == "user.s3.tags" || str::StartsWith(name, kTagPrefix)) {
    std::vector<s3::Tag> tags;
    if (name == "user.s3.tags") {
      auto parsed = s3::DecodeTagging(value);
      if (!parsed.ok()) {
        S3FS_LOG_WARN("setxattr user.s3.tags on {}: {}", key, parsed.error().message);
        return Fail(TaggingErrno(parsed.error()));
      }
      tags = std::move(parsed).value();
    } else {
      auto current = store_->GetTags(key);
      if (!current.ok()) return Fail(ToErrno(current.error()));
      tags = std::move(current).value();
      std::string tag_key(name.substr(kTagPrefix.size()));
      auto it = std::find_if(tags.begin(), tags.end(),
                             [&](const s3::Tag& t) { return t.key == tag_key; });
      if ((flags & XATTR_CREATE) && it != tags.end()) return Fail(EEXIST);
      if ((flags & XATTR_REPLACE) && it == tags.end()) return Fail(ENODATA);
      if (it != tags.end()) {
        it->value = std::string(value);
      } else {
        tags.push_back(s3::Tag{tag_key, std::string(value)});
      }
    }
    if (auto v = s3::ValidateTags(tags); !v.ok()) {
      S3FS_LOG_WARN("setxattr {} on {}: {}", name, key, v.error().message);
      return Fail(TagErrno(tags));
    }
    auto r = store_->PutTags(key, tags);
    if (!r.ok()) {
      S3FS_LOG_WARN("setxattr {} on {}: {}", name, key, r.error().ToString());
      return Fail(ToErrno(r.error()));
    }
    NoteTagCount(n, tags.size());
    return {};
  }
  // Storage class or content type: rewrite the object in place, keeping the rest.
  std::string v(value);
  if (name == "user.s3.storage_class") {
    if (!s3::IsKnownStorageClass(v)) {
      S3FS_LOG_WARN("setxattr user.s3.storage_class on {}: unknown class '{}'", key, v);
      return Fail(EINVAL);
    }
  } else if (v.empty() || v.size() > 256 || v.find_first_of("\r\n") != std::string::npos) {
    return Fail(EINVAL);
  }
  S3FS_RETURN_IF_ERROR(EnsureMeta(n));
  StoredAttrs stored;
  {
    std::lock_guard lock(mu_);
    stored = n->stored;
  }
  auto r = PersistAttrs(n, stored, [&](WriteAttrs& w) {
    if (name == "user.s3.storage_class") {
      w.storage_class = v;
    } else {
      w.content_type = v;
    }
  });
  if (!r.ok()) {
    S3FS_LOG_WARN(
        "setxattr {} on {}: the object could not be rewritten in place (errno {}); "
        "it is unchanged",
        name, key, r.error());
  }
  return r;
}

FsStatus FilesystemImpl::RemoveS3Xattr(const std::shared_ptr<Node>& n, std::string_view name) {
  if (!Known(name)) return Fail(ENODATA);
  if (name != "user.s3.tags" && !str::StartsWith(name, kTagPrefix)) return Fail(EPERM);
  if (n->file) S3FS_RETURN_IF_ERROR(UploadIfDirty(n));
  S3FS_ASSIGN_OR_RETURN(std::string key, S3ObjectKey(n));
  auto current = store_->GetTags(key);
  if (!current.ok()) return Fail(ToErrno(current.error()));
  std::vector<s3::Tag> tags = std::move(current).value();
  if (name != "user.s3.tags") {
    std::string_view tag_key = name.substr(kTagPrefix.size());
    auto it =
        std::find_if(tags.begin(), tags.end(), [&](const s3::Tag& t) { return t.key == tag_key; });
    if (it == tags.end()) return Fail(ENODATA);
    tags.erase(it);
  } else if (tags.empty()) {
    return Fail(ENODATA);
  } else {
    tags.clear();
  }
  auto r = tags.empty() ? store_->DeleteTags(key) : store_->PutTags(key, tags);
  if (!r.ok()) return Fail(ToErrno(r.error()));
  NoteTagCount(n, tags.size());
  return {};
}

}  // namespace s3fs::fs
