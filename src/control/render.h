// Renders a JSON-RPC result for a person at a terminal, the way `tandem ctl` prints it without
// --json: scalars as they are, objects as "key: value" lines, arrays of objects as aligned
// tables. Pure functions of the value; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace tandem::control {

// The rules, applied recursively with two spaces of indent per level:
// - null prints nothing; a string prints without quotes; numbers and booleans as JSON.
// - an object prints one "key: value" line per scalar member; a member that is an object, or an
//   array of objects, prints "key:" and then that value indented below it; an array of scalars
//   prints compactly as JSON on the key's line; empty ones print as {} and [].
// - an array of objects prints as a table: a header row, then one row per element; columns are
//   the union of the elements' keys in first-seen order, separated by two spaces; a column
//   whose values are all numbers is right-aligned; nested values print compactly as JSON and
//   missing ones as empty cells. When an element holds a nested table (e.g. a set and its
//   destinations), the elements print instead as object blocks separated by blank lines.
// - a top-level array of scalars prints one element per line; an empty top-level array or
//   object prints "(empty)".
std::string renderText(const nlohmann::ordered_json& value);

}  // namespace tandem::control
