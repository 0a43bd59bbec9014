// Message accessors and the header value iterator; the parser itself is in parser.cc.
#include "sip/message.h"

#include "sip/chars.h"

namespace tandem::sip {

Message::Message() {
  // Enough for ordinary traffic, so steady state never grows them.
  headers_.reserve(32);
  vias_.reserve(8);
  routes_.reserve(8);
  recordRoutes_.reserve(8);
  contacts_.reserve(4);
}

void Message::clear() {
  buf_ = {};
  result_ = ParseResult{};
  isRequest_ = true;
  method_ = Method::kUnknown;
  methodToken_ = {};
  requestUriText_ = {};
  requestUri_ = Uri{};
  version_ = {};
  startLine_ = {};
  statusCode_ = 0;
  reasonPhrase_ = {};
  headers_.clear();
  count_.fill(0);
  vias_.clear();
  topViaOk_ = false;
  hasFrom_ = hasTo_ = fromMulti_ = toMulti_ = false;
  callId_ = {};
  hasCSeq_ = false;
  cseq_ = CSeq{};
  maxForwards_.reset();
  contentLength_.reset();
  expires_.reset();
  routes_.clear();
  recordRoutes_.clear();
  contacts_.clear();
  contactStar_ = false;
  body_ = {};
  headersEnd_ = 0;
}

const HeaderField* Message::header(HeaderId id) const {
  auto k = static_cast<size_t>(id);
  if (id == HeaderId::kUnknown || k >= kHeaderIdCount || count_[k] == 0) return nullptr;
  return &headers_[first_[k]];
}

const HeaderField* Message::header(std::string_view name) const {
  HeaderId id = headerIdFromName(name);
  if (id != HeaderId::kUnknown) return header(id);
  for (const HeaderField& h : headers_) {
    if (h.id == HeaderId::kUnknown && detail::iequals(h.name, name)) return &h;
  }
  return nullptr;
}

std::optional<std::string_view> Message::headerValue(HeaderId id) const {
  HeaderValues vs = values(id);
  auto it = vs.begin();
  if (it == vs.end()) return std::nullopt;
  return *it;
}

std::optional<std::string_view> Message::headerValue(std::string_view name) const {
  HeaderValues vs = values(name);
  auto it = vs.begin();
  if (it == vs.end()) return std::nullopt;
  return *it;
}

HeaderValues Message::values(std::string_view name) const {
  return HeaderValues(this, headerIdFromName(name), name);
}

std::string_view Message::contentType() const {
  const HeaderField* h = header(HeaderId::kContentType);
  return h ? h->value : std::string_view();
}

// ---------------------------------------------------------------------------------------------
// HeaderValues

bool HeaderValues::Selector::matches(const HeaderField& h) const {
  if (id != HeaderId::kUnknown) return h.id == id;
  return h.id == HeaderId::kUnknown && detail::iequals(h.name, name);
}

HeaderValues::Iterator HeaderValues::begin() const {
  size_t start = 0;
  if (sel_.id != HeaderId::kUnknown) {
    const HeaderField* h = sel_.msg->header(sel_.id);
    start = h ? static_cast<size_t>(h - sel_.msg->headers().data()) : sel_.msg->headers().size();
  }
  return Iterator(sel_, start);
}

HeaderValues::Iterator HeaderValues::end() const {
  return Iterator(sel_, sel_.msg->headers().size());
}

size_t HeaderValues::size() const {
  size_t n = 0;
  for (auto it = begin(); it != end(); ++it) ++n;
  return n;
}

HeaderValues::Iterator::Iterator(const Selector& sel, size_t line) : sel_(sel) { seekLine(line); }

void HeaderValues::Iterator::seekLine(size_t line) {
  std::span<const HeaderField> hs = sel_.msg->headers();
  for (line_ = line; line_ < hs.size(); ++line_) {
    if (sel_.matches(hs[line_])) {
      pos_ = 0;
      take();
      if (!cur_.empty() || !isListHeader(hs[line_].id)) return;
      // An empty list element (",,") is no value; look further.
      ++*this;
      return;
    }
  }
  line_ = hs.size();
  pos_ = 0;
  cur_ = {};
}

void HeaderValues::Iterator::take() {
  const HeaderField& h = sel_.msg->headers()[line_];
  if (!isListHeader(h.id)) {
    cur_ = h.value;
    return;
  }
  size_t e = detail::findListComma(h.value, pos_);
  cur_ = detail::trimLws(h.value.substr(pos_, e - pos_));
}

HeaderValues::Iterator& HeaderValues::Iterator::operator++() {
  std::span<const HeaderField> hs = sel_.msg->headers();
  if (line_ >= hs.size()) return *this;
  const HeaderField& h = hs[line_];
  if (isListHeader(h.id)) {
    while (true) {
      size_t e = detail::findListComma(h.value, pos_);
      if (e >= h.value.size()) break;
      pos_ = e + 1;
      take();
      if (!cur_.empty()) return *this;
    }
  }
  seekLine(line_ + 1);
  return *this;
}

}  // namespace tandem::sip
