// Applying a profile to a Kamailio edge: rewrite its dispatcher.list file (after a backup), make
// it reload over jsonrpcs, verify with dispatcher.list, and put the backup back when anything
// after the write fails.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "migrate/audit.h"
#include "migrate/edge.h"
#include "migrate/profile.h"

namespace tandem::migrate {

// The list file with the profile's lines in place of the lines of the profile's set that name
// the profile's URIs (at the place of the first of them, else appended). Every other line
// (other sets, other destinations of the set, comments) is kept byte for byte, except earlier
// marker comments of this tool ("# tandem migrate ..."), which are replaced by one:
// `# tandem migrate mode=M set=S applied WHEN by WHO`, and profile headers of the set
// (`# tandem-migrate-profile mode=M set=S ...`, the first line of a file that started as a
// profile), which no longer describe it and are dropped. Error (a URI or attrs that would not
// read back): `cannot write the profile as a dispatcher.list: <why>`.
Result<std::string> rewriteKamailioList(std::string_view current, const Profile& profile,
                                        std::string_view when, std::string_view who);

struct KamailioApplyOptions {
  std::string listPath;  // the file Kamailio's dispatcher module reads (modparam list_file)
  bool dryRun = false;   // compute and report, change nothing
  SystemTime now = std::chrono::system_clock::now();
  std::string who;  // for the marker comment
  // Kamailio refuses a reload within reload_delta (5 s by default) of the previous one with
  // {"code":500,"message":"Ongoing reload"}: that answer, and only that one, is retried this
  // long, this often. Any other error answer ("Reload Failed": Kamailio could not load the file)
  // fails at once.
  std::chrono::milliseconds reloadRetryFor{12'000};
  std::chrono::milliseconds reloadRetryEvery{1'000};
  // Kamailio silently skips a destination whose host does not resolve (the reload answers "Ok",
  // only its log says "unable to add destination"). On: every profile URI's host must be an IP
  // literal or resolve, else the apply stops before changing anything. The CLI's
  // --no-resolve-check turns it off.
  bool checkHostsResolve = true;
  // Whether a host name (never an IP literal) resolves; empty: getaddrinfo. Tests pass a fake.
  std::function<bool(const std::string&)> resolves;
  // How to wait between retries; empty: std::this_thread::sleep_for. Tests pass a fake.
  std::function<void(std::chrono::milliseconds)> sleep;
};

struct KamailioApplyReport {
  std::vector<ListedDest> before;  // the profile's set before, when it could be listed
  std::string beforeError;         // why it could not (e.g. Kamailio had no set loaded)
  std::string oldText;             // the list file before
  std::string newText;             // the list file written (or, in a dry run, to be written)
  std::string backupPath;          // FILE.bak.<UTC stamp>[-N]; empty when nothing was written
  std::vector<ListedDest> after;   // the set as listed after the reload
  std::vector<std::string> mismatches;
  // The backup's content was put back in the list file (or that was tried: restoreError).
  bool restored = false;
  // ...and Kamailio reloaded it. Not tried when Kamailio answered the forward reload with an
  // error: it loaded nothing and still serves its previous list.
  bool restoreReloaded = false;
  // The restore itself failed, the file or Kamailio needs a hand: `writing the list file back:
  // <why>` or `reloading the restored list: <why>`.
  std::string restoreError;
  Status status;  // ok, or what failed
};

// Reads the list file, checks that the profile's hosts resolve (options.checkHostsResolve), lists
// the set (a connection failure stops here, before any change), writes FILE.bak.<stamp> (same
// mode) and the new file (temporary file + rename, same mode and owner when allowed), calls
// dispatcher.reload, lists again and verifies (Flavor::kKamailio). When the reload or the
// verification fails, the backup's content goes back to FILE, and Kamailio reloads it unless it
// had answered the reload with an error (then it loaded nothing: `...; the list file was put back
// from BAK (Kamailio kept its previous list)`). A reload that timed out or could not connect may
// have happened, so that one is undone with a reload. status then says what failed and how the
// restore went. Blocking.
KamailioApplyReport applyKamailio(EdgeLink& link, const Profile& profile,
                                  const KamailioApplyOptions& options);

}  // namespace tandem::migrate
