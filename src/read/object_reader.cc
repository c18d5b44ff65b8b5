#include "s3fs/read/object_reader.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "s3fs/common/log.h"

namespace s3fs::read {

// What the reader counts; shared with its fetch callbacks, which may outlive it.
struct ObjectReader::Counters {
  std::mutex mu;
  ReaderStats stats;
  std::shared_ptr<const ReadMetrics> metrics;  // may be null
};

ObjectReader::ObjectReader(std::shared_ptr<RangeSource> source, uint64_t object_size,
                           ObjectReaderOptions options, std::shared_ptr<ReadBudget> budget,
                           std::shared_ptr<PartTable> table)
    : source_(std::move(source)),
      size_(object_size),
      o_(options),
      budget_(std::move(budget)),
      table_(table ? std::move(table) : std::make_shared<PartTable>()),
      counters_(std::make_shared<Counters>()),
      policy_(options.policy, object_size) {
  counters_->metrics = o_.metrics;
  std::lock_guard lock(table_->mu());
  table_->JoinLocked();
}

ObjectReader::~ObjectReader() {
  PartList dropped;  // released after the table's lock
  std::lock_guard lock(table_->mu());
  for (auto& [begin, p] : parts_) {
    table_->KeepLocked(p, &dropped);  // (kept only while other readers remain)
    dropped.push_back(std::move(p));
  }
  parts_.clear();
  table_->LeaveLocked();
}

int ObjectReader::sharing() const { return table_->readers(); }

AccessMode ObjectReader::mode() const {
  std::lock_guard lock(read_mu_);
  return policy_.mode();
}

int ObjectReader::seeks() const {
  std::lock_guard lock(read_mu_);
  return policy_.seeks();
}

bool ObjectReader::WouldSeek(uint64_t offset) const {
  std::lock_guard lock(read_mu_);
  return policy_.WouldSeek(offset);
}

ReaderStats ObjectReader::stats() const {
  std::lock_guard lock(counters_->mu);
  return counters_->stats;
}

std::shared_ptr<Part> ObjectReader::CoveringLocked(uint64_t at) {
  auto next = parts_.upper_bound(at);
  if (next != parts_.begin() && std::prev(next)->second->end > at) return std::prev(next)->second;
  auto p = table_->FindLocked(at);
  if (!p) return nullptr;
  parts_[p->begin] = p;  // fetched, or being fetched, for another reader (or for this one)
  {
    std::lock_guard lock(counters_->mu);
    ++counters_->stats.parts_shared;
  }
  if (counters_->metrics) counters_->metrics->parts_shared.Inc();
  return p;
}

std::shared_ptr<Part> ObjectReader::IssueLocked(uint64_t begin, uint64_t end, bool demand,
                                                PartList* start) {
  const uint64_t len = end - begin;
  if (demand) {
    budget_->Acquire(len);
  } else if (!budget_->TryAcquire(len)) {
    // Parts kept for other readers give way to read-ahead someone is about to use.
    PartList evicted;
    table_->EvictLocked(len, &evicted);
    evicted.clear();
    if (!budget_->TryAcquire(len)) return nullptr;
  }
  auto p = std::make_shared<Part>(begin, len, budget_);
  table_->AddLocked(p);
  parts_[begin] = p;
  start->push_back(p);
  S3FS_LOG_DEBUG("read part [{}, {}){}", begin, end, demand ? " (needed now)" : "");
  {
    std::lock_guard lock(counters_->mu);
    ++counters_->stats.requests;
  }
  if (counters_->metrics) counters_->metrics->requests.Inc();
  return p;
}

void ObjectReader::Start(const PartList& parts) {
  for (const auto& p : parts) {
    // Nobody looks at `data` before `done`: the buffer is taken here, outside the table's lock.
    p->data = budget_->TakeBuffer(p->asked);
    source_->Fetch(p->begin, p->asked, &p->data,
                   [p, table = table_, counters = counters_](s3::S3Status st) {
                     const uint64_t got = p->data.size();
                     {
                       std::lock_guard lock(table->mu());
                       p->status = std::move(st);
                       p->done = true;
                     }
                     table->cv().notify_all();
                     {
                       std::lock_guard lock(counters->mu);
                       counters->stats.bytes_fetched += got;
                     }
                     if (counters->metrics) counters->metrics->bytes_fetched.Inc(got);
                   });
  }
}

void ObjectReader::DropLocked(const ReadPlan& plan, PartList* dropped) {
  // Read-ahead share spent (readers fetching beyond it what they need): nothing kept behind.
  const uint64_t keep_from =
      budget_->used() > budget_->readahead_limit() ? plan.need_begin : plan.keep_from;
  // Read-ahead beyond a seek is useless to this reader, but not while others read the object:
  // their reads in between made this one look like a seek, and they read on from there.
  const bool others = table_->readers_locked() > 1;
  for (auto it = parts_.begin(); it != parts_.end();) {
    const Part& p = *it->second;
    const bool behind = p.end <= keep_from;
    const bool stale =
        plan.reset && (p.end <= plan.need_begin || (p.begin >= plan.need_end && !others));
    if (behind || stale) {
      table_->KeepLocked(it->second, dropped);  // another reader may need it next
      dropped->push_back(std::move(it->second));
      it = parts_.erase(it);
    } else {
      ++it;
    }
  }
}

void ObjectReader::EnsureLocked(uint64_t begin, uint64_t end, uint64_t part_len, bool demand,
                                PartList* start) {
  uint64_t cursor = begin;
  while (cursor < end) {
    if (auto p = CoveringLocked(cursor)) {
      cursor = p->end;
      continue;
    }
    uint64_t stop = std::min(size_, cursor + std::max<uint64_t>(part_len, 1));
    const uint64_t align = o_.policy.align;
    if (align > 0 && stop < size_ && policy_.mode() == AccessMode::kSequential &&
        stop / align * align > cursor) {
      stop = stop / align * align;
    }
    // Up to the next part anyone holds: what is fetched never overlaps a live part.
    stop = std::min(stop, table_->NextBeginLocked(cursor));
    auto next = parts_.upper_bound(cursor);
    if (next != parts_.end()) stop = std::min(stop, next->first);
    if (!IssueLocked(cursor, stop, false, start)) {
      if (!demand) return;  // read-ahead budget spent
      // The budget is spent: fetch only what the read needs (to the end of its block when
      // aligned, so the block stays whole for the disk cache), beyond the budget.
      uint64_t need_end = end;
      if (align > 0) need_end = std::min(size_, (end + align - 1) / align * align);
      stop = std::min(stop, need_end);
      IssueLocked(cursor, stop, true, start);
    }
    cursor = stop;
  }
}

s3::S3Result<std::shared_ptr<Part>> ObjectReader::AwaitLocked(uint64_t at,
                                                              std::unique_lock<std::mutex>& lk,
                                                              int* resumes) {
  for (;;) {
    std::shared_ptr<Part> p = CoveringLocked(at);
    PartList start;
    if (!p) {
      // Not covered (a shrunk part's tail, a part dropped meanwhile): fetch it now.
      uint64_t stop = std::min(size_, at + std::max<uint64_t>(o_.policy.part_size, 1));
      stop = std::min(stop, table_->NextBeginLocked(at));
      auto next = parts_.upper_bound(at);
      if (next != parts_.end()) stop = std::min(stop, next->first);
      IssueLocked(at, stop, true, &start);
      lk.unlock();
      Start(start);
      lk.lock();
      continue;
    }
    table_->cv().wait(lk, [&] { return p->done; });
    const uint64_t received_end = p->begin + p->data.size();
    if (p->status.ok() || at < received_end) return p;
    if (p->end <= at) continue;  // another reader continues this part: the rest is elsewhere
    const s3::S3Error e = p->status.error();
    // A transient failure before the first byte (the client's retries spent, or a body that
    // broke right after the headers) is fetched again too, within the same budget: a read
    // must not fail for what the next request would have served.
    const bool resumable = (!p->data.empty() || e.retryable) && e.kind != "PreconditionFailed" &&
                           e.kind != "ObjectNotFound" && e.kind != "AccessDenied" &&
                           e.kind != "CircuitOpen";
    if (!resumable || *resumes >= o_.max_resumes) {
      // Every reader waiting for it sees this failure; a later read fetches again.
      table_->ForgetLocked(*p);
      auto it = parts_.find(p->begin);
      if (it != parts_.end() && it->second == p) parts_.erase(it);
      return Fail(e);
    }
    // Continue from the last byte received: the prefix stays, the rest is fetched again (once,
    // for every reader waiting: the others find the continuation in the table).
    S3FS_LOG_INFO("ranged GET broke after {} of {} bytes ({}): continuing from byte {}",
                  p->data.size(), p->end - p->begin, e.ToString(), received_end);
    ++*resumes;
    {
      std::lock_guard lock(counters_->mu);
      ++counters_->stats.resumes;
    }
    if (counters_->metrics) counters_->metrics->resumes.Inc();
    const uint64_t old_end = p->end;
    p->end = received_end;
    IssueLocked(received_end, old_end, true, &start);
    lk.unlock();
    Start(start);
    lk.lock();
  }
}

void ObjectReader::Seed(std::string bytes) {
  const uint64_t n = std::min<uint64_t>(bytes.size(), size_);
  if (n == 0) return;
  bytes.resize(n);
  std::lock_guard read_lock(read_mu_);
  std::lock_guard lock(table_->mu());
  if (table_->FindLocked(0) || table_->NextBeginLocked(0) < n) return;
  budget_->Acquire(n);
  auto p = std::make_shared<Part>(0, n, budget_);
  p->data = std::move(bytes);
  p->done = true;
  table_->AddLocked(p);
  parts_[0] = p;
}

void ObjectReader::Served(uint64_t offset, uint64_t size) {
  std::lock_guard read_lock(read_mu_);
  if (offset >= size_ || size == 0) return;
  const ReadPlan plan = policy_.OnRead(offset, size);  // the stream moved on, as if read here
  PartList dropped;                                    // released after the table's lock
  std::lock_guard lock(table_->mu());
  DropLocked(plan, &dropped);
}

s3::S3Result<size_t> ObjectReader::Read(uint64_t offset, size_t size, std::string* out) {
  std::vector<Slice> slices;
  auto n = ReadSlices(offset, size, &slices);
  out->clear();
  if (n.ok()) AppendSlices(slices, out);
  return n;
}

s3::S3Result<size_t> ObjectReader::ReadSlices(uint64_t offset, size_t size,
                                              std::vector<Slice>* out) {
  std::lock_guard read_lock(read_mu_);
  out->clear();
  if (offset >= size_ || size == 0) return size_t{0};
  const uint64_t end = std::min<uint64_t>(size_, offset + size);
  const ReadPlan plan = policy_.OnRead(offset, end - offset);
  PartList dropped;  // released after the table's lock
  PartList start;
  std::unique_lock lk(table_->mu());
  table_->NoteReadLocked(end);
  DropLocked(plan, &dropped);
  uint64_t demand_begin = plan.need_begin;
  if (o_.policy.align > 0 && plan.mode == AccessMode::kSequential) {
    // From the start of the block, so that block is whole in one GET (the disk cache keeps it).
    demand_begin = demand_begin / o_.policy.align * o_.policy.align;
  }
  EnsureLocked(demand_begin, plan.need_end, plan.demand_len, true, &start);
  if (plan.mode == AccessMode::kSequential) {
    EnsureLocked(plan.need_end, plan.ahead_end, plan.part_len, false, &start);
  }
  if (!start.empty()) {
    lk.unlock();
    Start(start);
    lk.lock();
  }
  uint64_t cursor = offset;
  int resumes = 0;
  while (cursor < end) {
    auto p = AwaitLocked(cursor, lk, &resumes);
    if (!p.ok()) {
      out->clear();
      return Fail(std::move(p).error());
    }
    std::shared_ptr<Part> part = *std::move(p);
    const uint64_t avail_end = std::min(end, part->begin + part->data.size());
    if (cursor >= avail_end) break;  // the object ended early
    // A completed part's bytes no longer change: handed out in place, the part kept alive.
    const char* at = part->data.data() + (cursor - part->begin);
    out->push_back(Slice{std::move(part), at, static_cast<size_t>(avail_end - cursor)});
    cursor = avail_end;
  }
  lk.unlock();
  const uint64_t served = cursor - offset;
  {
    std::lock_guard lock(counters_->mu);
    counters_->stats.bytes_served += served;
  }
  if (counters_->metrics) counters_->metrics->bytes_served.Inc(served);
  return static_cast<size_t>(served);
}

}  // namespace s3fs::read
