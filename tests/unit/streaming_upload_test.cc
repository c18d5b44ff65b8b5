// StreamingUpload over a scripted MultipartSession: part layout, back-pressure per upload and
// across uploads, failure, completion and abort.
#include "s3fs/write/streaming_upload.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

namespace s3fs::write {
namespace {

using namespace std::chrono_literals;
constexpr uint64_t kMiB = 1ULL << 20;

// Events that outlive a session (for tests that destroy it).
struct Journal {
  void Add(std::string e) {
    std::lock_guard lock(mu);
    events.push_back(std::move(e));
  }
  std::vector<std::string> Events() {
    std::lock_guard lock(mu);
    return events;
  }
  std::mutex mu;
  std::vector<std::string> events;
};

// Records parts; acknowledges them at once (auto_ack) or when the test says so.
class ScriptedSession final : public MultipartSession {
 public:
  struct Part {
    uint32_t number;
    uint64_t offset;
    uint64_t len;
    PartDone done;
  };
  explicit ScriptedSession(bool auto_ack) : auto_ack_(auto_ack) {}
  const std::string& key() const override { return key_; }
  const std::string& upload_id() const override { return id_; }
  void UploadPartAsync(uint32_t number, int, uint64_t offset, uint64_t len,
                       PartDone done) override {
    std::unique_lock lock(mu);
    sent.push_back({number, offset, len, nullptr});
    if (auto_ack_) {
      lock.unlock();
      if (fail_part == number) {
        done(s3fs::Fail(s3::ValidationError("InternalError", "injected")));
      } else {
        done("\"e" + std::to_string(number) + "\"");
      }
      return;
    }
    sent.back().done = std::move(done);
    cv.notify_all();
  }
  void CopyPartAsync(uint32_t number, const std::string&, const std::string&, uint64_t offset,
                     uint64_t len, PartDone done) override {
    {
      std::lock_guard lock(mu);
      copies.push_back({number, offset, len, nullptr});
    }
    done("\"c" + std::to_string(number) + "\"");
  }
  s3::S3Result<std::string> Complete(const std::vector<s3::CompletedPart>& parts) override {
    std::lock_guard lock(mu);
    completed = parts;
    ++completes;
    if (fail_complete) return s3fs::Fail(s3::ValidationError("InternalError", "injected"));
    return std::string("\"final\"");
  }
  s3::S3Status Abort() override {
    std::lock_guard lock(mu);
    ++aborts;
    if (journal) journal->Add("abort");
    return {};
  }
  // Acknowledges part `i` (0-based in send order).
  void Ack(size_t i) {
    PartDone d;
    uint32_t n;
    {
      std::lock_guard lock(mu);
      d = std::move(sent[i].done);
      n = sent[i].number;
    }
    if (journal) journal->Add("ack " + std::to_string(n));
    d("\"e" + std::to_string(n) + "\"");
  }
  size_t Sent() {
    std::lock_guard lock(mu);
    return sent.size();
  }
  bool WaitSent(size_t n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, 5s, [&] { return sent.size() >= n; });
  }

  std::mutex mu;
  std::condition_variable cv;
  std::vector<Part> sent;
  std::vector<Part> copies;
  std::vector<s3::CompletedPart> completed;
  int completes = 0;
  int aborts = 0;
  uint32_t fail_part = 0;
  bool fail_complete = false;
  std::shared_ptr<Journal> journal;

 private:
  bool auto_ack_;
  std::string key_ = "big.bin";
  std::string id_ = "id-1";
};

StreamingOptions Opts(int in_flight = 4, std::shared_ptr<UploadSlots> slots = nullptr) {
  StreamingOptions o;
  o.part_size = 5 * kMiB;
  o.slack = 1 * kMiB;
  o.max_in_flight = in_flight;
  o.slots = std::move(slots);
  return o;
}

TEST(StreamingUploadTest, PartSizesDoubleEvery900PartsAndReach5TiB) {
  EXPECT_EQ(StreamingUpload::PartSize(1, 16 * kMiB), 16 * kMiB);
  EXPECT_EQ(StreamingUpload::PartSize(900, 16 * kMiB), 16 * kMiB);
  EXPECT_EQ(StreamingUpload::PartSize(901, 16 * kMiB), 32 * kMiB);
  EXPECT_EQ(StreamingUpload::PartSize(1801, 16 * kMiB), 64 * kMiB);
  EXPECT_EQ(StreamingUpload::PartSize(1, 1 * kMiB), 5 * kMiB);          // S3's minimum
  EXPECT_EQ(StreamingUpload::PartSize(10000, 5ULL << 30), 5ULL << 30);  // S3's maximum
  for (uint64_t base : {5 * kMiB, 10 * kMiB, 16 * kMiB}) {
    uint64_t total = 0;
    for (uint32_t n = 1; n <= 10000; ++n) total += StreamingUpload::PartSize(n, base);
    EXPECT_GE(total, 5ULL << 40) << "base " << base;
  }
}

TEST(StreamingUploadTest, ALowerPartLimitDoublesSoonerAndStillFitsLargeFiles) {
  // 50 parts (a service's lower limit): doubling every 4 parts.
  EXPECT_EQ(StreamingUpload::PartSize(4, 5 * kMiB, 50), 5 * kMiB);
  EXPECT_EQ(StreamingUpload::PartSize(5, 5 * kMiB, 50), 10 * kMiB);
  uint64_t total = 0;
  for (uint32_t n = 1; n <= 50; ++n) total += StreamingUpload::PartSize(n, 5 * kMiB, 50);
  EXPECT_GE(total, 5 * kMiB * 50 * 20);  // far beyond part_size x max_parts
}

TEST(StreamingUploadTest, NeverSendsMorePartsThanTheLimit) {
  auto session = std::make_unique<ScriptedSession>(true);
  auto* s = session.get();
  StreamingOptions o = Opts();
  o.max_parts = 10;
  StreamingUpload up(std::move(session), -1, o);
  // 10 parts of 5 MiB would hold 50 MiB; 120 MiB arrive.
  for (uint64_t end = kMiB; end <= 120 * kMiB; end += kMiB) ASSERT_TRUE(up.Advance(end));
  auto etag = up.Finish(120 * kMiB);
  ASSERT_TRUE(etag.ok());
  EXPECT_LE(s->completed.size(), 10u);
  uint64_t sum = 0;
  for (const auto& p : s->sent) sum += p.len;
  EXPECT_EQ(sum, 120 * kMiB);
}

TEST(StreamingUploadTest, SendsWholePartsBehindTheWriterAndTheRestAtFinish) {
  auto session = std::make_unique<ScriptedSession>(true);
  auto* s = session.get();
  StreamingUpload up(std::move(session), -1, Opts());
  EXPECT_TRUE(up.Advance(5 * kMiB));  // a full part, but not yet `slack` beyond it
  EXPECT_EQ(s->Sent(), 0u);
  EXPECT_TRUE(up.Advance(6 * kMiB));
  EXPECT_EQ(s->Sent(), 1u);
  EXPECT_EQ(up.committed(), 5 * kMiB);
  EXPECT_TRUE(up.Advance(23 * kMiB));
  EXPECT_EQ(s->Sent(), 4u);  // [0,5) [5,10) [10,15) [15,20)
  auto etag = up.Finish(23 * kMiB + 7);
  ASSERT_TRUE(etag.ok());
  EXPECT_EQ(*etag, "\"final\"");
  ASSERT_EQ(s->sent.size(), 5u);
  EXPECT_EQ(s->sent[4].offset, 20 * kMiB);
  EXPECT_EQ(s->sent[4].len, 3 * kMiB + 7);
  ASSERT_EQ(s->completed.size(), 5u);
  for (uint32_t i = 0; i < 5; ++i) {
    EXPECT_EQ(s->completed[i].part_number, i + 1);
    EXPECT_EQ(s->completed[i].etag, "\"e" + std::to_string(i + 1) + "\"");
  }
  EXPECT_EQ(s->aborts, 0);
}

TEST(StreamingUploadTest, FinishOnAPartBoundarySendsNoEmptyPart) {
  auto session = std::make_unique<ScriptedSession>(true);
  auto* s = session.get();
  StreamingUpload up(std::move(session), -1, Opts());
  EXPECT_TRUE(up.Advance(16 * kMiB));
  ASSERT_TRUE(up.Finish(15 * kMiB).ok());
  ASSERT_EQ(s->sent.size(), 3u);
  for (const auto& p : s->sent) EXPECT_EQ(p.len, 5 * kMiB);
}

TEST(StreamingUploadTest, WriterBlocksWhilePartsInFlightAreAtTheCap) {
  auto session = std::make_unique<ScriptedSession>(false);
  auto* s = session.get();
  StreamingUpload up(std::move(session), -1, Opts(2));
  std::atomic<bool> returned{false};
  std::thread writer([&] {
    EXPECT_TRUE(up.Advance(21 * kMiB));  // wants 4 parts
    returned = true;
  });
  ASSERT_TRUE(s->WaitSent(2));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(s->Sent(), 2u);
  EXPECT_FALSE(returned);
  s->Ack(0);
  ASSERT_TRUE(s->WaitSent(3));
  s->Ack(1);
  ASSERT_TRUE(s->WaitSent(4));
  writer.join();
  EXPECT_TRUE(returned);
  s->Ack(2);
  s->Ack(3);
  std::thread finisher([&] { EXPECT_TRUE(up.Finish(21 * kMiB).ok()); });
  ASSERT_TRUE(s->WaitSent(5));
  s->Ack(4);
  finisher.join();
  EXPECT_EQ(s->completes, 1);
}

TEST(StreamingUploadTest, SharedSlotsLimitPartsAcrossUploads) {
  auto slots = std::make_shared<UploadSlots>(1);
  auto a_session = std::make_unique<ScriptedSession>(false);
  auto b_session = std::make_unique<ScriptedSession>(false);
  auto* a = a_session.get();
  auto* b = b_session.get();
  StreamingUpload ua(std::move(a_session), -1, Opts(4, slots));
  StreamingUpload ub(std::move(b_session), -1, Opts(4, slots));
  EXPECT_TRUE(ua.Advance(6 * kMiB));  // takes the only slot
  EXPECT_EQ(slots->free(), 0);
  std::atomic<bool> b_returned{false};
  std::thread tb([&] {
    EXPECT_TRUE(ub.Advance(6 * kMiB));
    b_returned = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(b->Sent(), 0u);
  EXPECT_FALSE(b_returned);
  a->Ack(0);
  ASSERT_TRUE(b->WaitSent(1));
  tb.join();
  b->Ack(0);
  EXPECT_EQ(slots->free(), 1);
  ua.Abort();
  ub.Abort();
}

TEST(StreamingUploadTest, AFailedPartStopsTheUploadAndFinishAborts) {
  auto session = std::make_unique<ScriptedSession>(true);
  auto* s = session.get();
  s->fail_part = 2;
  StreamingUpload up(std::move(session), -1, Opts());
  EXPECT_FALSE(up.Advance(20 * kMiB));
  EXPECT_FALSE(up.Advance(30 * kMiB));
  auto r = up.Finish(30 * kMiB);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, "InternalError");
  EXPECT_EQ(s->completes, 0);
  EXPECT_EQ(s->aborts, 1);
  up.Abort();  // idempotent
  EXPECT_EQ(s->aborts, 1);
}

TEST(StreamingUploadTest, AFailedCompleteAborts) {
  auto session = std::make_unique<ScriptedSession>(true);
  auto* s = session.get();
  s->fail_complete = true;
  StreamingUpload up(std::move(session), -1, Opts());
  EXPECT_TRUE(up.Advance(12 * kMiB));
  EXPECT_FALSE(up.Finish(12 * kMiB).ok());
  EXPECT_EQ(s->completes, 1);
  EXPECT_EQ(s->aborts, 1);
}

TEST(StreamingUploadTest, DestroyingAnUnfinishedUploadWaitsForPartsThenAborts) {
  auto journal = std::make_shared<Journal>();
  auto session = std::make_unique<ScriptedSession>(false);
  auto* s = session.get();
  s->journal = journal;
  std::thread acker;
  {
    StreamingUpload up(std::move(session), -1, Opts());
    EXPECT_TRUE(up.Advance(6 * kMiB));
    ASSERT_TRUE(s->WaitSent(1));
    acker = std::thread([s] {
      std::this_thread::sleep_for(30ms);
      s->Ack(0);
    });
  }
  acker.join();
  // The destructor waited for the part in flight (acknowledged 30 ms later) before aborting:
  // a callback after destruction would touch a destroyed object.
  auto events = journal->Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], "ack 1");
  EXPECT_EQ(events[1], "abort");
}

}  // namespace
}  // namespace s3fs::write
