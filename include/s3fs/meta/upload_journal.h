// UploadJournal: the multipart uploads this mount has in flight, kept on disk so that the next
// mount can abort the ones a crash (kill -9, OOM, power loss of the process) left behind at
// once, instead of waiting for the stale-upload grace period: their parts cost storage and no
// writer will ever complete them.
//
// Each entry names its owner (boot id, pid and the process's start time): Orphans() returns
// only entries whose owner no longer runs, so two mounts sharing a journal never abort each
// other's live uploads. Begin is durable when it returns (the LMDB transaction is synced).
//
// The LMDB implementation lives in its own environment (not the metadata cache: no eviction,
// never cleared by `s3ctl cache clear`). A journal that cannot be opened is reported by
// OpenLmdbUploadJournal; the mount then runs without one (stale-upload sweep only).
//
// It also records closes accepted before their upload (the opt-in `async_close` mode): the
// staged content is hard-linked under a name (`staging_path`) and the close's key, base
// version and metadata are recorded (RecordClose, durable when it returns) before close()
// returns; ForgetClose once the upload is done. The next mount after a crash uploads what
// OrphanCloses() returns (fs::Filesystem::RecoverPendingCloses).
//
// Thread safety: all methods may be called from any thread.
#ifndef S3FS_META_UPLOAD_JOURNAL_H_
#define S3FS_META_UPLOAD_JOURNAL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace s3fs::meta {

struct JournaledUpload {
  std::string upload_id;
  std::string key;
  std::string owner;
};

// A close() whose upload had not finished (async_close).
struct PendingClose {
  std::string id;            // unique per close
  std::string key;           // the object's key
  std::string staging_path;  // the staged content (a hard link), absolute
  std::string base_etag;     // the version the content edits; empty = a new object
  std::string content_type;
  std::map<std::string, std::string> metadata;  // user metadata (x-amz-meta-* names)
  std::string storage_class;
  std::string sse;             // "", "AES256" or "aws:kms" (SSE-C: the mount's key)
  std::string sse_kms_key_id;  // with "aws:kms"
  int64_t closed_at = 0;       // unix seconds
  std::string owner;
};

class UploadJournal {
 public:
  virtual ~UploadJournal() = default;
  // Records an upload this process started. False if it could not be recorded (logged).
  virtual bool Begin(const std::string& upload_id, const std::string& key) = 0;
  // Forgets an upload that was completed or aborted.
  virtual void End(const std::string& upload_id) = 0;
  // Uploads recorded by processes that no longer run (All() filtered by OwnerAlive).
  std::vector<JournaledUpload> Orphans();
  // Every entry (diagnostics and tests).
  virtual std::vector<JournaledUpload> All() = 0;

  // Records (or replaces, by id) a close whose upload runs later; `owner` is set to this
  // process. False if it could not be recorded (logged): the caller uploads before returning.
  virtual bool RecordClose(const PendingClose& close) = 0;
  virtual void ForgetClose(const std::string& id) = 0;
  virtual std::vector<PendingClose> AllCloses() = 0;
  // Closes recorded by processes that no longer run.
  std::vector<PendingClose> OrphanCloses();
};

// This process's identity as a journal owner: "<boot id>:<pid>:<start time in ticks>".
std::string CurrentOwner();
// True if the process `owner` names still runs (same boot, same pid, same start time).
bool OwnerAlive(const std::string& owner);

// Opens (or creates) the journal in `dir` (created if missing). Null with `error` set if the
// directory or the environment cannot be opened.
std::shared_ptr<UploadJournal> OpenLmdbUploadJournal(const std::string& dir, std::string* error);

// In memory, for tests; entries carry `owner`.
std::shared_ptr<UploadJournal> MakeMemoryUploadJournal(std::string owner = CurrentOwner());

}  // namespace s3fs::meta

#endif  // S3FS_META_UPLOAD_JOURNAL_H_
