#include "s3fs/read/disk_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "s3fs/common/fd_io.h"
#include "s3fs/common/log.h"
#include "s3fs/common/strings.h"

namespace s3fs::read {
namespace {

constexpr std::string_view kMagic = "s3fs-data-cache 1\n";

// Two FNV-1a passes over a key and an ETag (separated), one 64-bit half of a file name each.
uint64_t Fnv2(std::string_view a, std::string_view b, uint64_t basis) {
  return str::Fnv1a64(b, str::Fnv1a64("\xff", str::Fnv1a64(a, basis)));
}

bool ReadFile(const std::string& path, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0 && st.st_size < (64 << 20);
  if (ok) {
    out->assign(static_cast<size_t>(st.st_size), '\0');
    ok = PreadFull(fd, out->data(), out->size(), 0) == out->size();
  }
  ::close(fd);
  return ok;
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  ::closedir(d);
  return names;
}

}  // namespace

struct DiskCache::Entry {
  std::string key;
  std::string etag;
  uint64_t size = 0;
  std::vector<uint8_t> bits;  // one bit per block
  uint64_t bytes = 0;         // bytes of the blocks present
  uint64_t last_used = 0;

  bool Has(uint64_t b) const { return (bits[b / 8] >> (b % 8)) & 1; }
  void Set(uint64_t b) { bits[b / 8] |= static_cast<uint8_t>(1u << (b % 8)); }
};

DiskCache::DiskCache(DiskCacheOptions options) : o_(std::move(options)) {}

Result<std::shared_ptr<DiskCache>, std::string> DiskCache::Open(DiskCacheOptions options) {
  if (options.dir.empty()) return Fail(std::string("no directory"));
  if (options.block_size == 0) options.block_size = 1ULL << 20;
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return Fail(options.dir + ": " + ec.message());
  std::shared_ptr<DiskCache> c(new DiskCache(std::move(options)));
  c->lock_fd_ = ::open((c->o_.dir + "/LOCK").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (c->lock_fd_ < 0) return Fail(c->o_.dir + "/LOCK: " + std::strerror(errno));
  if (::flock(c->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return Fail(c->o_.dir + " is in use by another mount");
  }
  c->LoadIndex();
  c->writer_ = std::thread([raw = c.get()] { raw->Run(); });
  return c;
}

DiskCache::~DiskCache() {
  if (writer_.joinable()) {
    Flush();
    const DiskCacheStats s = stats();
    S3FS_LOG_INFO(
        "data cache {}: {} MiB in {} objects; {} reads from disk, {} from S3; {} MiB stored, {} "
        "stores dropped, {} evictions",
        o_.dir, s.bytes >> 20, s.objects, s.hits, s.misses, s.stored_bytes >> 20, s.dropped_stores,
        s.evictions);
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    room_.notify_all();
    writer_.join();
  }
  if (lock_fd_ >= 0) {
    if (o_.delete_on_close) {
      for (const auto& n : ListDir(o_.dir)) {
        if (n != "LOCK") ::unlink((o_.dir + "/" + n).c_str());
      }
    } else {
      int fd = ::open((o_.dir + "/CLEAN").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
      if (fd >= 0) ::close(fd);
    }
    ::close(lock_fd_);  // releases the flock
  }
}

std::string DiskCache::NameFor(const std::string& key, const std::string& etag) const {
  char hex[33];
  std::snprintf(hex, sizeof hex, "%016llx%016llx",
                static_cast<unsigned long long>(Fnv2(key, etag, str::kFnvBasis)),
                static_cast<unsigned long long>(Fnv2(etag, key, 0x9e3779b97f4a7c15ULL)));
  return hex;
}

uint64_t DiskCache::BlockLen(const Entry& e, uint64_t block) const {
  uint64_t start = block * o_.block_size;
  return std::min(o_.block_size, e.size - start);
}

void DiskCache::LoadIndex() {
  const bool clean = ::access((o_.dir + "/CLEAN").c_str(), F_OK) == 0;
  auto names = ListDir(o_.dir);
  if (!clean || o_.delete_on_close) {
    size_t removed = 0;
    for (const auto& n : names) {
      if (n == "LOCK" || n == "CLEAN") continue;
      removed += ::unlink((o_.dir + "/" + n).c_str()) == 0;
    }
    if (removed > 0 && !o_.delete_on_close) {
      S3FS_LOG_WARN("data cache {} was not closed cleanly: emptied ({} files)", o_.dir, removed);
    }
  } else {
    std::vector<std::pair<int64_t, std::string>> by_age;
    for (const auto& n : names) {
      if (!str::EndsWith(n, ".map")) continue;
      std::string name = n.substr(0, n.size() - 4);
      std::string content;
      auto e = std::make_shared<Entry>();
      bool ok =
          ReadFile(o_.dir + "/" + n, &content) && content.compare(0, kMagic.size(), kMagic) == 0;
      size_t pos = kMagic.size();
      auto line = [&](std::string* out) {
        size_t nl = content.find('\n', pos);
        if (nl == std::string::npos) return false;
        *out = content.substr(pos, nl - pos);
        pos = nl + 1;
        return true;
      };
      std::string size_s, block_s, keylen_s;
      ok = ok && line(&e->etag) && line(&size_s) && line(&block_s) && line(&keylen_s);
      uint64_t keylen = 0;
      uint64_t block = 0;
      ok = ok && str::ParseUint64(size_s, &e->size) && str::ParseUint64(keylen_s, &keylen) &&
           str::ParseUint64(block_s, &block) && block == o_.block_size && keylen < content.size() &&
           pos + keylen + 1 <= content.size();
      if (ok) {
        e->key = content.substr(pos, keylen);
        pos += keylen + 1;
        uint64_t blocks = (e->size + o_.block_size - 1) / o_.block_size;
        ok = content.size() - pos == (blocks + 7) / 8 && NameFor(e->key, e->etag) == name;
      }
      struct stat st {};
      ok = ok && ::stat((o_.dir + "/" + name).c_str(), &st) == 0;
      if (!ok) {
        ::unlink((o_.dir + "/" + n).c_str());
        ::unlink((o_.dir + "/" + name).c_str());
        continue;
      }
      e->bits.assign(content.begin() + static_cast<std::ptrdiff_t>(pos), content.end());
      uint64_t blocks = (e->size + o_.block_size - 1) / o_.block_size;
      for (uint64_t b = 0; b < blocks; ++b) {
        if (e->Has(b)) e->bytes += BlockLen(*e, b);
      }
      stats_.bytes += e->bytes;
      entries_[name] = e;
      by_age.emplace_back(static_cast<int64_t>(st.st_mtime), name);
    }
    // LRU order of earlier mounts: by the data files' modification times.
    std::sort(by_age.begin(), by_age.end());
    for (const auto& [t, name] : by_age) entries_[name]->last_used = ++clock_;
    // Data files without a map are leftovers.
    for (const auto& n : names) {
      if (n.size() == 32 && entries_.count(n) == 0) ::unlink((o_.dir + "/" + n).c_str());
    }
  }
  ::unlink((o_.dir + "/CLEAN").c_str());
  stats_.objects = entries_.size();
}

bool DiskCache::TryRead(const std::string& key, const std::string& etag, uint64_t object_size,
                        uint64_t offset, uint64_t len, std::string* dst) {
  if (len == 0 || offset >= object_size) return false;
  len = std::min(len, object_size - offset);
  const std::string name = NameFor(key, etag);
  int fd;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(name);
    bool all = it != entries_.end() && it->second->size == object_size && it->second->key == key &&
               it->second->etag == etag;
    for (uint64_t b = offset / o_.block_size; all && b <= (offset + len - 1) / o_.block_size; ++b) {
      all = it->second->Has(b);
    }
    if (!all) {
      ++stats_.misses;
      return false;
    }
    it->second->last_used = ++clock_;
    // Opened under the lock: an eviction may unlink the file, the open descriptor still reads.
    fd = ::open((o_.dir + "/" + name).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      ++stats_.misses;
      return false;
    }
  }
  const size_t base = dst->size();
  dst->resize(base + len);
  const bool ok = PreadFull(fd, dst->data() + base, len, offset) == len;
  ::close(fd);
  std::lock_guard lock(mu_);
  if (!ok) {
    dst->resize(base);
    ++stats_.misses;
    return false;
  }
  ++stats_.hits;
  return true;
}

void DiskCache::Store(const std::string& key, const std::string& etag, uint64_t object_size,
                      uint64_t offset, std::string_view data) {
  const uint64_t bs = o_.block_size;
  const uint64_t end = std::min(object_size, offset + data.size());
  uint64_t first = (offset + bs - 1) / bs;  // first block starting inside the data
  uint64_t last = end == object_size ? (object_size + bs - 1) / bs : end / bs;  // exclusive
  if (first >= last) return;
  const uint64_t from = first * bs;
  const uint64_t to = std::min(object_size, last * bs);
  std::unique_lock lock(mu_);
  const bool room = room_.wait_for(lock, o_.queue_wait, [&] {
    return stop_ || queued_bytes_ == 0 || queued_bytes_ + (to - from) <= o_.queue_bytes;
  });
  if (!room || stop_) {
    ++stats_.dropped_stores;
    return;
  }
  Job job{key, etag, object_size, from, std::string(data.substr(from - offset, to - from))};
  queued_bytes_ += job.data.size();
  queue_.push_back(std::move(job));
  cv_.notify_all();
}

void DiskCache::Flush() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return queue_.empty() && !writing_; });
}

DiskCacheStats DiskCache::stats() const {
  std::lock_guard lock(mu_);
  DiskCacheStats s = stats_;
  s.objects = entries_.size();
  return s;
}

void DiskCache::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;
    Job job = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    lock.unlock();
    Write(job);
    lock.lock();
    queued_bytes_ -= job.data.size();
    writing_ = false;
    room_.notify_all();
    if (queue_.empty()) idle_.notify_all();
  }
}

void DiskCache::Write(Job& job) {
  const std::string name = NameFor(job.key, job.etag);
  const std::string path = o_.dir + "/" + name;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(name);
    if (it != entries_.end() &&
        (it->second->key != job.key || it->second->size != job.object_size)) {
      return;  // a hash collision or a changed size: leave the entry alone
    }
    // Room first (older versions of other objects go), so one object larger than the cache
    // fills it once instead of evicting itself over and over.
    if (!MakeRoomLocked(name, job.data.size())) {
      ++stats_.dropped_stores;
      return;
    }
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    S3FS_LOG_WARN("data cache: cannot open {}: {}", path, std::strerror(errno));
    return;
  }
  bool ok = ::ftruncate(fd, static_cast<off_t>(job.object_size)) == 0 &&
            PwriteFull(fd, job.data.data(), job.data.size(), job.offset);
  const int err = errno;
  ::close(fd);
  std::lock_guard lock(mu_);
  auto& e = entries_[name];
  if (!e) {
    e = std::make_shared<Entry>();
    e->key = job.key;
    e->etag = job.etag;
    e->size = job.object_size;
    e->bits.assign(((job.object_size + o_.block_size - 1) / o_.block_size + 7) / 8, 0);
  }
  e->last_used = ++clock_;
  if (!ok) {
    if (err == ENOSPC) S3FS_LOG_WARN("data cache: {} is full", o_.dir);
    return;
  }
  for (uint64_t b = job.offset / o_.block_size; b * o_.block_size < job.offset + job.data.size();
       ++b) {
    if (!e->Has(b)) {
      e->Set(b);
      e->bytes += BlockLen(*e, b);
      stats_.bytes += BlockLen(*e, b);
    }
  }
  stats_.stored_bytes += job.data.size();
  if (!SaveMap(name, *e)) {
    ::unlink(path.c_str());
    stats_.bytes -= e->bytes;
    entries_.erase(name);
  }
}

bool DiskCache::SaveMap(const std::string& name, const Entry& e) {
  std::string content(kMagic);
  content += e.etag + "\n" + std::to_string(e.size) + "\n" + std::to_string(o_.block_size) + "\n" +
             std::to_string(e.key.size()) + "\n" + e.key + "\n";
  content.append(reinterpret_cast<const char*>(e.bits.data()), e.bits.size());
  const std::string tmp = o_.dir + "/" + name + ".map.tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = PwriteFull(fd, content.data(), content.size(), 0);
  ::close(fd);
  return ok && ::rename(tmp.c_str(), (o_.dir + "/" + name + ".map").c_str()) == 0;
}

bool DiskCache::MakeRoomLocked(const std::string& keep, uint64_t need) {
  auto fits = [&] {
    if (o_.max_bytes > 0 && stats_.bytes + need > o_.max_bytes) return false;
    struct statvfs vfs {};
    if (o_.min_free_bytes == 0 || ::statvfs(o_.dir.c_str(), &vfs) != 0) return true;
    const uint64_t free = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    return free >= need && free - need >= o_.min_free_bytes;
  };
  while (!fits()) {
    auto victim = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->first == keep) continue;
      if (victim == entries_.end() || it->second->last_used < victim->second->last_used) {
        victim = it;
      }
    }
    if (victim == entries_.end()) return false;  // only this object is left: keep what it has
    ::unlink((o_.dir + "/" + victim->first).c_str());
    ::unlink((o_.dir + "/" + victim->first + ".map").c_str());
    stats_.bytes -= victim->second->bytes;
    ++stats_.evictions;
    entries_.erase(victim);
  }
  return true;
}

}  // namespace s3fs::read
