// async_close through the filesystem core: close() returns before the upload (the content
// journaled and linked under the staging directory), reads and listings see the new content
// meanwhile, fsync still waits for S3, unlink/reopen/rename settle the pending upload, failed
// uploads are retried, and the next mount after a crash uploads what was accepted (or
// recognises that S3 has it, or keeps it aside when another client changed the object).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "s3fs/fs/filesystem.h"
#include "s3fs/fs/layout.h"
#include "s3fs/meta/upload_journal.h"
#include "tests/fakes/fake_object_store.h"

namespace s3fs::fs {
namespace {

using s3fs::testing::FakeObjectStore;
using namespace std::chrono_literals;

// Polls `pred` for up to 5 s of real time (the upload workers are real threads).
template <typename Pred>
bool Eventually(Pred pred) {
  for (int i = 0; i < 1000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

size_t FilesIn(const std::string& dir) {
  size_t n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) n += e.is_regular_file();
  return n;
}

class FsAsyncCloseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/s3fs-async-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = std::make_shared<FakeObjectStore>();
    clock_ = std::make_shared<FakeClock>(std::chrono::system_clock::time_point(1800000000s));
    journal_ = meta::MakeMemoryUploadJournal();
    Mount();
  }
  void TearDown() override {
    store_->HoldUploads(false);
    fs_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Mount(int max_files = 1000) {
    Options o;
    o.uid = 1000;
    o.gid = 1000;
    o.staging_dir = dir_;
    o.async_close = true;
    o.journal = journal_;
    o.async_close_workers = 2;
    o.async_close_max_files = max_files;
    auto f = Filesystem::Create(o, store_, clock_);
    ASSERT_TRUE(f.ok());
    fs_ = std::move(f).value();
  }
  std::string Pending() { return dir_ + "/.s3fs-pending"; }

  // Creates `name` with `data` and closes it (flush + release); returns its inode.
  Ino WriteFile(const std::string& name, const std::string& data) {
    auto c = fs_->Create(kRootIno, name, 0644, O_WRONLY | O_CREAT, caller_);
    EXPECT_TRUE(c.ok());
    const Ino ino = c->first.attr.ino;
    EXPECT_TRUE(fs_->Write(ino, c->second, 0, data.data(), data.size()).ok());
    EXPECT_TRUE(fs_->Flush(ino, c->second).ok());
    EXPECT_TRUE(fs_->Release(ino, c->second).ok());
    return ino;
  }
  std::string ReadAll(Ino ino) {
    auto fh = fs_->Open(ino, O_RDONLY);
    EXPECT_TRUE(fh.ok());
    std::string out;
    EXPECT_TRUE(fs_->Read(ino, *fh, 0, 1 << 20, &out).ok());
    EXPECT_TRUE(fs_->Release(ino, *fh).ok());
    return out;
  }

  std::string dir_;
  std::shared_ptr<FakeObjectStore> store_;
  std::shared_ptr<FakeClock> clock_;
  std::shared_ptr<meta::UploadJournal> journal_;
  std::unique_ptr<Filesystem> fs_;
  Caller caller_{1000, 1000, 022};
};

TEST_F(FsAsyncCloseTest, CloseReturnsBeforeTheUploadAndTheContentIsJournaled) {
  store_->HoldUploads(true);
  const Ino ino = WriteFile("a.txt", "hello async");
  // close() returned while the upload waits: the content is linked and journaled.
  EXPECT_TRUE(Eventually([&] { return store_->HeldUploads() == 1; }));
  EXPECT_FALSE(store_->Has("a.txt"));
  auto closes = journal_->AllCloses();
  ASSERT_EQ(closes.size(), 1u);
  EXPECT_EQ(closes[0].key, "a.txt");
  EXPECT_TRUE(closes[0].base_etag.empty());
  EXPECT_EQ(closes[0].metadata.count("mode"), 1u);
  std::ifstream linked(closes[0].staging_path);
  std::string content((std::istreambuf_iterator<char>(linked)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "hello async");
  // Meanwhile the file stats and lists with its new content (reads wait for the running
  // upload: it holds the staged file).
  auto attr = fs_->GetAttr(ino);
  ASSERT_TRUE(attr.ok());
  EXPECT_EQ(attr->size, 11u);
  auto dh = fs_->OpenDir(kRootIno);
  ASSERT_TRUE(dh.ok());
  auto entries = fs_->ReadDir(kRootIno, *dh, 0, 100);
  ASSERT_TRUE(entries.ok());
  bool listed = false;
  for (const auto& e : *entries) listed |= e.name == "a.txt";
  EXPECT_TRUE(listed);
  // The upload runs: the object appears, journal entry and link go.
  store_->HoldUploads(false);
  EXPECT_TRUE(Eventually([&] { return store_->Has("a.txt"); }));
  EXPECT_EQ(store_->Body("a.txt"), "hello async");
  EXPECT_TRUE(Eventually([&] { return journal_->AllCloses().empty(); }));
  EXPECT_EQ(FilesIn(Pending()), 0u);
  EXPECT_EQ(ReadAll(ino), "hello async");
}

TEST_F(FsAsyncCloseTest, AQueuedCloseReadsFromTheStagedFile) {
  store_->HoldUploads(true);
  WriteFile("w1", "one");
  WriteFile("w2", "two");  // both workers busy with these
  EXPECT_TRUE(Eventually([&] { return store_->HeldUploads() == 2; }));
  const Ino ino = WriteFile("w3", "three");  // waits in the queue
  store_->ResetCalls();
  EXPECT_EQ(ReadAll(ino), "three");
  EXPECT_EQ(store_->Calls("Read") + store_->Calls("Head"), 0);
  EXPECT_FALSE(store_->Has("w3"));
  store_->HoldUploads(false);
  EXPECT_TRUE(Eventually([&] { return store_->Has("w3"); }));
}

TEST_F(FsAsyncCloseTest, AReadersCloseNeverJournalsWhatAWriterStillChanges) {
  auto c = fs_->Create(kRootIno, "w", 0644, O_RDWR | O_CREAT, caller_);
  ASSERT_TRUE(c.ok());
  const Ino ino = c->first.attr.ino;
  ASSERT_TRUE(fs_->Write(ino, c->second, 0, "part one", 8).ok());
  auto rfh = fs_->Open(ino, O_RDONLY);
  ASSERT_TRUE(rfh.ok());
  ASSERT_TRUE(fs_->Flush(ino, *rfh).ok());  // the reader's close: uploads, journals nothing
  ASSERT_TRUE(fs_->Release(ino, *rfh).ok());
  EXPECT_TRUE(journal_->AllCloses().empty());
  EXPECT_EQ(store_->Body("w"), "part one");
  ASSERT_TRUE(fs_->Write(ino, c->second, 8, " and two", 8).ok());
  ASSERT_TRUE(fs_->Flush(ino, c->second).ok());  // the writer's close is accepted
  ASSERT_TRUE(fs_->Release(ino, c->second).ok());
  EXPECT_TRUE(Eventually([&] { return store_->Body("w") == "part one and two"; }));
}

TEST_F(FsAsyncCloseTest, FsyncStillWaitsForS3) {
  auto c = fs_->Create(kRootIno, "f", 0644, O_WRONLY | O_CREAT, caller_);
  ASSERT_TRUE(c.ok());
  const Ino ino = c->first.attr.ino;
  ASSERT_TRUE(fs_->Write(ino, c->second, 0, "abc", 3).ok());
  ASSERT_TRUE(fs_->Fsync(ino, c->second, false).ok());
  EXPECT_TRUE(store_->Has("f"));
  EXPECT_TRUE(journal_->AllCloses().empty());
  EXPECT_TRUE(fs_->Release(ino, c->second).ok());
}

TEST_F(FsAsyncCloseTest, UnlinkBeforeTheUploadLeavesNoObject) {
  store_->HoldUploads(true);
  WriteFile("gone", "data");
  EXPECT_TRUE(Eventually([&] { return store_->HeldUploads() == 1; }));
  // The upload is in flight: unlink waits for it, then deletes.
  std::thread release([&] {
    std::this_thread::sleep_for(50ms);
    store_->HoldUploads(false);
  });
  EXPECT_TRUE(fs_->Unlink(kRootIno, "gone").ok());
  release.join();
  EXPECT_FALSE(store_->Has("gone"));
  EXPECT_TRUE(journal_->AllCloses().empty());
  EXPECT_EQ(FilesIn(Pending()), 0u);
  // Not yet in flight: dropped without an upload.
  store_->HoldUploads(true);
  WriteFile("g2", "data");
  WriteFile("g3", "data");
  WriteFile("g4", "data");  // two workers: g4 waits in the queue
  EXPECT_TRUE(Eventually([&] { return store_->HeldUploads() == 2; }));
  const bool g4_queued = !store_->Has("g4");
  EXPECT_TRUE(g4_queued);
  store_->HoldUploads(false);
  EXPECT_TRUE(fs_->Unlink(kRootIno, "g4").ok());
  EXPECT_TRUE(Eventually([&] { return journal_->AllCloses().empty(); }));
  EXPECT_FALSE(store_->Has("g4"));
  EXPECT_TRUE(store_->Has("g2"));
  EXPECT_TRUE(store_->Has("g3"));
}

TEST_F(FsAsyncCloseTest, ReopeningForWritingUploadsTheAcceptedContentFirst) {
  store_->HoldUploads(true);
  const Ino ino = WriteFile("r", "first version");
  EXPECT_TRUE(Eventually([&] { return store_->HeldUploads() == 1; }));
  std::thread release([&] {
    std::this_thread::sleep_for(50ms);
    store_->HoldUploads(false);
  });
  auto fh = fs_->Open(ino, O_WRONLY | O_TRUNC);  // waits for the accepted close's upload
  release.join();
  ASSERT_TRUE(fh.ok());
  EXPECT_EQ(store_->Body("r"), "first version");
  EXPECT_TRUE(journal_->AllCloses().empty());
  ASSERT_TRUE(fs_->Write(ino, *fh, 0, "second", 6).ok());
  ASSERT_TRUE(fs_->Flush(ino, *fh).ok());
  ASSERT_TRUE(fs_->Release(ino, *fh).ok());
  EXPECT_TRUE(Eventually([&] { return store_->Has("r") && store_->Body("r") == "second"; }));
}

TEST_F(FsAsyncCloseTest, AFailedUploadIsRetriedAndNothingIsLost) {
  store_->FailNext("Put", s3::ValidationError("InternalError", "injected"), 1);
  WriteFile("retry", "keep me");
  EXPECT_TRUE(Eventually([&] { return store_->Calls("Put") >= 1; }));
  EXPECT_FALSE(store_->Has("retry"));
  EXPECT_EQ(journal_->AllCloses().size(), 1u);
  clock_->Advance(2s);  // past the first backoff
  EXPECT_TRUE(Eventually([&] { return store_->Has("retry"); }));
  EXPECT_EQ(store_->Body("retry"), "keep me");
  EXPECT_TRUE(Eventually([&] { return journal_->AllCloses().empty(); }));
}

TEST_F(FsAsyncCloseTest, RenameOfADirectoryUploadsItsPendingFilesFirst) {
  auto d = fs_->MkDir(kRootIno, "d", 0755, caller_);
  ASSERT_TRUE(d.ok());
  store_->HoldUploads(true);
  auto c = fs_->Create(d->attr.ino, "in", 0644, O_WRONLY | O_CREAT, caller_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(fs_->Write(c->first.attr.ino, c->second, 0, "x", 1).ok());
  ASSERT_TRUE(fs_->Flush(c->first.attr.ino, c->second).ok());
  ASSERT_TRUE(fs_->Release(c->first.attr.ino, c->second).ok());
  // rmdir refuses while a file in it is not in S3 yet.
  EXPECT_EQ(fs_->RmDir(kRootIno, "d").error(), ENOTEMPTY);
  store_->HoldUploads(false);
  ASSERT_TRUE(fs_->Rename(kRootIno, "d", kRootIno, "e", 0).ok());
  EXPECT_TRUE(store_->Has("e/in"));
  EXPECT_FALSE(store_->Has("d/in"));
  EXPECT_TRUE(Eventually([&] { return journal_->AllCloses().empty(); }));
}

TEST_F(FsAsyncCloseTest, BackPressureBeyondTheLimitUploadsAtClose) {
  fs_.reset();
  Mount(/*max_files=*/1);
  store_->HoldUploads(true);
  WriteFile("one", "1");  // accepted
  EXPECT_TRUE(Eventually([&] { return store_->HeldUploads() == 1; }));
  std::thread release([&] {
    std::this_thread::sleep_for(100ms);
    store_->HoldUploads(false);
  });
  WriteFile("two", "2");  // over the limit: uploads before close returns
  release.join();
  EXPECT_TRUE(store_->Has("two"));
  EXPECT_TRUE(Eventually([&] { return store_->Has("one"); }));
}

// ---- recovery after a crash ----------------------------------------------------------------

class FsAsyncRecoveryTest : public FsAsyncCloseTest {
 protected:
  // A close journaled by a mount that no longer runs, with `content` linked in the staging dir.
  meta::PendingClose Orphan(const std::string& key, const std::string& content,
                            const std::string& base_etag = "") {
    std::filesystem::create_directories(Pending());
    meta::PendingClose c;
    c.id = "999999-1-" + key;
    c.key = key;
    c.staging_path = Pending() + "/" + c.id;
    c.base_etag = base_etag;
    c.content_type = "text/plain";
    c.metadata["mode"] = "33188";
    c.closed_at = 1800000000;
    std::ofstream(c.staging_path) << content;
    EXPECT_TRUE(dead_->RecordClose(c));
    return c;
  }
  void SetUp() override {
    FsAsyncCloseTest::SetUp();
    fs_.reset();
    dead_ = meta::MakeMemoryUploadJournal("no-such-boot:1:1");
    journal_ = dead_;
    Mount();
  }
  std::shared_ptr<meta::UploadJournal> dead_;
};

TEST_F(FsAsyncRecoveryTest, AcceptedClosesAreUploadedByTheNextMount) {
  Orphan("new.txt", "closed before the crash");
  store_->Seed("edited.txt", "old");
  const std::string base = store_->Head("edited.txt")->etag;
  Orphan("edited.txt", "new content", base);
  auto rec = fs_->RecoverPendingCloses();
  EXPECT_EQ(rec.found, 2);
  EXPECT_EQ(rec.uploaded, 2);
  EXPECT_EQ(store_->Body("new.txt"), "closed before the crash");
  EXPECT_EQ(store_->Meta("new.txt").at("mode"), "33188");
  EXPECT_EQ(store_->ContentType("new.txt"), "text/plain");
  EXPECT_EQ(store_->Body("edited.txt"), "new content");
  EXPECT_TRUE(journal_->AllCloses().empty());
  EXPECT_EQ(FilesIn(Pending()), 0u);
}

TEST_F(FsAsyncRecoveryTest, AnUploadThatHadCompletedIsNotRepeated) {
  Orphan("done.txt", "already there");
  store_->Seed("done.txt", "already there");
  store_->ReplaceMetadata("done.txt", {}, std::chrono::system_clock::time_point(1800000001s));
  store_->ResetCalls();
  auto rec = fs_->RecoverPendingCloses();
  EXPECT_EQ(rec.already, 1);
  EXPECT_EQ(store_->Calls("Put") + store_->Calls("PutFile"), 0);
  EXPECT_TRUE(journal_->AllCloses().empty());
}

TEST_F(FsAsyncRecoveryTest, AnObjectChangedByAnotherClientIsLeftAloneAndTheContentKept) {
  store_->Seed("shared.txt", "base");
  const std::string base = store_->Head("shared.txt")->etag;
  Orphan("shared.txt", "our edit", base);
  store_->Seed("shared.txt", "their newer version");
  auto rec = fs_->RecoverPendingCloses();
  EXPECT_EQ(rec.conflicts, 1);
  EXPECT_EQ(store_->Body("shared.txt"), "their newer version");
  EXPECT_EQ(FilesIn(Pending() + "/conflicts"), 1u);
  EXPECT_TRUE(journal_->AllCloses().empty());
}

TEST_F(FsAsyncRecoveryTest, AFailedRecoveryUploadStaysForTheNextMount) {
  Orphan("later.txt", "x");
  store_->FailNext("Put", s3::ValidationError("InternalError", "injected"), 1);
  auto rec = fs_->RecoverPendingCloses();
  EXPECT_EQ(rec.failed, 1);
  EXPECT_EQ(journal_->AllCloses().size(), 1u);
  EXPECT_EQ(FilesIn(Pending()), 1u);
  rec = fs_->RecoverPendingCloses();
  EXPECT_EQ(rec.uploaded, 1);
  EXPECT_EQ(store_->Body("later.txt"), "x");
}

}  // namespace
}  // namespace s3fs::fs
