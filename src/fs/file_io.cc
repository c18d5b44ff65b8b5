// Filesystem core, file half: handles, reads (ranged GETs with a growing read-ahead window,
// pinned to the ETag seen at open), writes staged in an unlinked local file, and uploads that
// complete before close()/fsync() return.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <future>

#include "filesystem_impl.h"
#include "s3fs/common/fd_io.h"
#include "s3fs/common/log.h"
#include "s3fs/fs/errno_map.h"
#include "s3fs/read/caching_source.h"

namespace s3fs::fs {
namespace {

// The bytes of one object version, for an ObjectReader.
class StoreRangeSource final : public read::RangeSource {
 public:
  StoreRangeSource(std::shared_ptr<ObjectStore> store, std::string key, std::string etag)
      : store_(std::move(store)), key_(std::move(key)), etag_(std::move(etag)) {}
  void Fetch(uint64_t offset, uint64_t len, std::string* dst, Done done) override {
    store_->ReadAsync(key_, offset, len, etag_, dst, std::move(done));
  }

 private:
  std::shared_ptr<ObjectStore> store_;
  std::string key_;
  std::string etag_;
};

}  // namespace

FsResult<int> FilesystemImpl::NewStagingFile() {
  // O_TMPFILE: no name, so a crash leaves nothing behind and nothing can collide.
  int fd = ::open(o_.staging_dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::string tmpl = o_.staging_dir + "/.s3fs-staging-XXXXXX";
    fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
    if (fd >= 0) ::unlink(tmpl.c_str());
  }
  if (fd < 0) {
    int e = errno;
    S3FS_LOG_ERROR("cannot create a staging file in {}: {}", o_.staging_dir, std::strerror(e));
    return Fail(e == ENOSPC ? ENOSPC : EIO);
  }
  return fd;
}

StoredAttrs FilesystemImpl::StoredForUploadLocked(const Node& n) const {
  StoredAttrs s = n.stored;
  if (!s.mode) s.mode = n.attr.mode;
  if (!s.uid) s.uid = n.attr.uid;
  if (!s.gid) s.gid = n.attr.gid;
  return s;
}

void FilesystemImpl::AbandonStream(FileState& fs, const char* why) {
  fs.stream_eligible = false;
  if (!fs.stream) return;
  S3FS_LOG_INFO("streaming upload of {} stopped ({}): the file is uploaded whole at close",
                fs.stream->key(), why);
  fs.stream->Abort();
  fs.stream.reset();
}

void FilesystemImpl::StreamAfterWrite(const std::shared_ptr<Node>& node, FileState& fs) {
  if (!fs.stream_eligible) return;
  if (!fs.stream) {
    write::StreamingOptions so;
    so.part_size = std::max<uint64_t>(o_.write_part_size, 5ULL << 20);
    so.max_in_flight = o_.write_parts_in_flight;
    so.slots = upload_slots_;
    if (fs.size < so.part_size + so.slack) return;  // small files: one PUT at close
    WriteAttrs w;
    std::string key;
    {
      std::lock_guard lock(mu_);
      if (node->unlinked) return;
      StoredAttrs s = StoredForUploadLocked(*node);
      // Times are left to the object's Last-Modified (the completion time, just after the
      // last write); explicit ones set meanwhile are applied after completion (attrs_set).
      s.mtime.reset();
      s.ctime.reset();
      s.atime.reset();
      w = AttrsForWrite(*node, s);
      for (const char* t : {"mtime", "ctime", "atime"}) w.metadata.erase(t);
      key = FileKey(node->path);
    }
    auto session = store_->StartMultipart(key, w);
    if (!session.ok()) {
      S3FS_LOG_WARN("cannot start a streaming upload of {} ({}): uploading at close instead", key,
                    session.error().ToString());
      fs.stream_eligible = false;
      return;
    }
    fs.stream = std::make_unique<write::StreamingUpload>(std::move(*session), fs.fd, so);
    fs.stream_attrs = std::move(w);
    fs.attrs_set = false;
  }
  if (!fs.stream->Advance(fs.size)) AbandonStream(fs, "a part upload failed");
}

FsStatus FilesystemImpl::LoadStaging(const std::shared_ptr<Node>& node, FileState& fs) {
  // REQUIRES: fs.mu held.
  if (fs.loaded) return {};
  auto fd = NewStagingFile();
  if (!fd.ok()) return Fail(fd.error());
  std::string key;
  std::string etag;
  bool has_object;
  {
    std::lock_guard lock(mu_);
    key = FileKey(node->path);
    etag = node->meta.etag;
    has_object = node->has_object || !node->meta.etag.empty();
  }
  uint64_t size = 0;
  if (has_object) {
    auto got = store_->GetToFile(key, *fd, etag);
    if (!got.ok()) {
      ::close(*fd);
      return Fail(ToErrno(got.error()));
    }
    size = *got;
  }
  fs.fd = *fd;
  fs.size = size;
  fs.loaded = true;
  return {};
}

FsStatus FilesystemImpl::UploadIfDirty(const std::shared_ptr<Node>& node) {
  std::shared_ptr<FileState> state;
  {
    std::lock_guard lock(mu_);
    state = node->file;
  }
  if (!state) return {};
  std::lock_guard io(state->mu);
  if (!state->dirty) return {};
  metrics::GaugeGuard uploading(m_.uploads_in_flight);
  WriteAttrs w;
  std::string key;
  {
    std::lock_guard lock(mu_);
    if (node->unlinked) {
      state->dirty = false;  // deleted before it was ever uploaded: nothing to keep
      NoteDirty(*state);
      if (state->stream) {
        state->stream->Abort();
        state->stream.reset();
      }
      state->stream_eligible = false;
      return {};
    }
    StoredAttrs s = StoredForUploadLocked(*node);
    if (!s.mtime) s.mtime = node->attr.mtime;
    if (!s.ctime) s.ctime = node->attr.ctime;
    w = AttrsForWrite(*node, s);
    key = FileKey(node->path);
  }
  if (state->stream && state->stream->key() != key) {
    AbandonStream(*state, "renamed while being written");
  }
  if (state->stream) {
    auto streamed = state->stream->Finish(state->size);
    state->stream.reset();
    state->stream_eligible = false;
    if (streamed.ok()) {
      WriteAttrs used = std::move(state->stream_attrs);
      if (state->attrs_set.exchange(false)) {
        // chmod/utimens/xattrs arrived after the upload started: apply them now.
        auto copied = store_->Copy(key, key, state->size, &w);
        if (!copied.ok()) {
          S3FS_LOG_ERROR("{}: data uploaded, but its attributes could not be set: {}", key,
                         copied.error().ToString());
          return Fail(ToErrno(copied.error()) == ENOENT ? EIO : ToErrno(copied.error()));
        }
        used = w;
        auto head = store_->Head(key);
        if (head.ok()) streamed = head->etag;
      }
      state->dirty = false;
      NoteDirty(*state);
      RecordUpload(node, key, *streamed, state->size, used);
      return {};
    }
    S3FS_LOG_WARN("streamed upload of {} failed ({}); uploading the staged file whole", key,
                  streamed.error().ToString());
  }
  if (!state->loaded) {
    S3FS_RETURN_IF_ERROR(LoadStaging(node, *state));
  }
  S3Result<std::string> etag = std::string();
  if (state->size <= (256u << 10)) {
    // Small files: one PUT from memory.
    std::string body(state->size, '\0');
    if (PreadFull(state->fd, body.data(), body.size(), 0) != body.size()) return Fail(EIO);
    etag = store_->Put(key, std::move(body), w);
  } else {
    etag = store_->PutFile(key, state->fd, state->size, w);
  }
  if (!etag.ok()) {
    S3FS_LOG_ERROR("upload of {} ({} bytes) failed: {}", key, state->size, etag.error().ToString());
    return Fail(ToErrno(etag.error()) == ENOENT ? EIO : ToErrno(etag.error()));
  }
  state->dirty = false;
  NoteDirty(*state);
  RecordUpload(node, key, *etag, state->size, w);
  return {};
}

void FilesystemImpl::RecordUpload(const std::shared_ptr<Node>& node, const std::string& key,
                                  const std::string& etag, uint64_t size, const WriteAttrs& w) {
  std::lock_guard lock(mu_);
  node->meta.key = key;
  node->meta.etag = etag;
  node->meta.size = size;
  node->meta.metadata = w.metadata;
  node->meta.content_type = w.content_type;
  node->meta.last_modified = clock_->Now();
  node->meta.has_metadata = true;
  node->meta.storage_class = w.storage_class;
  node->meta.sse.clear();
  node->meta.sse_kms_key_id.clear();
  node->meta.sse_customer_algorithm.clear();
  node->meta.version_id.clear();
  // What the server applied for encryption (and the version id) is in its answer, not in what
  // we asked: the next reader of those fields HEADs once.
  node->meta_complete = w.sse.kind == s3::Sse::Kind::kNone;
  node->has_object = true;
  node->stored = DecodeAttrs(w.metadata);
  FillAttrLocked(*node);
  node->attr_expires = clock_->Monotonic() + o_.stat_ttl;
  CacheNodeLocked(*node);
}

FsResult<uint64_t> FilesystemImpl::Open(Ino ino, int flags) {
  auto n = GetNode(ino);
  if (!n) return Fail(ENOENT);
  if (n->is_dir) return Fail(EISDIR);
  int acc = flags & O_ACCMODE;
  bool writable = acc == O_WRONLY || acc == O_RDWR;
  if (writable && o_.read_only) return Fail(EROFS);
  auto h = std::make_shared<Handle>();
  h->node = n;
  h->flags = flags;
  std::shared_ptr<FileState> state;
  {
    std::lock_guard lock(mu_);
    if (!n->file) n->file = std::make_shared<FileState>();
    state = n->file;
    h->etag = n->meta.etag;
    // The kernel may keep the pages it cached for this inode when they are of the same object
    // version and nothing was written here since (a second `cat` then needs no request).
    const bool same_version = !n->meta.etag.empty() && n->page_cache_etag == n->meta.etag;
    h->keep_cache = same_version && !state->dirty && !(writable && (flags & O_TRUNC));
    n->page_cache_etag = writable ? std::string() : n->meta.etag;
  }
  if (writable && (flags & O_TRUNC)) {
    std::lock_guard io(state->mu);
    if (!state->loaded) {
      auto fd = NewStagingFile();
      if (!fd.ok()) return Fail(fd.error());
      state->fd = *fd;
      state->loaded = true;
    } else {
      AbandonStream(*state, "truncated by another open");
      if (::ftruncate(state->fd, 0) != 0) return Fail(EIO);
    }
    state->size = 0;
    state->dirty = true;  // the truncation itself must reach S3 at close
    NoteDirty(*state);
    state->stream_eligible = o_.stream_writes;
  }
  std::lock_guard lock(mu_);
  state->handles++;
  n->open_handles++;
  if (writable && (flags & O_TRUNC)) {
    n->stored.mtime = n->stored.ctime = Now();
    FillAttrLocked(*n);
  }
  uint64_t fh = next_fh_++;
  handles_[fh] = std::move(h);
  return fh;
}

FsResult<std::pair<Entry, uint64_t>> FilesystemImpl::Create(Ino parent_ino, std::string_view name,
                                                            uint32_t mode, int flags,
                                                            const Caller& caller) {
  if (o_.read_only) return Fail(EROFS);
  auto parent = GetNode(parent_ino);
  S3FS_ASSIGN_OR_RETURN(std::string path, ChildPath(parent, name));
  auto fd = NewStagingFile();
  if (!fd.ok()) return Fail(fd.error());
  auto state = std::make_shared<FileState>();
  state->fd = *fd;
  state->loaded = true;
  state->dirty = true;  // close uploads it, even empty: one PUT per new file, nothing before
  state->stream_eligible = o_.stream_writes;
  state->handles = 1;
  std::lock_guard lock(mu_);
  if (auto it = by_path_.find(path); it != by_path_.end()) {
    auto& existing = nodes_[it->second];
    if (existing->is_dir) return Fail(EISDIR);
    if (flags & O_EXCL) return Fail(EEXIST);
  }
  auto n = UpsertLocked(path, false, nullptr, false);
  n->file = state;
  n->unlinked = false;
  n->meta = ObjectMeta{};
  n->meta.key = FileKey(path);
  n->meta_complete = true;  // a new object has no metadata beyond ours
  n->has_object = false;
  n->link_target.clear();
  struct timespec now = Now();
  n->stored = StoredAttrs{};
  n->stored.mode = S_IFREG | (mode & 07777 & ~caller.umask);
  n->stored.uid = caller.uid;
  n->stored.gid = caller.gid;
  n->stored.mtime = n->stored.ctime = n->stored.atime = now;
  FillAttrLocked(*n);
  n->open_handles++;
  n->nlookup++;
  ListingAddLocked(path, false);
  ForgetNegativeLocked(path);
  auto h = std::make_shared<Handle>();
  h->node = n;
  h->flags = flags;
  uint64_t fh = next_fh_++;
  handles_[fh] = std::move(h);
  return std::make_pair(MakeEntry(*n), fh);
}

FsResult<size_t> FilesystemImpl::Read(Ino ino, uint64_t fh, uint64_t offset, size_t size,
                                      std::string* out) {
  std::shared_ptr<Handle> h;
  std::shared_ptr<FileState> state;
  {
    std::lock_guard lock(mu_);
    auto it = handles_.find(fh);
    if (it == handles_.end()) return Fail(EBADF);
    h = it->second;
    state = h->node->file;
  }
  out->clear();
  const bool load_whole = h->cache_whole;
  {
    std::lock_guard io(state->mu);
    if (!state->loaded && load_whole) {
      // A random reader of a small enough object: fetch it whole (parallel parts), then read
      // locally. The staging copy is pinned to the ETag seen at open, like ranged reads.
      auto loaded = LoadStaging(h->node, *state);
      if (!loaded.ok()) return Fail(loaded.error() == ENOENT ? EIO : loaded.error());
      S3FS_LOG_DEBUG("{}: random reads, object cached whole ({} bytes)", FileKey(h->node->path),
                     state->size);
    }
    if (state->loaded) {
      if (offset >= state->size) return size_t{0};
      size_t n = static_cast<size_t>(std::min<uint64_t>(size, state->size - offset));
      out->resize(n);
      const size_t done = PreadFull(state->fd, out->data(), n, offset);
      out->resize(done);
      return done;
    }
  }
  uint64_t file_size;
  std::string key;
  {
    std::lock_guard lock(mu_);
    file_size = h->node->meta.size;
    key = FileKey(h->node->path);
  }
  if (offset >= file_size) return size_t{0};
  std::unique_lock read_lock(h->read_mu);
  if (o_.disk_cache && !h->etag.empty()) {
    // On local disk: read straight into the reply (no read-ahead needed, the kernel's own
    // read-ahead and the page cache of the cache file do that).
    const uint64_t want = std::min<uint64_t>(size, file_size - offset);
    out->clear();
    if (o_.disk_cache->TryRead(key, h->etag, file_size, offset, want, out)) {
      if (h->reader) h->reader->Served(offset, want);
      h->served += want;
      return static_cast<size_t>(want);
    }
  }
  if (!h->reader) {
    read::ObjectReaderOptions ro;
    ro.policy.part_size = o_.read_part_size;
    ro.policy.window_min = std::min(o_.read_chunk_min, o_.read_part_size);
    ro.policy.window_max =
        o_.read_part_size * static_cast<uint64_t>(std::max(o_.read_parts_ahead, 1));
    if (o_.disk_cache) ro.policy.align = o_.disk_cache->block_size();
    ro.metrics = read_metrics_;
    std::shared_ptr<read::RangeSource> source =
        std::make_shared<StoreRangeSource>(store_, key, h->etag);
    if (o_.disk_cache && !h->etag.empty()) {
      source = std::make_shared<read::CachingRangeSource>(o_.disk_cache, key, h->etag, file_size,
                                                          std::move(source));
    }
    h->reader =
        std::make_unique<read::ObjectReader>(std::move(source), file_size, ro, read_budget_);
  }
  // A reader that keeps jumping around a small enough object reads it whole, then locally.
  if (o_.random_read_cache_max > 0 && file_size <= o_.random_read_cache_max &&
      h->reader->seeks() + (h->reader->WouldSeek(offset) ? 1 : 0) >= o_.random_read_misses) {
    h->reader.reset();
    h->cache_whole = true;
    read_lock.unlock();
    return Read(ino, fh, offset, size, out);  // now served from the whole-object copy
  }
  auto n = h->reader->Read(offset, size, out);
  if (!n.ok() && n.error().kind == "PreconditionFailed" && h->served == 0 && !h->keep_cache &&
      !h->refreshed) {
    // Replaced in S3 before this handle returned any byte (our cached metadata was older than
    // the object), and the kernel dropped its cached pages at open: nothing can mix, so read
    // the current version instead of failing.
    h->refreshed = true;
    auto fresh = store_->Head(key);
    if (fresh.ok() && fresh->etag != h->etag && !IsDirectoryObject(*fresh)) {
      S3FS_LOG_INFO("{} was replaced in S3 since its metadata was cached: reading the new version",
                    key);
      {
        std::lock_guard lock(mu_);
        if (!h->node->unlinked) UpsertLocked(h->node->path, false, &fresh.value(), true);
        h->etag = fresh->etag;
        h->node->page_cache_etag.clear();
      }
      h->reader.reset();
      read_lock.unlock();
      return Read(ino, fh, offset, size, out);
    }
  }
  if (!n.ok()) {
    const s3::S3Error& e = n.error();
    if (e.kind == "PreconditionFailed") {
      S3FS_LOG_WARN("{} changed in S3 while open for reading: EIO rather than mixed data", key);
    }
    return Fail(ToErrno(e) == ENOENT ? EIO : ToErrno(e));
  }
  h->served += *n;
  return *n;
}

bool FilesystemImpl::KeepPageCache(uint64_t fh) {
  std::lock_guard lock(mu_);
  auto it = handles_.find(fh);
  return it != handles_.end() && it->second->keep_cache;
}

FsResult<size_t> FilesystemImpl::Write(Ino, uint64_t fh, uint64_t offset, const char* data,
                                       size_t size) {
  std::shared_ptr<Handle> h;
  std::shared_ptr<FileState> state;
  {
    std::lock_guard lock(mu_);
    auto it = handles_.find(fh);
    if (it == handles_.end()) return Fail(EBADF);
    h = it->second;
    state = h->node->file;
  }
  int acc = h->flags & O_ACCMODE;
  if (acc != O_WRONLY && acc != O_RDWR) return Fail(EBADF);
  std::lock_guard io(state->mu);
  S3FS_RETURN_IF_ERROR(LoadStaging(h->node, *state));
  if (h->flags & O_APPEND) offset = state->size;
  if (state->stream && offset < state->stream->committed()) {
    AbandonStream(*state, "a write went back into data already uploaded");
  }
  if (!PwriteFull(state->fd, data, size, offset)) return Fail(errno == ENOSPC ? ENOSPC : EIO);
  state->size = std::max<uint64_t>(state->size, offset + size);
  state->dirty = true;
  NoteDirty(*state);
  StreamAfterWrite(h->node, *state);
  h->wrote = true;
  {
    std::lock_guard read_lock(h->read_mu);
    h->reader.reset();  // reads now come from the staging file
  }
  std::lock_guard lock(mu_);
  h->node->stored.mtime = h->node->stored.ctime = Now();
  FillAttrLocked(*h->node);
  return size;
}

FsStatus FilesystemImpl::Flush(Ino, uint64_t fh) {
  std::shared_ptr<Handle> h;
  {
    std::lock_guard lock(mu_);
    auto it = handles_.find(fh);
    if (it == handles_.end()) return Fail(EBADF);
    h = it->second;
  }
  return UploadIfDirty(h->node);
}

FsStatus FilesystemImpl::Fsync(Ino ino, uint64_t fh, bool) { return Flush(ino, fh); }

FsStatus FilesystemImpl::Release(Ino, uint64_t fh) {
  std::shared_ptr<Handle> h;
  {
    std::lock_guard lock(mu_);
    auto it = handles_.find(fh);
    if (it == handles_.end()) return Fail(EBADF);
    h = it->second;
    handles_.erase(it);
  }
  auto& n = h->node;
  FsStatus result = UploadIfDirty(n);
  if (!result.ok()) {
    S3FS_LOG_ERROR("{}: data could not be uploaded at close; it is lost unless written again",
                   FileKey(n->path));
  }
  bool delete_now = false;
  std::string key;
  {
    std::lock_guard lock(mu_);
    n->open_handles--;
    if (n->file) n->file->handles--;
    if (n->open_handles == 0) {
      delete_now = n->unlinked && n->has_object;
      key = FileKey(n->path);
      if (n->file && !n->file->dirty) {
        n->file.reset();  // closes the staging file; the next open reads from S3 again
      }
      ReleaseNodeIfUnusedLocked(n);
    }
  }
  if (delete_now) {
    // Deferred unlink: only if the name was not re-created meanwhile.
    bool recreated;
    {
      std::lock_guard lock(mu_);
      recreated = by_path_.count(n->path) > 0;
    }
    if (!recreated) {
      auto r = store_->Delete(key);
      if (!r.ok() && r.error().kind != "ObjectNotFound") {
        S3FS_LOG_ERROR("deferred delete of {} failed: {}", key, r.error().ToString());
      }
    }
  }
  return result;
}

FsStatus FilesystemImpl::FlushAll() {
  std::vector<std::shared_ptr<Node>> dirty;
  {
    std::lock_guard lock(mu_);
    for (auto& [ino, n] : nodes_) {
      if (n->file && n->file->dirty) dirty.push_back(n);
    }
  }
  FsStatus first;
  for (auto& n : dirty) {
    auto r = UploadIfDirty(n);
    if (!r.ok() && first.ok()) first = r;
  }
  return first;
}

}  // namespace s3fs::fs
