// ObjectStore: what the filesystem core needs from S3, in filesystem terms (keys relative to
// the bucket, whole-object operations). One production implementation over s3::Client
// (S3ObjectStore, with parallel HEADs and multipart transfers) and an in-memory fake for unit
// tests (tests/fakes/fake_object_store.h).
//
// Thread safety: implementations are safe for concurrent use. Errors are s3::S3Error; the
// filesystem maps them to errno in one place (fs/errno_map.h).
#ifndef S3FS_FS_OBJECT_STORE_H_
#define S3FS_FS_OBJECT_STORE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "s3fs/meta/upload_journal.h"
#include "s3fs/s3/client.h"
#include "s3fs/s3/error.h"
#include "s3fs/s3/transfer.h"
#include "s3fs/write/multipart_session.h"

namespace s3fs::fs {

using s3::S3Result;
using s3::S3Status;

struct ObjectMeta {
  std::string key;
  uint64_t size = 0;
  std::string etag;
  s3::TimePoint last_modified{};
  std::string content_type;
  std::string storage_class;
  std::string sse;
  std::string sse_kms_key_id;
  std::string sse_customer_algorithm;           // "AES256" for SSE-C objects (HEAD only)
  std::string version_id;                       // HEAD only; empty when the bucket is unversioned
  uint32_t tag_count = 0;                       // HEAD only (x-amz-tagging-count)
  std::map<std::string, std::string> metadata;  // x-amz-meta-*, lower-case names
  bool has_metadata = false;                    // false for entries that come from a listing
};

struct ListPage {
  std::vector<ObjectMeta> objects;    // has_metadata == false
  std::vector<std::string> prefixes;  // common prefixes, with the trailing delimiter
  bool truncated = false;
  std::string next_token;
};

// What a write sets on the object.
struct WriteAttrs {
  std::string content_type;
  std::map<std::string, std::string> metadata;

  std::string storage_class;
  s3::Sse sse;
  std::vector<s3::Tag> tags;  // object tags to set with the data (a rewrite carries them over)
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  virtual S3Result<ObjectMeta> Head(const std::string& key) = 0;
  // HEADs many keys concurrently; results in the order of `keys`.
  virtual std::vector<S3Result<ObjectMeta>> HeadMany(const std::vector<std::string>& keys) = 0;
  // HeadMany, except that keys[0] is asked with a ranged GET of its first `first_bytes` bytes
  // instead of a HEAD: one round trip either way (the GET's headers say what a HEAD says, its
  // Content-Range the object's size), and the bytes come with it, so a read that follows needs
  // no request of its own. *first gets those bytes (the whole object when it is that small). It
  // stays empty when the GET could not answer (an empty object: 416; an archived one; another
  // SSE-C key; a server that ignores Range for a larger object) and a HEAD answered instead.
  // The default: HeadMany, *first empty.
  virtual std::vector<S3Result<ObjectMeta>> HeadManyFirstBytes(const std::vector<std::string>& keys,
                                                               uint64_t first_bytes,
                                                               std::string* first) {
    (void)first_bytes;
    first->clear();
    return HeadMany(keys);
  }
  virtual S3Result<ListPage> List(const std::string& prefix, const std::string& delimiter,
                                  const std::string& token, uint32_t max_keys) = 0;
  // Reads [offset, offset+len) of the object version `etag` (empty = any version). A version
  // change is an error (PreconditionFailed), never other bytes. Short at end of object.
  virtual S3Result<std::string> Read(const std::string& key, uint64_t offset, uint64_t len,
                                     const std::string& etag) = 0;
  // Read's asynchronous form, for read-ahead: appends the bytes of the range to *dst as they
  // arrive and calls `done` once (any thread, possibly before returning); on failure *dst holds
  // the prefix received, so the caller can continue from there. `dst` must stay valid until
  // `done` ran. The default runs Read on the calling thread.
  using ReadDone = std::function<void(S3Status)>;
  virtual void ReadAsync(const std::string& key, uint64_t offset, uint64_t len,
                         const std::string& etag, std::string* dst, ReadDone done) {
    auto r = Read(key, offset, len, etag);
    if (!r.ok()) return done(Fail(std::move(r).error()));
    dst->append(*r);
    done(S3Status());
  }
  // Writes the whole object from memory; returns its ETag.
  virtual S3Result<std::string> Put(const std::string& key, std::string body,
                                    const WriteAttrs& attrs) = 0;
  // Writes the whole object from `size` bytes of file `fd` (multipart above the threshold,
  // parts in parallel, aborted on failure); returns its ETag.
  virtual S3Result<std::string> PutFile(const std::string& key, int fd, uint64_t size,
                                        const WriteAttrs& attrs) = 0;
  // Starts a multipart upload of `key` with `attrs`, for parts streamed while writing.
  virtual S3Result<std::unique_ptr<write::MultipartSession>> StartMultipart(
      const std::string& key, const WriteAttrs& attrs) = 0;
  // Downloads object version `etag` (empty = current) into `fd` from offset 0; returns bytes.
  virtual S3Result<uint64_t> GetToFile(const std::string& key, int fd, const std::string& etag) = 0;
  // Server-side copy; with `replace` the destination gets those attributes (metadata
  // directive REPLACE), else the source's are kept. Multipart copy above 5 GiB.
  virtual S3Status Copy(const std::string& from, const std::string& to, uint64_t size,
                        const WriteAttrs* replace) = 0;
  virtual S3Status Delete(const std::string& key) = 0;
  // Deletes many keys (batches of 1000); the first failure is returned.
  virtual S3Status DeleteMany(const std::vector<std::string>& keys) = 0;
  // Object tags (the current version's).
  virtual S3Result<std::vector<s3::Tag>> GetTags(const std::string& key) = 0;
  virtual S3Status PutTags(const std::string& key, const std::vector<s3::Tag>& tags) = 0;
  virtual S3Status DeleteTags(const std::string& key) = 0;
  // A presigned GET URL for `key` valid for `expires` (no request is sent).
  virtual S3Result<std::string> PresignGet(const std::string& key,
                                           std::chrono::seconds expires) = 0;
};

struct S3ObjectStoreOptions {
  std::string bucket;
  uint64_t multipart_threshold = 16ULL << 20;
  uint64_t part_size = 16ULL << 20;
  uint32_t max_parts = 10000;  // the service's part-count limit (part sizes grow to fit)
  int parallel = 8;            // parts in flight per transfer
  int head_concurrency = 64;   // HEADs in flight for HeadMany
  s3::Sse read_sse;            // SSE-C key for reads of encrypted objects
  // Older SSE-C keys (s3fs-fuse key files list several): objects the first key cannot open
  // are tried with these, then without a key; the key that worked is remembered per object.
  std::vector<s3::Sse> older_read_keys;
  // Multipart uploads in flight are recorded here (may be null): the next mount aborts those a
  // crash left behind.
  std::shared_ptr<meta::UploadJournal> journal;
};

std::shared_ptr<ObjectStore> MakeS3ObjectStore(s3::Client* client, S3ObjectStoreOptions options);

}  // namespace s3fs::fs

#endif  // S3FS_FS_OBJECT_STORE_H_
