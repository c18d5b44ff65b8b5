// PlanRewrite's cells (copies vs uploads, merging, the 10,000-part limit, S3's 5 MiB minimum)
// and RunRewrite against the fake store's multipart sessions (fills, failures, aborts).
#include "s3fs/write/rewrite_upload.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/fakes/fake_object_store.h"

namespace s3fs::write {
namespace {

constexpr uint64_t kMiB = 1ULL << 20;

TEST(PlanRewrite, AnEditInTheMiddleIsOneUploadBetweenTwoCopies) {
  RangeSet dirty;
  dirty.Add(30 * kMiB, 31 * kMiB);
  auto plan = PlanRewrite(64 * kMiB, 64 * kMiB, dirty);
  EXPECT_EQ(plan, (std::vector<PlannedPart>{{1, 0, 24 * kMiB, true},
                                            {2, 24 * kMiB, 8 * kMiB, false},
                                            {3, 32 * kMiB, 32 * kMiB, true}}));
}

TEST(PlanRewrite, AnAppendCopiesWhatWasThere) {
  RangeSet dirty;
  dirty.Add(64 * kMiB, 69 * kMiB);
  auto plan = PlanRewrite(69 * kMiB, 64 * kMiB, dirty);
  EXPECT_EQ(plan,
            (std::vector<PlannedPart>{{1, 0, 64 * kMiB, true}, {2, 64 * kMiB, 5 * kMiB, false}}));
}

TEST(PlanRewrite, BytesPastTheBaseAreUploadedAndEveryPartButTheLastIsBigEnough) {
  RangeSet dirty;
  auto plan = PlanRewrite(50 * kMiB, 40 * kMiB + 100, dirty);  // truncated down, then up
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0], (PlannedPart{1, 0, 40 * kMiB, true}));
  EXPECT_EQ(plan[1], (PlannedPart{2, 40 * kMiB, 8 * kMiB, false}));
  EXPECT_EQ(plan[2], (PlannedPart{3, 48 * kMiB, 2 * kMiB, false}));
  for (size_t i = 0; i + 1 < plan.size(); ++i) EXPECT_GE(plan[i].len, 5 * kMiB);
}

TEST(PlanRewrite, CellsGrowToStayUnderALowerPartLimit) {
  RangeSet dirty;
  const uint64_t size = 1ULL << 30;
  for (uint64_t off = 0; off < size; off += 16ULL << 20) dirty.Add(off, off + 1);  // every cell
  RewritePlanOptions o;
  o.max_parts = 50;
  auto plan = PlanRewrite(size, size, dirty, o);
  EXPECT_LE(plan.size(), 50u);
  uint64_t covered = 0;
  for (const auto& p : plan) covered += p.len;
  EXPECT_EQ(covered, size);
}

TEST(PlanRewrite, CopiesAreSplitAt5GiBAndCellsGrowToStayUnder10000Parts) {
  RangeSet dirty;
  const uint64_t size = 200ULL << 30;  // 200 GiB
  dirty.Add(0, 1);
  auto plan = PlanRewrite(size, size, dirty);
  EXPECT_LE(plan.size(), 10000u);
  uint64_t covered = 0;
  for (const auto& p : plan) {
    EXPECT_EQ(p.offset, covered);
    covered += p.len;
    if (p.copy) {
      EXPECT_LE(p.len, 5ULL << 30);
    }
    if (&p != &plan.back()) {
      EXPECT_GE(p.len, 5 * kMiB);
    }
  }
  EXPECT_EQ(covered, size);
  EXPECT_FALSE(plan[0].copy);
  EXPECT_EQ(plan[0].len, 32 * kMiB);  // 8 MiB cells doubled twice for 200 GiB
}

class RunRewriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fd_ = ::open("/tmp", O_TMPFILE | O_RDWR, 0600);
    ASSERT_GE(fd_, 0);
    base_ = std::string(24 * kMiB, 'b');
    store_.Seed("k", base_);
    etag_ = store_.Head("k")->etag;
    ASSERT_EQ(::ftruncate(fd_, static_cast<off_t>(base_.size())), 0);
  }
  void TearDown() override { ::close(fd_); }

  int fd_ = -1;
  testing::FakeObjectStore store_;
  std::string base_;
  std::string etag_;
};

TEST_F(RunRewriteTest, FillsUploadCellsAndCompletes) {
  RangeSet dirty;
  ASSERT_EQ(::pwrite(fd_, "XY", 2, 9 * kMiB), 2);
  dirty.Add(9 * kMiB, 9 * kMiB + 2);
  auto plan = PlanRewrite(base_.size(), base_.size(), dirty);
  std::vector<std::pair<uint64_t, uint64_t>> fills;
  FillFn fill = [&](uint64_t off, uint64_t len) -> s3::S3Status {
    fills.emplace_back(off, len);
    // The base's bytes except the dirty ones.
    for (uint64_t i = off; i < off + len; i += kMiB) {
      std::string chunk = base_.substr(i, std::min(kMiB, off + len - i));
      if (i == 9 * kMiB) chunk.replace(0, 2, "XY");
      if (::pwrite(fd_, chunk.data(), chunk.size(), static_cast<off_t>(i)) < 0) {
        return Fail(s3::ValidationError("x", "pwrite"));
      }
    }
    return {};
  };
  auto session = store_.StartMultipart("k", {});
  ASSERT_TRUE(session.ok());
  RewriteStats stats;
  UploadSlots slots(2);
  auto etag = RunRewrite(**session, fd_, plan, {"k", etag_}, fill, 2, &slots, &stats);
  ASSERT_TRUE(etag.ok());
  std::string want = base_;
  want.replace(9 * kMiB, 2, "XY");
  EXPECT_TRUE(store_.Body("k") == want);
  EXPECT_EQ(fills, (std::vector<std::pair<uint64_t, uint64_t>>{{8 * kMiB, 8 * kMiB}}));
  EXPECT_EQ(stats.copied, 16 * kMiB);
  EXPECT_EQ(stats.uploaded, 8 * kMiB);
  EXPECT_EQ(slots.free(), 2);
}

TEST_F(RunRewriteTest, AChangedSourceAbortsAndLeavesTheObjectAlone) {
  RangeSet dirty;
  dirty.Add(0, 1);
  auto plan = PlanRewrite(base_.size(), base_.size(), dirty);
  auto session = store_.StartMultipart("k", {});
  ASSERT_TRUE(session.ok());
  FillFn fill = [](uint64_t, uint64_t) -> s3::S3Status { return {}; };
  auto etag =
      RunRewrite(**session, fd_, plan, {"k", "\"another-version\""}, fill, 4, nullptr, nullptr);
  ASSERT_FALSE(etag.ok());
  EXPECT_EQ(etag.error().kind, "PreconditionFailed");
  EXPECT_TRUE(store_.Body("k") == base_);
  EXPECT_EQ(store_.OpenUploads(), 0u);
}

TEST_F(RunRewriteTest, AFailedFillAbortsBeforeUploadingIt) {
  RangeSet dirty;
  dirty.Add(20 * kMiB, 20 * kMiB + 1);
  auto plan = PlanRewrite(base_.size(), base_.size(), dirty);
  auto session = store_.StartMultipart("k", {});
  ASSERT_TRUE(session.ok());
  FillFn fill = [](uint64_t, uint64_t) -> s3::S3Status {
    return Fail(s3::ValidationError("SourceUnreadable", "injected"));
  };
  auto etag = RunRewrite(**session, fd_, plan, {"k", etag_}, fill, 4, nullptr, nullptr);
  ASSERT_FALSE(etag.ok());
  EXPECT_EQ(etag.error().kind, "SourceUnreadable");
  EXPECT_EQ(store_.PartBytes(), 0u);
  EXPECT_EQ(store_.OpenUploads(), 0u);
  EXPECT_TRUE(store_.Body("k") == base_);
}

}  // namespace
}  // namespace s3fs::write
