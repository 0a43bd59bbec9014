// The wizard: see wizard.h. Every answer goes through setField, so it is judged by parsePlan's own
// checks; this file only holds the conversation.
#include "migrate/wizard.h"

#include <unistd.h>

#include <algorithm>
#include <optional>

#include "migrate/files.h"

namespace tandem::migrate {

namespace {

constexpr const char* kAborted =
    "wizard: input ended before the plan was confirmed; nothing was run";

// The next line without its end and surrounding blanks; nullopt at the end of input.
std::optional<std::string> readAnswer(std::istream& in) {
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  const char* blanks = " \t\r\n";
  size_t first = line.find_first_not_of(blanks);
  if (first == std::string::npos) return std::string();
  return line.substr(first, line.find_last_not_of(blanks) - first + 1);
}

// What the prompt and the summary show: a password other than FreeSWITCH's well-known default is
// not echoed back to the screen (it is still written to -o).
std::string shown(const Plan& plan, const PlanField& field) {
  std::string text = fieldText(plan, field);
  if (field.key == "fs_password" && text != "ClueCon") return "***";
  return text;
}

class Session {
 public:
  Session(std::istream& in, std::ostream& out, Plan plan) : in_(in), out_(out), plan_(plan) {}

  // Asks field i until the answer is accepted; false at the end of input.
  bool ask(size_t i) {
    const auto& fields = planFields();
    const PlanField& f = fields[i];
    out_ << "\n[" << i + 1 << "/" << fields.size() << "] " << f.label << ": " << f.help;
    if (f.clearable) out_ << " (- to unset)";
    out_ << "\n";
    for (;;) {
      out_ << f.label << " [" << shown(plan_, f) << "]: " << std::flush;
      auto answer = readAnswer(in_);
      if (!answer) return false;
      if (answer->empty()) {
        if (!fieldText(plan_, f).empty()) return true;
        out_ << "[" << f.table << "] " << f.key << " is required\n";
        continue;
      }
      Status st = setField(plan_, f, *answer);
      if (st) return true;
      out_ << st.message() << "\n";
    }
  }

  void summary() {
    const auto& fields = planFields();
    out_ << "\nThe plan:\n";
    for (size_t i = 0; i < fields.size(); ++i) {
      std::string num = std::to_string(i + 1);
      std::string label(fields[i].label);
      label.resize(std::max<size_t>(label.size(), 32), ' ');
      out_ << std::string(num.size() < 3 ? 3 - num.size() : 0, ' ') << num << "  " << label
           << shown(plan_, fields[i]) << "\n";
    }
    if (!plan_.verifyToml.empty()) out_ << "     [verify] kept as read from the plan file\n";
  }

  // Summary and edits until confirmed; false at the end of input.
  bool confirm() {
    const size_t n = planFields().size();
    for (;;) {
      summary();
      for (;;) {
        out_ << "Field number to change, or Enter to confirm: " << std::flush;
        auto answer = readAnswer(in_);
        if (!answer) return false;
        if (answer->empty()) {
          Status st = checkPlan(plan_);
          if (st) return true;
          out_ << st.message() << "\n";
          continue;
        }
        size_t pick = 0;
        bool digits =
            answer->size() <= 3 && answer->find_first_not_of("0123456789") == std::string::npos;
        if (digits) pick = std::stoul(*answer);
        if (pick < 1 || pick > n) {
          out_ << "no field \"" << *answer << "\": type a number from 1 to " << n
               << ", or Enter to confirm\n";
          continue;
        }
        if (!ask(pick - 1)) return false;
        break;  // show the summary again
      }
    }
  }

  // true: dry run; nullopt at the end of input.
  std::optional<bool> dryOrLive() {
    for (;;) {
      out_ << "dry run or live run? [dry]: " << std::flush;
      auto answer = readAnswer(in_);
      if (!answer) return std::nullopt;
      if (answer->empty() || *answer == "dry") return true;
      if (*answer == "live") return false;
      out_ << "answer dry or live\n";
    }
  }

  const Plan& plan() const { return plan_; }

 private:
  std::istream& in_;
  std::ostream& out_;
  Plan plan_;
};

}  // namespace

int runWizard(const WizardOptions& options, std::istream& in, std::ostream& out, std::ostream& err,
              const PlanRunner& run) {
  Plan start;
  if (!options.planFile.empty()) {
    auto text = readWholeFile(options.planFile);
    if (!text) {
      err << "wizard: " << text.message() << "\n";
      return 1;
    }
    auto parsed = parsePlan(*text, options.planFile);
    if (!parsed) {
      err << parsed.message() << "\n";
      return 1;
    }
    start = std::move(*parsed);
  } else {
    // What a plan file without the key reads as: the Plan struct leaves phases empty.
    for (const auto& f : planFields()) {
      if (f.key == "phases") (void)setField(start, f, "both, new");
    }
  }

  Session session(in, out, std::move(start));
  out << "tandem migrate wizard: " << planFields().size()
      << " questions. Enter keeps the value in brackets.\n";
  for (size_t i = 0; i < planFields().size(); ++i) {
    if (!session.ask(i)) {
      err << "\n" << kAborted << "\n";
      return 1;
    }
  }
  if (!session.confirm()) {
    err << "\n" << kAborted << "\n";
    return 1;
  }
  const Plan& plan = session.plan();

  const std::string text = renderPlan(plan);
  if (!options.outFile.empty()) {
    const mode_t mode = plan.drain.fs.empty() ? 0644 : 0600;
    if (Status st = replaceFile(options.outFile, text, mode, ::getuid(), ::getgid()); !st) {
      err << "wizard: " << st.message() << "\n";
      return 1;
    }
    out << "wrote " << options.outFile << "\n";
  }
  if (options.noRun) {
    if (options.outFile.empty()) out << "\n" << text;
    return 0;
  }
  auto dry = session.dryOrLive();
  if (!dry) {
    err << "\nwizard: input ended before dry or live was chosen; nothing was run\n";
    return 1;
  }
  out << "\n";
  return run(plan, *dry);
}

}  // namespace tandem::migrate
