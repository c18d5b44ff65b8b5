// Streaming uploads through the filesystem core: parts leave while the file is written, the
// object appears only at close, and every other write pattern (writes back into sent data,
// truncation, rename, unlink, failures) still ends with exactly the written bytes in S3.
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

class FsStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::make_shared<FakeObjectStore>();
    clock_ = std::make_shared<FakeClock>(std::chrono::system_clock::time_point(1800000000s));
    Options o;
    o.uid = 1000;
    o.gid = 1000;
    o.write_part_size = 5 * kMiB;  // streaming starts at 9 MiB (part + 4 MiB slack)
    o.write_parts_in_flight = 3;
    auto f = Filesystem::Create(o, store_, clock_);
    ASSERT_TRUE(f.ok());
    fs_ = std::move(f).value();
  }

  // Creates `name` and writes `total` pattern bytes in 1 MiB writes; returns {ino, fh}.
  std::pair<Ino, uint64_t> CreateAndWrite(const std::string& name, uint64_t total) {
    auto c = fs_->Create(kRootIno, name, S_IFREG | 0640, O_WRONLY | O_CREAT, caller_);
    EXPECT_TRUE(c.ok());
    Ino ino = c->first.attr.ino;
    uint64_t fh = c->second;
    for (uint64_t off = 0; off < total; off += kMiB) {
      std::string chunk = Pattern(off, std::min(kMiB, total - off));
      auto w = fs_->Write(ino, fh, off, chunk.data(), chunk.size());
      EXPECT_TRUE(w.ok());
    }
    expected_ = Pattern(0, total);
    return {ino, fh};
  }

  static std::string Pattern(uint64_t off, uint64_t len) {
    std::string s(len, '\0');
    for (uint64_t i = 0; i < len; ++i) s[i] = static_cast<char>(((off + i) * 2654435761u) >> 13);
    return s;
  }

  void Close(Ino ino, uint64_t fh) {
    EXPECT_TRUE(fs_->Flush(ino, fh).ok());
    EXPECT_TRUE(fs_->Release(ino, fh).ok());
  }

  std::shared_ptr<FakeObjectStore> store_;
  std::shared_ptr<FakeClock> clock_;
  std::unique_ptr<Filesystem> fs_;
  Caller caller_{1000, 1000, 022};
  std::string expected_;
};

TEST_F(FsStreamTest, PartsLeaveWhileWritingAndTheObjectAppearsAtClose) {
  auto [ino, fh] = CreateAndWrite("big.bin", 24 * kMiB + 123);
  EXPECT_EQ(store_->Calls("StartMultipart"), 1);
  EXPECT_EQ(store_->PartBytes(), 20 * kMiB);  // 4 parts sent before close
  EXPECT_FALSE(store_->Has("big.bin"));       // nothing visible before close
  EXPECT_EQ(store_->OpenUploads(), 1u);
  clock_->Advance(5s);
  Close(ino, fh);
  ASSERT_TRUE(store_->Has("big.bin"));
  EXPECT_TRUE(store_->Body("big.bin") == expected_);
  EXPECT_EQ(store_->PartBytes(), expected_.size());  // every byte sent exactly once
  EXPECT_EQ(store_->Calls("Put") + store_->Calls("PutFile"), 0);
  EXPECT_EQ(store_->OpenUploads(), 0u);
  auto meta = store_->Meta("big.bin");
  EXPECT_EQ(meta.at("mode"), std::to_string(S_IFREG | 0640));
  EXPECT_EQ(meta.at("uid"), "1000");
  EXPECT_EQ(meta.count("mtime"), 0u);  // Last-Modified (completion) is the mtime
  auto a = fs_->GetAttr(ino);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->size, expected_.size());
  EXPECT_EQ(a->mtime.tv_sec, 1800000005);
}

TEST_F(FsStreamTest, SmallFilesAreOnePutWithoutMultipart) {
  auto [ino, fh] = CreateAndWrite("small", 8 * kMiB);
  Close(ino, fh);
  EXPECT_EQ(store_->Calls("StartMultipart"), 0);
  EXPECT_TRUE(store_->Body("small") == expected_);
}

TEST_F(FsStreamTest, AWriteBackIntoSentDataCompletesTheUploadThenRebuildsWithCopies) {
  auto [ino, fh] = CreateAndWrite("hdr.bin", 24 * kMiB);
  ASSERT_GT(store_->PartBytes(), 0u);
  ASSERT_TRUE(fs_->Write(ino, fh, 10, "HEADER", 6).ok());  // e.g. a muxer patching a header
  expected_.replace(10, 6, "HEADER");
  // The parts sent so far may have left the staging file: the upload completed at once.
  EXPECT_EQ(store_->OpenUploads(), 0u);
  ASSERT_TRUE(store_->Has("hdr.bin"));
  const uint64_t uploaded = store_->PartBytes();
  Close(ino, fh);
  EXPECT_TRUE(store_->Body("hdr.bin") == expected_);
  EXPECT_EQ(store_->Calls("PutFile"), 0);
  EXPECT_EQ(store_->Calls("StartMultipart"), 2);
  // Rebuilt from the header's 8 MiB cell uploaded and the other 16 MiB copied in S3.
  EXPECT_EQ(store_->PartBytes() - uploaded, 8 * kMiB);
  EXPECT_EQ(store_->CopiedBytes(), 16 * kMiB);
}

TEST_F(FsStreamTest, ReadingBackSentDataCompletesTheUploadAndReadsTheObject) {
  auto [ino, fh] = CreateAndWrite("rb.bin", 24 * kMiB);
  std::string out;
  ASSERT_TRUE(fs_->Read(ino, fh, kMiB, 4096, &out).ok());
  EXPECT_TRUE(out == expected_.substr(kMiB, 4096));
  EXPECT_TRUE(store_->Has("rb.bin"));
  ASSERT_TRUE(fs_->Write(ino, fh, 24 * kMiB, "tail", 4).ok());
  expected_ += "tail";
  Close(ino, fh);
  EXPECT_TRUE(store_->Body("rb.bin") == expected_);
}

TEST_F(FsStreamTest, AWriteAboveSentDataKeepsStreaming) {
  auto [ino, fh] = CreateAndWrite("patch.bin", 16 * kMiB);
  uint64_t sent = store_->PartBytes();
  ASSERT_TRUE(fs_->Write(ino, fh, sent + 10, "ok", 2).ok());
  expected_.replace(sent + 10, 2, "ok");
  Close(ino, fh);
  EXPECT_TRUE(store_->Body("patch.bin") == expected_);
  EXPECT_EQ(store_->Calls("PutFile"), 0);
}

TEST_F(FsStreamTest, TruncateBelowSentDataFallsBack) {
  auto [ino, fh] = CreateAndWrite("t.bin", 16 * kMiB);
  SetAttrRequest req;
  req.size = 3 * kMiB;
  ASSERT_TRUE(fs_->SetAttr(ino, req, fh, caller_).ok());
  expected_.resize(3 * kMiB);
  EXPECT_EQ(store_->OpenUploads(), 0u);
  Close(ino, fh);
  EXPECT_TRUE(store_->Body("t.bin") == expected_);
}

TEST_F(FsStreamTest, AFailedPartIsSentAgainFromTheStagingFile) {
  store_->FailNext("UploadPart", s3::ValidationError("InternalError", "injected"));
  auto [ino, fh] = CreateAndWrite("f.bin", 20 * kMiB);
  Close(ino, fh);
  EXPECT_TRUE(store_->Body("f.bin") == expected_);
  EXPECT_EQ(store_->Calls("PutFile"), 0);
  EXPECT_EQ(store_->Calls("StartMultipart"), 1);
  EXPECT_EQ(store_->OpenUploads(), 0u);
}

TEST_F(FsStreamTest, APartFailingBeforeAnythingIsReleasedFallsBackToAWholeUpload) {
  // The first part fails on every send: no byte has left the staging file yet.
  store_->FailNext("UploadPart", s3::ValidationError("InternalError", "injected"), 3);
  auto [ino, fh] = CreateAndWrite("w.bin", 20 * kMiB);
  Close(ino, fh);
  EXPECT_TRUE(store_->Body("w.bin") == expected_);
  EXPECT_EQ(store_->Calls("PutFile"), 1);
  EXPECT_EQ(store_->OpenUploads(), 0u);
}

TEST_F(FsStreamTest, APartLostAfterOthersWereReleasedIsEioNeverAHalfObject) {
  auto c = fs_->Create(kRootIno, "lost.bin", S_IFREG | 0640, O_WRONLY | O_CREAT, caller_);
  ASSERT_TRUE(c.ok());
  const Ino ino = c->first.attr.ino;
  const uint64_t fh = c->second;
  std::string chunk(kMiB, 'x');
  for (uint64_t off = 0; off < 12 * kMiB; off += kMiB) {
    ASSERT_TRUE(fs_->Write(ino, fh, off, chunk.data(), chunk.size()).ok());
  }
  ASSERT_GT(store_->PartBytes(), 0u);  // part 1 is in S3, its staging copy released
  store_->FailNext("UploadPart", s3::ValidationError("InternalError", "injected"), 3);
  bool failed = false;
  for (uint64_t off = 12 * kMiB; off < 24 * kMiB && !failed; off += kMiB) {
    auto w = fs_->Write(ino, fh, off, chunk.data(), chunk.size());
    if (!w.ok()) {
      EXPECT_EQ(w.error(), EIO);
      failed = true;
    }
  }
  auto flushed = fs_->Flush(ino, fh);
  ASSERT_FALSE(flushed.ok());
  EXPECT_EQ(flushed.error(), EIO);
  EXPECT_FALSE(fs_->Release(ino, fh).ok());
  EXPECT_FALSE(store_->Has("lost.bin"));
  EXPECT_EQ(store_->OpenUploads(), 0u);
}

TEST_F(FsStreamTest, AFailedCompleteIsRetriedAtTheNextFlush) {
  auto [ino, fh] = CreateAndWrite("c.bin", 20 * kMiB);
  store_->FailNext("CompleteMultipart", s3::ValidationError("InternalError", "injected"));
  auto flushed = fs_->Flush(ino, fh);
  ASSERT_FALSE(flushed.ok());
  EXPECT_EQ(flushed.error(), EIO);
  EXPECT_FALSE(store_->Has("c.bin"));
  EXPECT_EQ(store_->OpenUploads(), 1u);  // its parts are the only copy of released bytes
  const uint64_t sent = store_->PartBytes();
  Close(ino, fh);
  EXPECT_TRUE(store_->Body("c.bin") == expected_);
  EXPECT_EQ(store_->OpenUploads(), 0u);
  EXPECT_EQ(store_->PartBytes(), sent);  // completed, nothing sent again
}

TEST_F(FsStreamTest, WhenEverythingFailsCloseReportsEioAndTheDataStaysDirty) {
  store_->FailNext("UploadPart", s3::ValidationError("InternalError", "injected"), 3);
  auto [ino, fh] = CreateAndWrite("e.bin", 20 * kMiB);
  store_->FailNext("PutFile", s3::ValidationError("InternalError", "injected"));
  auto flushed = fs_->Flush(ino, fh);
  ASSERT_FALSE(flushed.ok());
  EXPECT_EQ(flushed.error(), EIO);
  EXPECT_FALSE(store_->Has("e.bin"));
  EXPECT_EQ(store_->OpenUploads(), 0u);
  // The next flush (or unmount) tries again with the staged data.
  EXPECT_TRUE(fs_->Flush(ino, fh).ok());
  EXPECT_TRUE(fs_->Release(ino, fh).ok());
  EXPECT_TRUE(store_->Body("e.bin") == expected_);
}

TEST_F(FsStreamTest, RenameWhileWritingLandsUnderTheNewName) {
  auto [ino, fh] = CreateAndWrite("old.bin", 16 * kMiB);
  ASSERT_TRUE(fs_->Rename(kRootIno, "old.bin", kRootIno, "new.bin", 0).ok());
  Close(ino, fh);
  EXPECT_FALSE(store_->Has("old.bin"));
  ASSERT_TRUE(store_->Has("new.bin"));
  EXPECT_TRUE(store_->Body("new.bin") == expected_);
  EXPECT_EQ(store_->OpenUploads(), 0u);
}

TEST_F(FsStreamTest, UnlinkWhileWritingLeavesNothing) {
  auto [ino, fh] = CreateAndWrite("gone.bin", 16 * kMiB);
  ASSERT_TRUE(fs_->Unlink(kRootIno, "gone.bin").ok());
  Close(ino, fh);
  EXPECT_FALSE(store_->Has("gone.bin"));
  EXPECT_EQ(store_->OpenUploads(), 0u);
  EXPECT_EQ(store_->Count(), 0u);
}

TEST_F(FsStreamTest, AttributesSetWhileWritingAreApplied) {
  auto [ino, fh] = CreateAndWrite("m.bin", 16 * kMiB);
  SetAttrRequest req;
  req.mode = 0600;
  req.mtime = timespec{1700000000, 0};
  ASSERT_TRUE(fs_->SetAttr(ino, req, fh, caller_).ok());
  Close(ino, fh);
  EXPECT_TRUE(store_->Body("m.bin") == expected_);
  auto meta = store_->Meta("m.bin");
  EXPECT_EQ(meta.at("mode"), std::to_string(S_IFREG | 0600));
  EXPECT_EQ(DecodeAttrs(meta).mtime->tv_sec, 1700000000);
  EXPECT_EQ(fs_->GetAttr(ino)->mtime.tv_sec, 1700000000);
}

TEST_F(FsStreamTest, OverwriteWithTruncStreamsAndDropsTheOldMtime) {
  store_->Seed("o.bin", "old", {{"mtime", "1600000000"}, {"mode", "33188"}});
  auto e = fs_->Lookup(kRootIno, "o.bin");
  ASSERT_TRUE(e.ok());
  Ino ino = e->attr.ino;
  auto fh = fs_->Open(ino, O_WRONLY | O_TRUNC);
  ASSERT_TRUE(fh.ok());
  std::string data = Pattern(0, 12 * kMiB);
  for (uint64_t off = 0; off < data.size(); off += kMiB) {
    ASSERT_TRUE(fs_->Write(ino, *fh, off, data.data() + off, kMiB).ok());
  }
  EXPECT_GT(store_->PartBytes(), 0u);
  Close(ino, *fh);
  EXPECT_TRUE(store_->Body("o.bin") == data);
  EXPECT_EQ(store_->Meta("o.bin").count("mtime"), 0u);
  EXPECT_EQ(store_->Meta("o.bin").at("mode"), "33188");
}

TEST_F(FsStreamTest, ReadsWhileStreamingSeeTheWrittenBytes) {
  auto [ino, fh] = CreateAndWrite("r.bin", 16 * kMiB);
  auto rfh = fs_->Open(ino, O_RDONLY);
  ASSERT_TRUE(rfh.ok());
  std::string out;
  auto n = fs_->Read(ino, *rfh, 7 * kMiB, 4096, &out);
  ASSERT_TRUE(n.ok());
  EXPECT_TRUE(out == expected_.substr(7 * kMiB, 4096));
  EXPECT_TRUE(fs_->Release(ino, *rfh).ok());
  Close(ino, fh);
  EXPECT_TRUE(store_->Body("r.bin") == expected_);
}

}  // namespace
}  // namespace s3fs::fs
