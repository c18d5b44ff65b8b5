// Filesystem core, metadata-cache half: what the filesystem writes to and trusts from the
// persistent MetadataStore (meta/metadata_store.h).
//
// Trust rules (docs/semantics.md, "Metadata cache"):
//  - a record this mount fetched is served without a request while younger than stat_ttl
//    (negative records: negative_ttl); records from earlier mounts are never trusted on age
//    alone, so a remount shows other clients' changes at once (as users expect of s3fs);
//  - a file's HEAD metadata is reused at any age when a listing reports the same ETag and size
//    and a LastModified no later than when the record was fetched (so a metadata-only change by
//    another client, which keeps the ETag but moves LastModified, is fetched again);
//  - a directory's record (a parent's listing shows it as a prefix, without an ETag) is
//    reused at any age and revalidated against its marker's ETag when the directory itself is
//    listed;
//  - a cached listing is served under the same rule as a record, and only if every child's
//    metadata is cached too.
#include <chrono>

#include "filesystem_impl.h"

namespace s3fs::fs {

namespace {

int64_t ToNs(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point FromNs(int64_t ns) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(ns)));
}

meta::ObjectRecord RecordFrom(const ObjectMeta& m, meta::Kind kind, int64_t now_ns) {
  meta::ObjectRecord r;
  r.kind = kind;
  r.size = m.size;
  r.etag = m.etag;
  r.last_modified_ns = ToNs(m.last_modified);
  r.content_type = m.content_type;
  r.storage_class = m.storage_class;
  r.sse = m.sse;
  r.sse_kms_key_id = m.sse_kms_key_id;
  r.sse_customer_algorithm = m.sse_customer_algorithm;
  r.version_id = m.version_id;
  r.tag_count = m.tag_count;
  r.metadata = m.metadata;
  r.fetched_at_ns = now_ns;
  return r;
}

ObjectMeta MetaFrom(const meta::ObjectRecord& r, std::string key) {
  ObjectMeta m;
  m.key = std::move(key);
  m.size = r.size;
  m.etag = r.etag;
  m.last_modified = FromNs(r.last_modified_ns);
  m.content_type = r.content_type;
  m.storage_class = r.storage_class;
  m.sse = r.sse;
  m.sse_kms_key_id = r.sse_kms_key_id;
  m.sse_customer_algorithm = r.sse_customer_algorithm;
  m.version_id = r.version_id;
  m.tag_count = r.tag_count;
  m.metadata = r.metadata;
  m.has_metadata = true;
  return m;
}

std::string Join(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

}  // namespace

bool FilesystemImpl::CacheFresh(int64_t fetched_at_ns, std::chrono::nanoseconds ttl) const {
  int64_t now = ToNs(clock_->Now());
  return fetched_at_ns >= session_start_ns_ && fetched_at_ns <= now &&
         now - fetched_at_ns < ttl.count();
}

std::optional<FsResult<std::shared_ptr<Node>>> FilesystemImpl::ResolveFromCache(
    const std::string& path) {
  if (!o_.meta_cache) return std::nullopt;
  auto r = o_.meta_cache->GetObject(path);
  if (!r) return std::nullopt;
  if (r->kind == meta::Kind::kAbsent) {
    if (!o_.negative_cache || !CacheFresh(r->fetched_at_ns, o_.negative_ttl)) return std::nullopt;
    std::lock_guard lock(mu_);
    AddNegativeLocked(path, /*persist=*/false);
    return FsResult<std::shared_ptr<Node>>(Fail(ENOENT));
  }
  if (!CacheFresh(r->fetched_at_ns, o_.stat_ttl)) return std::nullopt;
  std::lock_guard lock(mu_);
  switch (r->kind) {
    case meta::Kind::kFile: {
      ObjectMeta m = MetaFrom(*r, FileKey(path));
      return FsResult<std::shared_ptr<Node>>(UpsertLocked(path, false, &m, true, false));
    }
    case meta::Kind::kDirMarker: {
      ObjectMeta m = MetaFrom(*r, DirKey(path));
      return FsResult<std::shared_ptr<Node>>(UpsertLocked(path, true, &m, true, false));
    }
    case meta::Kind::kImplicitDir:
      return FsResult<std::shared_ptr<Node>>(UpsertLocked(path, true, nullptr, false, false));
    case meta::Kind::kAbsent:
      break;
  }
  return std::nullopt;
}

bool FilesystemImpl::MetaFromCache(const std::string& path, ListedItem& item) {
  if (!o_.meta_cache) return false;
  auto r = o_.meta_cache->GetObject(path);
  if (!r) return false;
  if (item.is_dir) {
    // A common prefix carries no ETag: a directory's record is reused at any age and checked
    // when the directory itself is listed (its marker's ETag, RevalidateMarker).
    if (r->kind != meta::Kind::kDirMarker && r->kind != meta::Kind::kImplicitDir) return false;
    if (r->kind == meta::Kind::kDirMarker) {
      item.meta = MetaFrom(*r, DirKey(path));
      item.has_object = true;
    }
    item.from_cache = true;
    return true;
  }
  if (r->kind != meta::Kind::kFile && r->kind != meta::Kind::kDirMarker) return false;
  if (r->etag.empty() || r->etag != item.meta.etag || r->size != item.meta.size) return false;
  int64_t listed_lm = ToNs(item.meta.last_modified);
  if (listed_lm != r->last_modified_ns && listed_lm > r->fetched_at_ns) return false;
  ObjectMeta m = MetaFrom(*r, item.meta.key);
  m.last_modified = item.meta.last_modified;  // the listing's value is the server's
  if (r->kind == meta::Kind::kDirMarker) item.is_dir = true;
  item.meta = std::move(m);
  item.has_object = true;
  item.from_cache = true;
  return true;
}

std::optional<std::map<std::string, FilesystemImpl::ListedItem>> FilesystemImpl::ListingFromCache(
    const std::string& dir_path, Steady* expires) {
  if (!o_.meta_cache) return std::nullopt;
  auto d = o_.meta_cache->GetDir(dir_path);
  if (!d) return std::nullopt;
  if (!CacheFresh(d->listed_at_ns, o_.stat_ttl)) return std::nullopt;
  auto ttl = std::chrono::duration_cast<std::chrono::nanoseconds>(o_.stat_ttl).count();
  int64_t age = ToNs(clock_->Now()) - d->listed_at_ns;
  std::map<std::string, ListedItem> items;
  for (const auto& c : d->children) {
    ListedItem item;
    item.name = c.name;
    item.is_dir = c.is_dir;
    std::string path = Join(dir_path, c.name);
    if (!c.is_dir) {
      item.meta.key = FileKey(path);
      item.meta.etag = c.etag;
      item.meta.size = c.size;
      item.meta.last_modified = FromNs(c.last_modified_ns);
      item.has_object = true;
    }
    if (o_.list_attrs_only) {
      item.from_cache = true;
    } else if (!MetaFromCache(path, item)) {
      return std::nullopt;  // a child's metadata is gone: list again
    }
    items.emplace(c.name, std::move(item));
  }
  *expires = clock_->Monotonic() + std::chrono::nanoseconds(ttl - age);
  return items;
}

void FilesystemImpl::CacheListing(const std::string& dir_path,
                                  const std::map<std::string, ListedItem>& items) {
  if (!o_.meta_cache) return;
  meta::DirRecord d;
  d.listed_at_ns = ToNs(clock_->Now());
  d.children.reserve(items.size());
  for (const auto& [name, item] : items) {
    meta::DirChild c;
    c.name = name;
    c.is_dir = item.is_dir;
    if (!item.is_dir) {
      c.etag = item.meta.etag;
      c.size = item.meta.size;
      c.last_modified_ns = ToNs(item.meta.last_modified);
    }
    d.children.push_back(std::move(c));
  }
  o_.meta_cache->PutDir(dir_path, d);
}

void FilesystemImpl::CacheNodeLocked(const Node& n) {
  if (!o_.meta_cache || n.ino == kRootIno) return;
  if (n.file && n.file->dirty) return;  // S3 does not have this yet
  int64_t now = ToNs(clock_->Now());
  if (n.has_object && n.meta_complete) {
    o_.meta_cache->PutObject(
        n.path, RecordFrom(n.meta, n.is_dir ? meta::Kind::kDirMarker : meta::Kind::kFile, now));
  } else if (n.is_dir && !n.has_object) {
    meta::ObjectRecord r;
    r.kind = meta::Kind::kImplicitDir;
    r.fetched_at_ns = now;
    o_.meta_cache->PutObject(n.path, r);
  }
}

void FilesystemImpl::CacheAbsent(const std::string& path) {
  if (!o_.meta_cache) return;
  meta::ObjectRecord r;
  r.kind = meta::Kind::kAbsent;
  r.fetched_at_ns = ToNs(clock_->Now());
  o_.meta_cache->PutObject(path, r);
}

void FilesystemImpl::CacheForgetTree(const std::string& path) {
  if (o_.meta_cache) o_.meta_cache->EraseTree(path);
}

void FilesystemImpl::CacheForgetListing(const std::string& dir_path) {
  if (o_.meta_cache) o_.meta_cache->EraseDir(dir_path);
}

}  // namespace s3fs::fs
