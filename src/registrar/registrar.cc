// Registrar::handle: RFC 3261 §10.3 steps 6-8 against the location table. The request is first
// checked whole (rules.cc), then planned against the AoR's bindings, and only then applied, so a
// refused request leaves the table as it was (the RFC's "the update MUST be aborted").
#include "registrar/registrar.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "registrar/rules.h"

namespace tandem::registrar {

namespace {

// Instances compare without their angle brackets, as Kamailio does.
std::string_view bareInstance(std::string_view i) {
  if (i.size() >= 2 && i.front() == '<' && i.back() == '>') return i.substr(1, i.size() - 2);
  return i;
}

// One binding of the AoR while a request is being planned: a stored one, a new one, or both.
struct Slot {
  std::optional<BindingRef> stored;
  sip::Uri storedUri;
  bool storedUriOk = false;
  const rules::ContactPlan* set = nullptr;  // the request's contact now bound here
  bool remove = false;
  bool touched() const { return set != nullptr || remove; }
  std::string_view instance() const {
    return set != nullptr ? set->instance : stored ? stored->instance() : std::string_view();
  }
  uint32_t regId() const { return set != nullptr ? set->regId : stored ? stored->regId() : 0; }
  bool sameUri(const sip::Uri& u) const {
    if (set != nullptr) return sip::uriEquals(set->contact->uri, u);
    if (!stored) return false;
    return storedUriOk ? sip::uriEquals(storedUri, u) : stored->contact() == u.text;
  }
};

// RFC 5626: the same instance and reg-id is the same flow, whatever its URI; without an instance
// (or when no binding has it yet) the contact URI decides (RFC 3261 §10.3 step 7).
Slot* match(std::vector<Slot>& slots, const rules::ContactPlan& c) {
  if (!c.instance.empty()) {
    for (Slot& s : slots) {
      if (!s.instance().empty() && s.regId() == c.regId &&
          bareInstance(s.instance()) == bareInstance(c.instance)) {
        return &s;
      }
    }
  }
  for (Slot& s : slots) {
    if ((c.instance.empty() || s.instance().empty()) && s.sameUri(c.contact->uri)) return &s;
  }
  return nullptr;
}

std::string hex(uint64_t v, int width) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%0*llx", width, static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

std::vector<sip::HeaderLine> RegisterOutcome::headerLines() const {
  std::vector<sip::HeaderLine> lines;
  lines.reserve(headers.size());
  for (const ReplyHeader& h : headers) lines.push_back(sip::HeaderLine{h.name, h.value});
  return lines;
}

Registrar::Registrar(LocationTable& table, RegistrarOptions options, uint64_t seed)
    : table_(table), options_(options) {
  if (seed == 0) {
    std::random_device rd;
    seed = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }
  // 48 random bits keep ruids from different runs (and edges sharing a server id) apart.
  ruidPrefix_ =
      "ul" + std::to_string(options_.serverId) + "-" + hex(seed & 0xffffffffffffULL, 12) + "-";
}

std::string Registrar::nextRuid() { return ruidPrefix_ + hex(++ruidCounter_, 1); }

RegisterOutcome Registrar::handle(const sip::Message& msg, const RegisterContext& ctx) {
  RegisterOutcome out;
  auto reject = [&](int status, std::string reason, std::string_view info) {
    out.status = status;
    out.reason = std::move(reason);
    out.headers.clear();
    out.writes.clear();
    if (status == 423) {
      out.headers.push_back({"Min-Expires", std::to_string(options_.minExpires)});
    }
    if (!info.empty()) out.headers.push_back({"P-Registrar-Error", std::string(info)});
    ++counters_.rejected;
    return std::move(out);
  };

  rules::RegisterPlan plan;
  if (auto r = rules::planRegister(msg, options_, ctx, &plan)) {
    return reject(r->status, std::move(r->reason), r->info);
  }
  const bool echoPath =
      !plan.path.empty() && plan.pathSupported && options_.pathMode != PathMode::kOff;
  if (!plan.path.empty() && !plan.pathSupported && options_.pathMode == PathMode::kStrict) {
    // RFC 3327 §5.3 / Kamailio path_mode 2: Path from a UA that did not say it supports it.
    RegisterOutcome o = reject(420, "Bad Extension", "No support for found Path indicated");
    o.headers.insert(o.headers.begin(), {{"Unsupported", "path"}, {"Path", plan.path}});
    return o;
  }
  const int64_t now = ctx.nowS;
  const std::string_view socket =
      ctx.localSocket.size() <= kMaxSocket ? ctx.localSocket : std::string_view();

  // The AoR as it stands; bindings already expired are dropped on the way.
  std::vector<Slot> slots;
  std::vector<std::string> deletes;
  for (BindingRef b : table_.lookup(plan.user, plan.domain)) {
    if (b.expiredAt(now)) {
      deletes.emplace_back(b.ruid());
      continue;
    }
    Slot s;
    s.stored = b;
    s.storedUriOk = sip::parseUri(b.contact(), &s.storedUri);
    slots.push_back(s);
  }

  // §10.3 step 7: the same Call-ID needs a higher CSeq. Kamailio (usrloc get_ucontact) takes an
  // equal CSeq within cseqDelay of the last refresh for a retransmission and skips the contact;
  // anything else is "Invalid CSeq number", a 400 that aborts the whole request.
  enum class Order { kNewer, kRetransmission, kStale };
  auto order = [&](const BindingRef& b) {
    if (b.callId() != plan.callId || plan.cseq > b.cseq()) return Order::kNewer;
    if (plan.cseq == b.cseq() && b.lastModified() + options_.cseqDelay > now) {
      return Order::kRetransmission;
    }
    return Order::kStale;
  };

  if (plan.star) {
    for (const Slot& s : slots) {
      if (order(*s.stored) != Order::kNewer) {
        return reject(400, "Bad Request - Invalid CSeq Number", "Invalid CSeq number");
      }
    }
    size_t n = table_.removeAor(plan.user, plan.domain);
    counters_.removed += n;
    ++counters_.accepted;
    out.writes = std::vector<store::WriteOp>(1);
    out.writes[0] = store::DeleteAor{plan.user, plan.domain};
    if (echoPath) out.headers.push_back({"Path", plan.path});
    return out;
  }

  for (const rules::ContactPlan& c : plan.contacts) {
    Slot* s = match(slots, c);
    if (s != nullptr && s->stored && !s->touched()) {
      Order o = order(*s->stored);
      if (o == Order::kStale) {
        return reject(400, "Bad Request - Invalid CSeq Number", "Invalid CSeq number");
      }
      if (o == Order::kRetransmission) continue;
    }
    if (s == nullptr) {
      if (c.expires == 0) continue;  // removing what is not there
      slots.emplace_back();
      s = &slots.back();
    }
    s->set = c.expires == 0 ? nullptr : &c;
    s->remove = c.expires == 0;
  }

  auto live = [&] {
    return static_cast<size_t>(std::count_if(slots.begin(), slots.end(), [](const Slot& s) {
      return !s.remove && (s.stored || s.set != nullptr);
    }));
  };
  if (options_.maxContacts != 0 && live() > options_.maxContacts) {
    if (options_.overflow == Overflow::kReplaceOldest) {
      std::vector<Slot*> idle;
      for (Slot& s : slots) {
        if (s.stored && !s.touched()) idle.push_back(&s);
      }
      std::stable_sort(idle.begin(), idle.end(), [](const Slot* a, const Slot* b) {
        return a->stored->lastModified() < b->stored->lastModified();
      });
      for (size_t i = 0; i < idle.size() && live() > options_.maxContacts; ++i) {
        idle[i]->remove = true;
      }
    }
    // Still too many: the request alone brings more than the limit, or the policy is reject.
    if (live() > options_.maxContacts) {
      return reject(options_.tooManyContactsStatus, "Too Many Registered Contacts",
                    "Too many registered contacts");
    }
  }

  // Build every row before touching the table: BindingRefs die with the first change.
  std::vector<store::Location> puts;
  size_t added = 0;
  size_t refreshed = 0;
  for (const Slot& s : slots) {
    if (s.remove) {
      if (s.stored) deletes.emplace_back(s.stored->ruid());
      continue;
    }
    if (s.set == nullptr) continue;
    const rules::ContactPlan& c = *s.set;
    store::Location l;
    l.ruid = s.stored ? std::string(s.stored->ruid()) : nextRuid();
    l.username = plan.user;
    l.domain = plan.domain;
    l.contact = c.contact->uri.text;
    l.received = c.received;
    l.path = plan.path;
    l.expires = now + c.expires;
    l.q = c.qMilli == kQUnset ? -1.0 : c.qMilli / 1000.0;
    l.callid = plan.callId;
    l.cseq = plan.cseq;
    l.lastModified = now;
    l.flags = s.stored ? s.stored->flags() : 0;
    l.cflags = s.stored ? s.stored->cflags() : 0;
    l.userAgent = plan.userAgent;
    l.socket = socket;
    l.methods = plan.methods;
    l.instance = c.instance;
    l.regId = c.regId;
    l.serverId = options_.serverId;
    (s.stored ? refreshed : added) += 1;
    puts.push_back(std::move(l));
  }

  // Sized up front and filled in place: growing a vector of WriteOp makes GCC 12 see phantom
  // uninitialized reads in the variant's relocation code (-Wmaybe-uninitialized).
  out.writes = std::vector<store::WriteOp>(deletes.size() + puts.size());
  size_t w = 0;
  for (std::string& ruid : deletes) {
    if (table_.remove(ruid)) ++counters_.removed;
    out.writes[w++] = store::DeleteLocation{std::move(ruid)};
  }
  for (store::Location& l : puts) {
    BindingFields f;
    f.ruid = l.ruid;
    f.contact = l.contact;
    f.received = l.received;
    f.path = l.path;
    f.callId = l.callid;
    f.userAgent = l.userAgent;
    f.socket = l.socket;
    f.instance = l.instance;
    f.expires = l.expires;
    f.qMilli = l.q < 0 ? kQUnset : static_cast<int>(std::lround(l.q * 1000.0));
    f.cseq = static_cast<uint32_t>(l.cseq);
    f.lastModified = l.lastModified;
    f.flags = static_cast<uint32_t>(l.flags);
    f.cflags = static_cast<uint32_t>(l.cflags);
    f.methods = l.methods;
    f.regId = static_cast<uint32_t>(l.regId);
    f.serverId = l.serverId;
    if (Status st = table_.put(plan.user, plan.domain, f); !st) {
      // Not reachable: planRegister enforces every limit put() checks. Report what was done.
      out.status = 500;
      out.reason = "Server Internal Error";
      out.headers = {{"P-Registrar-Error", "usrloc_contact_insert failed"}};
      out.writes.resize(w);
      ++counters_.rejected;
      return out;
    }
    out.writes[w++] = store::PutLocation{std::move(l)};
  }
  counters_.added += added;
  counters_.refreshed += refreshed;
  ++counters_.accepted;

  for (BindingRef b : table_.lookup(plan.user, plan.domain, now)) {
    out.headers.push_back({"Contact", rules::contactValue(b, now)});
  }
  if (echoPath) out.headers.push_back({"Path", plan.path});
  return out;
}

}  // namespace tandem::registrar
