// UploadJournal over LMDB (one small environment, synced commits) and in memory; owner
// identities from /proc.
#include "s3fs/meta/upload_journal.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
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

// Value layout: a version character, then length-prefixed fields "<len>:<bytes>".
std::string EncodeFields(char version, const std::vector<std::string>& fields) {
  std::string v(1, version);
  for (const std::string& f : fields) v += std::to_string(f.size()) + ":" + f;
  return v;
}

// All fields of a value of `version`; nullopt when malformed.
std::optional<std::vector<std::string>> DecodeFields(char version, std::string_view v) {
  if (v.empty() || v[0] != version) return std::nullopt;
  v.remove_prefix(1);
  std::vector<std::string> out;
  while (!v.empty()) {
    const size_t colon = v.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 10) return std::nullopt;
    size_t len = 0;
    for (char c : v.substr(0, colon)) {
      if (c < '0' || c > '9') return std::nullopt;
      len = len * 10 + static_cast<size_t>(c - '0');
    }
    v.remove_prefix(colon + 1);
    if (len > v.size()) return std::nullopt;
    out.emplace_back(v.substr(0, len));
    v.remove_prefix(len);
  }
  return out;
}

std::string Encode(const std::string& key, const std::string& owner) {
  return EncodeFields('1', {key, owner});
}

bool Decode(std::string_view v, std::string* key, std::string* owner) {
  auto f = DecodeFields('1', v);
  if (!f || f->size() != 2) return false;
  *key = std::move((*f)[0]);
  *owner = std::move((*f)[1]);
  return true;
}

// Fixed fields of a pending close, then the metadata as name/value pairs.
std::string EncodeClose(const PendingClose& c) {
  std::vector<std::string> f = {
      c.key,           c.staging_path, c.base_etag,      c.content_type,
      c.storage_class, c.sse,          c.sse_kms_key_id, std::to_string(c.closed_at),
      c.owner};
  for (const auto& [name, value] : c.metadata) {
    f.push_back(name);
    f.push_back(value);
  }
  return EncodeFields('c', f);
}

bool DecodeClose(std::string_view v, PendingClose* c) {
  auto f = DecodeFields('c', v);
  if (!f || f->size() < 9 || (f->size() - 9) % 2 != 0) return false;
  auto& x = *f;
  c->key = x[0];
  c->staging_path = x[1];
  c->base_etag = x[2];
  c->content_type = x[3];
  c->storage_class = x[4];
  c->sse = x[5];
  c->sse_kms_key_id = x[6];
  c->closed_at = 0;
  for (char ch : x[7]) {
    if (ch < '0' || ch > '9') return false;
    c->closed_at = c->closed_at * 10 + (ch - '0');
  }
  c->owner = x[8];
  for (size_t i = 9; i + 1 < x.size(); i += 2) c->metadata[x[i]] = x[i + 1];
  return true;
}

class LmdbUploadJournal final : public UploadJournal {
 public:
  LmdbUploadJournal(EnvPtr env, MDB_dbi dbi, MDB_dbi closes, std::string owner)
      : env_(std::move(env)), dbi_(dbi), closes_(closes), owner_(std::move(owner)) {}

  bool Begin(const std::string& upload_id, const std::string& key) override {
    int rc = Put(dbi_, upload_id, Encode(key, owner_));
    if (rc != 0) {
      S3FS_LOG_WARN("upload journal: cannot record upload {} of {}: {}", upload_id, key,
                    mdb_strerror(rc));
      return false;
    }
    return true;
  }

  void End(const std::string& upload_id) override {
    int rc = Del(dbi_, upload_id);
    if (rc != 0 && rc != MDB_NOTFOUND) {
      S3FS_LOG_WARN("upload journal: cannot forget upload {}: {}", upload_id, mdb_strerror(rc));
    }
  }

  std::vector<JournaledUpload> All() override {
    std::vector<JournaledUpload> out;
    ForEach(dbi_, [&](std::string_view k, std::string_view v) {
      JournaledUpload u;
      u.upload_id = std::string(k);
      if (!Decode(v, &u.key, &u.owner)) {
        S3FS_LOG_WARN("upload journal: unreadable entry for upload {} ignored", u.upload_id);
        return;
      }
      out.push_back(std::move(u));
    });
    return out;
  }

  // Group commit: closes recorded while another thread's commit runs wait for it and then go
  // in one transaction (one sync) together, so concurrent writers do not queue up one sync each.
  bool RecordClose(const PendingClose& close) override {
    PendingClose c = close;
    c.owner = owner_;
    Pending mine{c.id, EncodeClose(c)};
    std::unique_lock lock(batch_mu_);
    batch_.push_back(&mine);
    while (!mine.done) {
      if (committing_) {
        batch_cv_.wait(lock);
        continue;
      }
      committing_ = true;
      std::vector<Pending*> group;
      group.swap(batch_);
      lock.unlock();
      const int group_rc = PutMany(closes_, group);
      lock.lock();
      for (Pending* p : group) {
        p->rc = group_rc;
        p->done = true;
      }
      committing_ = false;
      batch_cv_.notify_all();
    }
    lock.unlock();
    const int rc = mine.rc;
    if (rc != 0) {
      S3FS_LOG_WARN("upload journal: cannot record the close of {}: {}", c.key, mdb_strerror(rc));
      return false;
    }
    return true;
  }

  void ForgetClose(const std::string& id) override {
    int rc = Del(closes_, id);
    if (rc != 0 && rc != MDB_NOTFOUND) {
      S3FS_LOG_WARN("upload journal: cannot forget close {}: {}", id, mdb_strerror(rc));
    }
  }

  std::vector<PendingClose> AllCloses() override {
    std::vector<PendingClose> out;
    ForEach(closes_, [&](std::string_view k, std::string_view v) {
      PendingClose c;
      c.id = std::string(k);
      if (!DecodeClose(v, &c)) {
        S3FS_LOG_WARN("upload journal: unreadable pending close {} ignored", c.id);
        return;
      }
      out.push_back(std::move(c));
    });
    return out;
  }

 private:
  // One synced write transaction.
  int Put(MDB_dbi dbi, const std::string& key, const std::string& value) {
    Pending one{key, value};
    return PutMany(dbi, {&one});
  }

  struct Pending {
    std::string key;
    std::string value;
    bool done = false;
    int rc = 0;
  };

  // All of `group` in one synced write transaction.
  int PutMany(MDB_dbi dbi, const std::vector<Pending*>& group) {
    std::lock_guard lock(mu_);
    Txn txn;
    int rc = txn.Begin(env_.get(), 0);
    for (const Pending* p : group) {
      if (rc != 0) break;
      MDB_val k = Val(p->key);
      MDB_val v = Val(p->value);
      rc = mdb_put(txn.get(), dbi, &k, &v, 0);
    }
    if (rc == 0) rc = txn.Commit();
    return rc;
  }

  // Not synced: an entry that outlives a crash only costs the next mount a check (the upload
  // was completed or aborted); the next synced commit makes it durable anyway.
  int Del(MDB_dbi dbi, const std::string& key) {
    std::lock_guard lock(mu_);
    Txn txn;
    int rc = txn.Begin(env_.get(), 0);
    MDB_val k = Val(key);
    if (rc == 0) rc = mdb_del(txn.get(), dbi, &k, nullptr);
    if (rc == 0) {
      mdb_env_set_flags(env_.get(), MDB_NOSYNC, 1);
      rc = txn.Commit();
      mdb_env_set_flags(env_.get(), MDB_NOSYNC, 0);
    }
    return rc;
  }

  void ForEach(MDB_dbi dbi, const std::function<void(std::string_view, std::string_view)>& f) {
    std::lock_guard lock(mu_);
    Txn txn;
    if (txn.Begin(env_.get(), MDB_RDONLY) != 0) return;
    Cursor cur;
    if (cur.Open(txn.get(), dbi) != 0) return;
    MDB_val k, v;
    for (int rc = mdb_cursor_get(cur.get(), &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur.get(), &k, &v, MDB_NEXT)) {
      f(View(k), View(v));
    }
  }

  std::mutex mu_;
  std::mutex batch_mu_;  // RecordClose's group commit
  std::condition_variable batch_cv_;
  std::vector<Pending*> batch_;
  bool committing_ = false;
  EnvPtr env_;
  MDB_dbi dbi_;
  MDB_dbi closes_;
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
  bool RecordClose(const PendingClose& close) override {
    std::lock_guard lock(mu_);
    PendingClose& c = closes_[close.id] = close;
    c.owner = owner_;
    return true;
  }
  void ForgetClose(const std::string& id) override {
    std::lock_guard lock(mu_);
    closes_.erase(id);
  }
  std::vector<PendingClose> AllCloses() override {
    std::lock_guard lock(mu_);
    std::vector<PendingClose> out;
    for (const auto& [id, c] : closes_) out.push_back(c);
    return out;
  }

 private:
  std::mutex mu_;
  const std::string owner_;
  std::map<std::string, JournaledUpload> entries_;
  std::map<std::string, PendingClose> closes_;
};

}  // namespace

std::vector<JournaledUpload> UploadJournal::Orphans() {
  std::vector<JournaledUpload> out;
  for (auto& u : All()) {
    if (!OwnerAlive(u.owner)) out.push_back(std::move(u));
  }
  return out;
}

std::vector<PendingClose> UploadJournal::OrphanCloses() {
  std::vector<PendingClose> out;
  for (auto& c : AllCloses()) {
    if (!OwnerAlive(c.owner)) out.push_back(std::move(c));
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
  if (rc == 0) rc = mdb_env_set_maxdbs(env.get(), 2);
  if (rc == 0) rc = mdb_env_set_mapsize(env.get(), 16ULL << 20);
  // Synced commits: an entry is on disk before the upload's first part is sent.
  if (rc == 0) rc = mdb_env_open(env.get(), dir.c_str(), MDB_NOTLS, 0600);
  MDB_dbi dbi = 0;
  MDB_dbi closes = 0;
  if (rc == 0) {
    Txn txn;
    rc = txn.Begin(env.get(), 0);
    if (rc == 0) rc = mdb_dbi_open(txn.get(), "uploads", MDB_CREATE, &dbi);
    if (rc == 0) rc = mdb_dbi_open(txn.get(), "closes", MDB_CREATE, &closes);
    if (rc == 0) rc = txn.Commit();
  }
  if (rc != 0) {
    *error = dir + ": " + mdb_strerror(rc);
    return nullptr;
  }
  return std::make_shared<LmdbUploadJournal>(std::move(env), dbi, closes, CurrentOwner());
}

std::shared_ptr<UploadJournal> MakeMemoryUploadJournal(std::string owner) {
  return std::make_shared<MemoryUploadJournal>(std::move(owner));
}

}  // namespace s3fs::meta
