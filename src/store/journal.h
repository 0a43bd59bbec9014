// A durable local journal of writes (bindings, CDRs) for the time the database cannot be reached:
// append() returns only after the records are on disk (fdatasync), so a 200 OK sent after it
// survives kill -9 and power loss; replay() applies them to the store once it is back, then
// truncates the file. Records are idempotent writes (see WriteOp), so replaying twice is safe.
//
// File format: the 8-byte magic "TDMJRNL1", then records of [u32 length][u32 CRC-32C][payload],
// little-endian. A torn record at the tail (a crash mid-append) is cut off when the file is
// opened; everything before it is kept.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace tandem::store {

class Journal {
 public:
  // Opens or creates the journal at path (its directory must exist). Error when the file is not
  // a journal, or on I/O failure. The caller owns the result.
  static Result<std::unique_ptr<Journal>> open(const std::string& path);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Appends ops with one write and one fdatasync (group commit): when it returns ok, every one of
  // them is durable. On error none of them is in the file. Thread-safe.
  Status append(std::span<const WriteOp> ops);
  Status appendOne(const WriteOp& op) { return append(std::span<const WriteOp>(&op, 1)); }

  // Records in the file, in append order. Thread-safe.
  size_t pending() const;
  Result<std::vector<WriteOp>> records() const;

  struct ReplayResult {
    size_t applied = 0;
    size_t skipped = 0;  // rejected by the database for good (not unavailability): dropped
  };
  // Applies every record to store, in order, in transactions of up to batch records (each record
  // under a savepoint so one bad record does not block the others), then truncates the file.
  // On an error (e.g. the store became unavailable) nothing is truncated: a later replay applies
  // everything again, which is harmless. Blocks appenders meanwhile. Thread-safe.
  // REQUIRES: no transaction open on store; not on an event-loop thread.
  Result<ReplayResult> replay(Store& store, size_t batch = 500);

  const std::string& path() const { return path_; }
  // Bytes of a torn tail cut off when the file was opened.
  uint64_t droppedTailBytes() const { return droppedTail_; }

 private:
  Journal(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  Status scan();  // at open: count records, cut a torn tail
  Result<std::vector<WriteOp>> readLocked() const;

  const std::string path_;
  int fd_;
  mutable std::mutex mu_;
  size_t count_ = 0;
  uint64_t size_ = 0;  // bytes of valid content (magic + whole records)
  uint64_t droppedTail_ = 0;
};

// CRC-32C (Castagnoli) of data, exposed for tests.
uint32_t crc32c(const void* data, size_t size);

}  // namespace tandem::store
