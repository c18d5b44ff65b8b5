// Filesystem: the filesystem core. Inodes, handles, directories, rename, the s3fs-compatible
// object layout, and errno mapping. No FUSE types: the fuse layer adapts kernel requests to
// these calls, and tests drive them directly over a fake ObjectStore.
//
// Errors are positive errno values (FsResult<T> = Result<T, int>). Every call is thread-safe;
// no lock is held across network I/O. Inode lookup counts follow the FUSE protocol: every
// successful Lookup/Create/MkDir/MkNod/Symlink and every IncrementLookup() adds one, Forget()
// removes n.
#ifndef S3FS_FS_FILESYSTEM_H_
#define S3FS_FS_FILESYSTEM_H_

#include <sys/stat.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "s3fs/common/clock.h"
#include "s3fs/common/metrics.h"
#include "s3fs/common/result.h"
#include "s3fs/fs/object_store.h"
#include "s3fs/meta/metadata_store.h"
#include "s3fs/meta/upload_journal.h"
#include "s3fs/read/disk_cache.h"
#include "s3fs/read/slice.h"

namespace s3fs::fs {

template <typename T>
using FsResult = Result<T, int>;
using FsStatus = Result<void, int>;

using Ino = uint64_t;
inline constexpr Ino kRootIno = 1;

struct Attr {
  Ino ino = 0;
  uint32_t mode = 0;  // type and permission bits
  uint32_t nlink = 1;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t size = 0;
  struct timespec atime {};
  struct timespec mtime {};
  struct timespec ctime {};
};

struct Entry {
  Attr attr;
  double attr_timeout = 1.0;   // seconds the kernel may cache the attributes
  double entry_timeout = 1.0;  // seconds the kernel may cache the name
};

struct DirEntry {
  std::string name;
  Attr attr;  // attr.ino is registered in the inode table (lookup count 0)
};

struct Caller {
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t umask = 022;
};

struct SetAttrRequest {
  std::optional<uint32_t> mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::optional<uint64_t> size;
  std::optional<struct timespec> atime;  // tv_nsec == UTIME_NOW means now
  std::optional<struct timespec> mtime;
};

struct StatFs {
  uint64_t block_size = 4096;
  uint64_t blocks = 0;
  uint64_t blocks_free = 0;
  uint64_t files = 0;
  uint64_t files_free = 0;
  uint64_t name_max = 255;
};

struct Options {
  std::string prefix;  // key prefix inside the bucket ("" or "dir/sub/")
  // Owner and permission defaults for objects without x-amz-meta-* (s3fs: uid, gid, umask).
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<uint32_t> umask;      // applied to every mode shown (s3fs: umask=)
  std::optional<uint32_t> force_uid;  // s3fs: uid= forces the owner shown
  std::optional<uint32_t> force_gid;
  uint32_t mp_umask = 0;  // umask of the mount point itself
  bool read_only = false;
  // Attribute cache (s3fs: stat_cache_expire, enable_noobj_cache).
  std::chrono::milliseconds stat_ttl{std::chrono::seconds(60)};
  // s3fs: stat_cache_interval_expire=SEC. Attributes and listings held in memory expire
  // stat_ttl after their last use instead of after their fetch (each use starts the lifetime
  // again; an expired entry is not revived). The persistent metadata cache's records still
  // count from their fetch.
  bool stat_ttl_from_access = false;
  bool negative_cache = true;
  std::chrono::milliseconds negative_ttl{std::chrono::seconds(10)};
  // Kernel cache timeouts.
  // How long the kernel may keep names and attributes without asking (seconds); negative = the
  // attribute cache lifetime (stat_ttl), which bounds what other clients' changes can wait for
  // anyway, so the kernel never answers from staler data than this mount would.
  double kernel_attr_timeout = -1;
  double kernel_entry_timeout = -1;
  // Take attributes from listings alone, without HEADs (modes/owners then default).
  bool list_attrs_only = false;
  // Persistent metadata cache (null = none). Records are served under the same TTLs as the
  // in-memory ones (stat_ttl, negative_ttl, by wall clock so they hold across remounts); HEAD
  // metadata is reused whenever a listing reports the same ETag, size and LastModified.
  std::shared_ptr<meta::MetadataStore> meta_cache;
  // Where dirty data is staged (one sparse file per open written file).
  std::string staging_dir = "/tmp";
  // Reads of objects go through read::ObjectReader (read/object_reader.h): the read-ahead
  // window starts at read_chunk_min and doubles per sequential read up to read_parts_ahead
  // ranged GETs of read_part_size in flight; scattered readers fetch only what they read.
  uint64_t read_chunk_min = 1ULL << 20;
  uint64_t read_part_size = 8ULL << 20;
  int read_parts_ahead = 16;
  // A lookup of a name nothing listed asks S3 with a ranged GET of the file's first
  // lookup_first_bytes bytes instead of a HEAD (the same round trip) and keeps them for the
  // file's first reader within a second (read/first_bytes.h: at most 16 MiB or 1/16 of
  // read_ahead_memory, which also caps lookup_first_bytes): `cat path` then costs one request
  // before its first byte instead of two. 0: HEADs only. Not with a disk cache (its blocks are
  // fetched whole).
  uint64_t lookup_first_bytes = 128ULL << 10;
  // One memory budget for the read-ahead of every open file: with many readers each gets less
  // read-ahead rather than the daemon growing.
  uint64_t read_ahead_memory = 256ULL << 20;
  // Object data on local disk across opens and remounts (use_cache=DIR; null = none).
  std::shared_ptr<read::DiskCache> disk_cache;
  // A reader that jumps around (random_read_misses seeks) in an object of at most
  // random_read_cache_max bytes downloads it whole (parallel ranged GETs) into the staging file
  // and reads locally from then on, until the last handle closes. 0 disables.
  uint64_t random_read_cache_max = 1ULL << 30;
  int random_read_misses = 3;
  // Writes that start from an empty file (create, O_TRUNC) stream as a multipart upload while
  // the file is being written: parts of write_part_size (doubling every 900 parts),
  // write_parts_in_flight per file, upload_slots across the mount; close() then waits only for
  // the tail. The staging copy of each part is released (a hole punched) once S3 has it, so a
  // long write needs disk only for the parts in flight. Edits of an existing object (random
  // writes, appends, truncation) stage only the bytes written; at close the new object is built
  // from server-side copies of the unchanged ranges (UploadPartCopy) and uploads of the rest.
  bool stream_writes = true;
  // Written bytes of one file not yet in S3 above which the file is uploaded before close (its
  // staging copy then released), as s3fs-fuse's max_dirty_data. 0 = no limit.
  uint64_t max_dirty_data = 5ULL << 30;
  // Cell size of an edited object's rebuild (parts are this size or whole copied ranges).
  uint64_t rewrite_part_size = 8ULL << 20;
  uint64_t write_part_size = 16ULL << 20;
  uint32_t max_parts = 10000;  // multipart part-count limit of the service (multipart_max_parts)
  int write_parts_in_flight = 8;
  int upload_slots = 32;
  // Asynchronous close (opt-in, like rclone's write cache): close() of a written file returns
  // once its staged content is fsynced, hard-linked under <staging_dir>/.s3fs-pending and
  // recorded in `journal`; async_close_workers threads upload it afterwards (retrying with
  // backoff until it succeeds or the mount stops; unmount uploads what is left). Reads, stat
  // and listings show the new content meanwhile. fsync() still uploads before returning. Not
  // for streamed writes (large sequential files: their parts are already in S3 and the close
  // waits for the tail) nor for edits of large objects with bytes not staged; at most
  // async_close_max_files closes and async_close_max_bytes bytes wait at once, beyond that
  // close() uploads as without the option. Needs a journal (ignored without one). After a
  // crash the next mount uploads what was accepted: RecoverPendingCloses.
  bool async_close = false;
  std::shared_ptr<meta::UploadJournal> journal;
  int async_close_workers = 8;
  int async_close_max_files = 1000;
  uint64_t async_close_max_bytes = 1ULL << 30;
  WriteAttrs write_defaults;  // storage class, SSE for new objects
  // user.s3.* xattrs: listed by listxattr only on request (so cp --preserve=xattr and
  // rsync -X copy real xattrs only); presigned URLs' lifetime.
  bool list_s3_xattrs = false;
  std::chrono::seconds presign_expires{3600};
  bool allow_hard_links_error_eperm = true;  // EPERM (s3fs) rather than ENOTSUP
  // Where the filesystem's and the read path's metrics go (docs/metrics.md); null: a private
  // registry nobody reads.
  std::shared_ptr<metrics::Registry> metrics;
};

class Filesystem {
 public:
  static FsResult<std::unique_ptr<Filesystem>> Create(Options options,
                                                      std::shared_ptr<ObjectStore> store,
                                                      std::shared_ptr<Clock> clock);
  virtual ~Filesystem() = default;

  virtual FsResult<Entry> Lookup(Ino parent, std::string_view name) = 0;
  virtual void Forget(Ino ino, uint64_t nlookup) = 0;
  virtual void IncrementLookup(Ino ino) = 0;
  virtual FsResult<Attr> GetAttr(Ino ino) = 0;
  virtual FsResult<Attr> SetAttr(Ino ino, const SetAttrRequest& req, std::optional<uint64_t> fh,
                                 const Caller& caller) = 0;
  virtual FsResult<std::string> ReadLink(Ino ino) = 0;
  virtual FsResult<Entry> MkNod(Ino parent, std::string_view name, uint32_t mode,
                                const Caller& caller) = 0;
  virtual FsResult<Entry> MkDir(Ino parent, std::string_view name, uint32_t mode,
                                const Caller& caller) = 0;
  virtual FsStatus Unlink(Ino parent, std::string_view name) = 0;
  virtual FsStatus RmDir(Ino parent, std::string_view name) = 0;
  virtual FsResult<Entry> Symlink(std::string_view target, Ino parent, std::string_view name,
                                  const Caller& caller) = 0;
  // flags: RENAME_NOREPLACE honoured, RENAME_EXCHANGE -> EINVAL.
  virtual FsStatus Rename(Ino parent, std::string_view name, Ino new_parent,
                          std::string_view new_name, unsigned flags) = 0;
  virtual FsResult<Entry> Link(Ino ino, Ino new_parent, std::string_view new_name) = 0;

  // Files. Open/Create return a file handle id.
  virtual FsResult<uint64_t> Open(Ino ino, int flags) = 0;
  // Whether the kernel may keep the pages it cached for the file opened as `fh`: true when
  // they are of the object version this handle reads and nothing was written here since.
  virtual bool KeepPageCache(uint64_t fh) = 0;
  virtual FsResult<std::pair<Entry, uint64_t>> Create(Ino parent, std::string_view name,
                                                      uint32_t mode, int flags,
                                                      const Caller& caller) = 0;
  // Reads up to `size` bytes at `offset` (short only at end of file) into *out: the bytes in
  // `out->slices` in order when the read was served in place from fetched parts (no copy;
  // `out->bytes` empty), else in `out->bytes`.
  struct ReadData {
    std::string bytes;
    std::vector<read::Slice> slices;
  };
  virtual FsResult<size_t> ReadInto(Ino ino, uint64_t fh, uint64_t offset, size_t size,
                                    ReadData* out) = 0;
  // The same, copied into *out.
  FsResult<size_t> Read(Ino ino, uint64_t fh, uint64_t offset, size_t size, std::string* out);
  virtual FsResult<size_t> Write(Ino ino, uint64_t fh, uint64_t offset, const char* data,
                                 size_t size) = 0;
  // Flush (close of a descriptor) and Fsync upload dirty data: they return only when it is
  // durable in S3, and an upload failure is their error (EIO). With async_close, Flush may
  // instead return once the data is durable locally and journaled (see FsOptions).
  virtual FsStatus Flush(Ino ino, uint64_t fh) = 0;
  virtual FsStatus Fsync(Ino ino, uint64_t fh, bool datasync) = 0;
  virtual FsStatus Release(Ino ino, uint64_t fh) = 0;

  // Directories: OpenDir snapshots the listing; ReadDir returns entries from index `offset`
  // ("." and ".." first).
  virtual FsResult<uint64_t> OpenDir(Ino ino) = 0;
  virtual FsResult<std::vector<DirEntry>> ReadDir(Ino ino, uint64_t fh, uint64_t offset,
                                                  size_t max_entries) = 0;
  virtual FsStatus ReleaseDir(Ino ino, uint64_t fh) = 0;

  virtual FsResult<StatFs> StatFilesystem() = 0;

  // Extended attributes.
  virtual FsResult<std::string> GetXattr(Ino ino, std::string_view name) = 0;
  virtual FsStatus SetXattr(Ino ino, std::string_view name, std::string_view value, int flags) = 0;
  virtual FsResult<std::vector<std::string>> ListXattr(Ino ino) = 0;
  virtual FsStatus RemoveXattr(Ino ino, std::string_view name) = 0;

  // Uploads everything still dirty (unmount, SIGTERM). Returns the first error.
  virtual FsStatus FlushAll() = 0;
  // Uploads the closes that crashed mounts accepted but did not upload (FsOptions::async_close;
  // the journal's OrphanCloses): each staged file goes up unless S3 already has it or another
  // client replaced the version it edits (then the file is kept in
  // <staging_dir>/.s3fs-pending/conflicts and logged). Call before serving requests.
  struct Recovery {
    int found = 0;
    int uploaded = 0;
    int already = 0;    // S3 had them (the crash came after the upload)
    int conflicts = 0;  // kept aside
    int failed = 0;     // left in the journal for the next mount
  };
  virtual Recovery RecoverPendingCloses() = 0;

  // Seconds the kernel may cache attributes (getattr and readdirplus replies).
  virtual double AttrTimeout() const = 0;
};

}  // namespace s3fs::fs

#endif  // S3FS_FS_FILESYSTEM_H_
