// Filesystem core, file half: handles, reads (ranged GETs with a growing read-ahead window,
// pinned to the ETag seen at open), writes staged in an unlinked local file, and uploads that
// complete before close()/fsync() return.
#include <fcntl.h>
#include <linux/falloc.h>
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
#include "s3fs/write/rewrite_upload.h"

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

WriteAttrs FilesystemImpl::UploadAttrsLocked(const Node& n) const {
  StoredAttrs s = StoredForUploadLocked(n);
  if (!s.mtime) s.mtime = n.attr.mtime;
  if (!s.ctime) s.ctime = n.attr.ctime;
  return AttrsForWrite(n, s);
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
  fs.stream->Abort();
  if (!fs.stream->Released().empty() && fs.failed == 0) {
    S3FS_LOG_ERROR(
        "streaming upload of {} failed ({}) after parts left the staging file: the "
        "data written is lost; the object in S3 is unchanged",
        fs.stream->key(), why);
    fs.failed = EIO;
  } else {
    S3FS_LOG_INFO("streaming upload of {} stopped ({}): the file is uploaded whole at close",
                  fs.stream->key(), why);
  }
  fs.stream.reset();
}

void FilesystemImpl::StreamAfterWrite(const std::shared_ptr<Node>& node, FileState& fs) {
  if (!fs.stream_eligible) return;
  if (!fs.stream) {
    write::StreamingOptions so;
    so.part_size = std::max<uint64_t>(o_.write_part_size, 5ULL << 20);
    so.max_parts = o_.max_parts;
    so.max_in_flight = o_.write_parts_in_flight;
    so.slots = upload_slots_;
    so.release_sent = true;
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

FsStatus FilesystemImpl::LoadStaging(const std::shared_ptr<Node>& node, FileState& fs, bool whole) {
  // REQUIRES: fs.mu held.
  if (fs.loaded) return {};
  auto fd = NewStagingFile();
  if (!fd.ok()) return Fail(fd.error());
  std::string key;
  std::string etag;
  uint64_t size;
  bool has_object;
  {
    std::lock_guard lock(mu_);
    key = FileKey(node->path);
    etag = node->meta.etag;
    size = node->meta.size;
    has_object = node->has_object || !node->meta.etag.empty();
  }
  fs.present.Clear();
  fs.written.Clear();
  fs.base_etag.clear();
  fs.base_valid = 0;
  if (has_object && (whole || etag.empty())) {
    auto got = store_->GetToFile(key, *fd, etag);
    if (!got.ok()) {
      ::close(*fd);
      S3FS_LOG_WARN("download of {} failed: {}", key, got.error().ToString());
      return Fail(ToErrno(got.error()));
    }
    size = *got;
    fs.present.Add(0, size);
  } else if (has_object) {
    // Nothing is fetched now: bytes are fetched when read, or at upload for the parts that
    // cannot be copied server-side.
    if (::ftruncate(*fd, static_cast<off_t>(size)) != 0) {
      const int e = errno;
      ::close(*fd);
      return Fail(e == ENOSPC || e == EFBIG ? e : EIO);
    }
  } else {
    size = 0;
  }
  if (has_object && !etag.empty()) {
    fs.base_etag = etag;
    fs.base_valid = size;
  }
  fs.fd = *fd;
  fs.size = size;
  fs.loaded = true;
  return {};
}

FsStatus FilesystemImpl::FillLocked(const std::shared_ptr<Node>& node, FileState& fs,
                                    uint64_t begin, uint64_t end, uint64_t align) {
  end = std::min(end, fs.base_valid);
  if (begin >= end || fs.present.Contains(begin, end)) return {};
  std::string key;
  {
    std::lock_guard lock(mu_);
    key = FileKey(node->path);
  }
  constexpr uint64_t kMaxGet = 8ULL << 20;   // bytes held in memory per request
  constexpr uint64_t kMaxSkip = 1ULL << 20;  // staged bytes re-fetched to save a request
  // The gaps (widened to `align` blocks), coalesced into requests of at most kMaxGet.
  std::vector<write::Range> requests;
  for (const write::Range& gap : fs.present.Missing(begin, end)) {
    uint64_t a = gap.begin;
    uint64_t b = gap.end;
    if (align > 0) {
      a -= a % align;
      b = std::min(fs.base_valid, (b + align - 1) / align * align);
    }
    if (!requests.empty() && a <= requests.back().end + kMaxSkip &&
        b - requests.back().begin <= kMaxGet) {
      requests.back().end = std::max(requests.back().end, b);
      continue;
    }
    for (uint64_t off = std::max(a, requests.empty() ? 0 : requests.back().end); off < b;
         off += kMaxGet) {
      requests.push_back({off, std::min(b, off + kMaxGet)});
    }
  }
  for (const write::Range& req : requests) {
    if (fs.present.Contains(req.begin, req.end)) continue;
    auto got = store_->Read(key, req.begin, req.size(), fs.base_etag);
    if (!got.ok()) {
      if (got.error().kind == "PreconditionFailed") {
        S3FS_LOG_ERROR(
            "{} changed in S3 while being edited here: its unchanged bytes cannot be "
            "read any more (EIO)",
            key);
        return Fail(EIO);
      }
      S3FS_LOG_WARN("read of {} bytes of {} at {} failed: {}", req.size(), key, req.begin,
                    got.error().ToString());
      return Fail(ToErrno(got.error()) == ENOENT ? EIO : ToErrno(got.error()));
    }
    if (got->size() != req.size()) {
      S3FS_LOG_ERROR("{} is shorter in S3 than when it was opened: EIO", key);
      return Fail(EIO);
    }
    for (const write::Range& hole : fs.present.Missing(req.begin, req.end)) {
      if (!PwriteFull(fs.fd, got->data() + (hole.begin - req.begin), hole.size(), hole.begin)) {
        return Fail(errno == ENOSPC ? ENOSPC : EIO);
      }
    }
    fs.present.Add(req.begin, req.end);
  }
  return {};
}

void FilesystemImpl::RebaseLocked(FileState& fs, const std::string& etag) {
  if (fs.stream) {
    // The parts' staging copies were released: those bytes now come from the new object.
    write::RangeSet released = fs.stream->Released();
    for (const write::Range& r : released.Ranges()) fs.present.Remove(r.begin, r.end);
  }
  fs.base_etag = etag;
  fs.base_valid = fs.size;
  fs.written.Clear();
}

S3Result<std::string> FilesystemImpl::RewriteLocked(const std::shared_ptr<Node>& node,
                                                    FileState& fs, const std::string& key,
                                                    const WriteAttrs& w) {
  write::RewritePlanOptions po;
  po.cell_size = o_.rewrite_part_size;
  po.max_parts = o_.max_parts;
  auto plan = write::PlanRewrite(fs.size, fs.base_valid, fs.written, po);
  auto fill = [&](uint64_t offset, uint64_t len) -> s3::S3Status {
    auto filled = FillLocked(node, fs, offset, offset + len, 0);
    if (filled.ok()) return {};
    s3::S3Error e;
    e.kind = filled.error() == ENOSPC ? "NoSpace" : "SourceUnreadable";
    e.message = std::string("cannot stage the unchanged bytes: ") + std::strerror(filled.error());
    return Fail(std::move(e));
  };
  S3FS_ASSIGN_OR_RETURN(auto session, store_->StartMultipart(key, w));
  write::RewriteStats stats;
  auto etag = write::RunRewrite(*session, fs.fd, plan, {key, fs.base_etag}, fill,
                                o_.write_parts_in_flight, upload_slots_.get(), &stats);
  if (etag.ok()) {
    S3FS_LOG_INFO("{} rebuilt from its edits: {} parts, {} bytes copied in S3, {} uploaded", key,
                  stats.parts, stats.copied, stats.uploaded);
  }
  return etag;
}

FsStatus FilesystemImpl::UploadIfDirty(const std::shared_ptr<Node>& node) {
  std::shared_ptr<FileState> state;
  {
    std::lock_guard lock(mu_);
    state = node->file;
  }
  if (!state) return {};
  std::lock_guard io(state->mu);
  return UploadLocked(node, *state);
}

FsStatus FilesystemImpl::UploadLocked(const std::shared_ptr<Node>& node, FileState& fs) {
  FileState* state = &fs;
  if (state->failed != 0) return Fail(state->failed);
  if (!state->dirty) return {};
  metrics::GaugeGuard uploading(m_.uploads_in_flight);
  WriteAttrs w;
  std::string key;
  uint32_t tag_count = 0;
  {
    std::lock_guard lock(mu_);
    if (node->unlinked) {
      state->dirty = false;  // deleted before it was ever uploaded: nothing to keep
      NoteDirty(*state);
      EndPendingCloseLocked(*state);
      if (state->stream) {
        state->stream->Abort();
        state->stream.reset();
      }
      state->stream_eligible = false;
      return {};
    }
    w = UploadAttrsLocked(*node);
    key = FileKey(node->path);
    tag_count = node->has_object ? node->meta.tag_count : 0;
  }
  if (tag_count > 0 && !state->base_etag.empty() && !state->stream) {
    // A new version of a tagged object keeps its tags (a PUT or a completed upload would
    // otherwise drop them), as it keeps its metadata.
    auto tags = store_->GetTags(key);
    if (tags.ok()) {
      w.tags = std::move(tags).value();
    } else {
      S3FS_LOG_WARN("{}: its tags could not be read ({}); the new version has none", key,
                    tags.error().ToString());
    }
  }
  if (state->stream && state->stream->key() != key && state->stream->Released().empty()) {
    AbandonStream(*state, "renamed while being written");
  }
  if (state->stream) {
    const std::string streamed_key = state->stream->key();
    auto streamed = state->stream->Finish(state->size);
    if (streamed.ok() && streamed_key != key) {
      // A parent directory was renamed while the file was being written: the parts went to the
      // old name, so the finished object moves to the new one.
      auto moved = store_->Copy(streamed_key, key, state->size, nullptr);
      if (moved.ok()) (void)store_->Delete(streamed_key);
      auto head = moved.ok() ? store_->Head(key) : Fail(std::move(moved).error());
      if (head.ok()) {
        streamed = head->etag;
      } else {
        streamed = Fail(std::move(head).error());
      }
    }
    if (!streamed.ok() && !state->stream->ended()) {
      // Only the completion failed and the parts hold bytes no longer staged: the upload stays
      // open and the next flush, fsync, close or unmount completes it.
      S3FS_LOG_ERROR("upload of {} could not be completed ({}); it is retried at the next flush",
                     key, streamed.error().ToString());
      return Fail(ToErrno(streamed.error()) == ENOENT ? EIO : ToErrno(streamed.error()));
    }
    if (streamed.ok()) RebaseLocked(*state, *streamed);
    const bool lost = !state->stream->Released().empty();
    state->stream.reset();
    state->stream_eligible = false;
    if (!streamed.ok() && lost) {
      S3FS_LOG_ERROR(
          "streamed upload of {} failed ({}) after parts left the staging file: the "
          "data written is lost; the object in S3 is unchanged",
          key, streamed.error().ToString());
      state->failed = EIO;
      return Fail(EIO);
    }
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
        state->base_etag = *streamed;
      }
      state->dirty = false;
      NoteDirty(*state);
      EndPendingCloseLocked(*state);
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
  // An edit of an existing object whose unchanged bytes are not all staged: big enough, it is
  // rebuilt with server-side copies; else the missing bytes are fetched and it goes up whole.
  const bool edit = !state->present.Contains(0, state->base_valid);
  const uint64_t min_rewrite = 2 * std::max<uint64_t>(o_.rewrite_part_size, 5ULL << 20);
  if (edit && state->size < min_rewrite) {
    S3FS_RETURN_IF_ERROR(FillLocked(node, *state, 0, state->size, 0));
  }
  if (edit && state->size >= min_rewrite) {
    etag = RewriteLocked(node, *state, key, w);
  } else if (state->size <= (256u << 10)) {
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
  RebaseLocked(*state, *etag);
  NoteDirty(*state);
  EndPendingCloseLocked(*state);
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

FsStatus FilesystemImpl::TruncateToEmptyLocked(FileState& fs) {
  if (fs.stream) {
    // Whatever was sent is discarded anyway: no data is lost by dropping the upload.
    fs.stream->Abort();
    fs.stream.reset();
  }
  if (::ftruncate(fs.fd, 0) != 0) return Fail(EIO);
  fs.size = 0;
  fs.base_etag.clear();
  fs.base_valid = 0;
  fs.present.Clear();
  fs.written.Clear();
  fs.dirty = true;
  fs.stream_eligible = o_.stream_writes;
  return {};
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
    if (writable) state->writers++;
  }
  if (writable && ClosePending(n)) {
    // A close accepted before its upload (async_close) keeps its content: it goes up before
    // this writer can change the staged file under the journaled close.
    auto up = UploadIfDirty(n);
    if (!up.ok()) {
      std::lock_guard lock(mu_);
      state->writers--;
      return Fail(up.error());
    }
  }
  if (writable && (flags & O_TRUNC)) {
    std::lock_guard io(state->mu);
    auto undo = [&] {
      std::lock_guard lock(mu_);
      state->writers--;
    };
    if (!state->loaded) {
      auto fd = NewStagingFile();
      if (!fd.ok()) {
        undo();
        return Fail(fd.error());
      }
      state->fd = *fd;
      state->loaded = true;
    } else if (auto t = TruncateToEmptyLocked(*state); !t.ok()) {
      undo();
      return Fail(t.error());
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
  if (o_.async_close) {
    // A close accepted before its upload under this name goes up before the name is reused.
    std::shared_ptr<Node> existing;
    {
      std::lock_guard lock(mu_);
      if (auto it = by_path_.find(path); it != by_path_.end()) existing = nodes_[it->second];
    }
    if (existing && ClosePending(existing)) S3FS_RETURN_IF_ERROR(UploadIfDirty(existing));
  }
  auto fd = NewStagingFile();
  if (!fd.ok()) return Fail(fd.error());
  auto state = std::make_shared<FileState>();
  state->fd = *fd;
  state->loaded = true;
  state->dirty = true;  // close uploads it, even empty: one PUT per new file, nothing before
  state->stream_eligible = o_.stream_writes;
  state->handles = 1;
  const int acc = flags & O_ACCMODE;
  state->writers = acc == O_WRONLY || acc == O_RDWR ? 1 : 0;
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

FsResult<size_t> FilesystemImpl::ReadInto(Ino ino, uint64_t fh, uint64_t offset, size_t size,
                                          ReadData* out) {
  std::shared_ptr<Handle> h;
  std::shared_ptr<FileState> state;
  {
    std::lock_guard lock(mu_);
    auto it = handles_.find(fh);
    if (it == handles_.end()) return Fail(EBADF);
    h = it->second;
    state = h->node->file;
  }
  out->bytes.clear();
  out->slices.clear();
  const bool load_whole = h->cache_whole;
  {
    std::lock_guard io(state->mu);
    if (!state->loaded && load_whole) {
      // A random reader of a small enough object: fetch it whole (parallel parts), then read
      // locally. The staging copy is pinned to the ETag seen at open, like ranged reads.
      auto loaded = LoadStaging(h->node, *state, /*whole=*/true);
      if (!loaded.ok()) return Fail(loaded.error() == ENOENT ? EIO : loaded.error());
      S3FS_LOG_DEBUG("{}: random reads, object cached whole ({} bytes)", FileKey(h->node->path),
                     state->size);
    }
    if (state->loaded) {
      if (state->failed != 0) return Fail(state->failed);
      if (offset >= state->size) return size_t{0};
      size_t n = static_cast<size_t>(std::min<uint64_t>(size, state->size - offset));
      if (state->stream && offset < state->stream->committed()) {
        // Parts already sent may have left the staging file: the upload is completed now (the
        // object holds everything written so far) and the bytes come from it.
        S3FS_RETURN_IF_ERROR(UploadLocked(h->node, *state));
      }
      // Bytes of the object this file is an edit of, not staged yet: fetched in blocks.
      constexpr uint64_t kFillBlock = 4ULL << 20;
      S3FS_RETURN_IF_ERROR(FillLocked(h->node, *state, offset, offset + n, kFillBlock));
      out->bytes.resize(n);
      const size_t done = PreadFull(state->fd, out->bytes.data(), n, offset);
      out->bytes.resize(done);
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
    if (o_.disk_cache->TryRead(key, h->etag, file_size, offset, want, &out->bytes)) {
      if (h->reader) h->reader->Served(offset, want);
      h->served += want;
      return static_cast<size_t>(want);
    }
    out->bytes.clear();
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
    // Handles reading the same version share fetched parts (and GETs in flight).
    h->reader = std::make_unique<read::ObjectReader>(std::move(source), file_size, ro, read_budget_,
                                                     shared_parts_->Attach(key, h->etag));
    // The start of the object, if the lookup brought it: the first read needs no GET.
    if (auto first = first_bytes_->Take(key, h->etag)) {
      read_metrics_->first_bytes_used.Inc(first->size());
      h->reader->Seed(std::move(*first));
    }
  }
  // A reader that keeps jumping around a small enough object reads it whole, then locally.
  // Not while other handles read the same version: the kernel's page cache then hands each
  // handle only some of the reads of sequential readers, which look like jumps; their shared
  // parts serve them all.
  if (o_.random_read_cache_max > 0 && file_size <= o_.random_read_cache_max &&
      h->reader->seeks() + (h->reader->WouldSeek(offset) ? 1 : 0) >= o_.random_read_misses &&
      h->reader->sharing() < 2) {
    h->reader.reset();
    h->cache_whole = true;
    read_lock.unlock();
    return ReadInto(ino, fh, offset, size, out);  // now served from the whole-object copy
  }
  auto n = h->reader->ReadSlices(offset, size, &out->slices);
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
      return ReadInto(ino, fh, offset, size, out);
    }
  }
  if (!n.ok()) {
    const s3::S3Error& e = n.error();
    if (e.kind == "PreconditionFailed") {
      S3FS_LOG_WARN("{} changed in S3 while open for reading: EIO rather than mixed data", key);
    } else if (e.kind != "CircuitOpen") {  // the breaker logs its opening once
      S3FS_LOG_WARN("read of {} bytes of {} at {} failed: {}", size, key, offset, e.ToString());
    }
    return Fail(ToErrno(e) == ENOENT ? EIO : ToErrno(e));
  }
  h->served += *n;
  return *n;
}

FsResult<size_t> Filesystem::Read(Ino ino, uint64_t fh, uint64_t offset, size_t size,
                                  std::string* out) {
  ReadData data;
  auto n = ReadInto(ino, fh, offset, size, &data);
  out->clear();
  if (!n.ok()) return n;
  *out = std::move(data.bytes);
  read::AppendSlices(data.slices, out);
  return n;
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
  if (state->failed != 0) return Fail(state->failed);
  S3FS_RETURN_IF_ERROR(LoadStaging(h->node, *state));
  if (h->flags & O_APPEND) offset = state->size;
  if (state->stream && (offset < state->stream->committed() || state->stream->completing())) {
    // A write back into parts already sent: the upload is completed now, and this write is an
    // edit of that object (rebuilt with server-side copies at close).
    S3FS_RETURN_IF_ERROR(UploadLocked(h->node, *state));
  }
  if (!PwriteFull(state->fd, data, size, offset)) return Fail(errno == ENOSPC ? ENOSPC : EIO);
  state->present.Add(offset, offset + size);
  state->written.Add(offset, offset + size);
  state->size = std::max<uint64_t>(state->size, offset + size);
  state->dirty = true;
  NoteDirty(*state);
  StreamAfterWrite(h->node, *state);
  if (!state->stream && o_.max_dirty_data > 0 && state->written.Total() >= o_.max_dirty_data) {
    // Too much written data waits for close: it goes up now (as s3fs-fuse does) and its
    // staging copy is released, so an edit of a huge file needs bounded local disk.
    S3FS_LOG_INFO("{}: {} bytes written since the last upload: uploading before close",
                  FileKey(h->node->path), state->written.Total());
    S3FS_RETURN_IF_ERROR(UploadLocked(h->node, *state));
    if (::fallocate(state->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
                    static_cast<off_t>(state->size)) == 0) {
      state->present.Clear();
    }
  }
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
  if (o_.async_close) {
    const int acc = h->flags & O_ACCMODE;
    if (acc != O_WRONLY && acc != O_RDWR) {
      // A reader's close: an accepted close is the workers' business; else as without the
      // option (a reader never journals a content a writer may still be changing).
      if (ClosePending(h->node, /*wait=*/false)) return {};
    } else if (auto accepted = AcceptClose(h->node)) {
      return *accepted;
    }
  }
  return UploadIfDirty(h->node);
}

FsStatus FilesystemImpl::Fsync(Ino, uint64_t fh, bool) {
  std::shared_ptr<Handle> h;
  {
    std::lock_guard lock(mu_);
    auto it = handles_.find(fh);
    if (it == handles_.end()) return Fail(EBADF);
    h = it->second;
  }
  return UploadIfDirty(h->node);
}

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
  // An accepted close (async_close) is uploaded by a worker, not here.
  FsStatus result = ClosePending(n, /*wait=*/false) ? FsStatus{} : UploadIfDirty(n);
  if (!result.ok()) {
    S3FS_LOG_ERROR("{}: data could not be uploaded at close; it is lost unless written again",
                   FileKey(n->path));
  }
  bool delete_now = false;
  std::string key;
  {
    std::lock_guard lock(mu_);
    n->open_handles--;
    if (n->file) {
      n->file->handles--;
      const int acc = h->flags & O_ACCMODE;
      if (acc == O_WRONLY || acc == O_RDWR) n->file->writers--;
    }
    if (n->open_handles == 0) {
      delete_now = n->unlinked && n->has_object;
      key = FileKey(n->path);
      if (n->file && n->file->writers == 0 && (!n->file->dirty || n->file->failed != 0)) {
        // Closes the staging file; the next open reads from S3 again. Data lost to a failed
        // upload was reported by write/fsync/close; S3 still has the previous version.
        n->file.reset();
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
