// The editor records edits per header line and per insertion point, then serialize() walks the
// original header lines once, coalescing untouched neighbours into single copies.
#include "sip/serializer.h"

#include <algorithm>
#include <charconv>

#include "sip/chars.h"

namespace tandem::sip {
namespace {

constexpr std::string_view kCrlf = "\r\n";

size_t offsetOf(std::string_view buf, std::string_view part) {
  return static_cast<size_t>(part.data() - buf.data());
}

void appendNumber(uint64_t v, std::string& out) {
  char tmp[24];
  auto r = std::to_chars(tmp, tmp + sizeof(tmp), v);
  out.append(tmp, static_cast<size_t>(r.ptr - tmp));
}

void appendHeader(std::string_view name, std::string_view value, std::string& out) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append(kCrlf);
}

// Copies [begin, end) of buf lazily so that adjacent ranges become one append.
class Copier {
 public:
  Copier(std::string_view buf, std::string& out) : buf_(buf), out_(out) {}
  void copy(size_t begin, size_t end) {
    end = std::min(end, buf_.size());
    if (begin >= end) return;
    if (begin == end_) {
      end_ = end;
      return;
    }
    flush();
    begin_ = begin;
    end_ = end;
  }
  void flush() {
    if (end_ > begin_) out_.append(buf_.data() + begin_, end_ - begin_);
    begin_ = end_ = 0;
  }
  std::string& out() {
    flush();
    return out_;
  }

 private:
  std::string_view buf_;
  std::string& out_;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// MessageEditor

MessageEditor::MessageEditor() {
  lines_.reserve(32);
  inserts_.reserve(8);
}

void MessageEditor::reset(const Message& msg) {
  msg_ = &msg;
  lines_.assign(msg.headers().size(), LineEdit{});
  inserts_.clear();
  viasRemoved_ = 0;
  routesRemoved_ = 0;
  requestUri_ = {};
  hasRequestUri_ = false;
  body_ = {};
  hasBody_ = false;
  maxForwards_ = 0;
}

bool MessageEditor::insert(size_t before, bool prepend, std::string_view name,
                           std::string_view value, bool maxForwards) {
  if (inserts_.size() >= kMaxInserts) return false;
  inserts_.push_back(Insert{before, prepend, maxForwards, name, value});
  return true;
}

bool MessageEditor::prependVia(std::string_view value) {
  if (msg_ == nullptr) return false;
  const HeaderField* h = msg_->header(HeaderId::kVia);
  size_t before = h ? static_cast<size_t>(h - msg_->headers().data()) : 0;
  return insert(before, true, "Via", value);
}

void MessageEditor::removeListValue(uint16_t line, bool lastOnLine, size_t nextStart) {
  if (line >= lines_.size()) return;
  LineEdit& e = lines_[line];
  if (lastOnLine) {
    e.kind = LineKind::kRemove;
  } else if (e.kind == LineKind::kKeep || e.kind == LineKind::kCut) {
    e.kind = LineKind::kCut;
    e.cut = nextStart;
  }
}

bool MessageEditor::removeTopVia() {
  if (msg_ == nullptr) return false;
  std::span<const Via> vias = msg_->vias();
  if (viasRemoved_ >= vias.size()) return false;
  size_t k = viasRemoved_++;
  bool last = k + 1 == vias.size() || vias[k + 1].line != vias[k].line;
  size_t next = last ? 0 : offsetOf(msg_->buffer(), vias[k + 1].text);
  removeListValue(vias[k].line, last, next);
  return true;
}

bool MessageEditor::removeTopRoute() {
  if (msg_ == nullptr) return false;
  std::span<const NameAddr> routes = msg_->routes();
  if (routesRemoved_ >= routes.size()) return false;
  size_t k = routesRemoved_++;
  bool last = k + 1 == routes.size() || routes[k + 1].line != routes[k].line;
  size_t next = last ? 0 : offsetOf(msg_->buffer(), routes[k + 1].text);
  removeListValue(routes[k].line, last, next);
  return true;
}

bool MessageEditor::setRequestUri(std::string_view uri) {
  if (msg_ == nullptr || !msg_->isRequest() || msg_->requestUriText().empty()) return false;
  requestUri_ = uri;
  hasRequestUri_ = true;
  return true;
}

bool MessageEditor::setMaxForwards(uint32_t value) {
  if (msg_ == nullptr) return false;
  maxForwards_ = value;
  bool found = false;
  std::span<const HeaderField> hs = msg_->headers();
  for (size_t i = 0; i < lineCount(); ++i) {
    if (hs[i].id != HeaderId::kMaxForwards) continue;
    lines_[i].kind = found ? LineKind::kRemove : LineKind::kMaxForwards;
    found = true;
  }
  if (found) return true;
  return insert(kAtEnd, false, "Max-Forwards", {}, true);
}

bool MessageEditor::prependRecordRoute(std::string_view value) {
  if (msg_ == nullptr) return false;
  const HeaderField* h = msg_->header(HeaderId::kRecordRoute);
  size_t before = 0;
  if (h) {
    before = static_cast<size_t>(h - msg_->headers().data());
  } else if (!msg_->vias().empty()) {
    before = static_cast<size_t>(msg_->vias().back().line) + 1;
  }
  return insert(before, true, "Record-Route", value);
}

size_t MessageEditor::lineCount() const {
  // Equal unless the message was re-parsed behind the editor's back; stay in bounds regardless.
  return std::min(lines_.size(), msg_->headers().size());
}

bool MessageEditor::matchesName(size_t line, HeaderId id, std::string_view name) const {
  const HeaderField& h = msg_->headers()[line];
  if (id != HeaderId::kUnknown) return h.id == id;
  return h.id == HeaderId::kUnknown && detail::iequals(h.name, name);
}

bool MessageEditor::setHeader(std::string_view name, std::string_view value) {
  if (msg_ == nullptr) return false;
  HeaderId id = headerIdFromName(name);
  if (id == HeaderId::kContentLength) return false;
  bool found = false;
  for (size_t i = 0; i < lineCount(); ++i) {
    if (!matchesName(i, id, name)) continue;
    lines_[i] = found ? LineEdit{LineKind::kRemove, 0, {}} : LineEdit{LineKind::kReplace, 0, value};
    found = true;
  }
  return found || insert(kAtEnd, false, name, value);
}

bool MessageEditor::addHeader(std::string_view name, std::string_view value) {
  if (msg_ == nullptr || headerIdFromName(name) == HeaderId::kContentLength) return false;
  return insert(kAtEnd, false, name, value);
}

bool MessageEditor::removeHeader(std::string_view name) {
  if (msg_ == nullptr) return false;
  HeaderId id = headerIdFromName(name);
  if (id == HeaderId::kContentLength) return false;
  bool found = false;
  for (size_t i = 0; i < lineCount(); ++i) {
    if (!matchesName(i, id, name)) continue;
    lines_[i].kind = LineKind::kRemove;
    found = true;
  }
  return found;
}

void MessageEditor::setBody(std::string_view body) {
  body_ = body;
  hasBody_ = true;
}

void MessageEditor::emitInsert(const Insert& ins, std::string& out) const {
  out.append(ins.name);
  out.append(": ");
  if (ins.maxForwards) {
    appendNumber(maxForwards_, out);
  } else {
    out.append(ins.value);
  }
  out.append(kCrlf);
}

void MessageEditor::emitInserts(size_t before, std::string& out) const {
  // Prepends at one place stack up: the latest call lands on top.
  for (size_t i = inserts_.size(); i-- > 0;) {
    if (inserts_[i].before == before && inserts_[i].prepend) emitInsert(inserts_[i], out);
  }
  for (const Insert& ins : inserts_) {
    if (ins.before == before && !ins.prepend) emitInsert(ins, out);
  }
}

void MessageEditor::serialize(std::string& out) const {
  if (msg_ == nullptr) return;
  const std::string_view buf = msg_->buffer();
  const std::string_view body = hasBody_ ? body_ : msg_->body();
  std::span<const HeaderField> hs = msg_->headers();
  out.reserve(out.size() + buf.size() + 256 + (hasBody_ ? body_.size() : 0));
  Copier copier(buf, out);

  // Start line, without the CRLFs a stream may have carried before it.
  std::string_view sl = msg_->startLine();
  size_t slBegin = offsetOf(buf, sl);
  size_t slEnd = std::min(slBegin + sl.size() + 2, buf.size());
  if (hasRequestUri_) {
    size_t u = offsetOf(buf, msg_->requestUriText());
    copier.copy(slBegin, u);
    copier.out().append(requestUri_);
    copier.copy(u + msg_->requestUriText().size(), slEnd);
  } else {
    copier.copy(slBegin, slEnd);
  }

  const HeaderField* cl = msg_->header(HeaderId::kContentLength);
  const bool rewriteLength = cl != nullptr && hasBody_;
  for (size_t i = 0; i < hs.size(); ++i) {
    if (!inserts_.empty()) emitInserts(i, copier.out());
    const HeaderField& h = hs[i];
    size_t ls = offsetOf(buf, h.raw);
    size_t le = ls + h.raw.size();
    size_t vs = offsetOf(buf, h.value);
    LineKind kind = lines_.size() == hs.size() ? lines_[i].kind : LineKind::kKeep;
    if (rewriteLength && &h == cl) kind = LineKind::kReplace;
    switch (kind) {
      case LineKind::kKeep:
        copier.copy(ls, le);
        break;
      case LineKind::kRemove:
        break;
      case LineKind::kReplace:
        copier.copy(ls, vs);
        if (&h == cl) {
          appendNumber(body.size(), copier.out());
        } else {
          copier.out().append(lines_[i].value);
        }
        copier.out().append(kCrlf);
        break;
      case LineKind::kMaxForwards:
        copier.copy(ls, vs);
        appendNumber(maxForwards_, copier.out());
        copier.out().append(kCrlf);
        break;
      case LineKind::kCut:
        copier.copy(ls, vs);
        copier.copy(lines_[i].cut, le);
        break;
    }
  }
  if (!inserts_.empty()) emitInserts(kAtEnd, copier.out());
  if (cl == nullptr) {
    std::string& o = copier.out();
    o.append("Content-Length: ");
    appendNumber(body.size(), o);
    o.append(kCrlf);
  }
  size_t he = msg_->headersEnd();
  if (!hasBody_ && he + 2 <= buf.size() && buf.substr(he, 2) == kCrlf) {
    copier.copy(he, buf.size());  // empty line and body, untouched
    copier.flush();
    return;
  }
  std::string& o = copier.out();
  o.append(kCrlf);
  o.append(body);
}

// ---------------------------------------------------------------------------------------------
// Messages built from a request

namespace {

// REQUIRES: id is present in msg.
std::string_view firstRaw(const Message& msg, HeaderId id) { return msg.header(id)->raw; }

void appendLinesOf(const Message& msg, HeaderId id, std::string& out) {
  for (const HeaderField& h : msg.headers()) {
    if (h.id == id) out.append(h.raw);
  }
}

bool hasAll(const Message& msg, std::initializer_list<HeaderId> ids) {
  for (HeaderId id : ids) {
    if (msg.header(id) == nullptr) return false;
  }
  return true;
}

void appendStatusLine(int code, std::string_view reason, std::string& out) {
  out.append("SIP/2.0 ");
  if (code < 100 || code > 699) code = 500;  // never emit a status line a peer cannot parse
  appendNumber(static_cast<uint64_t>(code), out);
  out.push_back(' ');
  out.append(reason);
  out.append(kCrlf);
}

}  // namespace

bool buildResponse(const Message& req, const ResponseSpec& spec, std::string& out) {
  if (!req.isRequest() || !hasAll(req, {HeaderId::kVia, HeaderId::kFrom, HeaderId::kTo,
                                        HeaderId::kCallId, HeaderId::kCSeq})) {
    return false;
  }
  std::string_view buf = req.buffer();
  appendStatusLine(spec.code, spec.reason, out);
  bool first = true;
  for (const HeaderField& h : req.headers()) {
    if (h.id != HeaderId::kVia) continue;
    if (first && !spec.topViaParams.empty() && req.topVia() != nullptr &&
        req.topVia()->line == static_cast<size_t>(&h - req.headers().data())) {
      std::string_view v = req.topVia()->text;
      size_t split = offsetOf(buf, v) + v.size() - offsetOf(buf, h.raw);
      out.append(h.raw.substr(0, split));
      out.append(spec.topViaParams);
      out.append(h.raw.substr(split));
    } else {
      out.append(h.raw);
    }
    first = false;
  }
  out.append(firstRaw(req, HeaderId::kFrom));
  const HeaderField* toField = req.header(HeaderId::kTo);
  std::string_view toRaw = toField->raw;
  const NameAddr* to = req.to();
  const bool toIsFirstLine =
      to != nullptr && to->line == static_cast<size_t>(toField - req.headers().data());
  if (spec.code > 100 && !spec.toTag.empty() && toIsFirstLine && !to->params.has("tag")) {
    size_t split = offsetOf(buf, to->text) + to->text.size() - offsetOf(buf, toRaw);
    out.append(toRaw.substr(0, split));
    out.append(";tag=");
    out.append(spec.toTag);
    out.append(toRaw.substr(split));
  } else {
    out.append(toRaw);
  }
  out.append(firstRaw(req, HeaderId::kCallId));
  out.append(firstRaw(req, HeaderId::kCSeq));
  for (const HeaderLine& l : spec.headers) appendHeader(l.name, l.value, out);
  if (!spec.contentType.empty()) appendHeader("Content-Type", spec.contentType, out);
  out.append("Content-Length: ");
  appendNumber(spec.body.size(), out);
  out.append("\r\n\r\n");
  out.append(spec.body);
  return true;
}

bool buildResponse(const Message& req, int code, std::string_view reason, std::string_view toTag,
                   std::span<const HeaderLine> extra, std::string& out) {
  ResponseSpec spec;
  spec.code = code;
  spec.reason = reason;
  spec.toTag = toTag;
  spec.headers = extra;
  return buildResponse(req, spec, out);
}

bool buildResponse(const Message& req, int code, std::string_view reason, std::string_view toTag,
                   std::initializer_list<HeaderLine> extra, std::string& out) {
  return buildResponse(req, code, reason, toTag,
                       std::span<const HeaderLine>(extra.begin(), extra.size()), out);
}

namespace {

// The part ACK and CANCEL share: request line, single Via, Route set, From, To, Call-ID, CSeq,
// Max-Forwards, empty body.
void buildInviteSibling(const Message& invite, std::string_view method, std::string_view toRaw,
                        std::string& out) {
  out.append(method);
  out.push_back(' ');
  out.append(invite.requestUriText());
  out.append(" SIP/2.0\r\n");
  appendHeader("Via", invite.topVia()->text, out);
  appendLinesOf(invite, HeaderId::kRoute, out);
  out.append(firstRaw(invite, HeaderId::kFrom));
  out.append(toRaw);
  out.append(firstRaw(invite, HeaderId::kCallId));
  out.append("CSeq: ");
  appendNumber(invite.cseq()->number, out);
  out.push_back(' ');
  out.append(method);
  out.append(kCrlf);
  if (const HeaderField* mf = invite.header(HeaderId::kMaxForwards)) {
    out.append(mf->raw);
  } else {
    out.append("Max-Forwards: 70\r\n");
  }
  out.append("Content-Length: 0\r\n\r\n");
}

bool isUsableInvite(const Message& invite) {
  return invite.isRequest() && invite.method() == Method::kInvite && invite.topVia() != nullptr &&
         invite.cseq() != nullptr && !invite.requestUriText().empty() &&
         hasAll(invite, {HeaderId::kFrom, HeaderId::kCallId});
}

}  // namespace

bool buildAckForNon2xx(const Message& invite, const Message& response, std::string& out) {
  if (!isUsableInvite(invite) || !response.isResponse() ||
      response.header(HeaderId::kTo) == nullptr) {
    return false;
  }
  buildInviteSibling(invite, "ACK", firstRaw(response, HeaderId::kTo), out);
  return true;
}

bool buildCancel(const Message& invite, std::string& out) {
  if (!isUsableInvite(invite) || invite.header(HeaderId::kTo) == nullptr) return false;
  buildInviteSibling(invite, "CANCEL", firstRaw(invite, HeaderId::kTo), out);
  return true;
}

}  // namespace tandem::sip
