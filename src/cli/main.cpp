// proxycheck: set up the subcommands, run one, map the outcome to the exit
// status. Bad input of any kind is a pxc::Error, caught here once: exit 2.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "cli/commands.hpp"
#include "kernel/error.hpp"

int main(int argc, char** argv)
{
    using namespace pxc::cli;
    CLI::App app{"proxycheck: exhaustive model checker for the Linux proxy-execution locking protocol\n"
                 "exit status: 0 holds / expectations met, 1 violated / expectation failed, 2 bad input, 3 incomplete"};
    app.require_subcommand(1);

    CheckOptions check;
    auto* c = app.add_subcommand("check", "check a scenario's properties exhaustively");
    c->add_option("model", check.model, "scenario file (models/*.toml)")->required();
    c->add_option("--features", check.features, "comma-separated +flag/-flag, applied after the file's own");
    c->add_option("--property", check.properties, "check only this property (repeatable)");
    c->add_option("--properties", check.property_files, "add the properties of a .prop file (repeatable)");
    c->add_option("--threads", check.threads, "worker threads (the search is single-threaded for now)");
    c->add_option("--memory", check.memory, "stop with 'incomplete' before the visited set exceeds SIZE (e.g. 4G)");
    c->add_option("--max-states", check.max_states, "stop with 'incomplete' after N states");
    c->add_option("--time", check.seconds, "stop with 'incomplete' after SECONDS");
    c->add_option("--mode", check.mode, "exact (compact and bitstate: not yet)")
        ->check(CLI::IsMember({"exact", "compact", "bitstate"}));
    c->add_option("--format", check.format, "text or json")->check(CLI::IsMember({"text", "json"}));
    c->add_option("--trace-out", check.trace_out, "write the counterexample as JSON to FILE");
    c->add_option("--dot", check.dot, "write the wait-for graph as DOT (not yet)");
    c->add_flag("--no-progress", check.quiet_progress, "no progress line on stderr");

    CiOptions ci;
    auto* ci_cmd = app.add_subcommand("ci", "check every [[expect]] of every model under PATH (default models/)");
    ci_cmd->add_option("paths", ci.paths, "model files or folders");
    ci_cmd->add_option("--properties", ci.property_files,
                       "add the properties of a .prop file, for expectations that name them (repeatable)");
    ci_cmd->add_option("--junit", ci.junit, "write a JUnit XML report");
    ci_cmd->add_option("--json", ci.json, "write a JSON report");
    ci_cmd->add_option("--memory", ci.memory, "per-run memory limit");
    ci_cmd->add_option("--max-states", ci.max_states, "per-run state limit");
    ci_cmd->add_option("--time", ci.seconds, "per-run time limit");
    ci_cmd->add_flag("--update-counterexamples", ci.update_counterexamples,
                     "rewrite the counterexample files the expectations name (explicit, never automatic)");

    std::string what;
    std::vector<std::string> list_files;
    auto* l = app.add_subcommand("list", "list features, baselines or properties");
    l->add_option("what", what, "features | baselines | properties")
        ->required()
        ->check(CLI::IsMember({"features", "baselines", "properties"}));
    l->add_option("--properties", list_files, "also list the properties of a .prop file (repeatable)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }
    try {
        if (*c)
            return cmd_check(check);
        if (*ci_cmd)
            return cmd_ci(ci);
        return cmd_list(what, list_files);
    } catch (const pxc::Error& e) {
        std::fflush(stdout);
        std::cerr << "proxycheck: error: " << e.what() << "\n";
        return 2;
    }
}
