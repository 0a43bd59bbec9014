// Small file helpers of the migrate component (internal to src/migrate): whole-file reads and the
// two ways it writes files: replace atomically, or create without overwriting.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "core/result.h"

namespace tandem::migrate {

// The whole file. Error: `cannot read PATH: <strerror>`.
Result<std::string> readWholeFile(const std::string& path);

// Creates path with text; fails when it exists. Error: `cannot create PATH: <strerror>`.
Status createNewFile(const std::string& path, std::string_view text, mode_t mode);

// Replaces path with text through a temporary file in the same directory, fsync and rename, so a
// reader sees the old or the new content, never a mix. The new file gets mode, and owner when
// the caller may set it. A symlink at path is followed: its target is replaced.
// Error: `cannot write PATH: <strerror>`.
Status replaceFile(const std::string& path, std::string_view text, mode_t mode, uid_t uid,
                   gid_t gid);

}  // namespace tandem::migrate
