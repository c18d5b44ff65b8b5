#include "s3fs/read/read_policy.h"

#include <algorithm>

namespace s3fs::read {

ReadPolicy::ReadPolicy(ReadPolicyOptions options, uint64_t object_size)
    : o_(options), size_(object_size) {
  o_.window_min = std::max<uint64_t>(o_.window_min, 1);
  o_.window_max = std::max(o_.window_max, o_.window_min);
  o_.part_size = std::max<uint64_t>(o_.part_size, 1);
  // Aligned streams (a disk cache keeps whole blocks): random reads fetch whole blocks too.
  o_.random_block = std::max<uint64_t>({o_.random_block, o_.align, 1});
  window_ = o_.window_min;
}

bool ReadPolicy::WouldSeek(uint64_t offset) const {
  return started_ && (offset + o_.seek_tolerance < pos_ || offset > pos_ + o_.seek_tolerance);
}

ReadPlan ReadPolicy::OnRead(uint64_t offset, uint64_t size) {
  const uint64_t end = std::min(size_, offset + size);
  ReadPlan plan;
  const bool near = !WouldSeek(offset);
  const bool stream_start = !started_ || !near;
  if (near) {
    far_streak_ = 0;
    ++near_streak_;
    if (mode_ == AccessMode::kRandom && near_streak_ >= o_.sequential_after) {
      mode_ = AccessMode::kSequential;
      window_ = o_.window_min;
    } else if (mode_ == AccessMode::kSequential && started_ && end > pos_) {
      window_ = std::min(window_ * 2, o_.window_max);
    }
    pos_ = std::max(pos_, end);
  } else {
    near_streak_ = 0;
    ++far_streak_;
    ++seeks_;
    window_ = o_.window_min;
    plan.reset = true;
    if (far_streak_ >= o_.random_after) mode_ = AccessMode::kRandom;
    pos_ = end;
  }
  started_ = true;
  plan.mode = mode_;
  plan.keep_from = offset > o_.retain_behind ? offset - o_.retain_behind : 0;
  if (mode_ == AccessMode::kRandom) {
    plan.need_begin = offset / o_.random_block * o_.random_block;
    plan.need_end =
        std::min(size_, (end + o_.random_block - 1) / o_.random_block * o_.random_block);
    plan.ahead_end = plan.need_end;
    plan.part_len = plan.need_end - plan.need_begin;
    plan.demand_len = plan.part_len;
  } else {
    plan.need_begin = offset;
    plan.need_end = end;
    plan.ahead_end = std::min(size_, end + window_);
    // Half the window per GET, so the next part is requested while one is still arriving.
    plan.part_len =
        std::clamp<uint64_t>(window_ / 2, std::min(o_.window_min, o_.part_size), o_.part_size);
    // A stream's first GET is small, so its first byte comes after about one request's
    // latency; the rest of the window is requested alongside it.
    plan.demand_len = plan.part_len;
    if (stream_start) {
      const uint64_t need = plan.need_end - plan.need_begin;
      plan.demand_len = std::min(plan.part_len, std::max({need, o_.first_part, o_.align}));
    }
  }
  return plan;
}

}  // namespace s3fs::read
