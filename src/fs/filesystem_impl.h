// Private: the Filesystem implementation's state. Split across filesystem.cc (namespace:
// inodes, lookup, attributes, directories, rename, xattrs) and file_io.cc (handles, reads,
// writes, staging, uploads).
//
// Locking: mu_ guards the inode table, path index, caches and handle maps. It is never held
// across a call to the ObjectStore. FileState::mu serialises I/O on one inode's staging file.
#ifndef S3FS_SRC_FS_FILESYSTEM_IMPL_H_
#define S3FS_SRC_FS_FILESYSTEM_IMPL_H_

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "fs_metrics.h"
#include "s3fs/fs/filesystem.h"
#include "s3fs/fs/layout.h"
#include "s3fs/read/first_bytes.h"
#include "s3fs/read/object_reader.h"
#include "s3fs/read/shared_parts.h"
#include "s3fs/write/range_set.h"
#include "s3fs/write/streaming_upload.h"

namespace s3fs::fs {

using Steady = std::chrono::steady_clock::time_point;

// Shared write state of one inode (all its handles).
struct FileState {
  std::mutex mu;
  int fd = -1;          // staging file (unlinked right after creation), -1 when none
  bool loaded = false;  // fd stages the logical content: see base_etag/present below
  bool dirty = false;   // content or attributes differ from S3
  uint64_t size = 0;    // logical size when loaded (the staging file has this length)
  int handles = 0;      // open handles on the inode
  int writers = 0;      // of those, opened for writing (counted from the start of Open)
  // The staged content is an edit of object version `base_etag` (empty: of nothing). Byte i
  // of the file is: the staging file's if i is in `present`; else the base object's if
  // i < base_valid; else zero (a hole, or past a truncation).
  std::string base_etag;
  uint64_t base_valid = 0;
  write::RangeSet present;  // staging bytes that are valid (written, or fetched from the base)
  write::RangeSet written;  // bytes written since the base (a subset of present)
  // Set when written data was lost before reaching S3 (a streamed part failed after its
  // staging copy was released): every later write, fsync and close of the file fail with it.
  int failed = 0;
  // Streaming upload: the file started empty and has been written at or above the parts
  // already sent; `stream` runs once the first part is full.
  bool stream_eligible = false;
  std::unique_ptr<write::StreamingUpload> stream;
  WriteAttrs stream_attrs;  // what the streaming upload was started with
  // Attributes set (chmod, utimens, xattrs) while data was dirty: a streamed upload, whose
  // metadata was fixed when it started, gets them by a self-copy after it completes.
  std::atomic<bool> attrs_set{false};
  // async_close: the close accepted before the upload (journal entry id, hard link of fd);
  // `queued` while a worker has it in its queue; `pending_counted` bytes in the totals.
  std::string pending_id;
  std::string pending_path;
  std::atomic<bool> close_pending{false};  // pending_id is set (readable without mu)
  bool queued = false;
  uint64_t pending_counted = 0;
  // What this file adds to the dirty-bytes gauge (FilesystemImpl::NoteDirty).
  int64_t dirty_counted = 0;
  metrics::Gauge* dirty_gauge = nullptr;
  ~FileState();
};

struct ChildInfo {
  bool is_dir = false;
  ObjectMeta listed;  // what the listing said (files; key empty when unknown)
};

// What the filesystem knows about a directory's children.
struct Listing {
  std::map<std::string, ChildInfo> children;
  Steady expires{};
  uint32_t lookups = 0;  // names looked up in it without a known inode
  bool filled = false;   // children's metadata fetched in one burst
};

struct Node {
  Ino ino = 0;
  std::string path;  // relative to the mount root, no leading or trailing '/'; "" = root
  bool is_dir = false;
  uint64_t nlookup = 0;
  Attr attr;
  Steady attr_expires{};
  ObjectMeta meta;             // the object behind it (file, or dir marker)
  bool has_object = false;     // false for implicit directories (no marker object)
  bool meta_complete = false;  // meta came from HEAD (user metadata known)
  StoredAttrs stored;          // decoded x-amz-meta-* (mode, owner, times, xattrs)
  std::string link_target;     // symlinks, once read
  std::shared_ptr<FileState> file;
  int open_handles = 0;
  bool unlinked = false;           // deleted from the namespace while open
  std::optional<Listing> listing;  // directories
  uint32_t lookup_misses = 0;      // lookups of unknown names since the listing expired
  bool listing_in_flight = false;  // a lookup is listing this directory
  bool too_big_to_prefetch = false;
  // The object version whose bytes the kernel may hold in its page cache (empty: unknown).
  std::string page_cache_etag;
};

struct Handle {
  std::shared_ptr<Node> node;
  int flags = 0;
  std::string etag;  // version pinned for reads
  bool wrote = false;
  bool keep_cache = false;  // the kernel may keep this inode's cached pages (FOPEN_KEEP_CACHE)
  uint64_t served = 0;      // bytes returned from S3 reads so far
  bool refreshed = false;   // the version was re-checked after a PreconditionFailed
  // Reads of the object in S3 (created at the first read that needs S3; dropped when this
  // handle writes, since reads then come from the staging file).
  std::mutex read_mu;
  std::unique_ptr<read::ObjectReader> reader;
  // Random reader: the object is fetched whole into the staging file and read from there.
  std::atomic<bool> cache_whole{false};
};

struct DirHandle {
  std::vector<DirEntry> entries;
};

class FilesystemImpl final : public Filesystem {
 public:
  FilesystemImpl(Options options, std::shared_ptr<ObjectStore> store, std::shared_ptr<Clock> clock);
  ~FilesystemImpl() override;

  FsResult<Entry> Lookup(Ino parent, std::string_view name) override;
  void Forget(Ino ino, uint64_t nlookup) override;
  void IncrementLookup(Ino ino) override;
  FsResult<Attr> GetAttr(Ino ino) override;
  FsResult<Attr> SetAttr(Ino ino, const SetAttrRequest& req, std::optional<uint64_t> fh,
                         const Caller& caller) override;
  FsResult<std::string> ReadLink(Ino ino) override;
  FsResult<Entry> MkNod(Ino parent, std::string_view name, uint32_t mode,
                        const Caller& caller) override;
  FsResult<Entry> MkDir(Ino parent, std::string_view name, uint32_t mode,
                        const Caller& caller) override;
  FsStatus Unlink(Ino parent, std::string_view name) override;
  FsStatus RmDir(Ino parent, std::string_view name) override;
  FsResult<Entry> Symlink(std::string_view target, Ino parent, std::string_view name,
                          const Caller& caller) override;
  FsStatus Rename(Ino parent, std::string_view name, Ino new_parent, std::string_view new_name,
                  unsigned flags) override;
  FsResult<Entry> Link(Ino ino, Ino new_parent, std::string_view new_name) override;
  FsResult<uint64_t> Open(Ino ino, int flags) override;
  bool KeepPageCache(uint64_t fh) override;
  FsResult<std::pair<Entry, uint64_t>> Create(Ino parent, std::string_view name, uint32_t mode,
                                              int flags, const Caller& caller) override;
  FsResult<size_t> ReadInto(Ino ino, uint64_t fh, uint64_t offset, size_t size,
                            ReadData* out) override;
  FsResult<size_t> Write(Ino ino, uint64_t fh, uint64_t offset, const char* data,
                         size_t size) override;
  FsStatus Flush(Ino ino, uint64_t fh) override;
  FsStatus Fsync(Ino ino, uint64_t fh, bool datasync) override;
  FsStatus Release(Ino ino, uint64_t fh) override;
  FsResult<uint64_t> OpenDir(Ino ino) override;
  FsResult<std::vector<DirEntry>> ReadDir(Ino ino, uint64_t fh, uint64_t offset,
                                          size_t max_entries) override;
  FsStatus ReleaseDir(Ino ino, uint64_t fh) override;
  FsResult<StatFs> StatFilesystem() override;
  FsResult<std::string> GetXattr(Ino ino, std::string_view name) override;
  FsStatus SetXattr(Ino ino, std::string_view name, std::string_view value, int flags) override;
  FsResult<std::vector<std::string>> ListXattr(Ino ino) override;
  FsStatus RemoveXattr(Ino ino, std::string_view name) override;
  FsStatus FlushAll() override;
  Recovery RecoverPendingCloses() override;
  double AttrTimeout() const override { return o_.kernel_attr_timeout; }

 private:
  friend class FileIo;
  // --- namespace helpers (filesystem.cc) ---
  std::shared_ptr<Node> GetNode(Ino ino);
  FsResult<std::string> ChildPath(const std::shared_ptr<Node>& parent, std::string_view name);
  std::string FileKey(const std::string& path) const { return o_.prefix + path; }
  std::string DirKey(const std::string& path) const {
    return path.empty() ? o_.prefix : o_.prefix + path + "/";
  }
  // What is at `path` (HEADs + a one-key listing), or ENOENT.
  FsResult<std::shared_ptr<Node>> Resolve(const std::string& path);
  // Registers (or refreshes) the node for `path` from what S3 said. REQUIRES: mu_ held.
  // `persist` writes what S3 said to the metadata cache: HEAD metadata, or (meta == nullptr,
  // a directory without object) an implicit directory the caller proved. False when it came
  // from the cache, or when a listing only suggests it.
  std::shared_ptr<Node> UpsertLocked(const std::string& path, bool is_dir, const ObjectMeta* meta,
                                     bool has_object, bool persist = true);
  void FillAttrLocked(Node& n);
  Entry MakeEntry(const Node& n) const;
  bool NegativeHitLocked(const std::string& path);
  // A cached entry whose lifetime ends at `expires` was used: with Options::stat_ttl_from_access
  // its lifetime starts again now (an expired one stays expired). REQUIRES: mu_ held.
  void UsedLocked(Steady& expires);
  // Remembers that `path` does not exist; `persist` also tells the metadata cache.
  void AddNegativeLocked(const std::string& path, bool persist = true);
  void ForgetNegativeLocked(const std::string& path);
  // Parent listing cache maintenance. REQUIRES: mu_ held.
  void ListingAddLocked(const std::string& path, bool is_dir);
  void ListingRemoveLocked(const std::string& path);
  // Fresh listing of the parent says `path` does not exist. REQUIRES: mu_ held.
  bool ParentListingSaysAbsentLocked(const std::string& path);
  // Full directory listing of `dir` (all pages, attributes fetched per options).
  FsResult<std::vector<DirEntry>> ListDirectory(const std::shared_ptr<Node>& dir);
  // One child of a listing, with its metadata when known.
  struct ListedItem {
    std::string name;
    bool is_dir = false;
    ObjectMeta meta;
    bool has_object = false;
    bool from_cache = false;       // meta came from the metadata cache
    bool headed_implicit = false;  // a HEAD found no marker: implicit directory
    bool headed = false;           // meta came from a HEAD
  };
  // The children of `dir` from LIST pages alone (no HEAD); E2BIG beyond `max_items`.
  FsResult<std::map<std::string, ListedItem>> FetchListing(const std::shared_ptr<Node>& dir,
                                                           size_t max_items);
  // Lookups of several unknown names in one directory (rsync, cp -u, make) list it once
  // instead of probing each name with HEADs; true when `parent` now has a fresh listing.
  bool PrefetchListing(const std::shared_ptr<Node>& parent);
  // Fetches the metadata (cache or parallel HEADs) of every child a listing names.
  FsStatus FillMetadata(const std::shared_ptr<Node>& dir, std::map<std::string, ListedItem>& items);
  // After several lookups in a listed directory, fills all its children at once (rsync stats
  // every file: one burst of parallel HEADs instead of one round trip per name).
  void MaybeFillListedChildren(const std::shared_ptr<Node>& parent);
  // The parent's fresh listing entry for `path`, if any.
  std::optional<ChildInfo> ListedChild(const std::shared_ptr<Node>& parent,
                                       const std::string& path);
  // Checks a directory's own marker (seen in its listing) against what the inode holds.
  void RevalidateMarker(const std::shared_ptr<Node>& dir, const std::optional<ObjectMeta>& marker);
  // A name the parent's fresh listing shows: metadata from the cache when the listing proves
  // it current, else one HEAD of the right key.
  FsResult<std::shared_ptr<Node>> ResolveListed(const std::string& path, const ChildInfo& child);
  // What a listing entry remembers of an item (its listed metadata, for files).
  static ChildInfo ChildOf(const ListedItem& item) {
    return ChildInfo{item.is_dir, item.is_dir ? ObjectMeta{} : item.meta};
  }
  // Files of `dir_path` written here and not uploaded yet. REQUIRES: mu_ held.
  std::vector<std::shared_ptr<Node>> UnsavedChildrenLocked(const std::string& dir_path);
  // Registers the children as inodes, remembers the listing until `expires`, and returns the
  // directory's entries ("." and ".." first). REQUIRES: mu_ held.
  std::vector<DirEntry> EntriesFromItemsLocked(const std::shared_ptr<Node>& dir,
                                               std::map<std::string, ListedItem>& items,
                                               Steady expires);

  // --- user.s3.* xattrs (s3_xattrs.cc) ---
  static bool IsS3Xattr(std::string_view name);
  std::vector<std::string> S3XattrNames(const Node& n) const;
  FsResult<std::string> S3ObjectKey(const std::shared_ptr<Node>& n);
  void NoteTagCount(const std::shared_ptr<Node>& n, size_t count);
  FsResult<std::string> GetS3Xattr(const std::shared_ptr<Node>& n, std::string_view name);
  FsStatus SetS3Xattr(const std::shared_ptr<Node>& n, std::string_view name, std::string_view value,
                      int flags);
  FsStatus RemoveS3Xattr(const std::shared_ptr<Node>& n, std::string_view name);

  // --- metadata cache (meta_cache.cc); all no-ops without Options::meta_cache ---
  // A fresh record for `path`: the node it describes, or ENOENT for a fresh negative record;
  // nullopt when the cache cannot answer.
  std::optional<FsResult<std::shared_ptr<Node>>> ResolveFromCache(const std::string& path);
  // HEAD metadata cached for a listed child, when the listing proves it current.
  bool MetaFromCache(const std::string& path, ListedItem& item);
  // A fresh cached listing of `dir` whose every child's metadata is cached.
  std::optional<std::map<std::string, ListedItem>> ListingFromCache(const std::string& dir_path,
                                                                    Steady* expires);
  void CacheListing(const std::string& dir_path, const std::map<std::string, ListedItem>& items);
  // Writes what the node now knows (HEAD metadata, implicit directory). REQUIRES: mu_ held.
  void CacheNodeLocked(const Node& n);
  // Fetched by this mount less than `ttl` ago.
  bool CacheFresh(int64_t fetched_at_ns, std::chrono::nanoseconds ttl) const;
  void CacheAbsent(const std::string& path);
  void CacheForgetTree(const std::string& path);
  void CacheForgetListing(const std::string& dir_path);
  // Ensures node->meta holds the object's user metadata (HEAD if it came from a listing).
  FsStatus EnsureMeta(const std::shared_ptr<Node>& node);
  // Writes `stored` attrs (and content type) onto the existing object: self-copy with REPLACE,
  // or a new marker for implicit directories; deferred to the upload when the file is dirty.
  // `adjust` changes the attributes written (storage class, content type) before the copy.
  FsStatus PersistAttrs(const std::shared_ptr<Node>& node, const StoredAttrs& stored,
                        const std::function<void(WriteAttrs&)>& adjust = nullptr);
  WriteAttrs AttrsForWrite(const Node& n, const StoredAttrs& stored) const;
  FsStatus RenameDirectory(const std::string& from, const std::string& to);
  void MovePathsLocked(const std::string& from, const std::string& to, bool is_dir);
  struct timespec Now() const;
  void ReleaseNodeIfUnusedLocked(const std::shared_ptr<Node>& n);

  // --- file I/O helpers (file_io.cc) ---
  // Creates the staging file of the node's object: sparse, nothing fetched (`whole`: the whole
  // object downloaded). REQUIRES: fs.mu held.
  FsStatus LoadStaging(const std::shared_ptr<Node>& node, FileState& fs, bool whole = false);
  // Makes the staging file hold [begin, end) (clipped to the base): fetches what it lacks from
  // the base object, in whole `align` blocks when align > 0. REQUIRES: fs.mu held.
  FsStatus FillLocked(const std::shared_ptr<Node>& node, FileState& fs, uint64_t begin,
                      uint64_t end, uint64_t align);
  FsStatus UploadIfDirty(const std::shared_ptr<Node>& node);
  // UploadIfDirty's body. REQUIRES: fs.mu held.
  FsStatus UploadLocked(const std::shared_ptr<Node>& node, FileState& fs);
  // The file becomes empty (O_TRUNC, truncate to 0): staging emptied, upload dropped.
  // REQUIRES: fs.mu held.
  FsStatus TruncateToEmptyLocked(FileState& fs);
  // Builds the new object from copies of the base's unchanged ranges and uploads of the rest.
  // REQUIRES: fs.mu held.
  S3Result<std::string> RewriteLocked(const std::shared_ptr<Node>& node, FileState& fs,
                                      const std::string& key, const WriteAttrs& w);
  // After an upload of the staged content as version `etag`: that version is the new base.
  // REQUIRES: fs.mu held.
  void RebaseLocked(FileState& fs, const std::string& etag);
  // The node now mirrors the object just uploaded. Takes mu_.
  void RecordUpload(const std::shared_ptr<Node>& node, const std::string& key,
                    const std::string& etag, uint64_t size, const WriteAttrs& w);
  FsResult<int> NewStagingFile();
  // The node's stored attributes with mode and owner filled from what is shown, as an upload
  // writes them. REQUIRES: mu_ held.
  StoredAttrs StoredForUploadLocked(const Node& n) const;
  // What an upload of the node's staged content writes (metadata with its times, content
  // type, class, SSE): used by uploads and by the journal record of an accepted close.
  // REQUIRES: mu_ held.
  WriteAttrs UploadAttrsLocked(const Node& n) const;
  // Starts or advances the streaming upload after a write. REQUIRES: fs.mu held.
  void StreamAfterWrite(const std::shared_ptr<Node>& node, FileState& fs);
  // Drops the streaming upload (aborted); the staged file is uploaded whole at close. If parts
  // already left the staging file, the data is lost instead: fs.failed = EIO.
  // REQUIRES: fs.mu held.
  void AbandonStream(FileState& fs, const char* why);
  // async_close (async_close.cc). AcceptClose: nullopt when the close must upload now (not
  // eligible, queue full, or the journal/link failed); else the close's result.
  std::optional<FsStatus> AcceptClose(const std::shared_ptr<Node>& node);
  // The accepted close is settled (uploaded, or its file deleted): journal entry and hard link
  // go. REQUIRES: fs.mu held.
  void EndPendingCloseLocked(FileState& fs);
  // True if the node's close was accepted and its upload has not completed. Waits for an
  // accept or upload in progress (takes the file's mu); `wait` false: reads the flag only.
  bool ClosePending(const std::shared_ptr<Node>& node, bool wait = true);
  // Uploads now the accepted closes of files under directory `path` (before it is renamed).
  FsStatus UploadPendingUnder(const std::string& path);
  void StartCloseWorkers();
  void StopCloseWorkers();
  void CloseWorker();
  // Brings the dirty-bytes gauge up to date with `fs` after its size or dirty flag changed.
  // REQUIRES: fs.mu held.
  void NoteDirty(FileState& fs);

  Options o_;
  // Before the inodes and handles: their FileStates update the gauges as they go.
  std::shared_ptr<metrics::Registry> metrics_;
  FsMetrics m_;
  std::shared_ptr<const read::ReadMetrics> read_metrics_;
  std::shared_ptr<ObjectStore> store_;
  std::shared_ptr<Clock> clock_;

  std::mutex mu_;
  Ino next_ino_ = kRootIno + 1;
  std::unordered_map<Ino, std::shared_ptr<Node>> nodes_;
  std::unordered_map<std::string, Ino> by_path_;
  std::unordered_map<std::string, Steady> negative_;
  uint64_t next_fh_ = 1;
  std::unordered_map<uint64_t, std::shared_ptr<Handle>> handles_;
  std::unordered_map<uint64_t, std::shared_ptr<DirHandle>> dir_handles_;
  std::shared_ptr<write::UploadSlots> upload_slots_;
  // Read-ahead memory of all handles; also tells the destructor when no GET is in flight.
  std::shared_ptr<read::ReadBudget> read_budget_;
  // The parts of each object version being read, shared by all its open handles.
  std::shared_ptr<read::SharedParts> shared_parts_;
  // Objects' first bytes fetched by lookups (option lookup_prefetch), for their first reader.
  std::shared_ptr<read::FirstBytes> first_bytes_;
  const int64_t session_start_ns_;  // wall clock at mount (metadata cache trust)

  // async_close: files accepted and waiting for (or being retried by) a worker.
  struct QueuedClose {
    std::shared_ptr<Node> node;
    Steady not_before{};
    int failures = 0;
  };
  std::mutex close_mu_;
  std::condition_variable close_cv_;
  std::deque<QueuedClose> close_queue_;
  size_t pending_files_ = 0;  // accepted closes not uploaded yet
  uint64_t pending_bytes_ = 0;
  uint64_t pending_seq_ = 0;
  bool close_stop_ = false;
  std::vector<std::thread> close_workers_;
};

}  // namespace s3fs::fs

#endif  // S3FS_SRC_FS_FILESYSTEM_IMPL_H_
