// The durable journal: encoding, group commit, torn tails, corruption, replay, kill -9.
#include "store/journal.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>

#include "store/test_util.h"

namespace tandem::store {
namespace {

using test::sampleCdr;
using test::sampleLocation;
using test::TempDir;

std::vector<WriteOp> everyKind() {
  return {PutLocation{sampleLocation("r1", "alice", "example.com")}, DeleteLocation{"r0"},
          DeleteAor{"bob", "example.com"}, InsertCdr{sampleCdr("u-1")}};
}

off_t fileSize(const std::string& path) {
  struct stat st {};
  stat(path.c_str(), &st);
  return st.st_size;
}

void appendBytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::app);
  f << bytes;
}

TEST(Journal, Crc32cKnownVector) { EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u); }

TEST(Journal, NewFileIsEmpty) {
  TempDir dir;
  auto j = Journal::open(dir.file("j"));
  ASSERT_TRUE(j) << j.message();
  EXPECT_EQ((*j)->pending(), 0u);
  EXPECT_EQ(fileSize(dir.file("j")), 8);
  auto recs = (*j)->records();
  ASSERT_TRUE(recs);
  EXPECT_TRUE(recs->empty());
}

TEST(Journal, RecordsRoundTripEveryKindAcrossReopen) {
  TempDir dir;
  {
    auto j = Journal::open(dir.file("j"));
    ASSERT_TRUE(j);
    ASSERT_TRUE((*j)->append(everyKind()));
  }
  auto j = Journal::open(dir.file("j"));
  ASSERT_TRUE(j) << j.message();
  EXPECT_EQ((*j)->pending(), 4u);
  auto recs = (*j)->records();
  ASSERT_TRUE(recs);
  ASSERT_EQ(recs->size(), 4u);
  const Location& l = std::get<PutLocation>((*recs)[0]).location;
  Location want = sampleLocation("r1", "alice", "example.com");
  EXPECT_EQ(l.ruid, want.ruid);
  EXPECT_EQ(l.contact, want.contact);
  EXPECT_EQ(l.path, want.path);
  EXPECT_EQ(l.expires, want.expires);
  EXPECT_DOUBLE_EQ(l.q, want.q);
  EXPECT_EQ(l.methods, want.methods);
  EXPECT_EQ(l.instance, want.instance);
  EXPECT_EQ(l.keepalive, want.keepalive);
  EXPECT_EQ(std::get<DeleteLocation>((*recs)[1]).ruid, "r0");
  EXPECT_EQ(std::get<DeleteAor>((*recs)[2]).username, "bob");
  EXPECT_EQ(std::get<DeleteAor>((*recs)[2]).domain, "example.com");
  const Cdr& c = std::get<InsertCdr>((*recs)[3]).cdr;
  EXPECT_EQ(c.uuid, "u-1");
  EXPECT_DOUBLE_EQ(c.duration, 62.5);
  EXPECT_EQ(c.disposition, "ANSWERED");
}

TEST(Journal, GroupCommitAppendsABatchAtOnce) {
  TempDir dir;
  auto j = Journal::open(dir.file("j"));
  ASSERT_TRUE(j);
  std::vector<WriteOp> batch;
  batch.reserve(100);
  for (int i = 0; i < 100; ++i) {
    batch.push_back(PutLocation{sampleLocation("r" + std::to_string(i), "u", "example.com")});
  }
  ASSERT_TRUE((*j)->append(batch));
  ASSERT_TRUE((*j)->appendOne(DeleteLocation{"r5"}));
  EXPECT_EQ((*j)->pending(), 101u);
}

TEST(Journal, TornTailIsCutOnOpen) {
  TempDir dir;
  {
    auto j = Journal::open(dir.file("j"));
    ASSERT_TRUE((*j)->append(everyKind()));
  }
  off_t good = fileSize(dir.file("j"));
  // A crash in the middle of the next append: a length and CRC, then half a payload.
  appendBytes(dir.file("j"), std::string("\x40\x00\x00\x00\x01\x02\x03\x04\x01partial", 16));
  auto j = Journal::open(dir.file("j"));
  ASSERT_TRUE(j) << j.message();
  EXPECT_EQ((*j)->pending(), 4u);
  EXPECT_EQ((*j)->droppedTailBytes(), 16u);
  EXPECT_EQ(fileSize(dir.file("j")), good);
  // Appending after the cut works and keeps everything readable.
  ASSERT_TRUE((*j)->appendOne(DeleteLocation{"x"}));
  auto recs = (*j)->records();
  ASSERT_TRUE(recs);
  EXPECT_EQ(recs->size(), 5u);
}

TEST(Journal, CorruptRecordEndsTheReadableLog) {
  TempDir dir;
  {
    auto j = Journal::open(dir.file("j"));
    ASSERT_TRUE((*j)->appendOne(DeleteLocation{"first"}));
    ASSERT_TRUE((*j)->appendOne(DeleteLocation{"second"}));
  }
  // Flip a payload byte of the second record: its CRC no longer matches.
  off_t size = fileSize(dir.file("j"));
  int fd = ::open(dir.file("j").c_str(), O_RDWR);
  char c = 'X';
  ASSERT_EQ(pwrite(fd, &c, 1, size - 2), 1);
  ::close(fd);
  auto j = Journal::open(dir.file("j"));
  ASSERT_TRUE(j);
  EXPECT_EQ((*j)->pending(), 1u);
  EXPECT_GT((*j)->droppedTailBytes(), 0u);
}

TEST(Journal, TornHeaderIsRewritten) {
  TempDir dir;
  appendBytes(dir.file("j"), "TDMJ");  // crashed while creating the file
  auto j = Journal::open(dir.file("j"));
  ASSERT_TRUE(j) << j.message();
  EXPECT_EQ((*j)->pending(), 0u);
  ASSERT_TRUE((*j)->appendOne(DeleteLocation{"x"}));
  EXPECT_EQ((*j)->pending(), 1u);
}

TEST(Journal, ForeignFileIsRefused) {
  TempDir dir;
  appendBytes(dir.file("j"), "SQLite format 3");
  auto j = Journal::open(dir.file("j"));
  ASSERT_FALSE(j);
  EXPECT_EQ(j.message(), dir.file("j") + " is not a tandem journal");
}

TEST(Journal, MissingDirectoryIsAnError) {
  auto j = Journal::open("/nonexistent-tandem-dir/journal");
  ASSERT_FALSE(j);
  EXPECT_EQ(j.message(),
            "cannot open journal /nonexistent-tandem-dir/journal: No such file or directory");
}

class JournalReplay : public test::BackendTest {};

TEST_P(JournalReplay, AppliesInOrderThenTruncates) {
  TempDir dir;
  auto j = Journal::open(dir.file("j"));
  ASSERT_TRUE(j);
  ASSERT_TRUE(store_->putLocation(sampleLocation("r0", "carol", "example.com")));
  std::vector<WriteOp> ops = everyKind();
  ops.push_back(PutLocation{sampleLocation("r2", "alice", "example.com")});
  ops.push_back(DeleteLocation{"r2"});  // order matters: put then delete leaves nothing
  ASSERT_TRUE((*j)->append(ops));
  auto r = (*j)->replay(*store_, 2);  // several transactions
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(r->applied, 6u);
  EXPECT_EQ(r->skipped, 0u);
  EXPECT_EQ((*j)->pending(), 0u);
  EXPECT_EQ(fileSize(dir.file("j")), 8);
  auto locs = store_->listAllLocations();
  ASSERT_TRUE(locs);
  ASSERT_EQ(locs->size(), 1u);
  EXPECT_EQ((*locs)[0].ruid, "r1");
  auto cdrs = store_->listCdrs(0, 10);
  ASSERT_TRUE(cdrs);
  EXPECT_EQ(cdrs->size(), 1u);
}

TEST_P(JournalReplay, ReplayingTwiceIsHarmless) {
  TempDir dir;
  auto j = Journal::open(dir.file("j"));
  ASSERT_TRUE((*j)->append(everyKind()));
  auto copy = (*j)->records();
  ASSERT_TRUE((*j)->replay(*store_));
  ASSERT_TRUE((*j)->append(*copy));  // e.g. a crash after the commit, before the truncate
  ASSERT_TRUE((*j)->replay(*store_));
  auto locs = store_->listAllLocations();
  ASSERT_TRUE(locs);
  EXPECT_EQ(locs->size(), 1u);
  auto cdrs = store_->listCdrs(0, 10);
  ASSERT_TRUE(cdrs);
  EXPECT_EQ(cdrs->size(), 1u);
}

TEST_P(JournalReplay, RejectedRecordIsSkippedNotBlocking) {
  TempDir dir;
  auto j = Journal::open(dir.file("j"));
  ASSERT_TRUE((*j)->appendOne(InsertCdr{sampleCdr("")}));  // no uuid: the store refuses it
  ASSERT_TRUE((*j)->appendOne(PutLocation{sampleLocation("r1", "alice", "example.com")}));
  auto r = (*j)->replay(*store_);
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(r->applied, 1u);
  EXPECT_EQ(r->skipped, 1u);
  EXPECT_EQ((*j)->pending(), 0u);
}

TEST_P(JournalReplay, UnavailableStoreKeepsEveryRecord) {
  TempDir dir;
  auto down = std::make_shared<std::atomic<bool>>(false);
  auto flaky = db_->openFlaky(down);
  ASSERT_TRUE(flaky->migrate());
  auto j = Journal::open(dir.file("j"));
  ASSERT_TRUE((*j)->append(everyKind()));
  *down = true;
  auto r = (*j)->replay(*flaky);
  ASSERT_FALSE(r);
  EXPECT_TRUE(isUnavailable(r.status())) << r.message();
  EXPECT_EQ((*j)->pending(), 4u);
  *down = false;
  auto again = (*j)->replay(*flaky);
  ASSERT_TRUE(again) << again.message();
  EXPECT_EQ(again->applied, 4u);
  EXPECT_EQ((*j)->pending(), 0u);
}

TANDEM_ALL_BACKENDS(JournalReplay);

// A process appends bindings and is killed with SIGKILL (no close, no destructor): every
// acknowledged append is found by the next process and replayed into the database.
TEST(JournalCrash, SurvivesKill9) {
  TempDir dir;
  std::string path = dir.file("bindings.journal");
  int acked[2];
  ASSERT_EQ(pipe(acked), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(acked[0]);
    auto j = Journal::open(path);
    if (!j) _exit(2);
    Journal* journal = j->release();  // never destroyed: the kill comes first
    for (int i = 0; i < 200; ++i) {
      std::vector<WriteOp> batch;
      for (int k = 0; k < 5; ++k) {
        int n = i * 5 + k;
        batch.push_back(PutLocation{sampleLocation("ruid-" + std::to_string(n),
                                                   "user" + std::to_string(n), "example.com")});
      }
      if (!journal->append(batch)) _exit(3);
      int done = (i + 1) * 5;
      if (write(acked[1], &done, sizeof(done)) != sizeof(done)) _exit(4);
    }
    raise(SIGKILL);
    _exit(5);
  }
  close(acked[1]);
  int last = 0;
  int n;
  while (read(acked[0], &n, sizeof(n)) == sizeof(n)) last = n;
  close(acked[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  ASSERT_EQ(last, 1000);

  auto j = Journal::open(path);
  ASSERT_TRUE(j) << j.message();
  EXPECT_EQ((*j)->pending(), 1000u);
  auto store = openStore("sqlite://" + dir.file("tandem.db"));
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->migrate());
  auto r = (*j)->replay(**store);
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(r->applied, 1000u);
  auto all = (*store)->listAllLocations();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 1000u);
  EXPECT_EQ((*j)->pending(), 0u);
}

}  // namespace
}  // namespace tandem::store
