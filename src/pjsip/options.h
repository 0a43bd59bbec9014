// The option names res_pjsip and the config wizard accept, per object type, with the defaults that
// matter to the converter and the linter. Our own table, kept in step with Asterisk's
// documentation.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::pjsip {

// The object types of pjsip.conf (and "wizard" for pjsip_wizard.conf).
const std::vector<std::string>& knownObjectTypes();

// True when `type` is one of knownObjectTypes().
bool isKnownType(std::string_view type);

// True when `option` is a documented option of objects of `type` ("type" itself included).
// Wizard pass-through keys ("endpoint/context") are valid for "wizard" when the part after the
// slash is valid for the named object ("inbound_auth/" and "outbound_auth/" name auth objects).
bool isKnownOption(std::string_view type, std::string_view option);

// Every documented option of `type`, in the documentation's order; empty for an unknown type.
std::vector<std::string> optionsOf(std::string_view type);

// The documented default of an option, when the documentation gives a plain value.
std::optional<std::string> defaultOf(std::string_view type, std::string_view option);

// The valid option of `type` closest to `option` (the fix for a typo or for one of the names
// sip_to_pjsip.py invents); empty when nothing is reasonably close.
std::string closestOption(std::string_view type, std::string_view option);

// Options that may be given several times and accumulate (allow, permit, match, set_var, ...)
// instead of the last one winning.
bool isListOption(std::string_view option);

// Edit distance between two strings (Levenshtein), for suggestions.
size_t editDistance(std::string_view a, std::string_view b);

}  // namespace tandem::pjsip
