// SIP, SIPS and tel URIs (RFC 3261 §19.1, RFC 3966) parsed in place, their comparison rules
// (RFC 3261 §19.1.4), and name-addr / addr-spec header values (From, To, Contact, Route).
//
// Lifetime: every type here holds std::string_views into the text it was parsed from; that text
// must outlive them. Nothing here allocates, except the two explicit append* helpers that write
// into a caller-owned string. Thread-safety: values are immutable after parsing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

namespace tandem::sip {

// A parameter list as it appears in a URI (";transport=tcp;lr") or after a header value
// (" ; tag = 1918181833n ; q=0.5"). Lookups scan the text: nothing is decoded or copied, names
// compare ASCII case-insensitively, values are returned raw (quoted strings keep their quotes,
// % escapes are not undone). The text must have been validated by the parser that produced it;
// on any other text the iteration is still safe, merely unspecified.
class Params {
 public:
  struct Param {
    std::string_view name;
    std::string_view value;  // empty when the parameter has no "=value"
    bool hasValue = false;
  };

  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Param;
    using difference_type = std::ptrdiff_t;
    using pointer = const Param*;
    using reference = const Param&;

    Iterator() = default;
    Iterator(std::string_view text, size_t pos);
    const Param& operator*() const { return cur_; }
    const Param* operator->() const { return &cur_; }
    Iterator& operator++();
    Iterator operator++(int) {
      Iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const Iterator& o) const { return pos_ == o.pos_; }
    bool operator!=(const Iterator& o) const { return pos_ != o.pos_; }

   private:
    void load();
    std::string_view text_;
    size_t pos_ = 0;   // start of the current parameter; text_.size() + 1 at the end
    size_t next_ = 0;  // where the following parameter starts
    Param cur_;
  };

  Params() = default;
  explicit Params(std::string_view text) : text_(text) {}

  std::string_view text() const { return text_; }
  bool empty() const { return begin() == end(); }
  Iterator begin() const { return Iterator(text_, 0); }
  Iterator end() const { return Iterator(text_, text_.size() + 1); }

  // nullopt when absent; an empty view when present without a value (";lr").
  std::optional<std::string_view> get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }

 private:
  std::string_view text_;
};

enum class UriScheme : uint8_t { kSip, kSips, kTel, kOther };

struct Uri {
  UriScheme scheme = UriScheme::kOther;
  std::string_view text;        // the whole URI as received
  std::string_view schemeText;  // as received: "sip", "SIP", "soap.beep"
  // sip/sips: the user part, % escapes kept (RFC 4475 esc01). tel: the telephone-subscriber
  // number ("+1-212-555-0101"). Empty when absent.
  std::string_view user;
  std::string_view password;
  std::string_view host;  // sip/sips only; IPv6 references keep their brackets: "[2001:db8::1]"
  uint16_t port = 0;      // 0 when absent
  bool hasPort = false;
  Params params;             // sip/sips/tel URI parameters
  std::string_view headers;  // sip/sips: the part after '?', without it ("Route=%3Csip:x%3E")
  std::string_view opaque;   // kOther: everything after "scheme:"

  bool isSip() const { return scheme == UriScheme::kSip || scheme == UriScheme::kSips; }
  std::optional<std::string_view> param(std::string_view name) const { return params.get(name); }
  bool hasParam(std::string_view name) const { return params.has(name); }
};

// Parses a URI that has already been delimited (no surrounding whitespace, no angle brackets).
// Returns false on a syntax error; *out is then unspecified. Schemes other than sip, sips and tel
// are accepted when the scheme is well formed and the rest is non-empty printable text; they are
// kept opaque.
bool parseUri(std::string_view text, Uri* out);
std::optional<Uri> parseUri(std::string_view text);

// URI equality of RFC 3261 §19.1.4: sip and sips never match each other; user and password are
// case-sensitive, host, scheme and parameters case-insensitive; a %XX escape equals the character
// it encodes unless that character is reserved; an explicit port never matches an absent one;
// user, ttl, method, maddr and transport parameters must match when present in either URI, other
// parameters only when present in both; headers must all be present in both. tel URIs compare
// their numbers ignoring visual separators (RFC 3966 §4). Other schemes compare scheme
// case-insensitively and the rest escape-aware.
bool uriEquals(const Uri& a, const Uri& b);

// Escape-aware comparison of two URI components; case-sensitive unless ignoreCase.
bool escapedEquals(std::string_view a, std::string_view b, bool ignoreCase);

// Appends text with %XX escapes decoded (a malformed escape is copied as is).
void appendUnescaped(std::string_view text, std::string& out);
// Appends the contents of a quoted-string with its quoted-pairs resolved ("a\"b" -> a"b).
// Takes the contents without the surrounding quotes, as NameAddr::displayName holds them.
void appendUnquoted(std::string_view contents, std::string& out);

// A header value of the form  [display-name] <URI> *(;param)  or  addr-spec *(;param)
// (RFC 3261 §20.10 name-addr / addr-spec). In the addr-spec form the URI stops at the first ';',
// so ";tag=x" and Contact's ";expires=60" are header parameters, never URI parameters.
struct NameAddr {
  std::string_view text;         // the whole value, from display name to last parameter
  std::string_view displayName;  // without the quotes; quoted-pairs kept as received
  bool quotedDisplayName = false;
  bool angleBrackets = false;
  Uri uri;
  Params params;  // header parameters after the URI
  // Index in Message::headers() of the header field holding this value; 0 outside a Message.
  uint16_t line = 0;

  // The tag parameter, or empty when there is none.
  std::string_view tag() const {
    auto t = params.get("tag");
    return t ? *t : std::string_view();
  }
};

// Parses a whole header value as one name-addr / addr-spec with parameters. Returns false on a
// syntax error, including a second comma-separated value.
bool parseNameAddr(std::string_view text, NameAddr* out);

namespace detail {
// Parses one name-addr / addr-spec with parameters starting at *pos in text (a header value),
// leaving *pos after the trailing linear white space: at text.size() or at a ',' that starts the
// next list element. Returns false on a syntax error.
bool parseNameAddrAt(std::string_view text, size_t* pos, NameAddr* out);
// Parses ";name[=value]" header parameters starting at *pos (after optional LWS); stops at ',' or
// at the end. Returns false on an empty name, an empty value or an unterminated quoted value.
// *params receives the span of text covering them.
bool parseHeaderParams(std::string_view text, size_t* pos, Params* params);
}  // namespace detail

}  // namespace tandem::sip
