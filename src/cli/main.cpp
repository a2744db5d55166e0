// proxycheck: set up the subcommands, run one, map the outcome to the exit
// status. Bad input of any kind is a pxc::Error, caught here once: exit 2.
#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <iostream>
#include <new>
#include <string_view>

#include "cli/commands.hpp"
#include "explorer/memory.hpp"
#include "kernel/error.hpp"

namespace {

void add_picture_options(CLI::App* cmd, pxc::cli::Pictures& p)
{
    cmd->add_option("--dot", p.dot, "write the wait-for graph of the last state as DOT to FILE");
    cmd->add_option("--sequence-dot", p.sequence_dot, "write the trace as a DOT sequence picture, one lane per CPU");
    cmd->add_option("--svg", p.svg, "render the wait-for graph to SVG FILE with graphviz's dot");
}

// CLI11 alone reads "-1" for an unsigned option as 2^64-1, "" as 0 and
// "nan" as a time: every number is checked as text first.
CLI::Validator whole_number(uint64_t most)
{
    return CLI::Validator(
        [most](std::string& text) -> std::string {
            uint64_t v = 0;
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
            if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v > most)
                return "'" + text + "' is not a whole number from 0 to " + std::to_string(most);
            return "";
        },
        "N");
}

const CLI::Validator seconds(
    [](std::string& text) -> std::string {
        double v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v) || v < 0)
            return "'" + text + "' is not a number of seconds (0 or more)";
        return "";
    },
    "SECONDS");

const CLI::Validator size(
    [](std::string& text) -> std::string {
        const auto bytes = pxc::explorer::parse_size(text);
        if (bytes && *bytes == 0)
            return "must be more than 0 (without --memory the budget is 80 % of the memory available)";
        if (!bytes)
            return "cannot read size '" + text + "' (a number and K, M, G or T; M when none: 512M, 4G)";
        return "";
    },
    "SIZE");

}  // namespace

int main(int argc, char** argv)
{
    using namespace pxc::cli;
    CLI::App app{"proxycheck: exhaustive model checker for the Linux proxy-execution locking protocol\n"
                 "exit status: 0 holds / expectations met / replay blocked, 1 violated / expectation failed / replay\n"
                 "reproduced, 2 bad input, 3 incomplete"};
    app.require_subcommand(1);

    CheckOptions check;
    auto* c = app.add_subcommand("check", "check a scenario's properties exhaustively");
    c->add_option("model", check.model, "scenario file (models/*.toml)")->required();
    c->add_option("--features", check.features, "comma-separated +flag/-flag, applied after the file's own");
    c->add_option("--property", check.properties, "check only this property (repeatable)");
    c->add_option("--properties", check.property_files, "add the properties of a .prop file (repeatable)");
    c->add_option("--threads", check.threads, "search threads, every mode (default: every core; 1: one thread)")
        ->check(whole_number(1024));
    c->add_option("--memory", check.memory,
                  "stop with 'incomplete' before the search takes more than SIZE (e.g. 4G; default: 80 % of the "
                  "memory available; bitstate: half of it is the bit array; K, M, G or T, M when none)")
        ->check(size);
    c->add_option("--max-states", check.max_states, "stop with 'incomplete' after N states (0: no limit)")
        ->check(whole_number(UINT64_MAX));
    c->add_option("--time", check.seconds, "stop with 'incomplete' after SECONDS (0: no limit)")->check(seconds);
    c->add_option("--mode", check.mode,
                  "exact (default), compact (64-bit fingerprints) or bitstate (bit array); the lossy modes never "
                  "say 'holds' (exit 3)")
        ->check(CLI::IsMember({"exact", "compact", "bitstate"}));
    c->add_option("--store", check.store,
                  "exact mode's visited set: tree (default; compressed, about 15 bytes a state) or flat (whole "
                  "states, parents and labels; faster counterexamples)")
        ->check(CLI::IsMember({"tree", "flat"}));
    c->add_option("--format", check.format, "text or json")->check(CLI::IsMember({"text", "json"}));
    c->add_option("--trace-out", check.trace_out, "write the counterexample as JSON to FILE");
    c->add_flag("--full", check.full, "print the whole state after each step, not only what changed");
    c->add_flag("--shortest-only", check.shortest_only,
                "plain BFS order: do not prefer the shortest counterexample with the fewest preemptions");
    c->add_flag("--no-symmetry", check.no_symmetry,
                "search every state: no reduction over interchangeable tasks (same program, affinity, CPU)");
    c->add_flag("--no-por", check.no_por,
                "no partial-order reduction (on by default: it keeps every verdict of the invariant and deadlock "
                "properties, but a counterexample is then the shortest in the reduced graph, not always the "
                "shortest of all; --no-por gives that one)");
    add_picture_options(c, check.pictures);
    c->add_flag("--no-progress", check.quiet_progress, "no progress line on stderr");

    ReplayOptions replay;
    auto* r = app.add_subcommand("replay", "re-execute a JSON trace step by step against the model");
    r->add_option("trace", replay.trace, "trace file (--trace-out, counterexamples/*.json)")->required();
    r->add_option("--model", replay.model, "scenario file (default: the one the trace names)");
    r->add_option("--features", replay.features, "comma-separated +flag/-flag, applied after the trace's own");
    r->add_option("--properties", replay.property_files,
                  "the .prop file of the trace's property, when it is one of your own (repeatable)");
    r->add_flag("--full", replay.full, "print the whole state after each step, not only what changed");
    add_picture_options(r, replay.pictures);

    CiOptions ci;
    auto* ci_cmd = app.add_subcommand("ci", "check every [[expect]] of every model under PATH (default models/)");
    ci_cmd->add_option("paths", ci.paths, "model files or folders");
    ci_cmd->add_option("--properties", ci.property_files,
                       "add the properties of a .prop file, for expectations that name them (repeatable)");
    ci_cmd->add_option("--junit", ci.junit, "write a JUnit XML report");
    ci_cmd->add_option("--json", ci.json, "write a JSON report");
    ci_cmd->add_option("--memory", ci.memory, "per-run memory limit (as check --memory)")->check(size);
    ci_cmd->add_option("--max-states", ci.max_states, "per-run state limit (0: no limit)")
        ->check(whole_number(UINT64_MAX));
    ci_cmd->add_option("--time", ci.seconds, "per-run time limit in seconds (0: no limit)")->check(seconds);
    ci_cmd->add_option("--threads", ci.threads, "search threads (default: every core)")->check(whole_number(1024));
    ci_cmd->add_flag("--no-symmetry", ci.no_symmetry, "no reduction over interchangeable tasks");
    ci_cmd->add_flag("--no-por", ci.no_por,
                     "no partial-order reduction (runs compared with a committed counterexample never use it)");
    ci_cmd->add_option("--store", ci.store, "exact mode's visited set: tree (default) or flat")
        ->check(CLI::IsMember({"tree", "flat"}));
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
        // CLI11 reads an empty `--features=` as a missing value and takes the
        // next argument; "," is the same empty edit list.
        for (int i = 1; i < argc; ++i) {
            if (std::string_view(argv[i]) == "--features=")
                argv[i] = const_cast<char*>("--features=,");
            // "--memory=" with nothing after it: CLI11 would take the next argument as the value.
            const std::string_view arg(argv[i]);
            if (arg.starts_with("--") && arg.ends_with("="))
                throw CLI::ValidationError(std::string(arg.substr(0, arg.size() - 1)), "needs a value after '='");
            // Without '=', CLI11 takes the next option as the list.
            if (arg == "--features" && i + 1 < argc && std::string_view(argv[i + 1]).starts_with("--"))
                throw CLI::ValidationError("--features", "needs a list: --features=+flag,-flag");
        }
        const std::string_view first = argc > 1 ? argv[1] : "";
        if (!first.empty() && first[0] != '-' && first != "check" && first != "ci" && first != "replay" &&
            first != "list")
            throw CLI::ValidationError("unknown command '" + std::string(argv[1]) + "' (check, ci, replay, list)");
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0)   // --help
            return app.exit(e);
        const std::string_view cmd = argc > 1 && argv[1][0] != '-' ? argv[1] : "check";
        std::string what = e.what();
        // CLI11's words for an option given twice.
        if (const size_t at = what.find("At Most 1 required but received"); at != std::string::npos)
            what = what.substr(0, at) + "given more than once";
        std::cerr << "proxycheck: error: " << what << "\n(proxycheck " << cmd << " --help)\n";
        return 2;
    }
    try {
        if (*c)
            return cmd_check(check);
        if (*ci_cmd)
            return cmd_ci(ci);
        if (*r)
            return cmd_replay(replay);
        return cmd_list(what, list_files);
    } catch (const pxc::Error& e) {
        std::fflush(stdout);
        std::cerr << "proxycheck: error: " << e.what() << "\n";
        return 2;
    } catch (const std::bad_alloc&) {
        // The searches stop cleanly on their own; this is what is left (a
        // counterexample's rendering, a report) running out of memory.
        std::fflush(stdout);
        std::cerr << "proxycheck: out of memory\n";
        return 3;
    } catch (const std::exception& e) {
        // The system failed us (a lossy mode's temporary file could not be read back): say so, no crash.
        std::fflush(stdout);
        std::cerr << "proxycheck: error: " << e.what() << "\n";
        return 2;
    }
}
