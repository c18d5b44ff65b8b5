#include "s3fs/read/object_reader.h"

#include "s3fs/common/log.h"

#include <algorithm>
#include <condition_variable>
#include <iterator>
#include <utility>

namespace s3fs::read {

// One ranged GET: [begin, end) asked, `data` the bytes received from `begin`. `done` and
// `status` are written by the fetch callback under Shared::mu; `data` is only read after
// `done` was seen under that mutex. The budget charge is returned when the last owner (the
// reader's map or the callback in flight) lets go.
struct ObjectReader::Part {
  uint64_t begin = 0;
  uint64_t end = 0;
  std::string data;
  bool done = false;
  s3::S3Status status;
  uint64_t charged = 0;
  std::shared_ptr<ReadBudget> budget;

  ~Part() {
    if (!budget) return;
    budget->Release(charged);
    budget->ReturnBuffer(std::move(data));
  }
};

struct ObjectReader::Shared {
  std::mutex mu;
  std::condition_variable cv;
  ReaderStats stats;
  std::shared_ptr<const ReadMetrics> metrics;  // may be null
};

ObjectReader::ObjectReader(std::shared_ptr<RangeSource> source, uint64_t object_size,
                           ObjectReaderOptions options, std::shared_ptr<ReadBudget> budget)
    : source_(std::move(source)),
      size_(object_size),
      o_(options),
      budget_(std::move(budget)),
      shared_(std::make_shared<Shared>()),
      policy_(options.policy, object_size) {
  shared_->metrics = o_.metrics;
}

ObjectReader::~ObjectReader() = default;

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
  std::lock_guard lock(shared_->mu);
  return shared_->stats;
}

std::shared_ptr<ObjectReader::Part> ObjectReader::IssueLocked(uint64_t begin, uint64_t end,
                                                              bool demand) {
  const uint64_t len = end - begin;
  if (demand) {
    budget_->Acquire(len);
  } else if (!budget_->TryAcquire(len)) {
    return nullptr;
  }
  S3FS_LOG_DEBUG("read part [{}, {}){}", begin, end, demand ? " (needed now)" : "");
  auto p = std::make_shared<Part>();
  p->begin = begin;
  p->end = end;
  p->charged = len;
  p->budget = budget_;
  p->data = budget_->TakeBuffer(len);
  parts_[begin] = p;
  {
    std::lock_guard lock(shared_->mu);
    ++shared_->stats.requests;
  }
  if (shared_->metrics) shared_->metrics->requests.Inc();
  source_->Fetch(begin, len, &p->data, [p, shared = shared_](s3::S3Status st) {
    std::lock_guard lock(shared->mu);
    p->status = std::move(st);
    p->done = true;
    shared->stats.bytes_fetched += p->data.size();
    if (shared->metrics) shared->metrics->bytes_fetched.Inc(p->data.size());
    shared->cv.notify_all();
  });
  return p;
}

void ObjectReader::DropLocked(const ReadPlan& plan) {
  // Over budget (readers fetching beyond it what they need), nothing is kept behind.
  const uint64_t keep_from =
      budget_->used() > budget_->capacity() ? plan.need_begin : plan.keep_from;
  for (auto it = parts_.begin(); it != parts_.end();) {
    const Part& p = *it->second;
    const bool behind = p.end <= keep_from;
    const bool stale = plan.reset && (p.end <= plan.need_begin || p.begin >= plan.need_end);
    it = (behind || stale) ? parts_.erase(it) : std::next(it);
  }
}

void ObjectReader::EnsureLocked(uint64_t begin, uint64_t end, uint64_t part_len, bool demand) {
  uint64_t cursor = begin;
  while (cursor < end) {
    auto next = parts_.upper_bound(cursor);
    if (next != parts_.begin()) {
      const auto& prev = std::prev(next)->second;
      if (prev->end > cursor) {
        cursor = prev->end;
        continue;
      }
    }
    uint64_t stop = std::min(size_, cursor + std::max<uint64_t>(part_len, 1));
    const uint64_t align = o_.policy.align;
    if (align > 0 && stop < size_ && policy_.mode() == AccessMode::kSequential &&
        stop / align * align > cursor) {
      stop = stop / align * align;
    }
    if (next != parts_.end()) stop = std::min(stop, next->first);
    if (!IssueLocked(cursor, stop, false)) {
      if (!demand) return;  // read-ahead budget spent
      // The budget is spent: fetch only what the read needs (to the end of its block when
      // aligned, so the block stays whole for the disk cache), beyond the budget.
      uint64_t need_end = end;
      if (align > 0) need_end = std::min(size_, (end + align - 1) / align * align);
      stop = std::min(stop, need_end);
      IssueLocked(cursor, stop, true);
    }
    cursor = stop;
  }
}

s3::S3Result<std::shared_ptr<ObjectReader::Part>> ObjectReader::AwaitLocked(
    uint64_t at, std::unique_lock<std::mutex>& lk, int* resumes) {
  for (;;) {
    std::shared_ptr<Part> p;
    auto next = parts_.upper_bound(at);
    if (next != parts_.begin() && std::prev(next)->second->end > at) p = std::prev(next)->second;
    if (!p) {
      // Not covered (a shrunk part's tail): fetch it now.
      uint64_t stop = std::min(size_, at + std::max<uint64_t>(o_.policy.part_size, 1));
      if (next != parts_.end()) stop = std::min(stop, next->first);
      lk.unlock();
      IssueLocked(at, stop, true);
      lk.lock();
      continue;
    }
    shared_->cv.wait(lk, [&] { return p->done; });
    const uint64_t received_end = p->begin + p->data.size();
    if (p->status.ok() || at < received_end) return p;
    const s3::S3Error& e = p->status.error();
    const bool resumable = !p->data.empty() && e.kind != "PreconditionFailed" &&
                           e.kind != "NoSuchKey" && e.kind != "AccessDenied";
    if (!resumable || *resumes >= o_.max_resumes) return Fail(p->status.error());
    // Continue from the last byte received: the prefix stays, the rest is fetched again.
    S3FS_LOG_INFO("ranged GET broke after {} of {} bytes ({}): continuing from byte {}",
                  p->data.size(), p->end - p->begin, e.ToString(), received_end);
    ++*resumes;
    ++shared_->stats.resumes;
    if (shared_->metrics) shared_->metrics->resumes.Inc();
    const uint64_t old_end = p->end;
    p->end = received_end;
    lk.unlock();
    IssueLocked(received_end, old_end, true);
    lk.lock();
  }
}

void ObjectReader::Served(uint64_t offset, uint64_t size) {
  std::lock_guard read_lock(read_mu_);
  if (offset >= size_ || size == 0) return;
  DropLocked(policy_.OnRead(offset, size));  // the stream moved on, as if read here
}

s3::S3Result<size_t> ObjectReader::Read(uint64_t offset, size_t size, std::string* out) {
  std::lock_guard read_lock(read_mu_);
  out->clear();
  if (offset >= size_ || size == 0) return size_t{0};
  const uint64_t end = std::min<uint64_t>(size_, offset + size);
  const ReadPlan plan = policy_.OnRead(offset, end - offset);
  DropLocked(plan);
  uint64_t demand_begin = plan.need_begin;
  if (o_.policy.align > 0 && plan.mode == AccessMode::kSequential) {
    // From the start of the block, so that block is whole in one GET (the disk cache keeps it).
    demand_begin = demand_begin / o_.policy.align * o_.policy.align;
  }
  EnsureLocked(demand_begin, plan.need_end, plan.demand_len, true);
  if (plan.mode == AccessMode::kSequential) {
    EnsureLocked(plan.need_end, plan.ahead_end, plan.part_len, false);
  }
  out->reserve(end - offset);
  uint64_t cursor = offset;
  int resumes = 0;
  std::unique_lock lk(shared_->mu);
  while (cursor < end) {
    auto p = AwaitLocked(cursor, lk, &resumes);
    if (!p.ok()) return Fail(std::move(p).error());
    const Part& part = **p;
    const uint64_t avail_end = std::min(end, part.begin + part.data.size());
    if (cursor >= avail_end) break;  // the object ended early
    out->append(part.data, cursor - part.begin, avail_end - cursor);
    cursor = avail_end;
  }
  shared_->stats.bytes_served += out->size();
  if (shared_->metrics) shared_->metrics->bytes_served.Inc(out->size());
  return out->size();
}

}  // namespace s3fs::read
