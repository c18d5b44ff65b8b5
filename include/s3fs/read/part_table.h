// PartTable: the ranged GETs (parts) of one object version, findable by every ObjectReader of
// that version, so that readers of the same object share what was fetched or is being fetched
// instead of each issuing its own GET.
//
// A part lives while a reader holds it or its fetch is in flight (its budget charge and buffer
// go back to the ReadBudget when the last owner lets go). While two or more readers are joined,
// parts a reader lets go are also kept by the table, up to `keep_bytes`: readers of one object
// take turns at the front (the kernel's page cache serves each page to all of them, so every
// handle sees only some of the reads and may judge the others seeks and drop its read-ahead),
// and what one drops is what another reads next. When the kept parts exceed `keep_bytes`, or
// read-ahead needs their memory, the table lets go of parts behind the furthest read first
// (lowest first), then of those furthest ahead. Live parts never overlap: a reader fetches only
// ranges no live part covers. A part whose fetch failed with nothing to continue from is
// forgotten at once, so the readers waiting for it all see the failure and a later read fetches
// again.
//
// Thread safety: one mutex per table (`mu()`) guards the table and the mutable fields of its
// parts (`end`, `done`, `status`); methods named *Locked require it held. `cv()` is notified
// when a part completes.
#ifndef S3FS_READ_PART_TABLE_H_
#define S3FS_READ_PART_TABLE_H_

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "s3fs/read/read_budget.h"
#include "s3fs/s3/error.h"

namespace s3fs::read {

// One ranged GET: [begin, begin + asked) asked, `data` the bytes received from `begin`. `end`
// starts at begin + asked and only shrinks (to where a broken fetch stopped, when the rest is
// fetched by another part). `data` is written by the fetch only and read only after `done` was
// seen under the table's mutex.
struct Part {
  Part(uint64_t begin_at, uint64_t len, std::shared_ptr<ReadBudget> charged_to);
  ~Part();
  Part(const Part&) = delete;
  Part& operator=(const Part&) = delete;

  const uint64_t begin;
  const uint64_t asked;
  uint64_t end;
  std::string data;
  bool done = false;
  s3::S3Status status;

 private:
  const std::shared_ptr<ReadBudget> budget_;  // charged `asked` bytes until destroyed
};

class PartTable {
 public:
  explicit PartTable(uint64_t keep_bytes = 0) : keep_bytes_(keep_bytes) {}
  PartTable(const PartTable&) = delete;
  PartTable& operator=(const PartTable&) = delete;

  std::mutex& mu() { return mu_; }
  std::condition_variable& cv() { return cv_; }

  // The live part covering byte `at`, or null.
  std::shared_ptr<Part> FindLocked(uint64_t at);
  // Where the first live part beginning after `at` begins (UINT64_MAX: none).
  uint64_t NextBeginLocked(uint64_t at);
  // Registers a part; its range must not overlap a live part.
  void AddLocked(const std::shared_ptr<Part>& part);
  // Forgets `part` (a failed fetch): later lookups of its range find nothing.
  void ForgetLocked(const Part& part);
  // Live parts (tests).
  size_t SizeLocked();

  // A reader starts or stops using the table.
  void JoinLocked() { ++readers_; }
  void LeaveLocked();
  int readers() {
    std::lock_guard lock(mu_);
    return readers_;
  }
  int readers_locked() const { return readers_; }
  // A read reached `end`: parts before the furthest such end are the first to let go.
  void NoteReadLocked(uint64_t end) { frontier_ = std::max(frontier_, end); }
  // A reader let go of `part`: kept for the others while two or more readers are joined (parts
  // that failed are not kept). Parts evicted to make room are moved to *released, to be
  // destroyed after the mutex is released.
  void KeepLocked(std::shared_ptr<Part> part, std::vector<std::shared_ptr<Part>>* released);
  // Lets go of kept parts (see above) until `bytes` were let go or none is kept.
  void EvictLocked(uint64_t bytes, std::vector<std::shared_ptr<Part>>* released);
  uint64_t kept_bytes() {
    std::lock_guard lock(mu_);
    return kept_bytes_;
  }

 private:
  const uint64_t keep_bytes_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, std::weak_ptr<Part>> parts_;   // by begin; expired entries erased lazily
  std::map<uint64_t, std::shared_ptr<Part>> kept_;  // by begin
  uint64_t kept_bytes_ = 0;
  uint64_t frontier_ = 0;
  int readers_ = 0;
};

}  // namespace s3fs::read

#endif  // S3FS_READ_PART_TABLE_H_
