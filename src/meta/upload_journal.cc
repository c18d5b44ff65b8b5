// UploadJournal over LMDB (one small environment, synced commits) and in memory; owner
// identities from /proc.
#include "s3fs/meta/upload_journal.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "lmdb_handles.h"
#include "s3fs/common/log.h"

namespace s3fs::meta {
namespace {

std::string BootId() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

// Field 22 of /proc/PID/stat (start time in clock ticks since boot); empty if no such process
// or if it has exited and not been reaped yet (a zombie: a killed mount looks like that for a
// moment).
std::string StartTime(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return {};
  // The command name (field 2) is in parentheses and may hold spaces: count after the last ')'.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream fields(line.substr(close + 1));
  std::string f;
  for (int i = 3; i <= 22 && fields >> f; ++i) {
    if (i == 3 && (f == "Z" || f == "X")) return {};
    if (i == 22) return f;
  }
  return {};
}

// Value layout: "1" then length-prefixed fields "<len>:<bytes>" for key and owner.
std::string Encode(const std::string& key, const std::string& owner) {
  std::string v = "1";
  for (const std::string* f : {&key, &owner}) v += std::to_string(f->size()) + ":" + *f;
  return v;
}

bool Decode(std::string_view v, std::string* key, std::string* owner) {
  if (v.empty() || v[0] != '1') return false;
  v.remove_prefix(1);
  for (std::string* f : {key, owner}) {
    const size_t colon = v.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 10) return false;
    size_t len = 0;
    for (char c : v.substr(0, colon)) {
      if (c < '0' || c > '9') return false;
      len = len * 10 + static_cast<size_t>(c - '0');
    }
    v.remove_prefix(colon + 1);
    if (len > v.size()) return false;
    f->assign(v.substr(0, len));
    v.remove_prefix(len);
  }
  return v.empty();
}

class LmdbUploadJournal final : public UploadJournal {
 public:
  LmdbUploadJournal(EnvPtr env, MDB_dbi dbi, std::string owner)
      : env_(std::move(env)), dbi_(dbi), owner_(std::move(owner)) {}

  bool Begin(const std::string& upload_id, const std::string& key) override {
    std::lock_guard lock(mu_);
    Txn txn;
    int rc = txn.Begin(env_.get(), 0);
    const std::string value = Encode(key, owner_);
    MDB_val k = Val(upload_id);
    MDB_val v = Val(value);
    if (rc == 0) rc = mdb_put(txn.get(), dbi_, &k, &v, 0);
    if (rc == 0) rc = txn.Commit();
    if (rc != 0) {
      S3FS_LOG_WARN("upload journal: cannot record upload {} of {}: {}", upload_id, key,
                    mdb_strerror(rc));
      return false;
    }
    return true;
  }

  void End(const std::string& upload_id) override {
    std::lock_guard lock(mu_);
    Txn txn;
    int rc = txn.Begin(env_.get(), 0);
    MDB_val k = Val(upload_id);
    if (rc == 0) rc = mdb_del(txn.get(), dbi_, &k, nullptr);
    if (rc == 0) rc = txn.Commit();
    if (rc != 0 && rc != MDB_NOTFOUND) {
      S3FS_LOG_WARN("upload journal: cannot forget upload {}: {}", upload_id, mdb_strerror(rc));
    }
  }

  std::vector<JournaledUpload> All() override {
    std::lock_guard lock(mu_);
    std::vector<JournaledUpload> out;
    Txn txn;
    if (txn.Begin(env_.get(), MDB_RDONLY) != 0) return out;
    Cursor cur;
    if (cur.Open(txn.get(), dbi_) != 0) return out;
    MDB_val k, v;
    for (int rc = mdb_cursor_get(cur.get(), &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur.get(), &k, &v, MDB_NEXT)) {
      JournaledUpload u;
      u.upload_id = std::string(View(k));
      if (!Decode(View(v), &u.key, &u.owner)) {
        S3FS_LOG_WARN("upload journal: unreadable entry for upload {} ignored", u.upload_id);
        continue;
      }
      out.push_back(std::move(u));
    }
    return out;
  }

 private:
  std::mutex mu_;
  EnvPtr env_;
  MDB_dbi dbi_;
  const std::string owner_;
};

class MemoryUploadJournal final : public UploadJournal {
 public:
  explicit MemoryUploadJournal(std::string owner) : owner_(std::move(owner)) {}
  bool Begin(const std::string& upload_id, const std::string& key) override {
    std::lock_guard lock(mu_);
    entries_[upload_id] = {upload_id, key, owner_};
    return true;
  }
  void End(const std::string& upload_id) override {
    std::lock_guard lock(mu_);
    entries_.erase(upload_id);
  }
  std::vector<JournaledUpload> All() override {
    std::lock_guard lock(mu_);
    std::vector<JournaledUpload> out;
    for (const auto& [id, u] : entries_) out.push_back(u);
    return out;
  }

 private:
  std::mutex mu_;
  const std::string owner_;
  std::map<std::string, JournaledUpload> entries_;
};

}  // namespace

std::vector<JournaledUpload> UploadJournal::Orphans() {
  std::vector<JournaledUpload> out;
  for (auto& u : All()) {
    if (!OwnerAlive(u.owner)) out.push_back(std::move(u));
  }
  return out;
}

std::string CurrentOwner() {
  const long pid = static_cast<long>(::getpid());
  return BootId() + ":" + std::to_string(pid) + ":" + StartTime(pid);
}

bool OwnerAlive(const std::string& owner) {
  const size_t a = owner.find(':');
  const size_t b = owner.find(':', a == std::string::npos ? a : a + 1);
  if (a == std::string::npos || b == std::string::npos) return false;
  if (owner.substr(0, a) != BootId()) return false;
  long pid = 0;
  for (char c : owner.substr(a + 1, b - a - 1)) {
    if (c < '0' || c > '9') return false;
    pid = pid * 10 + (c - '0');
  }
  const std::string start = StartTime(pid);
  return !start.empty() && start == owner.substr(b + 1);
}

std::shared_ptr<UploadJournal> OpenLmdbUploadJournal(const std::string& dir, std::string* error) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    *error = dir + ": " + ec.message();
    return nullptr;
  }
  MDB_env* raw = nullptr;
  int rc = mdb_env_create(&raw);
  EnvPtr env(raw);
  if (rc == 0) rc = mdb_env_set_maxdbs(env.get(), 1);
  if (rc == 0) rc = mdb_env_set_mapsize(env.get(), 16ULL << 20);
  // Synced commits: an entry is on disk before the upload's first part is sent.
  if (rc == 0) rc = mdb_env_open(env.get(), dir.c_str(), MDB_NOTLS, 0600);
  MDB_dbi dbi = 0;
  if (rc == 0) {
    Txn txn;
    rc = txn.Begin(env.get(), 0);
    if (rc == 0) rc = mdb_dbi_open(txn.get(), "uploads", MDB_CREATE, &dbi);
    if (rc == 0) rc = txn.Commit();
  }
  if (rc != 0) {
    *error = dir + ": " + mdb_strerror(rc);
    return nullptr;
  }
  return std::make_shared<LmdbUploadJournal>(std::move(env), dbi, CurrentOwner());
}

std::shared_ptr<UploadJournal> MakeMemoryUploadJournal(std::string owner) {
  return std::make_shared<MemoryUploadJournal>(std::move(owner));
}

}  // namespace s3fs::meta
