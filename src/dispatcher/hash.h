// Fixed hash functions for the dispatcher's rendezvous hashing. Internal to dispatcher/.
// They must never change: a call's backend depends on them across restarts and across edges.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/hash.h"

namespace tandem::dispatcher {

// FNV-1a, 64-bit. Fast on short keys (Call-IDs, URIs) and defined by its published constants.
using tandem::fnv1a64;

// 64-bit finaliser (the SplitMix64 constants): FNV's low-quality high bits and the XOR of two
// hashes would otherwise bias which destination wins a rendezvous.
constexpr uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// Rendezvous score of one (key, destination) pair; the destination with the highest score wins.
constexpr uint64_t rendezvous(uint64_t keyHash, uint64_t uriHash) {
  return mix64(keyHash ^ mix64(uriHash));
}

}  // namespace tandem::dispatcher
