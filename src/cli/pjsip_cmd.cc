// `tandem pjsip convert|lint|plan`: argument parsing only; the work is in src/pjsip/pjsip.h.
#include "cli/pjsip_cmd.h"

#include <iostream>
#include <memory>

#include "pjsip/pjsip.h"

void addPjsipCommands(CLI::App& app) {
  auto* pjsip = app.add_subcommand(
      "pjsip", "chan_sip → PJSIP migration: convert sip.conf, lint PJSIP config, plan batches");
  pjsip->require_subcommand(1);

  // Options live as long as the app: CLI11 writes into them during the parse.
  auto convert = std::make_shared<tandem::pjsip::ConvertArgs>();
  auto* c = pjsip->add_subcommand("convert", "Convert sip.conf to PJSIP configuration");
  c->add_option("sip_conf", convert->input, "chan_sip config (sip.conf)")->required();
  c->add_option("--out", convert->outDir, "output directory")->capture_default_str();
  c->add_option("--format", convert->format,
                "conf: pjsip.conf; wizard: pjsip_wizard.conf; sql: Realtime rows")
      ->check(CLI::IsMember({"conf", "wizard", "sql"}))
      ->capture_default_str();
  c->add_option("--dialect", convert->dialect, "SQL dialect for --format sql")
      ->check(CLI::IsMember({"postgres", "mysql", "sqlite"}))
      ->capture_default_str();
  c->add_option("--bind", convert->bind,
                "PJSIP transport address during the dual-stack period (default: chan_sip's "
                "address, port 5160)");
  c->add_flag("--force", convert->force, "overwrite files in the output directory");
  c->footer(
      "Writes the files and pjsip-convert-report.txt (what was not mapped, file:line each, "
      "and the lint of the output). Exit 1 when the output has lint errors.");
  c->callback([convert] {
    throw CLI::RuntimeError(tandem::pjsip::runConvert(*convert, std::cout, std::cerr));
  });

  auto lint = std::make_shared<tandem::pjsip::LintArgs>();
  auto* l = pjsip->add_subcommand("lint", "Check pjsip.conf / pjsip_wizard.conf");
  l->add_option("files", lint->files, "pjsip.conf and/or pjsip_wizard.conf")->required();
  l->add_option("--sip-conf", lint->sipConf, "chan_sip's sip.conf: its listeners are checked");
  l->add_option("--chan-sip", lint->chanSip, "chan_sip listener, e.g. udp:0.0.0.0:5060");
  l->add_flag("--no-chan-sip", lint->noChanSip, "chan_sip no longer runs");
  l->add_flag("--json", lint->json, "findings as JSON");
  l->footer(
      "Each finding: file:line, severity, code, object, problem and fix. Exit 1 when any "
      "finding is an error.");
  l->callback(
      [lint] { throw CLI::RuntimeError(tandem::pjsip::runLint(*lint, std::cout, std::cerr)); });

  auto plan = std::make_shared<tandem::pjsip::PlanArgs>();
  auto* p = pjsip->add_subcommand("plan", "Dual-stack batch plan for moving endpoints");
  p->add_option("sip_conf", plan->input, "chan_sip config (sip.conf)")->required();
  auto* batches = p->add_option("--batches", plan->batches, "number of batches");
  p->add_option("--by", plan->by, "group batches by context or by tenant (included file)")
      ->check(CLI::IsMember({"context", "tenant"}))
      ->excludes(batches);
  p->add_option("--bind", plan->bind, "PJSIP address during the dual-stack period");
  p->add_flag("--json", plan->json, "the plan as JSON");
  p->callback(
      [plan] { throw CLI::RuntimeError(tandem::pjsip::runPlan(*plan, std::cout, std::cerr)); });
}
