// Evaluation of hash_expression: a scan for '$' followed by a two-letter variable name.
#include "edge/hash_expr.h"

#include <array>

namespace tandem::edge {

namespace {

constexpr std::array<std::string_view, 11> kVars = {"ci", "fu", "fU", "fd", "tu", "tU",
                                                    "td", "ru", "rU", "rd", "si"};

std::string_view uriPart(const sip::Uri& uri, char part) {
  switch (part) {
    case 'u':
      return uri.text;
    case 'U':
      return uri.user;
    default:
      return uri.host;
  }
}

}  // namespace

Status checkHashExpression(std::string_view expr) {
  for (size_t i = 0; i < expr.size(); ++i) {
    if (expr[i] != '$') continue;
    std::string_view name = expr.substr(i + 1, 2);
    bool known = false;
    for (auto v : kVars) known = known || v == name;
    if (!known) {
      std::string list;
      for (auto v : kVars) list += (list.empty() ? "$" : ", $") + std::string(v);
      return Status::error("unknown variable \"$" + std::string(name) +
                           "\" in hash_expression (known: " + list + ")");
    }
    i += 2;
  }
  return Status::ok();
}

void evalHashExpression(std::string_view expr, const sip::Message& msg,
                        const transport::Inbound& in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < expr.size(); ++i) {
    if (expr[i] != '$') {
      out.push_back(expr[i]);
      continue;
    }
    std::string_view name = expr.substr(i + 1, 2);
    i += 2;
    if (name == "ci") {
      out.append(msg.callId());
    } else if (name == "si") {
      out.append(in.source.hostString());
    } else if (name.size() == 2) {
      const sip::Uri* uri = nullptr;
      if (name[0] == 'f' && msg.from() != nullptr) uri = &msg.from()->uri;
      if (name[0] == 't' && msg.to() != nullptr) uri = &msg.to()->uri;
      if (name[0] == 'r') uri = &msg.requestUri();
      if (uri != nullptr) out.append(uriPart(*uri, name[1]));
    }
  }
}

}  // namespace tandem::edge
