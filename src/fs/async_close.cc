// Filesystem core, asynchronous close (FsOptions::async_close): a close accepted once its
// staged content is durable locally (fsynced, hard-linked under a name, journaled), uploaded
// by worker threads afterwards, and recovered by the next mount after a crash.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "filesystem_impl.h"
#include "s3fs/common/fd_io.h"
#include "s3fs/common/log.h"
#include "s3fs/fs/errno_map.h"
#include "s3fs/s3/crypto.h"

namespace s3fs::fs {
namespace {

constexpr const char* kPendingDir = "/.s3fs-pending";
constexpr const char* kConflictDir = "/.s3fs-pending/conflicts";

std::string Unquoted(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

// fsync of a directory, so that a name created in it survives a crash.
bool SyncDir(const std::string& dir) {
  int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d < 0) return false;
  const bool ok = ::fsync(d) == 0;
  ::close(d);
  return ok;
}

// Hex MD5 of the first `size` bytes of `fd` (a single PUT's ETag); empty on a read error.
std::string FileMd5Hex(int fd, uint64_t size) {
  s3::crypto::Hasher h(s3::crypto::Hasher::Algo::kMd5);
  std::string buf(1 << 20, '\0');
  for (uint64_t off = 0; off < size;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - off));
    if (PreadFull(fd, buf.data(), n, off) != n) return {};
    h.Update(std::string_view(buf.data(), n));
    off += n;
  }
  return s3::crypto::HexEncode(h.Finish());
}

// The pid at the start of a pending file's name ("<pid>-<mount ns>-<seq>"); 0 if none.
long PidOfPendingName(const std::string& name) {
  long pid = 0;
  for (char c : name) {
    if (c == '-') return pid;
    if (c < '0' || c > '9') return 0;
    pid = pid * 10 + (c - '0');
  }
  return 0;
}

}  // namespace

void FilesystemImpl::StartCloseWorkers() {
  const std::string dir = o_.staging_dir + kPendingDir;
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    S3FS_LOG_WARN("async_close: cannot create {} ({}); closes upload before returning", dir,
                  std::strerror(errno));
    o_.async_close = false;
    return;
  }
  for (int i = 0; i < std::max(1, o_.async_close_workers); ++i) {
    close_workers_.emplace_back([this] { CloseWorker(); });
  }
}

void FilesystemImpl::StopCloseWorkers() {
  {
    std::lock_guard lock(close_mu_);
    close_stop_ = true;
  }
  close_cv_.notify_all();
  for (auto& t : close_workers_) t.join();
  close_workers_.clear();
}

std::optional<FsStatus> FilesystemImpl::AcceptClose(const std::shared_ptr<Node>& node) {
  std::shared_ptr<FileState> state;
  {
    std::lock_guard lock(mu_);
    if (node->unlinked) return std::nullopt;
    state = node->file;
  }
  if (!state) return std::nullopt;
  std::lock_guard io(state->mu);
  if (!state->dirty) return FsStatus{};
  if (state->failed != 0 || state->stream || !state->loaded || state->fd < 0) return std::nullopt;
  {
    // Only the last writer's close is accepted: another writer could change the content after
    // it was journaled (an Open for writing counts before it checks ClosePending, and that
    // check waits for state->mu, held here until the close is recorded).
    std::lock_guard lock(mu_);
    if (state->writers > 1 || node->unlinked) return std::nullopt;
  }
  if (!state->present.Contains(0, state->base_valid)) {
    // An edit with bytes of the base not staged: small ones are completed now (as their
    // upload would), large ones are rebuilt from server-side copies at once.
    const uint64_t min_rewrite = 2 * std::max<uint64_t>(o_.rewrite_part_size, 5ULL << 20);
    if (state->size >= min_rewrite) return std::nullopt;
    auto filled = FillLocked(node, *state, 0, state->size, 0);
    if (!filled.ok()) return filled;
  }
  const bool first = state->pending_id.empty();
  {
    std::lock_guard lock(close_mu_);
    const uint64_t others = pending_bytes_ - state->pending_counted;
    if ((first && pending_files_ >= static_cast<size_t>(std::max(0, o_.async_close_max_files))) ||
        others + state->size > o_.async_close_max_bytes) {
      return std::nullopt;  // back-pressure: this close uploads before returning
    }
  }
  meta::PendingClose pc;
  {
    std::lock_guard lock(mu_);
    const WriteAttrs w = UploadAttrsLocked(*node);
    pc.key = FileKey(node->path);
    pc.content_type = w.content_type;
    pc.metadata = w.metadata;
    pc.storage_class = w.storage_class;
    if (w.sse.kind == s3::Sse::Kind::kS3) pc.sse = "AES256";
    if (w.sse.kind == s3::Sse::Kind::kKms) {
      pc.sse = "aws:kms";
      pc.sse_kms_key_id = w.sse.kms_key_id;
    }
  }
  pc.id = first ? std::to_string(::getpid()) + "-" + std::to_string(session_start_ns_) + "-" +
                      std::to_string(++pending_seq_)
                : state->pending_id;
  pc.staging_path = first ? o_.staging_dir + kPendingDir + "/" + pc.id : state->pending_path;
  pc.base_etag = state->base_etag;
  pc.closed_at =
      std::chrono::duration_cast<std::chrono::seconds>(clock_->Now().time_since_epoch()).count();
  if (first) {
    // The staging file (O_TMPFILE) gets a name, so the content outlives this process.
    const std::string proc = "/proc/self/fd/" + std::to_string(state->fd);
    if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, pc.staging_path.c_str(), AT_SYMLINK_FOLLOW) !=
        0) {
      S3FS_LOG_DEBUG("async_close: cannot link the staging file of {} ({}); uploading now", pc.key,
                     std::strerror(errno));
      return std::nullopt;
    }
  }
  auto undo = [&] {
    if (first) ::unlink(pc.staging_path.c_str());
  };
  if (::fsync(state->fd) != 0 || (first && !SyncDir(o_.staging_dir + kPendingDir))) {
    S3FS_LOG_WARN("async_close: cannot sync the staging file of {} ({}); uploading now", pc.key,
                  std::strerror(errno));
    undo();
    return std::nullopt;
  }
  if (!o_.journal->RecordClose(pc)) {
    undo();
    return std::nullopt;
  }
  state->pending_id = pc.id;
  state->pending_path = pc.staging_path;
  state->close_pending = true;
  bool enqueue = false;
  {
    std::lock_guard lock(close_mu_);
    if (first) {
      pending_files_++;
      m_.pending_closes.Add(1);
    }
    pending_bytes_ = pending_bytes_ - state->pending_counted + state->size;
    state->pending_counted = state->size;
    if (!state->queued) {
      state->queued = true;
      enqueue = true;
      close_queue_.push_back(QueuedClose{node, clock_->Monotonic(), 0});
    }
  }
  if (enqueue) close_cv_.notify_one();
  return FsStatus{};
}

void FilesystemImpl::EndPendingCloseLocked(FileState& fs) {
  if (fs.pending_id.empty()) return;
  o_.journal->ForgetClose(fs.pending_id);
  ::unlink(fs.pending_path.c_str());
  {
    std::lock_guard lock(close_mu_);
    pending_files_--;
    pending_bytes_ -= fs.pending_counted;
    m_.pending_closes.Sub(1);
  }
  fs.pending_counted = 0;
  fs.close_pending = false;
  fs.pending_id.clear();
  fs.pending_path.clear();
}

bool FilesystemImpl::ClosePending(const std::shared_ptr<Node>& node, bool wait) {
  if (!o_.async_close) return false;
  std::shared_ptr<FileState> state;
  {
    std::lock_guard lock(mu_);
    state = node->file;
  }
  if (!state) return false;
  if (!wait) return state->close_pending.load();
  std::lock_guard io(state->mu);
  return !state->pending_id.empty();
}

FsStatus FilesystemImpl::UploadPendingUnder(const std::string& path) {
  if (!o_.async_close) return {};
  std::vector<std::shared_ptr<Node>> under;
  {
    std::lock_guard lock(mu_);
    const std::string prefix = path.empty() ? "" : path + "/";
    for (auto& [ino, n] : nodes_) {
      if (n->file && n->path.compare(0, prefix.size(), prefix) == 0) under.push_back(n);
    }
  }
  for (auto& n : under) {
    if (!ClosePending(n)) continue;
    S3FS_RETURN_IF_ERROR(UploadIfDirty(n));
  }
  return {};
}

void FilesystemImpl::CloseWorker() {
  std::unique_lock lock(close_mu_);
  while (!close_stop_) {
    if (close_queue_.empty()) {
      close_cv_.wait(lock);
      continue;
    }
    // The earliest due entry (retries wait for their backoff).
    auto due = std::min_element(
        close_queue_.begin(), close_queue_.end(),
        [](const QueuedClose& a, const QueuedClose& b) { return a.not_before < b.not_before; });
    const Steady now = clock_->Monotonic();
    if (due->not_before > now) {
      close_cv_.wait_for(lock, due->not_before - now);
      continue;
    }
    QueuedClose item = std::move(*due);
    close_queue_.erase(due);
    lock.unlock();
    FsStatus r = UploadIfDirty(item.node);
    std::shared_ptr<FileState> state;
    {
      std::lock_guard g(mu_);
      state = item.node->file;
    }
    bool again = false;
    if (state) {
      std::lock_guard io(state->mu);
      // Still accepted and not uploaded: failed, or written and closed again meanwhile.
      again = !state->pending_id.empty();
      if (!again) {
        std::lock_guard q(close_mu_);
        state->queued = false;
      }
    }
    if (again && !r.ok()) {
      item.failures++;
      const auto backoff = std::chrono::seconds(1 << std::min(item.failures - 1, 6));
      S3FS_LOG_WARN(
          "async_close: upload of {} failed (errno {}); retried in {} s (the data is "
          "kept in the staging directory and journaled)",
          FileKey(item.node->path), r.error(), backoff.count());
      item.not_before = clock_->Monotonic() + backoff;
    }
    if (!again) {
      // Uploaded: the staging copy goes unless the file is open again.
      std::lock_guard g(mu_);
      auto& n = item.node;
      if (n->open_handles == 0 && n->file && n->file->writers == 0 && !n->file->dirty) {
        n->file.reset();
        ReleaseNodeIfUnusedLocked(n);
      }
    }
    lock.lock();
    if (again) close_queue_.push_back(std::move(item));
  }
}

Filesystem::Recovery FilesystemImpl::RecoverPendingCloses() {
  Recovery rec;
  if (!o_.journal) return rec;
  auto closes = o_.journal->OrphanCloses();
  std::set<std::string> known;
  for (const auto& c : o_.journal->AllCloses()) {
    known.insert(c.staging_path.substr(c.staging_path.rfind('/') + 1));
  }
  for (const auto& c : closes) {
    rec.found++;
    int fd = ::open(c.staging_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      S3FS_LOG_ERROR("async_close recovery: the staged content of {} ({}) is gone: {}", c.key,
                     c.staging_path, std::strerror(errno));
      o_.journal->ForgetClose(c.id);
      rec.failed++;
      continue;
    }
    struct stat st {};
    ::fstat(fd, &st);
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    auto finish = [&] {
      ::close(fd);
      ::unlink(c.staging_path.c_str());
      o_.journal->ForgetClose(c.id);
    };
    auto head = store_->Head(c.key);
    if (!head.ok() && head.error().kind != "ObjectNotFound") {
      S3FS_LOG_ERROR("async_close recovery: {}: {} (kept for the next mount)", c.key,
                     head.error().ToString());
      ::close(fd);
      rec.failed++;
      continue;
    }
    if (head.ok()) {
      const std::string etag = Unquoted(head->etag);
      const bool multipart = etag.find('-') != std::string::npos;
      const int64_t modified =
          std::chrono::duration_cast<std::chrono::seconds>(head->last_modified.time_since_epoch())
              .count();
      const bool ours = head->size == size &&
                        (multipart ? modified + 2 >= c.closed_at : etag == FileMd5Hex(fd, size));
      if (ours) {
        S3FS_LOG_INFO("async_close recovery: {} was already uploaded", c.key);
        finish();
        rec.already++;
        continue;
      }
    }
    const bool replaced =
        !c.base_etag.empty() && (!head.ok() || Unquoted(head->etag) != Unquoted(c.base_etag));
    if (replaced) {
      // Another client changed (or deleted) the version this content edits: as a close would
      // have failed (If-Match), the object is left alone; the content is kept.
      const std::string dir = o_.staging_dir + kConflictDir;
      ::mkdir(dir.c_str(), 0700);
      const std::string kept = dir + "/" + c.id;
      ::close(fd);
      if (::rename(c.staging_path.c_str(), kept.c_str()) == 0) {
        S3FS_LOG_ERROR(
            "async_close recovery: {} was changed by another client after this mount "
            "accepted a close of it; the content closed then is kept in {}",
            c.key, kept);
        o_.journal->ForgetClose(c.id);
      }
      rec.conflicts++;
      continue;
    }
    WriteAttrs w = o_.write_defaults;
    w.content_type = c.content_type;
    w.metadata = c.metadata;
    if (!c.storage_class.empty()) w.storage_class = c.storage_class;
    if (w.sse.kind == s3::Sse::Kind::kNone && c.sse == "AES256") w.sse = s3::Sse::S3();
    if (w.sse.kind == s3::Sse::Kind::kNone && c.sse == "aws:kms") {
      w.sse = s3::Sse::Kms(c.sse_kms_key_id);
    }
    if (head.ok() && head->tag_count > 0 && !c.base_etag.empty()) {
      auto tags = store_->GetTags(c.key);
      if (tags.ok()) w.tags = std::move(tags).value();
    }
    S3Result<std::string> etag = std::string();
    if (size <= (256u << 10)) {
      std::string body(size, '\0');
      if (PreadFull(fd, body.data(), body.size(), 0) != body.size()) {
        S3FS_LOG_ERROR("async_close recovery: cannot read {}", c.staging_path);
        ::close(fd);
        rec.failed++;
        continue;
      }
      etag = store_->Put(c.key, std::move(body), w);
    } else {
      etag = store_->PutFile(c.key, fd, size, w);
    }
    if (!etag.ok()) {
      S3FS_LOG_ERROR("async_close recovery: upload of {} failed: {} (kept for the next mount)",
                     c.key, etag.error().ToString());
      ::close(fd);
      rec.failed++;
      continue;
    }
    S3FS_LOG_INFO("async_close recovery: {} uploaded ({} bytes, closed before a crash)", c.key,
                  size);
    finish();
    rec.uploaded++;
  }
  // Names linked by a mount that died before journaling them: their close had not returned.
  const std::string dir = o_.staging_dir + kPendingDir;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (e->d_type != DT_REG || known.count(name) > 0) continue;
      const long pid = PidOfPendingName(name);
      if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
        ::unlink((dir + "/" + name).c_str());
      }
    }
    ::closedir(d);
  }
  return rec;
}

}  // namespace s3fs::fs
