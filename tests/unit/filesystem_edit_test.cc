// Edits of existing objects through the filesystem core: random writes, appends and
// truncation stage only what changed, and the new object is rebuilt from server-side copies of
// the unchanged ranges plus uploads of the changed cells; the bytes read from and sent to S3
// are counted, and every result is compared with the expected content.
#include <fcntl.h>

#include <gtest/gtest.h>

#include "s3fs/fs/filesystem.h"
#include "s3fs/fs/layout.h"
#include "tests/fakes/fake_object_store.h"

namespace s3fs::fs {
namespace {

using s3fs::testing::FakeObjectStore;
using namespace std::chrono_literals;
constexpr uint64_t kMiB = 1ULL << 20;

std::string Pattern(uint64_t off, uint64_t len, uint32_t seed = 2654435761u) {
  std::string s(len, '\0');
  for (uint64_t i = 0; i < len; ++i) s[i] = static_cast<char>(((off + i) * seed) >> 13);
  return s;
}

class FsEditTest : public ::testing::Test {
 protected:
  void Start(uint64_t max_dirty = 0) {
    store_ = std::make_shared<FakeObjectStore>();
    clock_ = std::make_shared<FakeClock>(std::chrono::system_clock::time_point(1800000000s));
    Options o;
    o.uid = 1000;
    o.gid = 1000;
    o.write_part_size = 5 * kMiB;
    o.write_parts_in_flight = 3;
    o.rewrite_part_size = 8 * kMiB;
    o.max_dirty_data = max_dirty;
    auto f = Filesystem::Create(o, store_, clock_);
    ASSERT_TRUE(f.ok());
    fs_ = std::move(f).value();
  }
  void SetUp() override { Start(); }

  // Seeds `name` with `size` pattern bytes and opens it with `flags`; returns {ino, fh}.
  std::pair<Ino, uint64_t> SeedAndOpen(const std::string& name, uint64_t size, int flags) {
    expected_ = Pattern(0, size);
    store_->Seed(name, expected_);
    auto e = fs_->Lookup(kRootIno, name);
    EXPECT_TRUE(e.ok());
    auto fh = fs_->Open(e->attr.ino, flags);
    EXPECT_TRUE(fh.ok());
    store_->ResetCalls();
    read_before_ = store_->bytes_read();
    return {e->attr.ino, *fh};
  }
  void WriteAt(Ino ino, uint64_t fh, uint64_t off, const std::string& data) {
    auto w = fs_->Write(ino, fh, off, data.data(), data.size());
    ASSERT_TRUE(w.ok());
    if (expected_.size() < off + data.size()) expected_.resize(off + data.size(), '\0');
    expected_.replace(off, data.size(), data);
  }
  void Close(Ino ino, uint64_t fh) {
    EXPECT_TRUE(fs_->Flush(ino, fh).ok());
    EXPECT_TRUE(fs_->Release(ino, fh).ok());
  }
  uint64_t Fetched() { return store_->bytes_read() - read_before_; }

  std::shared_ptr<FakeObjectStore> store_;
  std::shared_ptr<FakeClock> clock_;
  std::unique_ptr<Filesystem> fs_;
  Caller caller_{1000, 1000, 022};
  std::string expected_;
  uint64_t read_before_ = 0;
};

TEST_F(FsEditTest, AnOverwriteInTheMiddleUploadsOneCellAndCopiesTheRest) {
  auto [ino, fh] = SeedAndOpen("big.bin", 64 * kMiB, O_RDWR);
  WriteAt(ino, fh, 30 * kMiB, Pattern(0, kMiB, 7));
  EXPECT_EQ(store_->Calls("GetToFile"), 0);  // nothing downloaded to edit it
  EXPECT_EQ(Fetched(), 0u);
  Close(ino, fh);
  EXPECT_TRUE(store_->Body("big.bin") == expected_);
  EXPECT_EQ(store_->PartBytes(), 8 * kMiB);     // the cell [24, 32) MiB
  EXPECT_EQ(store_->CopiedBytes(), 56 * kMiB);  // everything else, in S3
  // The cell's unchanged bytes, in one request (the 1 MiB written is fetched too rather
  // than split the request in two).
  EXPECT_EQ(store_->Calls("Read"), 1);
  EXPECT_LE(Fetched(), 8 * kMiB);
  EXPECT_GE(Fetched(), 7 * kMiB);
  EXPECT_EQ(store_->OpenUploads(), 0u);
}

TEST_F(FsEditTest, AnAppendCopiesTheObjectAndUploadsOnlyTheNewBytes) {
  auto [ino, fh] = SeedAndOpen("log.bin", 64 * kMiB, O_WRONLY | O_APPEND);
  WriteAt(ino, fh, 64 * kMiB, Pattern(0, 5 * kMiB, 11));
  Close(ino, fh);
  EXPECT_TRUE(store_->Body("log.bin") == expected_);
  EXPECT_EQ(store_->CopiedBytes(), 64 * kMiB);
  EXPECT_EQ(store_->PartBytes(), 5 * kMiB);
  EXPECT_EQ(Fetched(), 0u);
}

TEST_F(FsEditTest, TruncateDownThenUpKeepsThePrefixAndZeroFills) {
  auto [ino, fh] = SeedAndOpen("t.bin", 64 * kMiB, O_RDWR);
  SetAttrRequest down;
  down.size = 40 * kMiB + 100;
  ASSERT_TRUE(fs_->SetAttr(ino, down, fh, caller_).ok());
  SetAttrRequest up;
  up.size = 50 * kMiB;
  ASSERT_TRUE(fs_->SetAttr(ino, up, fh, caller_).ok());
  expected_.resize(40 * kMiB + 100);
  expected_.resize(50 * kMiB, '\0');
  std::string out;
  ASSERT_TRUE(fs_->Read(ino, fh, 40 * kMiB, 4096, &out).ok());
  EXPECT_TRUE(out == expected_.substr(40 * kMiB, 4096));
  Close(ino, fh);
  EXPECT_TRUE(store_->Body("t.bin") == expected_);
  EXPECT_EQ(store_->CopiedBytes(), 40 * kMiB);
}

TEST_F(FsEditTest, ReadsOfAnEditedFileMixWrittenAndObjectBytes) {
  auto [ino, fh] = SeedAndOpen("mix.bin", 32 * kMiB, O_RDWR);
  WriteAt(ino, fh, 10 * kMiB + 5, "written here");
  for (uint64_t off : {uint64_t{0}, 10 * kMiB, 10 * kMiB + 4090, 20 * kMiB, 32 * kMiB - 100}) {
    std::string out;
    auto n = fs_->Read(ino, fh, off, 8192, &out);
    ASSERT_TRUE(n.ok());
    EXPECT_TRUE(out == expected_.substr(off, 8192)) << off;
  }
  // Blocks of 4 MiB around the reads, not the object.
  EXPECT_LE(Fetched(), 16 * kMiB);
  Close(ino, fh);
  EXPECT_TRUE(store_->Body("mix.bin") == expected_);
}

TEST_F(FsEditTest, ASmallObjectEditIsOneGetAndOnePut) {
  auto [ino, fh] = SeedAndOpen("small.txt", 100 * 1024, O_RDWR);
  WriteAt(ino, fh, 50, "0123456789");
  Close(ino, fh);
  EXPECT_TRUE(store_->Body("small.txt") == expected_);
  EXPECT_EQ(store_->Calls("Put"), 1);
  EXPECT_EQ(store_->Calls("StartMultipart"), 0);
  EXPECT_EQ(Fetched(), 100u * 1024);
}

TEST_F(FsEditTest, AnObjectReplacedDuringAnEditIsEioNeverAMix) {
  auto [ino, fh] = SeedAndOpen("race.bin", 32 * kMiB, O_RDWR);
  WriteAt(ino, fh, kMiB, "mine");
  const std::string theirs = Pattern(0, 32 * kMiB, 99);
  store_->Seed("race.bin", theirs);  // another client replaces it
  auto flushed = fs_->Flush(ino, fh);
  ASSERT_FALSE(flushed.ok());
  EXPECT_EQ(flushed.error(), EIO);
  EXPECT_TRUE(store_->Body("race.bin") == theirs);
  EXPECT_EQ(store_->OpenUploads(), 0u);
  (void)fs_->Release(ino, fh);
}

TEST_F(FsEditTest, ManyScatteredWritesAreRebuiltCorrectly) {
  auto [ino, fh] = SeedAndOpen("scatter.bin", 48 * kMiB + 12345, O_RDWR);
  uint64_t x = 42;
  for (int i = 0; i < 200; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const uint64_t off = (x >> 20) % (48 * kMiB + 12345);
    WriteAt(ino, fh, off, Pattern(off, 1 + (x >> 50) % 70000, 5));
  }
  Close(ino, fh);
  EXPECT_TRUE(store_->Body("scatter.bin") == expected_);
}

TEST_F(FsEditTest, MaxDirtyDataUploadsBeforeCloseAndReleasesTheStagingCopy) {
  Start(16 * kMiB);
  auto [ino, fh] = SeedAndOpen("dirty.bin", 64 * kMiB, O_RDWR);
  for (uint64_t off = 0; off < 20 * kMiB; off += kMiB) {
    WriteAt(ino, fh, off, Pattern(off, kMiB, 3));
  }
  // The first 16 MiB went up before close.
  EXPECT_EQ(store_->Calls("StartMultipart"), 1);
  EXPECT_TRUE(store_->Body("dirty.bin").substr(0, 16 * kMiB) == expected_.substr(0, 16 * kMiB));
  std::string out;
  ASSERT_TRUE(fs_->Read(ino, fh, 8 * kMiB, 4096, &out).ok());  // released: read from S3
  EXPECT_TRUE(out == expected_.substr(8 * kMiB, 4096));
  Close(ino, fh);
  EXPECT_TRUE(store_->Body("dirty.bin") == expected_);
}

TEST_F(FsEditTest, RenamingAnOpenEditedFileKeepsItsUnstagedBytesReadable) {
  auto [ino, fh] = SeedAndOpen("a.bin", 32 * kMiB, O_RDWR);
  WriteAt(ino, fh, kMiB, "edit");
  ASSERT_TRUE(fs_->Rename(kRootIno, "a.bin", kRootIno, "b.bin", 0).ok());
  WriteAt(ino, fh, 2 * kMiB, "more");
  std::string out;
  ASSERT_TRUE(fs_->Read(ino, fh, 20 * kMiB, 4096, &out).ok());
  EXPECT_TRUE(out == expected_.substr(20 * kMiB, 4096));
  Close(ino, fh);
  EXPECT_FALSE(store_->Has("a.bin"));
  EXPECT_TRUE(store_->Body("b.bin") == expected_);
}

TEST_F(FsEditTest, ANewVersionOfATaggedObjectKeepsItsTags) {
  expected_ = Pattern(0, 32 * kMiB);
  store_->Seed("tagged.bin", expected_);
  ASSERT_TRUE(store_->PutTags("tagged.bin", {{"project", "x"}, {"tier", "gold"}}).ok());
  auto e = fs_->Lookup(kRootIno, "tagged.bin");
  ASSERT_TRUE(e.ok());
  auto fh = fs_->Open(e->attr.ino, O_RDWR);
  ASSERT_TRUE(fh.ok());
  WriteAt(e->attr.ino, *fh, 3 * kMiB, "edited");
  Close(e->attr.ino, *fh);
  EXPECT_TRUE(store_->Body("tagged.bin") == expected_);
  ASSERT_EQ(store_->Tags("tagged.bin").size(), 2u);
  EXPECT_EQ(store_->Tags("tagged.bin")[1].value, "gold");
}

}  // namespace
}  // namespace s3fs::fs
