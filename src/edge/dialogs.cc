// Dialog table keyed by Call-ID and both tags (caller's tag first).
#include "edge/dialogs.h"

#include <algorithm>

namespace tandem::edge {

DialogTable::DialogTable(EventLoop& loop, DialogTimeouts timeouts, Hook onStart, Hook onEnd)
    : loop_(loop), timeouts_(timeouts), onStart_(std::move(onStart)), onEnd_(std::move(onEnd)) {}

DialogTable::~DialogTable() {
  for (auto& [k, e] : dialogs_) loop_.timers().cancel(e.timer);
}

std::string DialogTable::key(std::string_view callId, std::string_view a, std::string_view b) {
  std::string k;
  k.reserve(callId.size() + a.size() + b.size() + 2);
  k.append(callId).push_back('\n');
  k.append(a).push_back('\n');
  k.append(b);
  return k;
}

DialogTable::Entry* DialogTable::find(std::string_view callId, std::string_view a,
                                      std::string_view b) {
  auto it = dialogs_.find(key(callId, a, b));
  if (it == dialogs_.end()) it = dialogs_.find(key(callId, b, a));
  return it == dialogs_.end() ? nullptr : &it->second;
}

void DialogTable::confirm(std::string_view callId, std::string_view fromTag, std::string_view toTag,
                          int destination) {
  std::string k = key(callId, fromTag, toTag);
  if (dialogs_.count(k) != 0) return;
  Entry& e = dialogs_[k];
  e.info.callId = callId;
  e.info.fromTag = fromTag;
  e.info.toTag = toTag;
  e.info.destination = destination;
  e.info.startedMs = loop_.nowMs();
  arm(e, k, timeouts_.noAckMs);
  if (onStart_) onStart_(destination);
}

void DialogTable::acked(std::string_view callId, std::string_view tagA, std::string_view tagB) {
  Entry* e = find(callId, tagA, tagB);
  if (e == nullptr || e->info.acked) return;
  e->info.acked = true;
  // From now on only the lifetime limit applies.
  arm(*e, key(e->info.callId, e->info.fromTag, e->info.toTag), timeouts_.lifetimeMs);
}

void DialogTable::arm(Entry& e, const std::string& k, uint32_t ms) {
  loop_.timers().cancel(e.timer);
  timerKeys_.erase(e.timerArg);
  e.timerArg = nextTimerArg_++;
  timerKeys_[e.timerArg] = k;
  e.timer = loop_.timers().schedule(ms, TimerTask{&DialogTable::onTimer, this, e.timerArg});
}

bool DialogTable::ended(std::string_view callId, std::string_view tagA, std::string_view tagB) {
  Entry* e = find(callId, tagA, tagB);
  if (e == nullptr) return false;
  erase(key(e->info.callId, e->info.fromTag, e->info.toTag), false);
  return true;
}

void DialogTable::erase(const std::string& k, bool expired) {
  auto it = dialogs_.find(k);
  if (it == dialogs_.end()) return;
  loop_.timers().cancel(it->second.timer);
  timerKeys_.erase(it->second.timerArg);
  int dest = it->second.info.destination;
  dialogs_.erase(it);
  if (expired) ++expired_;
  if (onEnd_) onEnd_(dest);
}

void DialogTable::onTimer(void* ctx, uint64_t arg) {
  auto* self = static_cast<DialogTable*>(ctx);
  auto it = self->timerKeys_.find(arg);
  if (it == self->timerKeys_.end()) return;
  std::string k = it->second;  // erase() drops the timerKeys_ entry
  self->erase(k, true);
}

size_t DialogTable::activeOn(int destination) const {
  return static_cast<size_t>(std::count_if(dialogs_.begin(), dialogs_.end(), [&](const auto& kv) {
    return kv.second.info.destination == destination;
  }));
}

std::vector<DialogInfo> DialogTable::list() const {
  std::vector<DialogInfo> out;
  out.reserve(dialogs_.size());
  for (const auto& [k, e] : dialogs_) out.push_back(e.info);
  std::sort(out.begin(), out.end(),
            [](const DialogInfo& a, const DialogInfo& b) { return a.startedMs < b.startedMs; });
  return out;
}

}  // namespace tandem::edge
