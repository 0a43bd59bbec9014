// The provisioning methods on a daemon's JSON-RPC registry: each call runs on the StoreWorker
// thread and its answer comes back to the loop through a CompletionQueue.
#include <string>

#include "control/rpc.h"
#include "store/provision.h"
#include "store/worker.h"

namespace tandem::store::provision {

void registerProvisioningRpc(control::RpcRegistry& registry, StoreWorker& worker,
                             CompletionQueue& cq) {
  for (const MethodInfo& info : methods()) {
    std::string name(info.name);
    registry.addAsync(name, std::string(info.help),
                      [&worker, &cq, name](const nlohmann::json& params,
                                           const control::RpcRegistry::Reply& reply) {
                        // read(), not submitWrite(), for writes too: it runs once and answers
                        // "store unavailable" at once while the database is down (see provision.h).
                        Status queued = worker.read<nlohmann::json>(
                            [name, params](Store& store) -> Result<nlohmann::json> {
                              auto result = call(store, name, params);
                              if (!result) return result.status();
                              // The registry speaks nlohmann::json; the rows keep their values, not
                              // their column order (JSON objects have none).
                              return nlohmann::json(result.value());
                            },
                            &cq,
                            [reply](Result<nlohmann::json> result) { reply(std::move(result)); });
                        // A full read queue or a stopped worker: done will never run, so answer
                        // now.
                        if (!queued) reply(queued);
                      });
  }
}

}  // namespace tandem::store::provision
