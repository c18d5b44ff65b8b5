// Filesystem core, namespace half: inodes, lookup, attributes, directories, rename, xattrs.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/xattr.h>

#include <algorithm>
#include <cerrno>
#include <future>
#include <thread>

#include "filesystem_impl.h"
#include "s3fs/common/log.h"
#include "s3fs/common/strings.h"
#include "s3fs/fs/errno_map.h"
#include "s3fs/s3/validate.h"

namespace s3fs::fs {

namespace {

constexpr uint32_t kDefaultFilePerm = 0644;
constexpr uint32_t kDefaultDirPerm = 0755;

std::string ParentPath(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

FsStatus Errno(int e) { return Fail(e); }

}  // namespace

FsResult<std::unique_ptr<Filesystem>> Filesystem::Create(Options options,
                                                         std::shared_ptr<ObjectStore> store,
                                                         std::shared_ptr<Clock> clock) {
  if (!options.prefix.empty() && options.prefix.back() != '/') options.prefix += '/';
  if (options.staging_dir.empty()) options.staging_dir = "/tmp";
  const double ttl = std::chrono::duration<double>(options.stat_ttl).count();
  if (options.kernel_attr_timeout < 0) options.kernel_attr_timeout = ttl;
  if (options.kernel_entry_timeout < 0) options.kernel_entry_timeout = ttl;
  return std::unique_ptr<Filesystem>(
      new FilesystemImpl(std::move(options), std::move(store), std::move(clock)));
}

FileState::~FileState() {
  stream.reset();  // waits for parts in flight, which read from fd
  if (fd >= 0) ::close(fd);
  if (dirty_gauge != nullptr) dirty_gauge->Sub(dirty_counted);
}

void FilesystemImpl::NoteDirty(FileState& fs) {
  const int64_t now = fs.dirty ? static_cast<int64_t>(fs.written.Total()) : 0;
  if (now == fs.dirty_counted) return;
  m_.dirty_bytes.Add(now - fs.dirty_counted);
  fs.dirty_counted = now;
  fs.dirty_gauge = &m_.dirty_bytes;
}

FilesystemImpl::FilesystemImpl(Options options, std::shared_ptr<ObjectStore> store,
                               std::shared_ptr<Clock> clock)
    : o_(std::move(options)),
      metrics_(o_.metrics ? o_.metrics : std::make_shared<metrics::Registry>()),
      m_(*metrics_),
      read_metrics_(std::make_shared<read::ReadMetrics>(*metrics_)),
      store_(std::move(store)),
      clock_(std::move(clock)),
      upload_slots_(std::make_shared<write::UploadSlots>(o_.upload_slots)),
      read_budget_(std::make_shared<read::ReadBudget>(o_.read_ahead_memory)),
      // What readers of one object drop is kept for the others, up to a quarter of the budget.
      shared_parts_(std::make_shared<read::SharedParts>(o_.read_ahead_memory / 4)),
      first_bytes_(std::make_shared<read::FirstBytes>(
          std::min<uint64_t>(16ULL << 20, o_.read_ahead_memory / 16), std::chrono::seconds(1),
          clock_)),
      session_start_ns_(
          std::chrono::duration_cast<std::chrono::nanoseconds>(clock_->Now().time_since_epoch())
              .count()) {
  auto root = std::make_shared<Node>();
  root->ino = kRootIno;
  root->is_dir = true;
  root->nlookup = 1;
  FillAttrLocked(*root);
  root->attr.mode = S_IFDIR | (0777 & ~o_.mp_umask);
  if (!o_.umask && o_.mp_umask == 0) root->attr.mode = S_IFDIR | kDefaultDirPerm;
  nodes_[kRootIno] = root;
  by_path_[""] = kRootIno;
  read::RegisterReadBudgetMetrics(*metrics_, read_budget_);
  RegisterUploadSlotMetrics(*metrics_, upload_slots_, o_.upload_slots);
  if (o_.disk_cache) read::RegisterDiskCacheMetrics(*metrics_, o_.disk_cache);
  if (o_.meta_cache) RegisterMetadataCacheMetrics(*metrics_, o_.meta_cache);
  if (o_.async_close && !o_.journal) {
    S3FS_LOG_WARN(
        "async_close needs the upload journal, which is not open: closes upload "
        "before returning");
    o_.async_close = false;
  }
  if (o_.async_close) StartCloseWorkers();
  // A lookup asks for no more first bytes than can be kept.
  o_.lookup_first_bytes = std::min(o_.lookup_first_bytes, first_bytes_->capacity());
}

FilesystemImpl::~FilesystemImpl() {
  StopCloseWorkers();
  // Read-ahead GETs still in flight write into buffers they own, but run on the S3 client,
  // which the caller destroys after this: wait for them (they end within a part's transfer).
  handles_.clear();
  if (!read_budget_->WaitIdle(std::chrono::seconds(60))) {
    S3FS_LOG_WARN("read-ahead requests still in flight at shutdown");
  }
}

struct timespec FilesystemImpl::Now() const {
  return ToTimespec(clock_->Now());
}

std::shared_ptr<Node> FilesystemImpl::GetNode(Ino ino) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(ino);
  return it == nodes_.end() ? nullptr : it->second;
}

FsResult<std::string> FilesystemImpl::ChildPath(const std::shared_ptr<Node>& parent,
                                                std::string_view name) {
  if (!parent) return Fail(ENOENT);
  if (!parent->is_dir) return Fail(ENOTDIR);
  if (name.empty() || name == "." || name == "..") return Fail(EINVAL);
  if (name.size() > 255) return Fail(ENAMETOOLONG);
  if (name.find('/') != std::string_view::npos) return Fail(EINVAL);
  std::string path =
      parent->path.empty() ? std::string(name) : parent->path + "/" + std::string(name);
  // The longest key this path can need is the directory marker "path/".
  if (o_.prefix.size() + path.size() + 1 > s3::kMaxKeyBytes) return Fail(ENAMETOOLONG);
  return path;
}

void FilesystemImpl::FillAttrLocked(Node& n) {
  const StoredAttrs& s = n.stored;
  Attr& a = n.attr;
  a.ino = n.ino;
  uint32_t type = n.is_dir ? S_IFDIR : S_IFREG;
  uint32_t perm = n.is_dir ? kDefaultDirPerm : kDefaultFilePerm;
  if (s.mode) {
    uint32_t stored_type = *s.mode & S_IFMT;
    perm = *s.mode & 07777;
    if (!n.is_dir && stored_type != 0 && stored_type != S_IFDIR) type = stored_type;
  }
  if (o_.umask) perm &= ~*o_.umask;
  a.mode = type | perm;
  a.nlink = n.is_dir ? 2 : 1;
  a.uid = o_.force_uid ? *o_.force_uid : s.uid.value_or(o_.uid);
  a.gid = o_.force_gid ? *o_.force_gid : s.gid.value_or(o_.gid);
  if (n.file && n.file->loaded) {
    a.size = n.file->size;
  } else if (!n.is_dir) {
    a.size = n.meta.size;
  } else {
    a.size = 0;  // as s3fs-fuse shows directories
  }
  struct timespec lm = ToTimespec(n.meta.last_modified);
  if (n.meta.last_modified.time_since_epoch().count() == 0) lm = Now();
  a.mtime = s.mtime.value_or(lm);
  a.atime = s.atime.value_or(a.mtime);
  a.ctime = s.ctime.value_or(a.mtime);
}

Entry FilesystemImpl::MakeEntry(const Node& n) const {
  Entry e;
  e.attr = n.attr;
  e.attr_timeout = o_.kernel_attr_timeout;
  e.entry_timeout = o_.kernel_entry_timeout;
  return e;
}

std::shared_ptr<Node> FilesystemImpl::UpsertLocked(const std::string& path, bool is_dir,
                                                   const ObjectMeta* meta, bool has_object,
                                                   bool persist) {
  std::shared_ptr<Node> n;
  if (auto it = by_path_.find(path); it != by_path_.end()) {
    n = nodes_[it->second];
    if (n->is_dir != is_dir && !(n->file && n->file->dirty)) {
      // The object changed type (e.g. file replaced by a directory): new inode.
      by_path_.erase(it);
      n = nullptr;
    }
  }
  if (!n) {
    n = std::make_shared<Node>();
    n->ino = next_ino_++;
    n->path = path;
    n->is_dir = is_dir;
    nodes_[n->ino] = n;
    by_path_[path] = n->ino;
  }
  bool local_dirty = n->file && n->file->dirty;
  if (meta != nullptr && !local_dirty) {
    bool same_version = n->meta_complete && n->meta.etag == meta->etag && !meta->etag.empty();
    if (meta->has_metadata || !same_version) {
      n->meta = *meta;
      n->meta_complete = meta->has_metadata;
      n->stored = DecodeAttrs(meta->metadata);
      if (!same_version) n->link_target.clear();
    }
    n->has_object = has_object;
  } else if (meta == nullptr && !local_dirty) {
    n->has_object = has_object;
  }
  FillAttrLocked(*n);
  n->attr_expires = clock_->Monotonic() + o_.stat_ttl;
  negative_.erase(path);
  // What S3 said is remembered: HEAD metadata, or an implicit directory the caller proved.
  if (persist && (meta != nullptr ? meta->has_metadata : is_dir && !has_object)) {
    CacheNodeLocked(*n);
  }
  return n;
}

bool FilesystemImpl::NegativeHitLocked(const std::string& path) {
  if (!o_.negative_cache) return false;
  auto it = negative_.find(path);
  if (it == negative_.end()) return false;
  if (clock_->Monotonic() >= it->second) {
    negative_.erase(it);
    return false;
  }
  return true;
}

void FilesystemImpl::AddNegativeLocked(const std::string& path, bool persist) {
  // The persistent record is written even without negative caching: it replaces whatever
  // positive record the path had.
  if (persist) CacheAbsent(path);
  if (!o_.negative_cache) return;
  if (negative_.size() > 100000) negative_.clear();
  negative_[path] = clock_->Monotonic() + o_.negative_ttl;
}

void FilesystemImpl::ForgetNegativeLocked(const std::string& path) { negative_.erase(path); }

void FilesystemImpl::ListingAddLocked(const std::string& path, bool is_dir) {
  auto it = by_path_.find(ParentPath(path));
  if (it == by_path_.end()) return;
  auto& parent = nodes_[it->second];
  if (parent->listing) parent->listing->children[BaseName(path)] = ChildInfo{is_dir, {}};
  CacheForgetListing(parent->path);
}

void FilesystemImpl::ListingRemoveLocked(const std::string& path) {
  auto it = by_path_.find(ParentPath(path));
  if (it == by_path_.end()) return;
  auto& parent = nodes_[it->second];
  if (parent->listing) parent->listing->children.erase(BaseName(path));
  CacheForgetListing(parent->path);
}

bool FilesystemImpl::ParentListingSaysAbsentLocked(const std::string& path) {
  auto it = by_path_.find(ParentPath(path));
  if (it == by_path_.end()) return false;
  auto& parent = nodes_[it->second];
  if (!parent->listing || clock_->Monotonic() >= parent->listing->expires) return false;
  return parent->listing->children.count(BaseName(path)) == 0;
}

FsResult<std::shared_ptr<Node>> FilesystemImpl::Resolve(const std::string& path) {
  if (auto cached = ResolveFromCache(path)) return std::move(*cached);
  // File object and directory marker in parallel (one round trip), then a one-key listing
  // for implicit directories.
  // The file's first bytes come with its answer (a ranged GET in the time of a HEAD), for the
  // read that usually follows a lookup nothing listed before (`cat path`).
  std::string fkey = FileKey(path);
  std::string dkey = DirKey(path);
  std::string first;
  const bool want_first = o_.lookup_first_bytes > 0 && !o_.disk_cache;
  auto heads = want_first ? store_->HeadManyFirstBytes({fkey, dkey}, o_.lookup_first_bytes, &first)
                          : store_->HeadMany({fkey, dkey});
  for (auto& h : heads) {
    if (!h.ok() && h.error().kind != "ObjectNotFound") return Fail(ToErrno(h.error()));
  }
  if (heads[0].ok()) {
    ObjectMeta& m = heads[0].value();
    bool dir = IsDirectoryObject(m);
    if (!dir && !first.empty() && first.size() == std::min(m.size, o_.lookup_first_bytes)) {
      first_bytes_->Put(fkey, m.etag, std::move(first));
    }
    std::lock_guard lock(mu_);
    return UpsertLocked(path, dir, &m, true);
  }
  if (heads[1].ok()) {
    std::lock_guard lock(mu_);
    return UpsertLocked(path, true, &heads[1].value(), true);
  }
  auto page = store_->List(dkey, "/", "", 1);
  if (!page.ok()) return Fail(ToErrno(page.error()));
  if (!page->objects.empty() || !page->prefixes.empty()) {
    std::lock_guard lock(mu_);
    return UpsertLocked(path, true, nullptr, false);
  }
  // Old tools' "name_$folder$" directory objects.
  auto folder = store_->Head(FileKey(path) + "_$folder$");
  if (folder.ok()) {
    std::lock_guard lock(mu_);
    return UpsertLocked(path, true, nullptr, false);
  }
  if (folder.error().kind != "ObjectNotFound") return Fail(ToErrno(folder.error()));
  std::lock_guard lock(mu_);
  AddNegativeLocked(path);
  return Fail(ENOENT);
}

void FilesystemImpl::UsedLocked(Steady& expires) {
  const Steady now = clock_->Monotonic();
  if (o_.stat_ttl_from_access && now < expires) expires = now + o_.stat_ttl;
}

FsResult<Entry> FilesystemImpl::Lookup(Ino parent_ino, std::string_view name) {
  auto parent = GetNode(parent_ino);
  S3FS_ASSIGN_OR_RETURN(std::string path, ChildPath(parent, name));
  {
    std::lock_guard lock(mu_);
    if (auto it = by_path_.find(path); it != by_path_.end()) {
      auto& n = nodes_[it->second];
      bool fresh = clock_->Monotonic() < n->attr_expires || (n->file && n->file->dirty) ||
                   n->open_handles > 0;
      if (fresh) {
        m_.stat_hit.Inc();
        UsedLocked(n->attr_expires);
        n->nlookup++;
        return MakeEntry(*n);
      }
    }
    if (NegativeHitLocked(path) || ParentListingSaysAbsentLocked(path)) {
      m_.stat_negative_hit.Inc();
      return Fail(ENOENT);
    }
  }
  m_.stat_miss.Inc();
  std::optional<ChildInfo> listed = ListedChild(parent, path);
  if (!listed && PrefetchListing(parent)) {
    std::lock_guard lock(mu_);
    if (ParentListingSaysAbsentLocked(path)) return Fail(ENOENT);
  }
  if (!listed) listed = ListedChild(parent, path);
  if (listed) {
    // Many lookups in a listed directory: fetch the rest of its children's metadata at once.
    MaybeFillListedChildren(parent);
    std::lock_guard lock(mu_);
    if (auto it = by_path_.find(path); it != by_path_.end()) {
      auto& n = nodes_[it->second];
      if (clock_->Monotonic() < n->attr_expires && n->is_dir == listed->is_dir) {
        n->nlookup++;
        return MakeEntry(*n);
      }
    }
  }
  std::shared_ptr<Node> node;
  if (listed) {
    S3FS_ASSIGN_OR_RETURN(node, ResolveListed(path, *listed));
  } else {
    S3FS_ASSIGN_OR_RETURN(node, Resolve(path));
  }
  std::lock_guard lock(mu_);
  node->nlookup++;
  return MakeEntry(*node);
}

std::optional<ChildInfo> FilesystemImpl::ListedChild(const std::shared_ptr<Node>& parent,
                                                     const std::string& path) {
  std::lock_guard lock(mu_);
  if (!parent->listing || clock_->Monotonic() >= parent->listing->expires) return std::nullopt;
  auto it = parent->listing->children.find(BaseName(path));
  if (it == parent->listing->children.end()) return std::nullopt;
  return it->second;
}

bool FilesystemImpl::PrefetchListing(const std::shared_ptr<Node>& parent) {
  constexpr uint32_t kMissesBeforeListing = 2;
  constexpr size_t kMaxPrefetchItems = 10000;  // ten LIST pages
  {
    std::lock_guard lock(mu_);
    if (parent->listing && clock_->Monotonic() < parent->listing->expires) return true;
    if (parent->too_big_to_prefetch || parent->listing_in_flight) return false;
    if (++parent->lookup_misses < kMissesBeforeListing) return false;
    parent->listing_in_flight = true;
  }
  auto items = FetchListing(parent, kMaxPrefetchItems);
  std::lock_guard lock(mu_);
  parent->listing_in_flight = false;
  parent->lookup_misses = 0;
  if (!items.ok()) {
    if (items.error() == E2BIG) parent->too_big_to_prefetch = true;
    return false;
  }
  Listing listing;
  listing.expires = clock_->Monotonic() + o_.stat_ttl;
  for (auto& [name, item] : *items) listing.children[name] = ChildOf(item);
  // Files created here but not yet uploaded exist too.
  for (const auto& n : UnsavedChildrenLocked(parent->path)) {
    listing.children.emplace(BaseName(n->path), ChildInfo{false, {}});
  }
  parent->listing = std::move(listing);
  return true;
}

FsResult<std::shared_ptr<Node>> FilesystemImpl::ResolveListed(const std::string& path,
                                                              const ChildInfo& child) {
  ListedItem item{BaseName(path), child.is_dir, child.listed, !child.is_dir};
  if (!child.is_dir && child.listed.key.empty()) return Resolve(path);  // added locally
  if (!o_.list_attrs_only && MetaFromCache(path, item)) {
    std::lock_guard lock(mu_);
    if (item.has_object) return UpsertLocked(path, item.is_dir, &item.meta, true, false);
    return UpsertLocked(path, true, nullptr, false, false);
  }
  if (o_.list_attrs_only && !child.is_dir) {
    std::lock_guard lock(mu_);
    return UpsertLocked(path, false, &item.meta, true);
  }
  // One HEAD of the key the listing showed (not the file-and-marker pair of a blind lookup).
  std::string key = child.is_dir ? DirKey(path) : FileKey(path);
  auto h = store_->Head(key);
  if (h.ok()) {
    std::lock_guard lock(mu_);
    return UpsertLocked(path, child.is_dir || IsDirectoryObject(*h), &h.value(), true);
  }
  if (h.error().kind != "ObjectNotFound") return Fail(ToErrno(h.error()));
  if (child.is_dir) {
    std::lock_guard lock(mu_);
    return UpsertLocked(path, true, nullptr, false);
  }
  return Resolve(path);  // gone since the listing: ask again
}

void FilesystemImpl::ReleaseNodeIfUnusedLocked(const std::shared_ptr<Node>& n) {
  if (n->ino == kRootIno || n->nlookup > 0 || n->open_handles > 0) return;
  if (n->file && n->file->dirty) return;
  auto it = by_path_.find(n->path);
  if (it != by_path_.end() && it->second == n->ino) by_path_.erase(it);
  nodes_.erase(n->ino);
}

void FilesystemImpl::Forget(Ino ino, uint64_t nlookup) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(ino);
  if (it == nodes_.end()) return;
  auto n = it->second;
  n->nlookup = nlookup >= n->nlookup ? 0 : n->nlookup - nlookup;
  ReleaseNodeIfUnusedLocked(n);
}

void FilesystemImpl::IncrementLookup(Ino ino) {
  std::lock_guard lock(mu_);
  if (auto it = nodes_.find(ino); it != nodes_.end()) it->second->nlookup++;
}

FsResult<Attr> FilesystemImpl::GetAttr(Ino ino) {
  auto n = GetNode(ino);
  if (!n) return Fail(ENOENT);
  {
    std::lock_guard lock(mu_);
    bool fresh = clock_->Monotonic() < n->attr_expires || n->ino == kRootIno ||
                 (n->file && (n->file->dirty || n->file->loaded)) || n->open_handles > 0 ||
                 n->unlinked;
    if (fresh) {
      m_.stat_hit.Inc();
      UsedLocked(n->attr_expires);
      FillAttrLocked(*n);
      return n->attr;
    }
  }
  m_.stat_miss.Inc();
  auto r = Resolve(n->path);
  if (!r.ok()) return Fail(r.error());
  std::lock_guard lock(mu_);
  return r.value()->ino == ino ? r.value()->attr : n->attr;
}

FsStatus FilesystemImpl::EnsureMeta(const std::shared_ptr<Node>& node) {
  {
    std::lock_guard lock(mu_);
    if (node->meta_complete || !node->has_object) return {};
  }
  std::string key = node->is_dir ? DirKey(node->path) : FileKey(node->path);
  auto h = store_->Head(key);
  if (!h.ok()) return Fail(ToErrno(h.error()));
  std::lock_guard lock(mu_);
  node->meta = *h;
  node->meta_complete = true;
  node->stored = DecodeAttrs(h->metadata);
  FillAttrLocked(*node);
  CacheNodeLocked(*node);
  return {};
}

WriteAttrs FilesystemImpl::AttrsForWrite(const Node& n, const StoredAttrs& stored) const {
  WriteAttrs w = o_.write_defaults;
  // Keep the object's other user metadata (tools' own x-amz-meta-*), replace ours.
  w.metadata = n.meta.metadata;
  EncodeAttrs(stored, &w.metadata);
  if (n.is_dir) {
    w.content_type = std::string(kDirContentType);
  } else if (!n.meta.content_type.empty()) {
    w.content_type = n.meta.content_type;
  } else {
    w.content_type = "application/octet-stream";
  }
  if (!n.meta.storage_class.empty() && n.meta.storage_class != "STANDARD") {
    w.storage_class = n.meta.storage_class;
  }
  // A rewrite keeps the object's encryption when the mount does not choose one.
  if (w.sse.kind == s3::Sse::Kind::kNone) {
    if (n.meta.sse == "aws:kms" || n.meta.sse == "aws:kms:dsse") {
      w.sse = s3::Sse::Kms(n.meta.sse_kms_key_id);
    } else if (n.meta.sse == "AES256") {
      w.sse = s3::Sse::S3();
    }
  }
  return w;
}

FsStatus FilesystemImpl::PersistAttrs(const std::shared_ptr<Node>& node, const StoredAttrs& stored,
                                      const std::function<void(WriteAttrs&)>& adjust) {
  {
    std::lock_guard lock(mu_);
    if (!adjust && node->file && node->file->dirty && !node->is_dir) {
      // Data is waiting for upload: the upload at close carries the attributes too.
      node->stored = stored;
      node->file->attrs_set = true;
      FillAttrLocked(*node);
      return {};
    }
  }
  S3FS_RETURN_IF_ERROR(EnsureMeta(node));
  WriteAttrs w;
  bool has_object;
  std::string key;
  uint64_t size;
  uint32_t tag_count;
  {
    std::lock_guard lock(mu_);
    w = AttrsForWrite(*node, stored);
    if (adjust) adjust(w);
    has_object = node->has_object;
    key = node->is_dir ? DirKey(node->path) : FileKey(node->path);
    size = node->meta.size;
    tag_count = node->meta.tag_count;
  }
  std::vector<s3::Tag> tags;
  if (has_object && tag_count > 0) {
    // S3 copies tags with the object; RGW drops them on a REPLACE copy: they are put back.
    auto t = store_->GetTags(key);
    if (!t.ok()) return Fail(ToErrno(t.error()));
    tags = std::move(t).value();
  }
  if (node->is_dir && !has_object) {
    auto r = store_->Put(key, "", w);
    if (!r.ok()) return Fail(ToErrno(r.error()));
  } else {
    auto r = store_->Copy(key, key, size, &w);
    if (!r.ok()) return Fail(ToErrno(r.error()));
    if (!tags.empty()) {
      auto t = store_->PutTags(key, tags);
      if (!t.ok()) {
        S3FS_LOG_WARN("{}: attributes rewritten, but its {} tags could not be put back: {}", key,
                      tags.size(), t.error().ToString());
        return Fail(ToErrno(t.error()));
      }
    }
  }
  auto h = store_->Head(key);
  std::lock_guard lock(mu_);
  node->stored = stored;
  node->has_object = true;
  if (h.ok()) {
    node->meta = *h;
    node->meta_complete = true;
    node->stored = DecodeAttrs(h->metadata);
    CacheNodeLocked(*node);
  } else {
    node->meta.metadata = w.metadata;
    CacheForgetTree(node->path);  // S3 has new metadata we have not seen
  }
  FillAttrLocked(*node);
  node->attr_expires = clock_->Monotonic() + o_.stat_ttl;
  return {};
}

FsResult<std::string> FilesystemImpl::ReadLink(Ino ino) {
  auto n = GetNode(ino);
  if (!n) return Fail(ENOENT);
  {
    std::lock_guard lock(mu_);
    if (!S_ISLNK(n->attr.mode)) return Fail(EINVAL);
    if (!n->link_target.empty()) return n->link_target;
  }
  auto body = store_->Read(FileKey(n->path), 0, 4096, "");
  if (!body.ok()) return Fail(ToErrno(body.error()));
  std::lock_guard lock(mu_);
  n->link_target = *body;
  return n->link_target;
}

FsResult<Entry> FilesystemImpl::MkNod(Ino parent_ino, std::string_view name, uint32_t mode,
                                      const Caller& caller) {
  if (o_.read_only) return Fail(EROFS);
  uint32_t type = mode & S_IFMT;
  if (type != S_IFREG && type != S_IFIFO && type != S_IFSOCK && type != 0) return Fail(EPERM);
  if (type == 0) type = S_IFREG;
  auto parent = GetNode(parent_ino);
  S3FS_ASSIGN_OR_RETURN(std::string path, ChildPath(parent, name));
  StoredAttrs s;
  s.mode = type | (mode & 07777 & ~caller.umask);
  s.uid = caller.uid;
  s.gid = caller.gid;
  s.mtime = s.ctime = s.atime = Now();
  WriteAttrs w = o_.write_defaults;
  EncodeAttrs(s, &w.metadata);
  w.content_type = "application/octet-stream";
  auto r = store_->Put(FileKey(path), "", w);
  if (!r.ok()) return Fail(ToErrno(r.error()));
  ObjectMeta m;
  m.key = FileKey(path);
  m.etag = *r;
  m.metadata = w.metadata;
  m.content_type = w.content_type;
  m.last_modified = clock_->Now();
  m.has_metadata = true;
  std::lock_guard lock(mu_);
  auto n = UpsertLocked(path, false, &m, true);
  ListingAddLocked(path, false);
  n->nlookup++;
  return MakeEntry(*n);
}

FsResult<Entry> FilesystemImpl::MkDir(Ino parent_ino, std::string_view name, uint32_t mode,
                                      const Caller& caller) {
  if (o_.read_only) return Fail(EROFS);
  auto parent = GetNode(parent_ino);
  S3FS_ASSIGN_OR_RETURN(std::string path, ChildPath(parent, name));
  StoredAttrs s;
  s.mode = mode & 07777 & ~caller.umask;  // markers carry permission bits only (s3fs 1.90)
  s.uid = caller.uid;
  s.gid = caller.gid;
  s.mtime = s.ctime = s.atime = Now();
  WriteAttrs w = o_.write_defaults;
  EncodeAttrs(s, &w.metadata);
  w.content_type = std::string(kDirContentType);
  auto r = store_->Put(DirKey(path), "", w);
  if (!r.ok()) return Fail(ToErrno(r.error()));
  ObjectMeta m;
  m.key = DirKey(path);
  m.etag = *r;
  m.metadata = w.metadata;
  m.content_type = w.content_type;
  m.last_modified = clock_->Now();
  m.has_metadata = true;
  std::lock_guard lock(mu_);
  auto n = UpsertLocked(path, true, &m, true);
  // A directory we just created is empty: lookups in it need no request until the TTL.
  n->listing = Listing{{}, clock_->Monotonic() + o_.stat_ttl};
  ListingAddLocked(path, true);
  n->nlookup++;
  return MakeEntry(*n);
}

FsResult<Entry> FilesystemImpl::Symlink(std::string_view target, Ino parent_ino,
                                        std::string_view name, const Caller& caller) {
  if (o_.read_only) return Fail(EROFS);
  auto parent = GetNode(parent_ino);
  S3FS_ASSIGN_OR_RETURN(std::string path, ChildPath(parent, name));
  StoredAttrs s;
  s.mode = S_IFLNK | 0777;
  s.uid = caller.uid;
  s.gid = caller.gid;
  s.mtime = s.ctime = s.atime = Now();
  WriteAttrs w = o_.write_defaults;
  EncodeAttrs(s, &w.metadata);
  w.content_type = "application/octet-stream";
  auto r = store_->Put(FileKey(path), std::string(target), w);
  if (!r.ok()) return Fail(ToErrno(r.error()));
  ObjectMeta m;
  m.key = FileKey(path);
  m.etag = *r;
  m.size = target.size();
  m.metadata = w.metadata;
  m.last_modified = clock_->Now();
  m.has_metadata = true;
  std::lock_guard lock(mu_);
  auto n = UpsertLocked(path, false, &m, true);
  n->link_target = std::string(target);
  ListingAddLocked(path, false);
  n->nlookup++;
  return MakeEntry(*n);
}

FsResult<Entry> FilesystemImpl::Link(Ino, Ino, std::string_view) {
  return Fail(ENOTSUP);  // S3 has no hard links
}

FsStatus FilesystemImpl::Unlink(Ino parent_ino, std::string_view name) {
  if (o_.read_only) return Errno(EROFS);
  auto parent = GetNode(parent_ino);
  S3FS_ASSIGN_OR_RETURN(std::string path, ChildPath(parent, name));
  std::shared_ptr<Node> n;
  {
    std::lock_guard lock(mu_);
    if (auto it = by_path_.find(path); it != by_path_.end()) n = nodes_[it->second];
  }
  if (!n) {
    auto r = Resolve(path);
    if (!r.ok()) return Errno(r.error());
    n = r.value();
  }
  if (n->is_dir) return Errno(EISDIR);
  bool defer = false;
  bool exists_remotely = true;
  {
    std::lock_guard lock(mu_);
    exists_remotely = n->has_object || n->meta_complete || !n->meta.etag.empty();
    if (n->open_handles > 0) {
      // Keep the object for open readers; it is deleted at the last close. The name is gone
      // from this mount at once.
      defer = true;
      n->unlinked = true;
      if (auto it = by_path_.find(path); it != by_path_.end() && it->second == n->ino) {
        by_path_.erase(it);
      }
      ListingRemoveLocked(path);
      AddNegativeLocked(path);
    }
  }
  if (defer) return {};
  std::shared_ptr<FileState> pending_state;
  if (ClosePending(n)) {
    std::lock_guard lock(mu_);
    pending_state = n->file;
  }
  if (std::shared_ptr<FileState> state = pending_state) {
    // A closed file whose upload has not run (async_close): it is dropped, and an upload in
    // flight is waited for, so that it cannot bring the object back after the delete.
    {
      std::lock_guard lock(mu_);
      n->unlinked = true;
    }
    std::lock_guard io(state->mu);
    if (!state->pending_id.empty()) {
      state->dirty = false;
      NoteDirty(*state);
      EndPendingCloseLocked(*state);
    }
    std::lock_guard lock(mu_);
    exists_remotely = n->has_object || !n->meta.etag.empty();
  }
  if (exists_remotely || !(n->file && n->file->dirty)) {
    auto r = store_->Delete(FileKey(path));
    if (!r.ok() && r.error().kind != "ObjectNotFound") return Errno(ToErrno(r.error()));
  }
  std::lock_guard lock(mu_);
  if (auto it = by_path_.find(path); it != by_path_.end() && it->second == n->ino) {
    by_path_.erase(it);
  }
  n->unlinked = true;
  ListingRemoveLocked(path);
  AddNegativeLocked(path);
  return {};
}

FsStatus FilesystemImpl::RmDir(Ino parent_ino, std::string_view name) {
  if (o_.read_only) return Errno(EROFS);
  auto parent = GetNode(parent_ino);
  S3FS_ASSIGN_OR_RETURN(std::string path, ChildPath(parent, name));
  std::string dkey = DirKey(path);
  {
    // Files in it not in S3 yet (being written, or closed with async_close) count.
    std::lock_guard lock(mu_);
    const std::string under = path + "/";
    for (const auto& [ino, c] : nodes_) {
      if (c->file && c->file->dirty && !c->unlinked &&
          c->path.compare(0, under.size(), under) == 0) {
        return Errno(ENOTEMPTY);
      }
    }
  }
  auto page = store_->List(dkey, "/", "", 2);
  if (!page.ok()) return Errno(ToErrno(page.error()));
  bool has_marker = false;
  for (const auto& o : page->objects) {
    if (o.key == dkey) {
      has_marker = true;
    } else {
      return Errno(ENOTEMPTY);
    }
  }
  if (!page->prefixes.empty() || page->truncated) return Errno(ENOTEMPTY);
  if (!has_marker) {
    // Implicit directory with no children left, or not a directory at all.
    std::lock_guard lock(mu_);
    auto it = by_path_.find(path);
    if (it == by_path_.end() || !nodes_[it->second]->is_dir) {
      auto f = by_path_.find(path);
      if (f != by_path_.end()) return Errno(ENOTDIR);
    }
  }
  if (has_marker) {
    auto r = store_->Delete(dkey);
    if (!r.ok()) return Errno(ToErrno(r.error()));
  }
  (void)store_->Delete(FileKey(path) + "_$folder$");
  CacheForgetTree(path);
  std::lock_guard lock(mu_);
  if (auto it = by_path_.find(path); it != by_path_.end()) {
    auto n = nodes_[it->second];
    n->unlinked = true;
    by_path_.erase(it);
  }
  ListingRemoveLocked(path);
  AddNegativeLocked(path);
  return {};
}

void FilesystemImpl::MovePathsLocked(const std::string& from, const std::string& to, bool is_dir) {
  std::vector<std::pair<std::string, Ino>> moved;
  for (const auto& [p, ino] : by_path_) {
    if (p == from || (is_dir && str::StartsWith(p, from + "/"))) moved.emplace_back(p, ino);
  }
  for (const auto& [p, ino] : moved) by_path_.erase(p);
  for (const auto& [p, ino] : moved) {
    std::string np = to + p.substr(from.size());
    auto& n = nodes_[ino];
    n->path = np;
    n->meta.key = n->is_dir ? DirKey(np) : FileKey(np);
    if (n->is_dir) n->listing.reset();
    by_path_[np] = ino;
    negative_.erase(np);
  }
  negative_.erase(to);
}

FsStatus FilesystemImpl::RenameDirectory(const std::string& from, const std::string& to) {
  // Closed files not uploaded yet (async_close) go up first: the keys are what is moved.
  S3FS_RETURN_IF_ERROR(UploadPendingUnder(from));
  // Every key under from/ is copied to to/ (in parallel), then the old keys are deleted.
  std::vector<ObjectMeta> objects;
  std::string token;
  std::string src_prefix = DirKey(from);
  std::string dst_prefix = DirKey(to);
  do {
    auto page = store_->List(src_prefix, "", token, 1000);
    if (!page.ok()) return Errno(ToErrno(page.error()));
    for (auto& o : page->objects) objects.push_back(std::move(o));
    token = page->truncated ? page->next_token : "";
  } while (!token.empty());
  bool has_marker = std::any_of(objects.begin(), objects.end(),
                                [&](const ObjectMeta& o) { return o.key == src_prefix; });
  const size_t workers = std::min<size_t>(16, std::max<size_t>(1, objects.size()));
  std::atomic<size_t> next{0};
  std::atomic<int> first_error{0};
  auto work = [&] {
    for (size_t i = next++; i < objects.size() && first_error == 0; i = next++) {
      const auto& o = objects[i];
      std::string dst = dst_prefix + o.key.substr(src_prefix.size());
      auto r = store_->Copy(o.key, dst, o.size, nullptr);
      if (!r.ok()) {
        int expected = 0;
        first_error.compare_exchange_strong(expected, ToErrno(r.error()));
      }
    }
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < workers; ++i) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  if (first_error != 0) return Errno(first_error);
  if (!has_marker) {
    // Implicit source directory: give the destination a marker so it exists even if empty.
    WriteAttrs w = o_.write_defaults;
    w.content_type = std::string(kDirContentType);
    StoredAttrs s;
    s.mode = kDefaultDirPerm;
    s.mtime = s.ctime = Now();
    EncodeAttrs(s, &w.metadata);
    auto r = store_->Put(dst_prefix, "", w);
    if (!r.ok()) return Errno(ToErrno(r.error()));
  }
  std::vector<std::string> keys;
  keys.reserve(objects.size());
  for (const auto& o : objects) keys.push_back(o.key);
  if (!keys.empty()) {
    auto r = store_->DeleteMany(keys);
    if (!r.ok()) return Errno(ToErrno(r.error()));
  }
  return {};
}

FsStatus FilesystemImpl::Rename(Ino parent_ino, std::string_view name, Ino new_parent_ino,
                                std::string_view new_name, unsigned flags) {
  if (o_.read_only) return Errno(EROFS);
  if (flags & RENAME_EXCHANGE) return Errno(EINVAL);
  if (flags & ~static_cast<unsigned>(RENAME_NOREPLACE)) return Errno(EINVAL);
  auto parent = GetNode(parent_ino);
  auto new_parent = GetNode(new_parent_ino);
  S3FS_ASSIGN_OR_RETURN(std::string from, ChildPath(parent, name));
  S3FS_ASSIGN_OR_RETURN(std::string to, ChildPath(new_parent, new_name));
  if (from == to) return {};
  if (str::StartsWith(to, from + "/")) return Errno(EINVAL);
  std::shared_ptr<Node> src;
  {
    std::lock_guard lock(mu_);
    if (auto it = by_path_.find(from); it != by_path_.end()) src = nodes_[it->second];
  }
  if (!src) {
    S3FS_ASSIGN_OR_RETURN(src, Resolve(from));
  }
  // Destination.
  std::shared_ptr<Node> dst;
  bool dst_known_absent = false;
  {
    std::lock_guard lock(mu_);
    if (auto it = by_path_.find(to); it != by_path_.end()) dst = nodes_[it->second];
    dst_known_absent = !dst && (NegativeHitLocked(to) || ParentListingSaysAbsentLocked(to));
  }
  if (!dst && !dst_known_absent) {
    auto r = Resolve(to);
    if (r.ok())
      dst = r.value();
    else if (r.error() != ENOENT)
      return Errno(r.error());
  }
  if (dst) {
    if (flags & RENAME_NOREPLACE) return Errno(EEXIST);
    if (src->is_dir && !dst->is_dir) return Errno(ENOTDIR);
    if (!src->is_dir && dst->is_dir) return Errno(EISDIR);
    if (dst->is_dir) {
      auto page = store_->List(DirKey(to), "/", "", 2);
      if (!page.ok()) return Errno(ToErrno(page.error()));
      for (const auto& o : page->objects) {
        if (o.key != DirKey(to)) return Errno(ENOTEMPTY);
      }
      if (!page->prefixes.empty()) return Errno(ENOTEMPTY);
    }
  }
  if (src->is_dir) {
    S3FS_RETURN_IF_ERROR(RenameDirectory(from, to));
  } else {
    // Dirty data goes up first so the copy carries it.
    if (src->file) {
      auto up = UploadIfDirty(src);
      if (!up.ok()) return up;
    }
    S3FS_RETURN_IF_ERROR(EnsureMeta(src));
    uint64_t size;
    {
      std::lock_guard lock(mu_);
      size = src->meta.size;
    }
    auto c = store_->Copy(FileKey(from), FileKey(to), size, nullptr);
    if (!c.ok()) return Errno(ToErrno(c.error()));
    if (std::shared_ptr<FileState> state = src->file) {
      // An open file staged as an edit reads its unchanged bytes from the object: from now on
      // the copy, whose ETag may differ (multipart copies get new ones).
      std::lock_guard io(state->mu);
      if (!state->base_etag.empty() && !state->present.Contains(0, state->base_valid)) {
        auto head = store_->Head(FileKey(to));
        if (head.ok()) {
          state->base_etag = head->etag;
        } else {
          S3FS_LOG_WARN(
              "rename {} -> {}: the copy cannot be checked ({}); its unstaged bytes "
              "will be unreadable",
              from, to, head.error().ToString());
        }
      }
    }
    auto d = store_->Delete(FileKey(from));
    if (!d.ok() && d.error().kind != "ObjectNotFound") {
      // The copy exists; the source could not be removed. Report it: the user now has both.
      S3FS_LOG_ERROR("rename {} -> {}: copied, but deleting the source failed: {}", from, to,
                     d.error().ToString());
      return Errno(ToErrno(d.error()));
    }
  }
  CacheForgetTree(from);
  CacheForgetTree(to);
  std::lock_guard lock(mu_);
  if (dst) {
    dst->unlinked = true;
    if (auto it = by_path_.find(to); it != by_path_.end() && it->second == dst->ino) {
      by_path_.erase(it);
    }
  }
  MovePathsLocked(from, to, src->is_dir);
  ListingRemoveLocked(from);
  ListingAddLocked(to, src->is_dir);
  AddNegativeLocked(from);
  src->attr_expires = clock_->Monotonic() + o_.stat_ttl;
  return {};
}

FsResult<Attr> FilesystemImpl::SetAttr(Ino ino, const SetAttrRequest& req,
                                       std::optional<uint64_t> fh, const Caller& caller) {
  (void)caller;
  auto n = GetNode(ino);
  if (!n) return Fail(ENOENT);
  if (o_.read_only) return Fail(EROFS);
  if (req.size) {
    if (n->is_dir) return Fail(EISDIR);
    // A close accepted before its upload (async_close) goes up before its content changes.
    if (ClosePending(n)) S3FS_RETURN_IF_ERROR(UploadIfDirty(n));
    std::shared_ptr<FileState> state;
    {
      std::lock_guard lock(mu_);
      if (!n->file) n->file = std::make_shared<FileState>();
      state = n->file;
    }
    std::lock_guard io(state->mu);
    if (state->failed != 0) return Fail(state->failed);
    if (!state->loaded) {
      if (*req.size == 0) {
        auto fd = NewStagingFile();
        if (!fd.ok()) return Fail(fd.error());
        state->fd = *fd;
        state->loaded = true;
      } else {
        S3FS_RETURN_IF_ERROR(LoadStaging(n, *state));
      }
    }
    if (*req.size == 0) {
      S3FS_RETURN_IF_ERROR(TruncateToEmptyLocked(*state));
    } else {
      if (state->stream &&
          (*req.size < state->stream->committed() || state->stream->completing())) {
        // Below parts already sent: the upload is completed, then this is an edit of it.
        S3FS_RETURN_IF_ERROR(UploadLocked(n, *state));
      }
      if (::ftruncate(state->fd, static_cast<off_t>(*req.size)) != 0) return Fail(errno);
      state->present.Clip(*req.size);
      state->written.Clip(*req.size);
      state->base_valid = std::min(state->base_valid, *req.size);
    }
    state->size = *req.size;
    state->dirty = true;
    NoteDirty(*state);
    std::lock_guard lock(mu_);
    n->stored.mtime = n->stored.ctime = Now();
    FillAttrLocked(*n);
  }
  if (req.size && !fh) {
    // truncate(2) on a path: no close will follow, so upload now.
    S3FS_RETURN_IF_ERROR(UploadIfDirty(n));
  }
  if (req.mode || req.uid || req.gid || req.atime || req.mtime) {
    S3FS_RETURN_IF_ERROR(EnsureMeta(n));
    StoredAttrs s;
    {
      std::lock_guard lock(mu_);
      s = n->stored;
      if (!s.mode) s.mode = n->is_dir ? (n->attr.mode & 07777) : n->attr.mode;
      if (!s.uid) s.uid = n->attr.uid;
      if (!s.gid) s.gid = n->attr.gid;
      if (!s.mtime) s.mtime = n->attr.mtime;
    }
    struct timespec now = Now();
    if (req.mode) {
      uint32_t type = n->is_dir ? 0 : (n->attr.mode & S_IFMT);
      s.mode = type | (*req.mode & 07777);
    }
    if (req.uid) s.uid = *req.uid;
    if (req.gid) s.gid = *req.gid;
    if (req.atime) s.atime = req.atime->tv_nsec == UTIME_NOW ? now : *req.atime;
    if (req.mtime) s.mtime = req.mtime->tv_nsec == UTIME_NOW ? now : *req.mtime;
    s.ctime = now;
    S3FS_RETURN_IF_ERROR(PersistAttrs(n, s));
  }
  std::lock_guard lock(mu_);
  FillAttrLocked(*n);
  return n->attr;
}

FsResult<std::map<std::string, FilesystemImpl::ListedItem>> FilesystemImpl::FetchListing(
    const std::shared_ptr<Node>& dir, size_t max_items) {
  std::string prefix = DirKey(dir->path);
  std::map<std::string, ListedItem> items;
  std::optional<ObjectMeta> marker;
  std::string token;
  do {
    auto page = store_->List(prefix, "/", token, 1000);
    if (!page.ok()) return Fail(ToErrno(page.error()));
    for (auto& p : page->prefixes) {
      std::string name = p.substr(prefix.size());
      if (!name.empty() && name.back() == '/') name.pop_back();
      if (name.empty() || name.find('/') != std::string::npos) continue;
      items[name] = ListedItem{name, true, ObjectMeta{}, false};
    }
    for (auto& o : page->objects) {
      if (o.key == prefix) {  // the directory's own marker
        marker = o;
        continue;
      }
      std::string name = o.key.substr(prefix.size());
      bool folder = str::EndsWith(name, "_$folder$");
      if (folder) name.resize(name.size() - 9);
      if (name.empty() || name.size() > 255) continue;
      auto it = items.find(name);
      if (it != items.end() && it->second.is_dir) {
        continue;  // a directory and a file of one name: the directory wins
      }
      items[name] = ListedItem{name, folder, std::move(o), !folder};
    }
    token = page->truncated ? page->next_token : "";
    if (items.size() > max_items) return Fail(E2BIG);
  } while (!token.empty());
  RevalidateMarker(dir, marker);
  return items;
}

void FilesystemImpl::RevalidateMarker(const std::shared_ptr<Node>& dir,
                                      const std::optional<ObjectMeta>& marker) {
  // A directory's attributes may come from an earlier mount's record (a parent's listing
  // shows it as a prefix, without an ETag); its own listing shows its marker's ETag.
  if (dir->ino == kRootIno) return;
  std::string dkey = DirKey(dir->path);
  {
    std::lock_guard lock(mu_);
    if (!marker) {
      if (dir->has_object && dir->meta.key == dkey) {
        dir->has_object = false;  // marker gone: an implicit directory now
        CacheNodeLocked(*dir);
      }
      return;
    }
    if (dir->has_object && dir->meta_complete && dir->meta.etag == marker->etag) return;
  }
  auto h = store_->Head(dkey);
  if (!h.ok()) return;  // the next lookup finds out
  std::lock_guard lock(mu_);
  UpsertLocked(dir->path, true, &h.value(), true);
}

FsResult<std::vector<DirEntry>> FilesystemImpl::ListDirectory(const std::shared_ptr<Node>& dir) {
  S3FS_ASSIGN_OR_RETURN(auto items, FetchListing(dir, SIZE_MAX));
  S3FS_RETURN_IF_ERROR(FillMetadata(dir, items));
  CacheListing(dir->path, items);
  std::lock_guard lock(mu_);
  return EntriesFromItemsLocked(dir, items, clock_->Monotonic() + o_.stat_ttl);
}

void FilesystemImpl::MaybeFillListedChildren(const std::shared_ptr<Node>& parent) {
  std::map<std::string, ListedItem> items;
  {
    std::lock_guard lock(mu_);
    auto& l = parent->listing;
    if (o_.list_attrs_only || !l || clock_->Monotonic() >= l->expires || l->filled) return;
    // The burst pays off once a good part of the directory is being looked up: after 2 names
    // in a small directory, after 1/16 of a large one (at most 64 names one by one).
    const uint32_t threshold =
        static_cast<uint32_t>(std::clamp<size_t>(l->children.size() / 16, 2, 64));
    if (++l->lookups < threshold) return;
    l->filled = true;
    for (const auto& [name, c] : l->children) {
      if (!c.is_dir && c.listed.key.empty()) continue;  // added by this mount: known already
      items.emplace(name, ListedItem{name, c.is_dir, c.listed, !c.is_dir});
    }
  }
  if (!FillMetadata(parent, items).ok()) return;  // lookups go on one by one
  std::lock_guard lock(mu_);
  for (auto& [name, item] : items) {
    std::string path = parent->path.empty() ? name : parent->path + "/" + name;
    if (auto it = by_path_.find(path);
        it != by_path_.end() && nodes_[it->second]->file && nodes_[it->second]->file->dirty) {
      continue;
    }
    if (item.headed || item.from_cache) {
      if (item.has_object) {
        UpsertLocked(path, item.is_dir, &item.meta, true, !item.from_cache);
      } else {
        UpsertLocked(path, true, nullptr, false, false);
      }
    } else if (item.headed_implicit) {
      UpsertLocked(path, true, nullptr, false);
    }
  }
}

FsStatus FilesystemImpl::FillMetadata(const std::shared_ptr<Node>& dir,
                                      std::map<std::string, ListedItem>& items) {
  // Exact attributes need each object's metadata: reuse what this mount or the metadata cache
  // holds for the same version, HEAD the rest in parallel (unless list_attrs_only).
  std::vector<std::string> to_head;
  std::vector<std::string> head_names;
  if (!o_.list_attrs_only) {
    std::vector<std::string> unknown;
    {
      std::lock_guard lock(mu_);
      for (auto& [name, item] : items) {
        std::string path = dir->path.empty() ? name : dir->path + "/" + name;
        auto it = by_path_.find(path);
        if (it != by_path_.end()) {
          auto& n = nodes_[it->second];
          if (n->file && n->file->dirty) continue;
          if (item.has_object && n->meta_complete && n->meta.etag == item.meta.etag) continue;
          if (item.is_dir && n->is_dir && clock_->Monotonic() < n->attr_expires) continue;
        }
        unknown.push_back(name);
      }
    }
    for (const auto& name : unknown) {
      auto& item = items[name];
      std::string path = dir->path.empty() ? name : dir->path + "/" + name;
      if (MetaFromCache(path, item)) continue;
      to_head.push_back(item.is_dir ? DirKey(path) : FileKey(path));
      head_names.push_back(name);
    }
  }
  if (!to_head.empty()) {
    auto heads = store_->HeadMany(to_head);
    for (size_t i = 0; i < heads.size(); ++i) {
      auto& item = items[head_names[i]];
      if (heads[i].ok()) {
        bool dir_by_meta = IsDirectoryObject(*heads[i]);
        item.meta = std::move(heads[i].value());
        item.has_object = true;
        item.headed = true;
        if (dir_by_meta) item.is_dir = true;
      } else if (heads[i].error().kind != "ObjectNotFound") {
        return Fail(ToErrno(heads[i].error()));
      } else if (item.is_dir) {
        item.headed_implicit = true;  // no marker: an implicit directory, now known
      }
    }
  }
  return {};
}

std::vector<DirEntry> FilesystemImpl::EntriesFromItemsLocked(
    const std::shared_ptr<Node>& dir, std::map<std::string, ListedItem>& items, Steady expires) {
  std::vector<DirEntry> out;
  out.reserve(items.size() + 2);
  FillAttrLocked(*dir);
  out.push_back(DirEntry{".", dir->attr});
  Attr parent_attr = dir->attr;
  if (auto it = by_path_.find(ParentPath(dir->path));
      it != by_path_.end() && dir->ino != kRootIno) {
    parent_attr = nodes_[it->second]->attr;
  }
  out.push_back(DirEntry{"..", parent_attr});
  Listing listing;
  listing.expires = expires;
  for (auto& [name, item] : items) {
    std::string path = dir->path.empty() ? name : dir->path + "/" + name;
    std::shared_ptr<Node> n;
    if (auto it = by_path_.find(path);
        it != by_path_.end() && nodes_[it->second]->file && nodes_[it->second]->file->dirty) {
      n = nodes_[it->second];  // local dirty state wins over the listing
    } else if (item.has_object || !item.meta.key.empty()) {
      n = UpsertLocked(path, item.is_dir, &item.meta, item.has_object, !item.from_cache);
    } else {
      n = UpsertLocked(path, item.is_dir, nullptr, false, item.headed_implicit);
    }
    listing.children[name] = ChildOf(item);
    out.push_back(DirEntry{name, n->attr});
  }
  // Files created here but not yet uploaded are listed too.
  for (const auto& n : UnsavedChildrenLocked(dir->path)) {
    std::string name = BaseName(n->path);
    if (listing.children.emplace(name, ChildInfo{false, {}}).second) {
      out.push_back(DirEntry{name, n->attr});
    }
  }
  dir->listing = std::move(listing);
  return out;
}

std::vector<std::shared_ptr<Node>> FilesystemImpl::UnsavedChildrenLocked(
    const std::string& dir_path) {
  std::vector<std::shared_ptr<Node>> out;
  for (const auto& [p, ino] : by_path_) {
    if (p.empty() || ParentPath(p) != dir_path) continue;
    auto& n = nodes_[ino];
    if (n->file && n->file->dirty && !n->unlinked) out.push_back(n);
  }
  return out;
}

FsResult<uint64_t> FilesystemImpl::OpenDir(Ino ino) {
  auto n = GetNode(ino);
  if (!n) return Fail(ENOENT);
  if (!n->is_dir) return Fail(ENOTDIR);
  std::vector<DirEntry> entries;
  {
    // A listing fetched within the attribute TTL (or a directory this mount created) is
    // served locally, with the attributes of the inodes it names.
    std::lock_guard lock(mu_);
    if (n->listing && clock_->Monotonic() < n->listing->expires) {
      UsedLocked(n->listing->expires);
      FillAttrLocked(*n);
      entries.push_back(DirEntry{".", n->attr});
      entries.push_back(DirEntry{"..", n->attr});
      for (const auto& [name, child] : n->listing->children) {
        std::string path = n->path.empty() ? name : n->path + "/" + name;
        auto it = by_path_.find(path);
        if (it == by_path_.end()) {
          entries.clear();  // an inode was evicted: list again
          break;
        }
        auto& c = nodes_[it->second];
        FillAttrLocked(*c);
        entries.push_back(DirEntry{name, c->attr});
      }
    }
  }
  if (entries.empty()) {
    // Then a listing the metadata cache holds (e.g. from before a remount), then S3.
    Steady expires;
    if (auto cached = ListingFromCache(n->path, &expires)) {
      std::lock_guard lock(mu_);
      entries = EntriesFromItemsLocked(n, *cached, expires);
    } else {
      S3FS_ASSIGN_OR_RETURN(entries, ListDirectory(n));
    }
  }
  auto h = std::make_shared<DirHandle>();
  h->entries = std::move(entries);
  std::lock_guard lock(mu_);
  uint64_t fh = next_fh_++;
  dir_handles_[fh] = std::move(h);
  return fh;
}

FsResult<std::vector<DirEntry>> FilesystemImpl::ReadDir(Ino, uint64_t fh, uint64_t offset,
                                                        size_t max_entries) {
  std::lock_guard lock(mu_);
  auto it = dir_handles_.find(fh);
  if (it == dir_handles_.end()) return Fail(EBADF);
  const auto& all = it->second->entries;
  std::vector<DirEntry> out;
  for (uint64_t i = offset; i < all.size() && out.size() < max_entries; ++i) out.push_back(all[i]);
  return out;
}

FsStatus FilesystemImpl::ReleaseDir(Ino, uint64_t fh) {
  std::lock_guard lock(mu_);
  dir_handles_.erase(fh);
  return {};
}

FsResult<StatFs> FilesystemImpl::StatFilesystem() {
  // S3 has no capacity: report a large, constant size (as s3fs-fuse does).
  StatFs s;
  s.block_size = 4096;
  s.blocks = (1ULL << 50) / s.block_size;  // 1 PiB
  s.blocks_free = s.blocks;
  s.files = 1ULL << 32;
  s.files_free = s.files;
  s.name_max = 255;
  return s;
}

// ---- Extended attributes: user.* kept in x-amz-meta-xattr (s3fs-fuse's format) ----

FsResult<std::string> FilesystemImpl::GetXattr(Ino ino, std::string_view name) {
  auto n = GetNode(ino);
  if (!n) return Fail(ENOENT);
  if (IsS3Xattr(name)) return GetS3Xattr(n, name);
  // Only user.* names are stored. Other namespaces are "not supported" (not "no such
  // attribute"): `ls -l` then stops asking this filesystem for SELinux labels and ACLs after the
  // first file instead of spending two round trips on every file.
  if (!str::StartsWith(name, "user.")) return Fail(ENOTSUP);
  S3FS_RETURN_IF_ERROR(EnsureMeta(n));
  std::lock_guard lock(mu_);
  auto it = n->stored.xattrs.find(std::string(name));
  if (it == n->stored.xattrs.end()) return Fail(ENODATA);
  return it->second;
}

FsStatus FilesystemImpl::SetXattr(Ino ino, std::string_view name, std::string_view value,
                                  int flags) {
  if (o_.read_only) return Errno(EROFS);
  if (!str::StartsWith(name, "user.")) return Errno(ENOTSUP);
  auto n = GetNode(ino);
  if (!n) return Errno(ENOENT);
  if (IsS3Xattr(name)) return SetS3Xattr(n, name, value, flags);
  S3FS_RETURN_IF_ERROR(EnsureMeta(n));
  StoredAttrs s;
  {
    std::lock_guard lock(mu_);
    s = n->stored;
    bool exists = s.xattrs.count(std::string(name)) > 0;
    if ((flags & XATTR_CREATE) && exists) return Errno(EEXIST);
    if ((flags & XATTR_REPLACE) && !exists) return Errno(ENODATA);
    s.xattrs[std::string(name)] = std::string(value);
    std::map<std::string, std::string> probe;
    EncodeAttrs(s, &probe);
    if (probe["xattr"].size() > 2000) return Errno(E2BIG);  // S3 user metadata is 2 KiB
  }
  return PersistAttrs(n, s);
}

FsResult<std::vector<std::string>> FilesystemImpl::ListXattr(Ino ino) {
  auto n = GetNode(ino);
  if (!n) return Fail(ENOENT);
  S3FS_RETURN_IF_ERROR(EnsureMeta(n));
  std::lock_guard lock(mu_);
  std::vector<std::string> names;
  for (const auto& [k, v] : n->stored.xattrs) names.push_back(k);
  for (auto& k : S3XattrNames(*n)) names.push_back(std::move(k));
  return names;
}

FsStatus FilesystemImpl::RemoveXattr(Ino ino, std::string_view name) {
  if (o_.read_only) return Errno(EROFS);
  auto n = GetNode(ino);
  if (!n) return Errno(ENOENT);
  if (IsS3Xattr(name)) return RemoveS3Xattr(n, name);
  S3FS_RETURN_IF_ERROR(EnsureMeta(n));
  StoredAttrs s;
  {
    std::lock_guard lock(mu_);
    s = n->stored;
    if (s.xattrs.erase(std::string(name)) == 0) return Errno(ENODATA);
  }
  return PersistAttrs(n, s);
}

}  // namespace s3fs::fs
