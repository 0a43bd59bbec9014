// The journal's file handling and the binary encoding of WriteOp records.
#include "store/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <bit>
#include <cerrno>
#include <cstring>

namespace tandem::store {

namespace {

constexpr char kMagic[8] = {'T', 'D', 'M', 'J', 'R', 'N', 'L', '1'};
constexpr size_t kHeader = 8;  // length + CRC
constexpr uint32_t kMaxRecord = 1 << 20;

enum OpType : uint8_t { kPut = 1, kDelete = 2, kDeleteAor = 3, kCdr = 4 };

std::array<uint32_t, 256> makeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    table[i] = c;
  }
  return table;
}

std::string errnoText(std::string_view what, const std::string& path) {
  return std::string(what) + " " + path + ": " + std::strerror(errno);
}

// ---- encoding ----

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void u8(uint8_t v) { out_ += static_cast<char>(v); }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) out_ += static_cast<char>((v >> (8 * i)) & 0xff);
  }
  void i64(int64_t v) {
    auto u = static_cast<uint64_t>(v);
    for (int i = 0; i < 8; ++i) out_ += static_cast<char>((u >> (8 * i)) & 0xff);
  }
  void f64(double v) { i64(std::bit_cast<int64_t>(v)); }
  void str(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    out_ += s;
  }

 private:
  std::string& out_;
};

class Reader {
 public:
  Reader(const char* p, size_t n) : p_(p), n_(n) {}
  bool u8(uint8_t& v) {
    if (n_ < 1) return false;
    v = static_cast<uint8_t>(*p_);
    ++p_;
    --n_;
    return true;
  }
  bool u32(uint32_t& v) {
    if (n_ < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p_[i])) << (8 * i);
    p_ += 4;
    n_ -= 4;
    return true;
  }
  bool i64(int64_t& v) {
    if (n_ < 8) return false;
    uint64_t u = 0;
    for (int i = 0; i < 8; ++i) u |= static_cast<uint64_t>(static_cast<uint8_t>(p_[i])) << (8 * i);
    v = static_cast<int64_t>(u);
    p_ += 8;
    n_ -= 8;
    return true;
  }
  bool f64(double& v) {
    int64_t bits;
    if (!i64(bits)) return false;
    v = std::bit_cast<double>(bits);
    return true;
  }
  bool str(std::string& s) {
    uint32_t len;
    if (!u32(len) || n_ < len) return false;
    s.assign(p_, len);
    p_ += len;
    n_ -= len;
    return true;
  }
  bool done() const { return n_ == 0; }

 private:
  const char* p_;
  size_t n_;
};

void encode(const WriteOp& op, std::string& out) {
  Writer w(out);
  if (auto* put = std::get_if<PutLocation>(&op)) {
    const Location& l = put->location;
    w.u8(kPut);
    w.str(l.ruid);
    w.str(l.username);
    w.str(l.domain);
    w.str(l.contact);
    w.str(l.received);
    w.str(l.path);
    w.i64(l.expires);
    w.f64(l.q);
    w.str(l.callid);
    w.i64(l.cseq);
    w.i64(l.lastModified);
    w.i64(l.flags);
    w.i64(l.cflags);
    w.str(l.userAgent);
    w.str(l.socket);
    w.i64(l.methods);
    w.str(l.instance);
    w.i64(l.regId);
    w.i64(l.serverId);
    w.i64(l.keepalive);
  } else if (auto* del = std::get_if<DeleteLocation>(&op)) {
    w.u8(kDelete);
    w.str(del->ruid);
  } else if (auto* aor = std::get_if<DeleteAor>(&op)) {
    w.u8(kDeleteAor);
    w.str(aor->username);
    w.str(aor->domain);
  } else {
    const Cdr& c = std::get<InsertCdr>(op).cdr;
    w.u8(kCdr);
    w.str(c.uuid);
    w.str(c.callid);
    w.str(c.fromTag);
    w.str(c.toTag);
    w.str(c.srcUser);
    w.str(c.srcDomain);
    w.str(c.srcIp);
    w.str(c.dstUser);
    w.str(c.dstDomain);
    w.str(c.destination);
    w.i64(c.setid);
    w.i64(c.startTime);
    w.i64(c.answerTime);
    w.i64(c.endTime);
    w.f64(c.duration);
    w.f64(c.billsec);
    w.i64(c.sipCode);
    w.str(c.sipReason);
    w.str(c.disposition);
  }
}

bool decode(const char* p, size_t n, WriteOp& op) {
  Reader r(p, n);
  uint8_t type;
  if (!r.u8(type)) return false;
  bool ok = false;
  switch (type) {
    case kPut: {
      Location l;
      ok = r.str(l.ruid) && r.str(l.username) && r.str(l.domain) && r.str(l.contact) &&
           r.str(l.received) && r.str(l.path) && r.i64(l.expires) && r.f64(l.q) &&
           r.str(l.callid) && r.i64(l.cseq) && r.i64(l.lastModified) && r.i64(l.flags) &&
           r.i64(l.cflags) && r.str(l.userAgent) && r.str(l.socket) && r.i64(l.methods) &&
           r.str(l.instance) && r.i64(l.regId) && r.i64(l.serverId) && r.i64(l.keepalive);
      op = PutLocation{std::move(l)};
      break;
    }
    case kDelete: {
      DeleteLocation d;
      ok = r.str(d.ruid);
      op = std::move(d);
      break;
    }
    case kDeleteAor: {
      DeleteAor d;
      ok = r.str(d.username) && r.str(d.domain);
      op = std::move(d);
      break;
    }
    case kCdr: {
      Cdr c;
      ok = r.str(c.uuid) && r.str(c.callid) && r.str(c.fromTag) && r.str(c.toTag) &&
           r.str(c.srcUser) && r.str(c.srcDomain) && r.str(c.srcIp) && r.str(c.dstUser) &&
           r.str(c.dstDomain) && r.str(c.destination) && r.i64(c.setid) && r.i64(c.startTime) &&
           r.i64(c.answerTime) && r.i64(c.endTime) && r.f64(c.duration) && r.f64(c.billsec) &&
           r.i64(c.sipCode) && r.str(c.sipReason) && r.str(c.disposition);
      op = InsertCdr{std::move(c)};
      break;
    }
    default:
      return false;
  }
  return ok && r.done();
}

uint32_t readU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

bool writeAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool readFile(int fd, std::string& out) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return false;
  out.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < out.size()) {
    ssize_t r = pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  out.resize(done);
  return true;
}

// Walks the records of a journal image. Returns the offset after the last whole, valid record.
template <typename F>
size_t walk(const std::string& image, F onRecord) {
  size_t off = sizeof(kMagic);
  while (image.size() - off >= kHeader) {
    uint32_t len = readU32(image.data() + off);
    uint32_t crc = readU32(image.data() + off + 4);
    if (len == 0 || len > kMaxRecord || image.size() - off - kHeader < len) break;
    const char* payload = image.data() + off + kHeader;
    if (crc32c(payload, len) != crc) break;
    WriteOp op;
    if (!decode(payload, len, op)) break;
    onRecord(std::move(op));
    off += kHeader + len;
  }
  return off;
}

}  // namespace

uint32_t crc32c(const void* data, size_t size) {
  static const std::array<uint32_t, 256> table = makeCrcTable();
  uint32_t c = 0xFFFFFFFFu;
  const auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

Result<std::unique_ptr<Journal>> Journal::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0)
    return Result<std::unique_ptr<Journal>>::error(errnoText("cannot open journal", path));
  std::unique_ptr<Journal> j(new Journal(path, fd));
  if (Status s = j->scan(); !s) return s;
  return j;
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

Status Journal::scan() {
  std::string image;
  if (!readFile(fd_, image)) return Status::error(errnoText("cannot read journal", path_));
  bool fresh = image.size() < sizeof(kMagic) &&
               std::memcmp(image.data(), kMagic, image.size()) == 0;  // new, or torn at creation
  if (fresh) {
    if (ftruncate(fd_, 0) != 0 || !writeAll(fd_, kMagic, sizeof(kMagic)) || fdatasync(fd_) != 0) {
      return Status::error(errnoText("cannot initialise journal", path_));
    }
    // Make the new directory entry durable too.
    std::string dir = path_.substr(0, path_.find_last_of('/') + 1);
    int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      fsync(dfd);
      ::close(dfd);
    }
    size_ = sizeof(kMagic);
    return Status::ok();
  }
  if (image.size() < sizeof(kMagic) || std::memcmp(image.data(), kMagic, sizeof(kMagic)) != 0) {
    return Status::error(path_ + " is not a tandem journal");
  }
  size_t valid = walk(image, [this](WriteOp&&) { ++count_; });
  if (valid < image.size()) {
    droppedTail_ = image.size() - valid;
    if (ftruncate(fd_, static_cast<off_t>(valid)) != 0 || fdatasync(fd_) != 0) {
      return Status::error(errnoText("cannot cut the torn tail of journal", path_));
    }
  }
  size_ = valid;
  return Status::ok();
}

Status Journal::append(std::span<const WriteOp> ops) {
  if (ops.empty()) return Status::ok();
  std::string buf;
  for (const WriteOp& op : ops) {
    size_t at = buf.size();
    buf.append(kHeader, '\0');
    encode(op, buf);
    size_t len = buf.size() - at - kHeader;
    if (len > kMaxRecord) return Status::error("journal record too large");
    uint32_t crc = crc32c(buf.data() + at + kHeader, len);
    for (int i = 0; i < 4; ++i) {
      buf[at + static_cast<size_t>(i)] = static_cast<char>((len >> (8 * i)) & 0xff);
      buf[at + 4 + static_cast<size_t>(i)] = static_cast<char>((crc >> (8 * i)) & 0xff);
    }
  }
  std::lock_guard lock(mu_);
  if (!writeAll(fd_, buf.data(), buf.size()) || fdatasync(fd_) != 0) {
    std::string msg = errnoText("cannot write journal", path_);
    // Leave no partial batch behind: the caller is told none of it is durable.
    if (ftruncate(fd_, static_cast<off_t>(size_)) == 0) fdatasync(fd_);
    return Status::error(msg);
  }
  size_ += buf.size();
  count_ += ops.size();
  return Status::ok();
}

size_t Journal::pending() const {
  std::lock_guard lock(mu_);
  return count_;
}

Result<std::vector<WriteOp>> Journal::records() const {
  std::lock_guard lock(mu_);
  return readLocked();
}

Result<std::vector<WriteOp>> Journal::readLocked() const {
  std::string image;
  if (!readFile(fd_, image)) {
    return Result<std::vector<WriteOp>>::error(errnoText("cannot read journal", path_));
  }
  image.resize(std::min<size_t>(image.size(), size_));
  std::vector<WriteOp> ops;
  ops.reserve(count_);
  walk(image, [&ops](WriteOp&& op) { ops.push_back(std::move(op)); });
  return ops;
}

Result<Journal::ReplayResult> Journal::replay(Store& store, size_t batch) {
  std::lock_guard lock(mu_);
  ReplayResult result;
  if (count_ == 0) return result;
  auto ops = readLocked();
  if (!ops) return ops.status();
  if (batch == 0) batch = 1;
  for (size_t start = 0; start < ops->size(); start += batch) {
    size_t end = std::min(ops->size(), start + batch);
    if (Status s = store.begin(); !s) return s;
    ReplayResult part;
    for (size_t i = start; i < end; ++i) {
      Status s = store.savepoint();
      if (s) s = applyWrite(store, (*ops)[i]);
      if (s) {
        s = store.releaseSavepoint();
        if (s) {
          ++part.applied;
          continue;
        }
      }
      if (isUnavailable(s)) {
        store.rollback();
        return s;
      }
      // Permanently rejected (e.g. a record the schema no longer accepts): drop it.
      if (Status r = store.rollbackToSavepoint(); !r) {
        store.rollback();
        return r;
      }
      ++part.skipped;
    }
    if (Status s = store.commit(); !s) return s;
    result.applied += part.applied;
    result.skipped += part.skipped;
  }
  if (ftruncate(fd_, static_cast<off_t>(sizeof(kMagic))) != 0 || fdatasync(fd_) != 0) {
    return Status::error(errnoText("cannot truncate journal", path_));
  }
  size_ = sizeof(kMagic);
  count_ = 0;
  return result;
}

}  // namespace tandem::store
