// The upload journal: entries survive reopening, a dead owner's entries are orphans and a live
// one's are not (a forked child plays the crashed mount), garbage values are skipped.
#include "s3fs/meta/upload_journal.h"

#include <lmdb.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>
#include <vector>

namespace s3fs::meta {
namespace {

class UploadJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/s3fs-journal-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = std::string(tmpl) + "/uploads";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::path(dir_).parent_path(), ec);
  }
  std::string dir_;
};

TEST_F(UploadJournalTest, PendingClosesRoundTripAndConcurrentRecordsAllLand) {
  std::string error;
  {
    auto j = OpenLmdbUploadJournal(dir_, &error);
    ASSERT_TRUE(j) << error;
    // 8 threads x 25 closes: the group commit must lose none and mix none.
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 25; ++i) {
          PendingClose c;
          c.id = std::to_string(t) + "-" + std::to_string(i);
          c.key = "dir/" + c.id;
          c.staging_path = "/tmp/x/" + c.id;
          c.base_etag = i % 2 ? "\"etag\"" : "";
          c.content_type = "text/plain";
          c.metadata["mode"] = "33188";
          c.metadata["mtime"] = std::to_string(i);
          c.storage_class = "STANDARD_IA";
          c.sse = "aws:kms";
          c.sse_kms_key_id = "key:" + c.id;
          c.closed_at = 1800000000 + i;
          EXPECT_TRUE(j->RecordClose(c));
        }
      });
    }
    for (auto& th : threads) th.join();
    j->ForgetClose("3-4");
  }
  auto j = OpenLmdbUploadJournal(dir_, &error);
  ASSERT_TRUE(j) << error;
  auto all = j->AllCloses();
  ASSERT_EQ(all.size(), 199u);
  for (const auto& c : all) {
    EXPECT_EQ(c.key, "dir/" + c.id);
    EXPECT_EQ(c.staging_path, "/tmp/x/" + c.id);
    EXPECT_EQ(c.sse_kms_key_id, "key:" + c.id);
    EXPECT_EQ(c.metadata.at("mode"), "33188");
    EXPECT_EQ(c.owner, CurrentOwner());
    EXPECT_EQ(c.storage_class, "STANDARD_IA");
    EXPECT_EQ(c.content_type, "text/plain");
  }
  EXPECT_TRUE(j->OrphanCloses().empty());  // this process is alive
  EXPECT_TRUE(j->All().empty());           // uploads and closes are kept apart
}

TEST(UploadJournalOwner, ThisProcessIsAliveAndOthersAreNot) {
  const std::string me = CurrentOwner();
  EXPECT_TRUE(OwnerAlive(me));
  // Same pid, another start time: a recycled pid is not the owner.
  EXPECT_FALSE(OwnerAlive(me.substr(0, me.rfind(':') + 1) + "1"));
  // Another boot.
  EXPECT_FALSE(OwnerAlive("00000000-0000-0000-0000-000000000000" + me.substr(me.find(':'))));
  EXPECT_FALSE(OwnerAlive("garbage"));
  EXPECT_FALSE(OwnerAlive(""));
}

TEST_F(UploadJournalTest, EntriesSurviveReopeningAndEndForgetsThem) {
  std::string error;
  {
    auto j = OpenLmdbUploadJournal(dir_, &error);
    ASSERT_TRUE(j) << error;
    EXPECT_TRUE(j->Begin("id-1", "a/b.bin"));
    EXPECT_TRUE(j->Begin("id-2", "key with spaces\nand a newline:"));
    j->End("id-1");
    j->End("never-started");
  }
  auto j = OpenLmdbUploadJournal(dir_, &error);
  ASSERT_TRUE(j) << error;
  auto all = j->All();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].upload_id, "id-2");
  EXPECT_EQ(all[0].key, "key with spaces\nand a newline:");
  EXPECT_EQ(all[0].owner, CurrentOwner());
  EXPECT_TRUE(j->Orphans().empty());  // this process is alive
}

TEST_F(UploadJournalTest, UploadsOfAMountThatDiedAreOrphans) {
  std::string error;
  {
    auto j = OpenLmdbUploadJournal(dir_, &error);
    ASSERT_TRUE(j) << error;
    ASSERT_TRUE(j->Begin("mine", "live.bin"));
  }
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::string e;
    auto j = OpenLmdbUploadJournal(dir_, &e);
    _exit(j && j->Begin("theirs", "crashed.bin") ? 0 : 1);
  }
  // Exited but not reaped yet (a zombie, as a killed mount is for a moment): already dead.
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT), 0);
  ASSERT_EQ(info.si_status, 0);
  auto j = OpenLmdbUploadJournal(dir_, &error);
  ASSERT_TRUE(j) << error;
  EXPECT_EQ(j->All().size(), 2u);
  auto orphans = j->Orphans();
  ASSERT_EQ(orphans.size(), 1u);
  EXPECT_EQ(orphans[0].upload_id, "theirs");
  EXPECT_EQ(orphans[0].key, "crashed.bin");
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_EQ(j->Orphans().size(), 1u);
}

TEST_F(UploadJournalTest, UnreadableEntriesAreSkipped) {
  std::string error;
  auto j = OpenLmdbUploadJournal(dir_, &error);
  ASSERT_TRUE(j) << error;
  ASSERT_TRUE(j->Begin("good", "k"));
  j.reset();
  // Write a garbage value next to it with LMDB directly.
  MDB_env* env = nullptr;
  ASSERT_EQ(mdb_env_create(&env), 0);
  mdb_env_set_maxdbs(env, 1);
  ASSERT_EQ(mdb_env_open(env, dir_.c_str(), 0, 0600), 0);
  MDB_txn* txn = nullptr;
  ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
  MDB_dbi dbi;
  ASSERT_EQ(mdb_dbi_open(txn, "uploads", 0, &dbi), 0);
  std::string key = "bad";
  std::string val = "1999999:x";
  MDB_val k{key.size(), key.data()};
  MDB_val v{val.size(), val.data()};
  ASSERT_EQ(mdb_put(txn, dbi, &k, &v, 0), 0);
  ASSERT_EQ(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
  j = OpenLmdbUploadJournal(dir_, &error);
  ASSERT_TRUE(j) << error;
  auto all = j->All();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].upload_id, "good");
}

TEST_F(UploadJournalTest, AnUnusableDirectoryIsAnErrorNotACrash) {
  std::string error;
  auto j = OpenLmdbUploadJournal("/proc/no-such-dir/uploads", &error);
  EXPECT_FALSE(j);
  EXPECT_FALSE(error.empty());
}

TEST(MemoryUploadJournal, OrphansFollowTheOwner) {
  auto live = MakeMemoryUploadJournal();
  live->Begin("a", "k");
  EXPECT_TRUE(live->Orphans().empty());
  auto dead = MakeMemoryUploadJournal("gone:1:1");
  dead->Begin("b", "k");
  ASSERT_EQ(dead->Orphans().size(), 1u);
  dead->End("b");
  EXPECT_TRUE(dead->All().empty());
}

}  // namespace
}  // namespace s3fs::meta
