// proxycheck check MODEL: one exhaustive search, its verdict, statistics and
// (when a property breaks) the counterexample.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/outputs.hpp"
#include "cli/pictures.hpp"
#include "cli/run.hpp"
#include "explorer/memory.hpp"
#include "kernel/error.hpp"
#include "trace/json.hpp"
#include "trace/svg.hpp"
#include "trace/text.hpp"

namespace pxc::cli {

explorer::Limits make_limits(const std::string& memory, unsigned long long max_states, double seconds)
{
    explorer::Limits limits;
    limits.max_states = max_states;
    limits.seconds = seconds;
    if (!memory.empty()) {
        auto bytes = explorer::parse_size(memory);
        if (!bytes || *bytes == 0)
            throw Error("--memory: cannot read size '" + memory + "' (examples: 512M, 4G)");
        limits.memory_bytes = *bytes;
    } else {
        // Without --memory a search still stops (incomplete) before it would swap.
        limits.memory_bytes = explorer::default_memory_budget();
        limits.memory_is_default = limits.memory_bytes != 0;
    }
    return limits;
}

explorer::Options make_options(unsigned threads, const std::string& mode, const explorer::Limits& limits,
                               const std::string& store)
{
    explorer::Options o;
    o.threads = threads ? threads : std::max(1u, std::thread::hardware_concurrency());
    if (threads > 1024)
        throw Error("--threads: at most 1024");
    o.mode = mode == "compact" ? explorer::Mode::compact
             : mode == "bitstate" ? explorer::Mode::bitstate
                                  : explorer::Mode::exact;
    o.store = store == "flat" ? explorer::StoreKind::flat : explorer::StoreKind::tree;
    if (o.mode == explorer::Mode::bitstate && !limits.memory_is_default && limits.memory_bytes)
        o.bitstate_bytes = limits.memory_bytes / 2;
    return o;
}

FeatureSet resolve_features(const Scenario& sc, const std::vector<std::string>& extra, const SourceLoc& extra_loc)
{
    FeatureSet fs = sc.feature_set(extra, extra_loc);
    validate_features(fs, extra.empty() ? sc.at(sc.features_line) : extra_loc);
    return fs;
}

int cmd_check(const CheckOptions& opt)
{
    if (!opt.pictures.svg.empty())
        trace::require_dot(opt.pictures.svg);
    const explorer::Limits limits = make_limits(opt.memory, opt.max_states, opt.seconds);
    const props::Catalog catalog = props::Catalog::with_files(opt.property_files);
    const explorer::Options options = make_options(opt.threads, opt.mode, limits, opt.store);
    const Scenario sc = load_scenario(opt.model);
    std::vector<std::string> inputs = opt.property_files;
    inputs.push_back(opt.model);
    refuse_inputs_as_outputs({opt.trace_out, opt.pictures.dot, opt.pictures.sequence_dot, opt.pictures.svg}, inputs);
    const FeatureSet fs = resolve_features(sc, split_feature_list(opt.features), SourceLoc{"--features", 0, 0});
    const kernel::Model model(sc, fs);

    const RunOutcome run = run_model(model, catalog, opt.properties, limits, !opt.quiet_progress,
                                     opt.shortest_only ? explorer::Order::shortest
                                                       : explorer::Order::cheapest_shortest,
                                     options, !opt.no_symmetry, !opt.no_por);
    const explorer::Result& r = run.result;

    if (!opt.trace_out.empty() && run.trace) {
        std::ofstream f(opt.trace_out);
        if (!f || !(f << trace::trace_json(model, *run.trace).dump(2) << "\n") || !f.flush())
            throw Error(SourceLoc{opt.trace_out, 0, 0}, "cannot write the trace file");
    }
    if (run.trace && opt.pictures.any())
        write_pictures(model, *run.trace, opt.pictures,
                       run.trace->property + " violated: " + run.trace->message + "\n" + opt.model + " [" +
                           fs.to_string() + "], after step " + std::to_string(run.trace->steps.size()));
    else if (opt.pictures.any())
        std::fprintf(stderr, "proxycheck: no counterexample, so no picture was written\n");
    if (!opt.trace_out.empty() && !run.trace)
        std::fprintf(stderr, "proxycheck: no counterexample, so %s was not written\n", opt.trace_out.c_str());

    if (opt.format == "json") {
        nlohmann::json out{
            {"model", opt.model},
            {"features", fs.to_string()},
            {"verdict", verdict_word(r.verdict, r.stats.mode)},
            {"statistics", trace::stats_json(r.stats)},
        };
        out["statistics"]["symmetry"] = symmetry_json(run.symmetry);
        out["statistics"]["por"] = por_json(r.stats, run.por_off);
        out["statistics"]["wasted_wakeups"] = model.events(kernel::Model::wasted_wakeup);
        out["statistics"]["blocked_donor_race_a"] = model.events(kernel::Model::donor_race_a);
        out["statistics"]["blocked_donor_race_b"] = model.events(kernel::Model::donor_race_b);
        if (!r.limit.empty())
            out["limit"] = r.limit;
        if (run.trace)
            out["counterexample"] = trace::trace_json(model, *run.trace);
        std::cout << out.dump(2) << "\n";
        return exit_status(r.verdict);
    }

    if (run.trace)
        std::cout << trace::render_text(model, *run.trace, trace::TextOptions{.full = opt.full}) << "\n";
    std::cout << "model: " << opt.model << "\nfeatures: " << fs.to_string() << "\n";
    std::cout << "verdict: " << verdict_word(r.verdict, r.stats.mode);
    if (run.trace)
        std::cout << " (" << run.trace->property << ")";
    if (r.verdict == explorer::Verdict::incomplete)
        std::cout << (r.limit == "out of memory" ? " (out of memory: the allocator refused"
                                                 : " (stopped by " + r.limit)
                  << "; no violation among the states covered)";
    std::cout << "\n" << stats_text(r.stats) << run.symmetry.line() << "\n" << por_text(r.stats, run.por_off);
    // "only a wasted wakeup" (v29 7/9 race (B)) as a number; counted over
    // the steps explored, so a reduced search counts fewer
    const char* reduced = run.symmetry.on || r.stats.ample_states > 0 ? " [steps of the reduced search; --no-symmetry --no-por: all]"
                                                         : "";
    std::cout << "wasted wakeups: " << model.events(kernel::Model::wasted_wakeup)
              << " (a woken mutex waiter found the lock taken and slept again)" << reduced << "\n";
    if (model.has(Feature::blocked_donor))
        std::cout << "blocked_donor races: (A) " << model.events(kernel::Model::donor_race_a)
                  << " forced handoffs, donor reset; (B) " << model.events(kernel::Model::donor_race_b)
                  << " donor wakeups, no handoff" << reduced << "\n";
    return exit_status(r.verdict);
}

}  // namespace pxc::cli
