// RFC 3261 §17 transactions (with the RFC 6026 "Accepted" states), independent of message
// parsing: the caller extracts keys and hands over serialized bytes; this layer owns the state
// machines, the retransmission and timeout timers (A-K, L, M) on the loop's timing wheel, and
// the tables that match retransmissions. Single-threaded: everything runs on one EventLoop.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/address.h"
#include "core/event_loop.h"
#include "transport/transport.h"

namespace tandem::txn {

struct Timers {
  uint32_t t1 = 500;             // RTT estimate (ms)
  uint32_t t2 = 4000;            // cap of non-INVITE request and INVITE response retransmission
  uint32_t t4 = 5000;            // how long a message may stay in the network
  uint32_t frTimer = 30000;      // Timer B/F: no final answer (INVITE: no provisional either)
  uint32_t frInvTimer = 120000;  // INVITE: no final answer after a provisional
};

// Where a message goes or came from.
struct Peer {
  Transport transport = Transport::kUdp;
  SocketAddress address;
  uint64_t connection = 0;  // TCP connection, 0 when none or UDP
};

struct Counters {
  uint64_t serverCreated = 0;
  uint64_t clientCreated = 0;
  uint64_t requestRetransmissionsAbsorbed = 0;
  uint64_t responseRetransmissionsAbsorbed = 0;
  uint64_t retransmissionsSent = 0;
  uint64_t clientTimeouts = 0;
  uint64_t activeServer = 0;
  uint64_t activeClient = 0;
};

class TransactionLayer;
class ClientTransaction;

// The transaction user (the proxy core) is told what happened on its client transactions.
class ClientUser {
 public:
  virtual ~ClientUser() = default;
  // A response that the transaction passes up (first copies of each response; for INVITE also
  // every 2xx). `raw` is valid only during the call.
  virtual void onResponse(ClientTransaction& t, int code, std::string_view raw) = 0;
  // Timer B or F fired before any final response: the caller acts as if 408 arrived. For an
  // INVITE that had a provisional answer this is Timer C: the transaction then stays for 64*T1
  // so the caller can CANCEL it and the final answer still gets its ACK.
  virtual void onTimeout(ClientTransaction& t) = 0;
  // The transaction is gone (after its last timer); drop every pointer to it.
  virtual void onTerminated(ClientTransaction& t) = 0;
};

class ServerTransaction;
class ServerUser {
 public:
  virtual ~ServerUser() = default;
  // The transaction is gone; drop every pointer to it.
  virtual void onTerminated(ServerTransaction& t) = 0;
};

class ServerTransaction {
 public:
  enum class State { kTrying, kProceeding, kCompleted, kConfirmed, kAccepted, kTerminated };
  bool isInvite() const { return invite_; }
  State state() const { return state_; }
  const Peer& peer() const { return peer_; }
  const std::string& key() const { return key_; }
  int lastCode() const { return lastCode_; }
  // Sends a response and keeps it for retransmissions. 1xx keeps the transaction open; 2xx to
  // INVITE moves to Accepted (Timer L); other finals start Timer G/H (INVITE) or J.
  void respond(int code, std::string_view bytes);
  // A retransmission of the request arrived: the last response is sent again (if any).
  void retransmitted();
  // The ACK for a non-2xx final answer arrived (INVITE only): absorbed, Timer I starts.
  void ackReceived();
  // Opaque slot for the transaction user (e.g. its proxy context). Not owned.
  void* user = nullptr;

 private:
  friend class TransactionLayer;
  ServerTransaction(TransactionLayer& layer, std::string key, bool invite, Peer peer)
      : layer_(layer), key_(std::move(key)), invite_(invite), peer_(peer) {}
  void onTimer(uint64_t which);
  void arm(uint64_t which, uint32_t ms);
  void cancelTimers();
  void terminate();

  TransactionLayer& layer_;
  std::string key_;
  bool invite_;
  Peer peer_;
  State state_ = State::kTrying;
  std::string lastResponse_;
  int lastCode_ = 0;
  uint32_t gInterval_ = 0;
  TimerId timerRetransmit_ = 0;  // G
  TimerId timerEnd_ = 0;         // H, I, J, L
};

class ClientTransaction {
 public:
  enum class State { kCalling, kProceeding, kCompleted, kAccepted, kTerminated };
  bool isInvite() const { return invite_; }
  State state() const { return state_; }
  const Peer& peer() const { return peer_; }
  const std::string& branch() const { return branch_; }
  const std::string& request() const { return request_; }
  bool gotProvisional() const { return gotProvisional_; }
  // For a non-2xx final answer to INVITE: the ACK to send now and on every retransmission of
  // that answer (RFC 3261 §17.1.1.3).
  void sendAck(std::string ack);
  // Stops waiting (e.g. the branch was cancelled and gave up). Safe to call twice.
  void terminate();
  void* user = nullptr;  // not owned
  int tag = 0;           // caller's data (e.g. the destination)
  uint64_t cookie = 0;   // caller's data (e.g. a ping's sequence number)

 private:
  friend class TransactionLayer;
  ClientTransaction(TransactionLayer& layer, std::string key, std::string branch, bool invite,
                    Peer peer, std::string request, ClientUser* owner)
      : layer_(layer),
        key_(std::move(key)),
        branch_(std::move(branch)),
        invite_(invite),
        peer_(peer),
        request_(std::move(request)),
        owner_(owner) {}
  void start();
  void onTimer(uint64_t which);
  void arm(uint64_t which, uint32_t ms);
  void cancelTimers();
  void onResponse(int code, std::string_view raw);

  TransactionLayer& layer_;
  std::string key_;
  std::string branch_;
  bool invite_;
  Peer peer_;
  std::string request_;
  std::string ack_;
  ClientUser* owner_;
  State state_ = State::kCalling;
  bool gotProvisional_ = false;
  bool timedOut_ = false;
  uint32_t interval_ = 0;
  TimerId timerRetransmit_ = 0;  // A, E
  TimerId timerTimeout_ = 0;     // B, F (then fr_inv after a provisional)
  TimerId timerEnd_ = 0;         // D, K, M
};

// Keys: the caller builds them; by convention "METHOD branch sent-by" for server transactions
// (ACK and CANCEL look up their INVITE with method INVITE) and "METHOD branch" for client ones.
class TransactionLayer {
 public:
  // REQUIRES: loop and transport outlive the layer.
  TransactionLayer(EventLoop& loop, transport::TransportLayer& transport, Timers timers,
                   ServerUser* serverUser);
  ~TransactionLayer();

  ServerTransaction* findServer(std::string_view key);
  // REQUIRES: no server transaction with that key.
  ServerTransaction* createServer(std::string key, bool invite, const Peer& peer);

  ClientTransaction* findClient(std::string_view key);
  // Sends request to peer and starts the client state machine. Returns null when the request
  // cannot leave at all (no listener for that transport); owner->onTransportError is not called
  // in that case.
  ClientTransaction* startClient(std::string key, std::string branch, bool invite, const Peer& peer,
                                 std::string request, ClientUser* owner);
  // Passes a response to its client transaction; false when none matches (the caller may then
  // forward it statelessly).
  bool receiveResponse(std::string_view key, int code, std::string_view raw);

  bool send(const Peer& peer, std::string_view bytes);
  const Timers& timers() const { return timers_; }
  EventLoop& loop() { return loop_; }
  Counters& counters() { return counters_; }

 private:
  friend class ServerTransaction;
  friend class ClientTransaction;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const;
  };
  struct Eq {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return a == b; }
  };
  void destroyServer(ServerTransaction* t);
  void destroyClient(ClientTransaction* t);

  EventLoop& loop_;
  transport::TransportLayer& transport_;
  Timers timers_;
  ServerUser* serverUser_;
  std::vector<std::unique_ptr<ServerTransaction>> deadServers_;  // freed after the loop round
  std::vector<std::unique_ptr<ClientTransaction>> deadClients_;
  Counters counters_;
  std::unordered_map<std::string, std::unique_ptr<ServerTransaction>, Hash, Eq> servers_;
  std::unordered_map<std::string, std::unique_ptr<ClientTransaction>, Hash, Eq> clients_;
};

}  // namespace tandem::txn
