// Resident memory per entry of the edge's two big tables, measured as growth of the process's
// RSS (/proc/self/statm) while filling them:
//   - the location table (registrar) with N contacts, one per AoR, field sizes of a desk phone
//     (registrar::fillSynthetic);
//   - the dialog table with M confirmed and ACKed calls, Call-ID and tags as real phones write
//     them (40-byte Call-ID, 10- and 16-character tags), each with its lifetime timer armed.
// Both tables stay alive until the end, so the second fill cannot reuse the first one's memory.
// usage: memory_bench [CONTACTS [DIALOGS]]   (defaults 1000000 and 100000)
// Prints key=value lines, one per table, for bench/run.sh.
#include <unistd.h>

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "core/event_loop.h"
#include "edge/dialogs.h"
#include "registrar/registrar.h"

namespace {

// Resident set size in bytes (second field of /proc/self/statm, in pages).
int64_t rssBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  long long size = 0;
  long long resident = 0;
  int n = std::fscanf(f, "%lld %lld", &size, &resident);
  std::fclose(f);
  if (n != 2) return -1;
  return resident * static_cast<int64_t>(sysconf(_SC_PAGESIZE));
}

size_t arg(int argc, char** argv, int i, size_t dflt) {
  if (argc <= i) return dflt;
  return static_cast<size_t>(std::strtoull(argv[i], nullptr, 10));
}

}  // namespace

int main(int argc, char** argv) {
  const size_t contacts = arg(argc, argv, 1, 1'000'000);
  const size_t dialogs = arg(argc, argv, 2, 100'000);
  const int64_t now = 1'800'000'000;

  // ---- location table
  auto table = std::make_unique<tandem::registrar::LocationTable>(42);
  const int64_t rss0 = rssBytes();
  const size_t added = tandem::registrar::fillSynthetic(*table, contacts, now);
  const int64_t rss1 = rssBytes();
  const tandem::registrar::MemoryStats ms = table->memory();
  if (added != contacts) {
    std::fprintf(stderr, "memory_bench: only %zu of %zu contacts added\n", added, contacts);
    return 1;
  }
  std::printf("memory.contacts count=%zu rss_growth_bytes=%" PRId64
              " rss_bytes_per_entry=%.1f accounted_bytes_per_entry=%.1f\n",
              contacts, rss1 - rss0,
              static_cast<double>(rss1 - rss0) / static_cast<double>(contacts),
              ms.bytesPerBinding());

  // ---- dialog table
  tandem::EventLoop loop;
  int active = 0;
  auto dialogTable = std::make_unique<tandem::edge::DialogTable>(
      loop, tandem::edge::DialogTimeouts{}, [&active](int) { ++active; },
      [&active](int) { --active; });
  const int64_t rss2 = rssBytes();
  char callId[64];
  char fromTag[32];
  char toTag[32];
  for (size_t i = 0; i < dialogs; ++i) {
    unsigned n = static_cast<unsigned>(i);
    std::snprintf(callId, sizeof callId, "%08x%08x-%08x-%08x@10.0.0.1", n * 2654435761u, ~n,
                  n ^ 0x5bd1e995u, n);
    callId[40] = '\0';
    std::snprintf(fromTag, sizeof fromTag, "%010u", n * 2246822519u);
    std::snprintf(toTag, sizeof toTag, "as%06x%08x", n, n * 3266489917u);
    dialogTable->confirm(callId, fromTag, toTag, static_cast<int>(n % 2));
    dialogTable->acked(callId, fromTag, toTag);
  }
  const int64_t rss3 = rssBytes();
  if (dialogTable->size() != dialogs) {
    std::fprintf(stderr, "memory_bench: %zu of %zu dialogs tracked\n", dialogTable->size(),
                 dialogs);
    return 1;
  }
  std::printf("memory.dialogs count=%zu rss_growth_bytes=%" PRId64 " rss_bytes_per_entry=%.1f\n",
              dialogs, rss3 - rss2,
              static_cast<double>(rss3 - rss2) / static_cast<double>(dialogs));
  return active == static_cast<int>(dialogs) ? 0 : 1;
}
