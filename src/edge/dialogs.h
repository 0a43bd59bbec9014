// Dialog tracking: which backend each confirmed call is on, so the dispatcher can count active
// calls per destination (call load, drain progress) and operators can list calls (dlg.list).
// Kamailio's dialog module states, simplified to what routing needs. Single-threaded.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/event_loop.h"

namespace tandem::edge {

struct DialogTimeouts {
  uint32_t noAckMs = 60'000;         // a 2xx never ACKed ends the dialog after this
  uint32_t lifetimeMs = 43'200'000;  // a call longer than this is forgotten (12 h, Kamailio's)
};

struct DialogInfo {
  std::string callId;
  std::string fromTag;
  std::string toTag;
  int destination = -1;  // the dispatcher destination the call was sent to, -1 if none
  bool acked = false;
  uint64_t startedMs = 0;
};

class DialogTable {
 public:
  // Called when a dialog starts (after the 2xx to the initial INVITE) and when it ends (BYE,
  // no ACK, lifetime); destination as given to confirm().
  using Hook = std::function<void(int destination)>;
  // REQUIRES: loop outlives the table.
  DialogTable(EventLoop& loop, DialogTimeouts timeouts, Hook onStart, Hook onEnd);
  ~DialogTable();

  // A 2xx to an initial INVITE went upstream. Repeated 2xx of the same dialog change nothing.
  void confirm(std::string_view callId, std::string_view fromTag, std::string_view toTag,
               int destination);
  // An ACK of the dialog passed (either tag order matches).
  void acked(std::string_view callId, std::string_view tagA, std::string_view tagB);
  // A BYE of the dialog passed: the dialog ends (either tag order matches). Returns whether one
  // was found.
  bool ended(std::string_view callId, std::string_view tagA, std::string_view tagB);

  size_t size() const { return dialogs_.size(); }
  size_t activeOn(int destination) const;
  // Snapshot for dlg.list, oldest first.
  std::vector<DialogInfo> list() const;
  uint64_t expired() const { return expired_; }

 private:
  struct Entry {
    DialogInfo info;
    TimerId timer = 0;
    uint64_t timerArg = 0;  // key into timerKeys_
  };
  static std::string key(std::string_view callId, std::string_view a, std::string_view b);
  Entry* find(std::string_view callId, std::string_view a, std::string_view b);
  void erase(const std::string& key, bool expired);
  void arm(Entry& e, const std::string& key, uint32_t ms);
  static void onTimer(void* ctx, uint64_t arg);

  EventLoop& loop_;
  DialogTimeouts timeouts_;
  Hook onStart_;
  Hook onEnd_;
  std::unordered_map<std::string, Entry> dialogs_;
  std::unordered_map<uint64_t, std::string> timerKeys_;  // timer arg → dialog key
  uint64_t nextTimerArg_ = 1;
  uint64_t expired_ = 0;
};

}  // namespace tandem::edge
