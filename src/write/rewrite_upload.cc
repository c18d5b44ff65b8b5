// PlanRewrite and RunRewrite: see the header for the contract.
#include "s3fs/write/rewrite_upload.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>

#include "s3fs/common/log.h"

namespace s3fs::write {

std::vector<PlannedPart> PlanRewrite(uint64_t size, uint64_t base_valid, const RangeSet& dirty,
                                     const RewritePlanOptions& options) {
  std::vector<PlannedPart> plan;
  if (size == 0) return plan;
  uint64_t cell = std::max<uint64_t>(options.cell_size, 5ULL << 20);
  while ((size + cell - 1) / cell > std::max<uint32_t>(options.max_parts, 1)) cell *= 2;
  const uint64_t max_copy = std::max(options.max_copy_part, cell);
  for (uint64_t off = 0; off < size; off += cell) {
    const uint64_t end = std::min(size, off + cell);
    const bool clean = end <= base_valid && !dirty.Intersects(off, end);
    if (clean && !plan.empty() && plan.back().copy && plan.back().offset + plan.back().len == off &&
        plan.back().len + (end - off) <= max_copy) {
      plan.back().len += end - off;
      continue;
    }
    plan.push_back({static_cast<uint32_t>(plan.size() + 1), off, end - off, clean});
  }
  return plan;
}

namespace {

// Completion state shared with the part callbacks (which may outlive no one: RunRewrite waits
// for every callback before returning).
struct Progress {
  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0;
  std::vector<s3::CompletedPart> parts;
  std::optional<s3::S3Error> error;
};

}  // namespace

s3::S3Result<std::string> RunRewrite(MultipartSession& session, int fd,
                                     const std::vector<PlannedPart>& plan,
                                     const RewriteSource& base, const FillFn& fill,
                                     int max_in_flight, UploadSlots* slots, RewriteStats* stats) {
  Progress p;
  p.parts.resize(plan.size());
  const int cap = std::max(max_in_flight, 1);
  auto wait_idle = [&] {
    std::unique_lock lock(p.mu);
    p.cv.wait(lock, [&] { return p.in_flight == 0; });
  };
  auto fail = [&](s3::S3Error e) -> s3::S3Result<std::string> {
    wait_idle();
    S3FS_LOG_WARN("rewrite of {} failed ({}): upload aborted, the object is unchanged",
                  session.key(), e.ToString());
    auto aborted = session.Abort();
    if (!aborted.ok()) {
      S3FS_LOG_WARN("abort of upload {} of {} failed: {}", session.upload_id(), session.key(),
                    aborted.error().ToString());
    }
    return Fail(std::move(e));
  };
  for (const PlannedPart& part : plan) {
    {
      std::unique_lock lock(p.mu);
      p.cv.wait(lock, [&] { return p.in_flight < cap || p.error; });
      if (p.error) break;
    }
    if (!part.copy) {
      auto filled = fill(part.offset, part.len);
      if (!filled.ok()) return fail(std::move(filled).error());
    }
    if (slots != nullptr) slots->Acquire();
    {
      std::lock_guard lock(p.mu);
      p.in_flight++;
    }
    auto done = [&p, slots, number = part.number](s3::S3Result<std::string> r) {
      if (slots != nullptr) slots->Release();
      std::lock_guard lock(p.mu);
      if (r.ok()) {
        p.parts[number - 1] = {number, std::move(*r), ""};
      } else if (!p.error) {
        p.error = std::move(r).error();
      }
      p.in_flight--;
      p.cv.notify_all();
    };
    if (part.copy) {
      session.CopyPartAsync(part.number, base.key, base.etag, part.offset, part.len,
                            std::move(done));
      if (stats != nullptr) stats->copied += part.len;
    } else {
      session.UploadPartAsync(part.number, fd, part.offset, part.len, std::move(done));
      if (stats != nullptr) stats->uploaded += part.len;
    }
    if (stats != nullptr) stats->parts++;
  }
  wait_idle();
  if (p.error) return fail(*p.error);
  auto etag = session.Complete(p.parts);
  if (!etag.ok()) return fail(std::move(etag).error());
  return etag;
}

}  // namespace s3fs::write
