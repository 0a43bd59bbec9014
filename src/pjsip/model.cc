// Asterisk's template semantics on PJSIP objects: resolution, and the inverse (what a child must
// write given its parents) that lets the converter keep sip.conf templates as PJSIP templates.
#include "pjsip/model.h"

#include <algorithm>

#include "pjsip/options.h"

namespace tandem::pjsip {
namespace {

// List options that Asterisk applies as one ordered sequence: allow/disallow edit one codec list,
// permit/deny one access list.
std::string listGroup(std::string_view key) {
  std::string prefix;
  if (size_t slash = key.rfind('/'); slash != std::string_view::npos) {
    prefix = std::string(key.substr(0, slash + 1));  // wizard pass-through: "endpoint/"
    key.remove_prefix(slash + 1);
  }
  if (key == "disallow") return prefix + "allow";
  if (key == "deny") return prefix + "permit";
  if (key == "contact_deny") return prefix + "contact_permit";
  return prefix + std::string(key);
}

std::string_view baseKey(std::string_view key) {
  if (size_t slash = key.rfind('/'); slash != std::string_view::npos) key.remove_prefix(slash + 1);
  return key;
}

bool sameItem(const Option& a, const Option& b) { return a.key == b.key && a.value == b.value; }

std::vector<const Option*> withoutRepeats(const std::vector<const Option*>& items) {
  std::vector<const Option*> out;
  for (const Option* o : items) {
    bool seen =
        std::any_of(out.begin(), out.end(), [&](const Option* k) { return sameItem(*k, *o); });
    if (!seen) out.push_back(o);
  }
  return out;
}

// The codec list that allow/disallow lines leave, in order ("!x" marks a codec removed from
// "all").
std::vector<std::string> codecList(const std::vector<const Option*>& lines) {
  std::vector<std::string> codecs;
  for (const Option* o : lines) {
    size_t start = 0;
    const std::string& v = o->value;
    while (start <= v.size()) {
      size_t comma = v.find(',', start);
      std::string c =
          v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      start = comma == std::string::npos ? v.size() + 1 : comma + 1;
      while (!c.empty() && c.front() == ' ') c.erase(c.begin());
      while (!c.empty() && c.back() == ' ') c.pop_back();
      if (c.empty()) continue;
      auto at = std::find(codecs.begin(), codecs.end(), c);
      if (baseKey(o->key) == "allow") {
        if (at == codecs.end()) codecs.push_back(c);
      } else if (c == "all") {
        codecs.clear();
      } else if (at != codecs.end()) {
        codecs.erase(at);
      } else if (std::find(codecs.begin(), codecs.end(), "all") != codecs.end()) {
        codecs.push_back("!" + c);
      }
    }
  }
  return codecs;
}

}  // namespace

void OptionList::put(std::string key, std::string value, SourceRef from) {
  if (!isListOption(key)) {
    for (Option& o : items_) {
      if (o.key == key) {
        o.value = std::move(value);
        o.from = std::move(from);
        return;
      }
    }
  }
  items_.push_back(Option{std::move(key), std::move(value), std::move(from)});
}

void OptionList::append(std::string key, std::string value, SourceRef from) {
  items_.push_back(Option{std::move(key), std::move(value), std::move(from)});
}

void OptionList::remove(std::string_view key) {
  items_.erase(
      std::remove_if(items_.begin(), items_.end(), [&](const Option& o) { return o.key == key; }),
      items_.end());
}

const Option* OptionList::get(std::string_view key) const {
  for (auto it = items_.rbegin(); it != items_.rend(); ++it) {
    if (it->key == key) return &*it;
  }
  return nullptr;
}

std::string OptionList::value(std::string_view key) const {
  const Option* o = get(key);
  return o == nullptr ? std::string() : o->value;
}

std::vector<const Option*> OptionList::getAll(std::string_view key) const {
  std::vector<const Option*> out;
  for (const Option& o : items_) {
    if (o.key == key) out.push_back(&o);
  }
  return out;
}

const PjObject* PjDocument::find(std::string_view id, std::string_view type) const {
  for (const PjObject& o : objects) {
    if (o.id == id && (type.empty() || o.type == type)) return &o;
  }
  return nullptr;
}

OptionList resolveOptions(const PjDocument& doc, const PjObject& object) {
  OptionList out;
  for (const std::string& parent : object.parents) {
    const PjObject* p = nullptr;
    for (const PjObject& o : doc.objects) {
      if (o.id == parent && o.isTemplate) {
        p = &o;
        break;
      }
    }
    if (p == nullptr || p == &object) continue;
    OptionList parentOptions = resolveOptions(doc, *p);
    for (const Option& o : parentOptions.items()) out.put(o.key, o.value, o.from);
  }
  for (const Option& o : object.options.items()) out.put(o.key, o.value, o.from);
  return out;
}

OptionList deltaOptions(const OptionList& wanted, const OptionList& inherited,
                        std::string_view type) {
  OptionList out;
  std::vector<std::string> groupsDone;
  for (const Option& o : wanted.items()) {
    if (!isListOption(o.key)) {
      const Option* have = inherited.get(o.key);
      if (have == nullptr || have->value != o.value) out.put(o.key, o.value, o.from);
      continue;
    }
    std::string group = listGroup(o.key);
    if (std::find(groupsDone.begin(), groupsDone.end(), group) != groupsDone.end()) continue;
    groupsDone.push_back(group);
    std::vector<const Option*> want;
    std::vector<const Option*> have;
    for (const Option& w : wanted.items()) {
      if (isListOption(w.key) && listGroup(w.key) == group) want.push_back(&w);
    }
    for (const Option& h : inherited.items()) {
      if (isListOption(h.key) && listGroup(h.key) == group) have.push_back(&h);
    }
    bool codecs = baseKey(group) == "allow";
    if (codecs) {
      // Codecs: what counts is the resulting list, whatever lines produced it.
      std::vector<std::string> wantCodecs = codecList(want);
      if (codecList(have) == wantCodecs) continue;
    }
    // A template inherited through two parents repeats its lines; for access lists and the
    // like repeats change nothing. (Codec lines are not deduplicated: a second "disallow=all"
    // is a reset.)
    if (!codecs) {
      want = withoutRepeats(want);
      have = withoutRepeats(have);
    }
    bool isPrefix = have.size() <= want.size() &&
                    std::equal(have.begin(), have.end(), want.begin(),
                               [](const Option* a, const Option* b) { return sameItem(*a, *b); });
    if (isPrefix) {
      for (size_t i = have.size(); i < want.size(); ++i) {
        out.append(want[i]->key, want[i]->value, want[i]->from);
      }
    } else if (codecs) {
      std::string prefix = group.substr(0, group.size() - 5);
      std::string joined;
      for (const std::string& c : codecList(want)) joined += (joined.empty() ? "" : ",") + c;
      out.append(prefix + "disallow", "all", want.empty() ? SourceRef{} : want.front()->from);
      if (!joined.empty()) out.append(prefix + "allow", joined, want.back()->from);
    } else {
      for (const Option* w : want) out.append(w->key, w->value, w->from);
    }
  }
  // Single values a parent sets that this object must not have: write the default back.
  for (const Option& h : inherited.items()) {
    if (isListOption(h.key) || wanted.has(h.key) || out.has(h.key)) continue;
    out.put(h.key, defaultOf(type, h.key).value_or(""));
  }
  return out;
}

std::string effectiveCodecs(const OptionList& options) {
  std::vector<const Option*> lines;
  for (const Option& o : options.items()) {
    if (o.key == "allow" || o.key == "disallow") lines.push_back(&o);
  }
  std::string out;
  for (const std::string& c : codecList(lines)) out += (out.empty() ? "" : ",") + c;
  return out;
}

std::string escapeConfValue(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == ';') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace tandem::pjsip
