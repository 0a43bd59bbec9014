// FNV-1a 64: a fixed, fast, non-cryptographic hash whose values never change between runs or
// builds (transaction tables, local tags, dispatcher hashing all rely on that).
#pragma once

#include <cstdint>
#include <string_view>

namespace tandem {

inline constexpr uint64_t kFnv1aOffset = 0xcbf29ce484222325ULL;

// Hashes data; pass a previous result as `state` to hash several pieces as one.
constexpr uint64_t fnv1a64(std::string_view data, uint64_t state = kFnv1aOffset) {
  for (char c : data) {
    state ^= static_cast<unsigned char>(c);
    state *= 0x100000001b3ULL;
  }
  return state;
}

}  // namespace tandem
