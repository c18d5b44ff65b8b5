// LMDB-backed MetadataStore. Layout: one environment per mount (directory with data.mdb and
// lock.mdb), four named databases:
//   obj   path -> [8-byte LRU stamp][EncodeObject]
//   dir   path -> [8-byte LRU stamp][EncodeDir]
//   lru   big-endian stamp -> [tag 'o'|'d'][path]     (oldest first)
//   info  "format" -> kFormat
// Database keys are "/" + path (LMDB refuses empty keys; the root's listing is at "/"). Paths
// whose key exceeds LMDB's key limit (511 bytes) are not persisted: they always miss.
// Writes go to an in-memory overlay at once and are committed by one writer thread in batches.
// Stamps are taken inside the write transaction (write transactions are serialised across
// processes), so two mounts sharing the environment never collide.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <thread>
#include <vector>

#include "lmdb_handles.h"
#include "s3fs/common/log.h"
#include "s3fs/meta/metadata_store.h"
#include "tree.h"

namespace s3fs::meta {

namespace {

constexpr std::string_view kFormat = "s3fs-meta/1";
constexpr char kObjTag = 'o';
constexpr char kDirTag = 'd';

std::string StampKey(uint64_t stamp) {
  std::string k(8, '\0');
  for (int i = 0; i < 8; ++i) k[i] = static_cast<char>((stamp >> (8 * (7 - i))) & 0xff);
  return k;
}
uint64_t StampFromKey(std::string_view k) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < k.size(); ++i) v = (v << 8) | static_cast<uint8_t>(k[i]);
  return v;
}
std::string StampPrefix(uint64_t stamp) {
  std::string k(8, '\0');
  for (int i = 0; i < 8; ++i) k[i] = static_cast<char>((stamp >> (8 * i)) & 0xff);
  return k;
}
uint64_t StampOfValue(std::string_view v) {
  uint64_t s = 0;
  for (size_t i = 0; i < 8 && i < v.size(); ++i)
    s |= static_cast<uint64_t>(static_cast<uint8_t>(v[i])) << (8 * i);
  return s;
}

// Errors that mean the file cannot be trusted.
bool IsCorruption(int rc) {
  return rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID ||
         rc == MDB_VERSION_MISMATCH || rc == MDB_BAD_TXN || rc == MDB_INCOMPATIBLE ||
         rc == MDB_BAD_DBI;
}

std::string DbKey(std::string_view path) {
  std::string k;
  k.reserve(path.size() + 1);
  k.push_back('/');
  k.append(path);
  return k;
}

// One queued change, in call order.
struct Op {
  enum Type { kPutObj, kPutDir, kEraseDir, kEraseTree } type;
  std::string path;
  std::string value;  // encoded record for puts
  uint64_t seq = 0;
};

// What readers see before the writer has committed: the newest queued state of a path.
struct OverlayEntry {
  std::optional<std::string> value;  // nullopt: erased
  uint64_t seq = 0;
};

class LmdbStore final : public MetadataStore {
 public:
  explicit LmdbStore(LmdbOptions o) : o_(std::move(o)) {
    std::unique_lock env_lock(env_mu_);
    OpenOrRebuildLocked();
    writer_ = std::thread([this] { WriterLoop(); });
  }

  ~LmdbStore() override {
    Flush();
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    writer_.join();
    std::unique_lock env_lock(env_mu_);
    if (env_) mdb_env_sync(env_.get(), 1);
  }

  std::optional<ObjectRecord> GetObject(std::string_view path) override {
    auto raw = Get(path, /*dir=*/false);
    if (!raw) return Miss();
    auto r = DecodeObject(*raw);
    if (!r) return Miss();
    hits_++;
    return r;
  }

  std::optional<DirRecord> GetDir(std::string_view path) override {
    auto raw = Get(path, /*dir=*/true);
    if (!raw) {
      misses_++;
      return std::nullopt;
    }
    auto r = DecodeDir(*raw);
    if (!r) {
      misses_++;
      return std::nullopt;
    }
    hits_++;
    return r;
  }

  void PutObject(std::string_view path, const ObjectRecord& record) override {
    Enqueue(Op{Op::kPutObj, std::string(path), EncodeObject(record)});
  }
  void PutDir(std::string_view path, const DirRecord& record) override {
    Enqueue(Op{Op::kPutDir, std::string(path), EncodeDir(record)});
  }
  void EraseDir(std::string_view path) override {
    Enqueue(Op{Op::kEraseDir, std::string(path), {}});
  }
  void EraseTree(std::string_view path) override {
    Enqueue(Op{Op::kEraseTree, std::string(path), {}});
  }

  void Flush() override {
    std::unique_lock lock(mu_);
    uint64_t target = next_seq_ - 1;
    flush_requested_ = true;
    cv_.notify_all();
    done_cv_.wait(lock, [&] { return committed_seq_ >= target || stop_; });
  }

  void Clear() override {
    Flush();
    std::unique_lock env_lock(env_mu_);
    if (!env_) return;
    Txn txn;
    if (txn.Begin(env_.get(), 0) != 0) return;
    for (MDB_dbi dbi : {obj_, dir_, lru_}) mdb_drop(txn.get(), dbi, 0);
    txn.Commit();
  }

  Stats GetStats() override {
    Stats s;
    s.hits = hits_;
    s.misses = misses_;
    s.evicted = evicted_;
    s.resets = resets_;
    s.path = o_.dir;
    std::shared_lock env_lock(env_mu_);
    s.persistent = env_ != nullptr;
    if (!env_) return s;
    Txn txn;
    if (txn.Begin(env_.get(), MDB_RDONLY) != 0) return s;
    MDB_stat st;
    if (mdb_stat(txn.get(), obj_, &st) == 0) s.objects = st.ms_entries;
    if (mdb_stat(txn.get(), dir_, &st) == 0) s.dirs = st.ms_entries;
    MDB_envinfo info;
    MDB_stat env_st;
    if (mdb_env_info(env_.get(), &info) == 0 && mdb_env_stat(env_.get(), &env_st) == 0) {
      s.used_bytes = (info.me_last_pgno + 1) * static_cast<uint64_t>(env_st.ms_psize);
      s.capacity_bytes = info.me_mapsize;
    }
    struct stat fst;
    if (::stat(DataPath().c_str(), &fst) == 0) s.file_bytes = static_cast<uint64_t>(fst.st_size);
    return s;
  }

  void ForEachObject(
      const std::function<void(std::string_view, const ObjectRecord&)>& fn) override {
    Flush();
    std::shared_lock env_lock(env_mu_);
    if (!env_) return;
    Txn txn;
    if (txn.Begin(env_.get(), MDB_RDONLY) != 0) return;
    Cursor cur;
    if (cur.Open(txn.get(), obj_) != 0) return;
    MDB_val k, v;
    for (int rc = mdb_cursor_get(cur.get(), &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur.get(), &k, &v, MDB_NEXT)) {
      std::string_view raw = View(v);
      if (raw.size() < 8) continue;
      auto r = DecodeObject(raw.substr(8));
      if (r) fn(View(k).substr(1), *r);
    }
  }

 private:
  std::string DataPath() const { return o_.dir + "/data.mdb"; }

  std::nullopt_t Miss() {
    misses_++;
    return std::nullopt;
  }

  // The newest bytes for `path`: overlay first, then LMDB (a hit there is stamped as used).
  std::optional<std::string> Get(std::string_view path, bool dir) {
    {
      std::lock_guard lock(mu_);
      auto& overlay = dir ? dir_overlay_ : obj_overlay_;
      if (auto it = overlay.find(std::string(path)); it != overlay.end()) return it->second.value;
      for (const auto& [tree, seq] : erased_trees_) {
        if (IsUnder(path, tree)) return std::nullopt;
      }
    }
    std::optional<std::string> out;
    int rc = 0;
    {
      std::shared_lock env_lock(env_mu_);
      if (!env_) return std::nullopt;
      std::string key = DbKey(path);
      if (key.size() > max_key_) return std::nullopt;
      Txn txn;
      rc = txn.Begin(env_.get(), MDB_RDONLY);
      if (rc == 0) {
        MDB_val k = Val(key);
        MDB_val v;
        rc = mdb_get(txn.get(), dir ? dir_ : obj_, &k, &v);
        if (rc == 0 && v.mv_size >= 8) out = std::string(View(v).substr(8));
      }
    }
    if (rc != 0 && rc != MDB_NOTFOUND) {
      ReportFailure("read", rc);
      return std::nullopt;
    }
    if (out) {
      std::lock_guard lock(mu_);
      if (touched_.size() < 100000) touched_.insert((dir ? kDirTag : kObjTag) + std::string(path));
    }
    return out;
  }

  void Enqueue(Op op) {
    {
      std::lock_guard lock(mu_);
      op.seq = next_seq_++;
      switch (op.type) {
        case Op::kPutObj:
          obj_overlay_[op.path] = OverlayEntry{op.value, op.seq};
          break;
        case Op::kPutDir:
          dir_overlay_[op.path] = OverlayEntry{op.value, op.seq};
          break;
        case Op::kEraseDir:
          dir_overlay_[op.path] = OverlayEntry{std::nullopt, op.seq};
          break;
        case Op::kEraseTree:
          for (auto* overlay : {&obj_overlay_, &dir_overlay_}) {
            for (auto& [p, e] : *overlay) {
              if (IsUnder(p, op.path)) e = OverlayEntry{std::nullopt, op.seq};
            }
          }
          erased_trees_.emplace_back(op.path, op.seq);
          break;
      }
      ops_.push_back(std::move(op));
    }
    cv_.notify_all();
  }

  void WriterLoop() {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock,
               [&] { return stop_ || !ops_.empty() || flush_requested_ || !touched_.empty(); });
      if (stop_ && ops_.empty()) break;
      if (!flush_requested_ && !stop_ && ops_.size() < 4096) {
        // Let more writes join this transaction.
        cv_.wait_for(lock, std::chrono::milliseconds(o_.batch_delay_ms),
                     [&] { return stop_ || flush_requested_ || ops_.size() >= 4096; });
      }
      std::vector<Op> batch;
      batch.swap(ops_);
      std::set<std::string> touched;
      touched.swap(touched_);
      flush_requested_ = false;
      uint64_t last = batch.empty() ? committed_seq_ : batch.back().seq;
      lock.unlock();
      Commit(batch, touched);
      lock.lock();
      // The batch is in LMDB now: drop overlay entries no newer than it.
      for (auto* overlay : {&obj_overlay_, &dir_overlay_}) {
        for (auto it = overlay->begin(); it != overlay->end();) {
          it = it->second.seq <= last ? overlay->erase(it) : std::next(it);
        }
      }
      erased_trees_.erase(std::remove_if(erased_trees_.begin(), erased_trees_.end(),
                                         [&](const auto& t) { return t.second <= last; }),
                          erased_trees_.end());
      committed_seq_ = std::max(committed_seq_, last);
      done_cv_.notify_all();
    }
    committed_seq_ = next_seq_ - 1;
    done_cv_.notify_all();
  }

  // Writes one batch in one transaction; evicts and retries once if the map is full.
  void Commit(const std::vector<Op>& batch, const std::set<std::string>& touched) {
    {
      std::unique_lock env_lock(env_mu_);
      // Running without a file: try to get one back now and then.
      if (!env_ && ++reopen_attempts_ % 64 == 0) OpenOrRebuildLocked();
      if (!env_) return;
    }
    int failed = 0;
    {
      // Readers go on while this (single) writer commits; only a reset needs exclusivity.
      std::shared_lock env_lock(env_mu_);
      if (!env_) return;
      for (int attempt = 0; attempt < 3; ++attempt) {
        int rc = CommitOnce(batch, touched);
        failed = rc;
        if (rc == 0) break;
        if (rc == MDB_MAP_FULL || rc == MDB_TXN_FULL) {
          EvictLocked(attempt == 0 ? 4 : 2);  // a quarter, then half
          continue;
        }
        break;
      }
      if (failed == 0) EnforceEntryCapLocked();
    }
    if (failed != 0) ReportFailure("write", failed);
  }

  int CommitOnce(const std::vector<Op>& batch, const std::set<std::string>& touched) {
    Txn txn;
    int rc = txn.Begin(env_.get(), 0);
    if (rc != 0) return rc;
    uint64_t stamp = 0;
    {
      Cursor cur;
      if ((rc = cur.Open(txn.get(), lru_)) != 0) return rc;
      MDB_val k, v;
      rc = mdb_cursor_get(cur.get(), &k, &v, MDB_LAST);
      if (rc == 0) {
        stamp = StampFromKey(View(k)) + 1;
      } else if (rc != MDB_NOTFOUND) {
        return rc;
      }
    }
    for (const Op& op : batch) {
      switch (op.type) {
        case Op::kPutObj:
          rc = PutLocked(txn.get(), obj_, kObjTag, op.path, op.value, stamp++);
          break;
        case Op::kPutDir:
          rc = PutLocked(txn.get(), dir_, kDirTag, op.path, op.value, stamp++);
          break;
        case Op::kEraseDir:
          rc = DelLocked(txn.get(), dir_, op.path);
          break;
        case Op::kEraseTree:
          rc = DelTreeLocked(txn.get(), obj_, op.path);
          if (rc == 0) rc = DelTreeLocked(txn.get(), dir_, op.path);
          break;
      }
      if (rc != 0) return rc;
    }
    for (const std::string& t : touched) {
      MDB_dbi dbi = t[0] == kDirTag ? dir_ : obj_;
      std::string_view path = std::string_view(t).substr(1);
      std::string key = DbKey(path);
      MDB_val k = Val(key);
      MDB_val v;
      rc = mdb_get(txn.get(), dbi, &k, &v);
      if (rc == MDB_NOTFOUND) continue;
      if (rc != 0) return rc;
      std::string value(View(v).substr(std::min<size_t>(8, v.mv_size)));
      if ((rc = PutLocked(txn.get(), dbi, t[0], path, value, stamp++)) != 0) return rc;
    }
    return txn.Commit();
  }

  // Replaces the record at `path`, moving its LRU stamp to `stamp`.
  int PutLocked(MDB_txn* txn, MDB_dbi dbi, char tag, std::string_view path, std::string_view value,
                uint64_t stamp) {
    std::string key = DbKey(path);
    if (key.size() > max_key_) return 0;  // too long for LMDB: not persisted
    int rc = DelKeyLocked(txn, dbi, key);
    if (rc != 0) return rc;
    std::string stored = StampPrefix(stamp);
    stored.append(value);
    MDB_val k = Val(key);
    MDB_val v = Val(stored);
    if ((rc = mdb_put(txn, dbi, &k, &v, 0)) != 0) return rc;
    std::string lru_key = StampKey(stamp);
    std::string lru_val = tag + key;
    MDB_val lk = Val(lru_key);
    MDB_val lv = Val(lru_val);
    return mdb_put(txn, lru_, &lk, &lv, 0);
  }

  int DelLocked(MDB_txn* txn, MDB_dbi dbi, std::string_view path) {
    std::string key = DbKey(path);
    return key.size() > max_key_ ? 0 : DelKeyLocked(txn, dbi, key);
  }

  // Deletes the record at database key `key` and its LRU entry (absent is fine).
  int DelKeyLocked(MDB_txn* txn, MDB_dbi dbi, std::string_view key) {
    MDB_val k = Val(key);
    MDB_val v;
    int rc = mdb_get(txn, dbi, &k, &v);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc != 0) return rc;
    std::string lru_key = StampKey(StampOfValue(View(v)));
    MDB_val lk = Val(lru_key);
    rc = mdb_del(txn, lru_, &lk, nullptr);
    if (rc != 0 && rc != MDB_NOTFOUND) return rc;
    rc = mdb_del(txn, dbi, &k, nullptr);
    return rc == MDB_NOTFOUND ? 0 : rc;
  }

  int DelTreeLocked(MDB_txn* txn, MDB_dbi dbi, const std::string& tree) {
    std::vector<std::string> doomed;  // database keys
    std::string below = tree.empty() ? std::string("/") : DbKey(tree) + "/";
    {
      Cursor cur;
      int rc = cur.Open(txn, dbi);
      if (rc != 0) return rc;
      MDB_val k = Val(below);
      MDB_val v;
      for (rc = mdb_cursor_get(cur.get(), &k, &v, MDB_SET_RANGE); rc == 0;
           rc = mdb_cursor_get(cur.get(), &k, &v, MDB_NEXT)) {
        if (View(k).substr(0, below.size()) != below) break;
        doomed.emplace_back(View(k));
      }
      if (rc != 0 && rc != MDB_NOTFOUND) return rc;
    }
    if (!tree.empty()) doomed.push_back(DbKey(tree));
    for (const auto& key : doomed) {
      if (key.size() > max_key_) continue;
      int rc = DelKeyLocked(txn, dbi, key);
      if (rc != 0) return rc;
    }
    return 0;
  }

  // Drops the oldest 1/`fraction` of all records.
  void EvictLocked(uint64_t fraction) {
    Txn txn;
    if (txn.Begin(env_.get(), 0) != 0) return;
    MDB_stat st;
    if (mdb_stat(txn.get(), lru_, &st) != 0) return;
    uint64_t n = std::max<uint64_t>(1, st.ms_entries / fraction);
    if (EvictOldest(txn.get(), n) == 0 && txn.Commit() == 0) {
      S3FS_LOG_INFO("metadata cache {}: full at {} MiB; dropped the {} least recently used records",
                    o_.dir, o_.max_bytes >> 20, n);
    }
  }

  void EnforceEntryCapLocked() {
    Txn txn;
    if (txn.Begin(env_.get(), 0) != 0) return;
    MDB_stat st;
    if (mdb_stat(txn.get(), obj_, &st) != 0 || st.ms_entries <= o_.max_entries) return;
    // Down to 90% of the cap so eviction runs in batches, not per write.
    uint64_t n = st.ms_entries - o_.max_entries * 9 / 10;
    if (EvictOldest(txn.get(), n) == 0) txn.Commit();
  }

  int EvictOldest(MDB_txn* txn, uint64_t n) {
    std::vector<std::pair<std::string, std::string>> victims;  // lru key, tag+path
    {
      Cursor cur;
      int rc = cur.Open(txn, lru_);
      if (rc != 0) return rc;
      MDB_val k, v;
      for (rc = mdb_cursor_get(cur.get(), &k, &v, MDB_FIRST); rc == 0 && victims.size() < n;
           rc = mdb_cursor_get(cur.get(), &k, &v, MDB_NEXT)) {
        victims.emplace_back(std::string(View(k)), std::string(View(v)));
      }
    }
    for (const auto& [lk, tp] : victims) {
      if (tp.empty()) continue;
      MDB_dbi dbi = tp[0] == kDirTag ? dir_ : obj_;
      MDB_val k = Val(std::string_view(tp).substr(1));
      int rc = mdb_del(txn, dbi, &k, nullptr);
      if (rc != 0 && rc != MDB_NOTFOUND) return rc;
      MDB_val l = Val(lk);
      rc = mdb_del(txn, lru_, &l, nullptr);
      if (rc != 0 && rc != MDB_NOTFOUND) return rc;
      evicted_++;
    }
    return 0;
  }

  void ReportFailure(const char* what, int rc) {
    std::unique_lock env_lock(env_mu_);
    ReportFailureLocked(what, rc);
  }

  void ReportFailureLocked(const char* what, int rc) {
    if (IsCorruption(rc) && env_) {
      S3FS_LOG_WARN("metadata cache {}: {} failed ({}); setting the file aside and starting empty",
                    o_.dir, what, mdb_strerror(rc));
      env_.reset();
      SetAsideLocked();
      OpenOrRebuildLocked();
      resets_++;
    } else {
      S3FS_LOG_WARN("metadata cache {}: {} failed: {}", o_.dir, what, mdb_strerror(rc));
    }
  }

  void SetAsideLocked() {
    std::error_code ec;
    std::filesystem::rename(DataPath(), DataPath() + ".bad", ec);
    std::filesystem::remove(o_.dir + "/lock.mdb", ec);
  }

  // Opens the environment; a file that cannot be used is set aside once and replaced.
  void OpenOrRebuildLocked() {
    std::error_code ec;
    std::filesystem::create_directories(o_.dir, ec);
    if (ec) {
      WarnOnce("cannot create " + o_.dir + ": " + ec.message());
      return;
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::string why;
      if (TryOpenLocked(&why)) return;
      if (attempt == 0) {
        WarnOnce("metadata cache " + o_.dir + " unusable (" + why +
                 "); set aside as data.mdb.bad, starting empty");
        SetAsideLocked();
        resets_++;
      } else {
        WarnOnce("metadata cache " + o_.dir + " unusable (" + why +
                 "); running with the in-memory cache only");
      }
    }
  }

  bool TryOpenLocked(std::string* why) {
    env_.reset();
    MDB_env* raw = nullptr;
    int rc = mdb_env_create(&raw);
    if (rc != 0) {
      *why = mdb_strerror(rc);
      return false;
    }
    EnvPtr env(raw);
    mdb_env_set_maxdbs(env.get(), 4);
    mdb_env_set_maxreaders(env.get(), 512);
    mdb_env_set_mapsize(env.get(), o_.max_bytes);
    // NOSYNC: a crash of the machine may drop the last batches (it is a cache); LMDB's
    // copy-on-write keeps the file consistent either way.
    rc = mdb_env_open(env.get(), o_.dir.c_str(), MDB_NOTLS | MDB_NOSYNC | MDB_NORDAHEAD, 0600);
    if (rc != 0) {
      *why = mdb_strerror(rc);
      return false;
    }
    // A file shorter than its own metadata says has been truncated: reading it would fault.
    MDB_envinfo info;
    MDB_stat est;
    struct stat fst;
    if (mdb_env_info(env.get(), &info) != 0 || mdb_env_stat(env.get(), &est) != 0 ||
        ::stat(DataPath().c_str(), &fst) != 0) {
      *why = "cannot read its header";
      return false;
    }
    if ((info.me_last_pgno + 1) * static_cast<uint64_t>(est.ms_psize) >
        static_cast<uint64_t>(fst.st_size)) {
      *why = "file truncated";
      return false;
    }
    int dead = 0;
    mdb_reader_check(env.get(), &dead);
    Txn txn;
    if ((rc = txn.Begin(env.get(), 0)) != 0 ||
        (rc = mdb_dbi_open(txn.get(), "obj", MDB_CREATE, &obj_)) != 0 ||
        (rc = mdb_dbi_open(txn.get(), "dir", MDB_CREATE, &dir_)) != 0 ||
        (rc = mdb_dbi_open(txn.get(), "lru", MDB_CREATE, &lru_)) != 0 ||
        (rc = mdb_dbi_open(txn.get(), "info", MDB_CREATE, &info_)) != 0) {
      *why = mdb_strerror(rc);
      return false;
    }
    MDB_val k = Val("format");
    MDB_val v;
    rc = mdb_get(txn.get(), info_, &k, &v);
    if (rc == 0 && View(v) != kFormat) {
      *why = "format " + std::string(View(v)) + ", this version writes " + std::string(kFormat);
      return false;
    }
    if (rc == MDB_NOTFOUND) {
      MDB_val fv = Val(kFormat);
      if ((rc = mdb_put(txn.get(), info_, &k, &fv, 0)) != 0) {
        *why = mdb_strerror(rc);
        return false;
      }
    } else if (rc != 0) {
      *why = mdb_strerror(rc);
      return false;
    }
    if ((rc = txn.Commit()) != 0) {
      *why = mdb_strerror(rc);
      return false;
    }
    max_key_ = static_cast<size_t>(mdb_env_get_maxkeysize(env.get()));
    env_ = std::move(env);
    return true;
  }

  void WarnOnce(const std::string& msg) {
    if (warned_.insert(msg).second) S3FS_LOG_WARN("{}", msg);
  }

  const LmdbOptions o_;

  std::shared_mutex env_mu_;  // exclusive: open, reset, writes; shared: reads
  EnvPtr env_;
  MDB_dbi obj_ = 0, dir_ = 0, lru_ = 0, info_ = 0;
  size_t max_key_ = 511;
  uint64_t reopen_attempts_ = 0;
  std::set<std::string> warned_;

  std::mutex mu_;  // overlay and queue
  std::condition_variable cv_;
  std::condition_variable done_cv_;
  std::map<std::string, OverlayEntry> obj_overlay_;
  std::map<std::string, OverlayEntry> dir_overlay_;
  std::vector<std::pair<std::string, uint64_t>> erased_trees_;
  std::vector<Op> ops_;
  std::set<std::string> touched_;
  uint64_t next_seq_ = 1;
  uint64_t committed_seq_ = 0;
  bool flush_requested_ = false;
  bool stop_ = false;
  std::thread writer_;

  std::atomic<uint64_t> hits_{0}, misses_{0}, evicted_{0}, resets_{0};
};

}  // namespace

std::shared_ptr<MetadataStore> OpenLmdbMetadataStore(const LmdbOptions& options) {
  return std::make_shared<LmdbStore>(options);
}

}  // namespace s3fs::meta
