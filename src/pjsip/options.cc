// Our table of res_pjsip option names and plain defaults per object type (Asterisk 20-22
// documentation), and the lookups the converter and linter use. The data is names, not prose.
#include "pjsip/options.h"

#include <algorithm>
#include <map>
#include <utility>

namespace tandem::pjsip {
namespace {

struct TypeOptions {
  const char* type;
  std::vector<std::pair<const char*, const char*>> options;  // name, default ("" when none)
};

// Each type's documented options. A default of "" means none is documented, or the documented
// one is not a plain value.
const std::vector<TypeOptions>& table() {
  static const std::vector<TypeOptions> kTable = {
      {"endpoint",
       {{"100rel", "yes"},
        {"aggregate_mwi", "yes"},
        {"allow", ""},
        {"codec_prefs_incoming_offer", ""},
        {"codec_prefs_outgoing_offer", ""},
        {"codec_prefs_incoming_answer", ""},
        {"codec_prefs_outgoing_answer", ""},
        {"allow_overlap", "yes"},
        {"overlap_context", ""},
        {"aors", ""},
        {"auth", ""},
        {"callerid", ""},
        {"callerid_privacy", ""},
        {"callerid_tag", ""},
        {"context", ""},
        {"direct_media_glare_mitigation", "none"},
        {"direct_media_method", "invite"},
        {"trust_connected_line", ""},
        {"send_connected_line", ""},
        {"connected_line_method", "invite"},
        {"direct_media", "yes"},
        {"disable_direct_media_on_nat", "no"},
        {"disallow", ""},
        {"dtmf_mode", "rfc4733"},
        {"media_address", ""},
        {"bind_rtp_to_media_address", ""},
        {"force_rport", "yes"},
        {"ice_support", "no"},
        {"identify_by", ""},
        {"redirect_method", ""},
        {"follow_redirect_methods", ""},
        {"mailboxes", ""},
        {"mwi_subscribe_replaces_unsolicited", ""},
        {"voicemail_extension", ""},
        {"moh_suggest", "default"},
        {"outbound_auth", ""},
        {"outbound_proxy", ""},
        {"rewrite_contact", ""},
        {"rtp_ipv6", "no"},
        {"rtp_symmetric", "no"},
        {"send_diversion", "yes"},
        {"send_history_info", "no"},
        {"send_pai", "no"},
        {"send_rpid", "no"},
        {"rpid_immediate", "no"},
        {"tenantid", ""},
        {"timers_min_se", "90"},
        {"timers", "yes"},
        {"timers_sess_expires", "1800"},
        {"transport", ""},
        {"trust_id_inbound", "no"},
        {"trust_id_outbound", "no"},
        {"type", ""},
        {"use_ptime", "no"},
        {"use_avpf", "no"},
        {"force_avp", "no"},
        {"media_use_received_transport", "no"},
        {"media_encryption", "no"},
        {"media_encryption_optimistic", "no"},
        {"g726_non_standard", "no"},
        {"inband_progress", "no"},
        {"call_group", ""},
        {"pickup_group", ""},
        {"named_call_group", ""},
        {"named_pickup_group", ""},
        {"device_state_busy_at", "0"},
        {"t38_udptl", "no"},
        {"t38_udptl_ec", "none"},
        {"t38_udptl_maxdatagram", "0"},
        {"fax_detect", "no"},
        {"fax_detect_timeout", ""},
        {"t38_udptl_nat", "no"},
        {"t38_udptl_ipv6", "no"},
        {"t38_bind_udptl_to_media_address", "no"},
        {"tone_zone", ""},
        {"language", ""},
        {"one_touch_recording", "no"},
        {"record_on_feature", "automixmon"},
        {"record_off_feature", "automixmon"},
        {"rtp_engine", "asterisk"},
        {"allow_transfer", "yes"},
        {"user_eq_phone", "no"},
        {"moh_passthrough", "no"},
        {"sdp_owner", "-"},
        {"sdp_session", "Asterisk"},
        {"tos_audio", ""},
        {"tos_video", ""},
        {"cos_audio", ""},
        {"cos_video", ""},
        {"allow_subscribe", "yes"},
        {"sub_min_expiry", "60"},
        {"from_user", ""},
        {"mwi_from_user", ""},
        {"from_domain", ""},
        {"dtls_verify", ""},
        {"dtls_rekey", ""},
        {"dtls_auto_generate_cert", "no"},
        {"dtls_cert_file", ""},
        {"dtls_private_key", ""},
        {"dtls_cipher", ""},
        {"dtls_ca_file", ""},
        {"dtls_ca_path", ""},
        {"dtls_setup", ""},
        {"dtls_fingerprint", ""},
        {"srtp_tag_32", ""},
        {"set_var", ""},
        {"message_context", ""},
        {"accountcode", ""},
        {"preferred_codec_only", "no"},
        {"incoming_call_offer_pref", "local"},
        {"outgoing_call_offer_pref", "remote_merge"},
        {"rtp_keepalive", ""},
        {"rtp_timeout", "0"},
        {"rtp_timeout_hold", "0"},
        {"rtp_port_start", "0"},
        {"rtp_port_end", "0"},
        {"acl", ""},
        {"deny", ""},
        {"permit", ""},
        {"contact_acl", ""},
        {"contact_deny", ""},
        {"contact_permit", ""},
        {"subscribe_context", ""},
        {"contact_user", ""},
        {"asymmetric_rtp_codec", "no"},
        {"rtcp_mux", "no"},
        {"refer_blind_progress", "yes"},
        {"notify_early_inuse_ringing", "no"},
        {"max_audio_streams", "1"},
        {"max_video_streams", "1"},
        {"bundle", "no"},
        {"webrtc", "no"},
        {"incoming_mwi_mailbox", ""},
        {"follow_early_media_fork", ""},
        {"accept_multiple_sdp_answers", "no"},
        {"suppress_q850_reason_headers", "no"},
        {"ignore_183_without_sdp", "no"},
        {"stir_shaken", "no"},
        {"stir_shaken_profile", ""},
        {"allow_unauthenticated_options", "no"},
        {"security_negotiation", "no"},
        {"security_mechanisms", ""},
        {"geoloc_incoming_call_profile", ""},
        {"geoloc_outgoing_call_profile", ""},
        {"send_aoc", "no"},
        {"suppress_moh_on_sendonly", "no"}}},
      {"auth",
       {{"auth_type", "digest"},
        {"username", ""},
        {"password", ""},
        {"password_digest", ""},
        {"md5_cred", ""},
        {"supported_algorithms_uac", ""},
        {"supported_algorithms_uas", ""},
        {"refresh_token", ""},
        {"oauth_clientid", ""},
        {"oauth_secret", ""},
        {"realm", ""},
        {"nonce_lifetime", "32"},
        {"type", ""}}},
      {"domain_alias", {{"type", ""}, {"domain", ""}}},
      {"transport",
       {{"async_operations", "1"},
        {"bind", ""},
        {"ca_list_file", ""},
        {"ca_list_path", ""},
        {"cert_file", ""},
        {"cipher", ""},
        {"domain", ""},
        {"external_media_address", ""},
        {"external_signaling_address", ""},
        {"external_signaling_port", "0"},
        {"external_signaling_hostname", ""},
        {"method", ""},
        {"local_net", ""},
        {"password", ""},
        {"priv_key_file", ""},
        {"protocol", "udp"},
        {"require_client_cert", "false"},
        {"tcp_keepalive_enable", "no"},
        {"tcp_keepalive_idle_time", "30"},
        {"tcp_keepalive_interval_time", "10"},
        {"tcp_keepalive_probe_count", "5"},
        {"type", ""},
        {"verify_client", "false"},
        {"verify_server", "false"},
        {"tos", "false"},
        {"cos", "false"},
        {"websocket_write_timeout", "100"},
        {"allow_reload", "no"},
        {"allow_wildcard_certs", "false"},
        {"symmetric_transport", "no"}}},
      {"contact",
       {{"type", ""},
        {"uri", ""},
        {"expiration_time", ""},
        {"qualify_frequency", "0"},
        {"qualify_timeout", "3.0"},
        {"qualify_2xx_only", ""},
        {"authenticate_qualify", ""},
        {"outbound_proxy", ""},
        {"path", ""},
        {"user_agent", ""},
        {"endpoint", ""},
        {"reg_server", ""},
        {"via_addr", ""},
        {"via_port", ""},
        {"call_id", ""},
        {"prune_on_boot", ""}}},
      {"aor",
       {{"contact", ""},
        {"default_expiration", "3600"},
        {"mailboxes", ""},
        {"voicemail_extension", ""},
        {"maximum_expiration", "7200"},
        {"max_contacts", "0"},
        {"minimum_expiration", "60"},
        {"remove_existing", "no"},
        {"remove_unavailable", "no"},
        {"type", ""},
        {"qualify_frequency", "0"},
        {"qualify_timeout", "3.0"},
        {"qualify_2xx_only", ""},
        {"authenticate_qualify", ""},
        {"outbound_proxy", ""},
        {"support_path", ""}}},
      {"system",
       {{"timer_t1", "500"},
        {"timer_b", "32000"},
        {"compact_headers", "no"},
        {"taskpool_minimum_size", "4"},
        {"taskpool_initial_size", "4"},
        {"taskpool_auto_increment", "1"},
        {"taskpool_idle_timeout", "60"},
        {"taskpool_max_size", "50"},
        {"threadpool_initial_size", "4"},
        {"threadpool_auto_increment", "1"},
        {"threadpool_idle_timeout", "60"},
        {"threadpool_max_size", "50"},
        {"disable_tcp_switch", "yes"},
        {"follow_early_media_fork", ""},
        {"accept_multiple_sdp_answers", ""},
        {"disable_rport", "no"},
        {"type", ""}}},
      {"global",
       {{"max_forwards", "70"},
        {"keep_alive_interval", "90"},
        {"contact_expiration_check_interval", "30"},
        {"disable_multi_domain", "no"},
        {"max_initial_qualify_time", "0"},
        {"unidentified_request_period", "5"},
        {"unidentified_request_count", "5"},
        {"unidentified_request_prune_interval", "30"},
        {"type", ""},
        {"user_agent", ""},
        {"regcontext", ""},
        {"default_outbound_endpoint", "default_outbound_endpoint"},
        {"default_voicemail_extension", ""},
        {"debug", "no"},
        {"endpoint_identifier_order", ""},
        {"default_from_user", "asterisk"},
        {"default_realm", "asterisk"},
        {"mwi_tps_queue_high", "500"},
        {"mwi_tps_queue_low", "-1"},
        {"mwi_disable_initial_unsolicited", "no"},
        {"ignore_uri_user_options", ""},
        {"use_callerid_contact", "no"},
        {"send_contact_status_on_update_registration", "no"},
        {"taskprocessor_overload_trigger", ""},
        {"norefersub", "yes"},
        {"allow_sending_180_after_183", "no"},
        {"all_codecs_on_empty_reinvite", "no"},
        {"default_auth_algorithms_uas", "no"},
        {"default_auth_algorithms_uac", "no"}}},
      {"identify",
       {{"endpoint", ""},
        {"match", ""},
        {"srv_lookups", "yes"},
        {"match_header", ""},
        {"match_request_uri", ""},
        {"type", ""}}},
      {"registration",
       {{"auth_rejection_permanent", "yes"},
        {"client_uri", ""},
        {"contact_user", "s"},
        {"contact_header_params", ""},
        {"expiration", "3600"},
        {"max_retries", "10"},
        {"security_negotiation", "no"},
        {"security_mechanisms", ""},
        {"outbound_auth", ""},
        {"outbound_proxy", ""},
        {"max_random_initial_delay", "10"},
        {"retry_interval", "60"},
        {"forbidden_retry_interval", "0"},
        {"fatal_retry_interval", "0"},
        {"server_uri", ""},
        {"transport", ""},
        {"line", ""},
        {"endpoint", ""},
        {"type", ""},
        {"support_path", ""},
        {"support_outbound", ""},
        {"user_agent", ""}}},
      {"acl",
       {{"acl", ""},
        {"contact_acl", ""},
        {"contact_deny", ""},
        {"contact_permit", ""},
        {"deny", ""},
        {"permit", ""},
        {"type", ""}}},
      {"wizard",
       {{"type", ""},
        {"transport", ""},
        {"remote_hosts", ""},
        {"outbound_proxy", ""},
        {"sends_auth", "no"},
        {"accepts_auth", "no"},
        {"sends_registrations", "no"},
        {"sends_line_with_registrations", "no"},
        {"accepts_registrations", "no"},
        {"has_phoneprov", "no"},
        {"server_uri_pattern", "sip:${REMOTE_HOST}"},
        {"client_uri_pattern", "sip:${USERNAME}@${REMOTE_HOST}"},
        {"contact_pattern", "sip:${REMOTE_HOST}"},
        {"has_hint", "no"},
        {"hint_context", ""},
        {"hint_exten", ""},
        {"hint_application", ""}}},
  };
  return kTable;
}

const TypeOptions* find(std::string_view type) {
  for (const auto& t : table()) {
    if (type == t.type) return &t;
  }
  return nullptr;
}

// The object a wizard pass-through prefix configures.
std::string_view wizardPrefixType(std::string_view prefix) {
  if (prefix == "endpoint" || prefix == "aor" || prefix == "identify" || prefix == "registration") {
    return prefix;
  }
  if (prefix == "inbound_auth" || prefix == "outbound_auth") return "auth";
  return {};
}

}  // namespace

const std::vector<std::string>& knownObjectTypes() {
  static const std::vector<std::string> kTypes = [] {
    std::vector<std::string> types;
    for (const auto& t : table()) types.emplace_back(t.type);
    return types;
  }();
  return kTypes;
}

bool isKnownType(std::string_view type) { return find(type) != nullptr; }

bool isKnownOption(std::string_view type, std::string_view option) {
  if (type == "wizard") {
    size_t slash = option.find('/');
    if (slash != std::string_view::npos) {
      std::string_view prefix = option.substr(0, slash);
      std::string_view rest = option.substr(slash + 1);
      // phoneprov/ takes free-form variables (MAC, PROFILE, ...) that res_phoneprov defines.
      if (prefix == "phoneprov") return !rest.empty();
      std::string_view target = wizardPrefixType(prefix);
      return !target.empty() && rest != "type" && isKnownOption(target, rest);
    }
  }
  const TypeOptions* t = find(type);
  if (t == nullptr) return false;
  for (const auto& [name, def] : t->options) {
    if (option == name) return true;
  }
  return false;
}

std::vector<std::string> optionsOf(std::string_view type) {
  std::vector<std::string> out;
  if (const TypeOptions* t = find(type)) {
    for (const auto& [name, def] : t->options) out.emplace_back(name);
  }
  return out;
}

std::optional<std::string> defaultOf(std::string_view type, std::string_view option) {
  if (type == "wizard") {
    size_t slash = option.find('/');
    if (slash != std::string_view::npos) {
      std::string_view target = wizardPrefixType(option.substr(0, slash));
      if (target.empty()) return std::nullopt;
      return defaultOf(target, option.substr(slash + 1));
    }
  }
  const TypeOptions* t = find(type);
  if (t == nullptr) return std::nullopt;
  for (const auto& [name, def] : t->options) {
    if (option == name) {
      if (*def == '\0') return std::nullopt;
      return std::string(def);
    }
  }
  return std::nullopt;
}

size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1);
  std::vector<size_t> cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closestOption(std::string_view type, std::string_view option) {
  if (type == "wizard") {
    size_t slash = option.find('/');
    if (slash != std::string_view::npos) {
      std::string_view prefix = option.substr(0, slash);
      std::string_view target = wizardPrefixType(prefix);
      if (target.empty()) return {};
      std::string best = closestOption(target, option.substr(slash + 1));
      return best.empty() ? std::string() : std::string(prefix) + "/" + best;
    }
  }
  const TypeOptions* t = find(type);
  if (t == nullptr) return {};
  // Names without separators compare well ("outboundproxy" vs "outbound_proxy").
  auto squash = [](std::string_view s) {
    std::string out;
    for (char c : s) {
      if (c != '_' && c != '-') out += c;
    }
    return out;
  };
  std::string wanted = squash(option);
  std::string best;
  size_t bestDistance = 0;
  for (const auto& [name, def] : t->options) {
    std::string candidate = squash(name);
    size_t d = editDistance(wanted, candidate);
    if (best.empty() || d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  // Accept up to a third of the name's length in edits: close enough to be the same intent.
  size_t limit = std::max<size_t>(2, wanted.size() / 3);
  return bestDistance <= limit ? best : std::string();
}

bool isListOption(std::string_view option) {
  // A wizard pass-through ("endpoint/allow") accumulates like the option it passes on.
  if (size_t slash = option.rfind('/'); slash != std::string_view::npos) {
    option.remove_prefix(slash + 1);
  }
  static const char* const kLists[] = {"allow",   "disallow",       "permit",       "deny",
                                       "acl",     "contact_permit", "contact_deny", "contact_acl",
                                       "set_var", "match",          "local_net",    "contact"};
  for (const char* name : kLists) {
    if (option == name) return true;
  }
  return false;
}

}  // namespace tandem::pjsip
