#include "cli/run.hpp"

#include <cstdio>

#include "kernel/symmetry.hpp"
#include "props/checker.hpp"
#include "props/symmetry.hpp"

namespace pxc::cli {

RunOutcome run_model(const kernel::Model& model, const props::Catalog& catalog,
                     const std::vector<std::string>& properties, const explorer::Limits& limits, bool progress,
                     explorer::Order order, explorer::Options options, bool symmetry)
{
    props::Checker checker(model, catalog, properties);
    const kernel::Symmetry sym(model);
    RunOutcome out;
    out.symmetry.text = !symmetry ? "--no-symmetry" : sym.refusal();
    if (out.symmetry.text.empty())
        out.symmetry.text = props::symmetry_breaker(checker.selected());
    out.symmetry.on = out.symmetry.text.empty();
    if (out.symmetry.on)
        out.symmetry.text = sym.summary();
    const kernel::SymmetricModel searched(model, out.symmetry.on ? &sym : nullptr);
    explorer::Explorer ex(searched, checker, limits, progress, order, options);
    out.result = ex.run();
    if (out.result.finding) {
        const explorer::Finding& f = *out.result.finding;
        explorer::Path p = ex.path(f.state);
        // The message names tasks: the concrete last state's, not the canonical one's.
        explorer::Violation v = f.violation;
        if (out.symmetry.on)
            if (auto again = f.at_terminal ? checker.check_deadlock(p.states.back().data())
                                           : checker.check_state(p.states.back().data()))
                v = *again;
        out.trace = trace::build_trace_from_states(model, p.states, p.labels, v, f.at_terminal);
    }
    return out;
}

nlohmann::json symmetry_json(const SymmetryUse& s)
{
    return s.on ? nlohmann::json{{"on", true}, {"classes", s.text}} : nlohmann::json{{"on", false}, {"reason", s.text}};
}

std::string mode_name(explorer::Mode m)
{
    switch (m) {
    case explorer::Mode::exact: return "exact";
    case explorer::Mode::compact: return "compact";
    case explorer::Mode::bitstate: return "bitstate";
    }
    return "?";
}

std::string verdict_word(explorer::Verdict v, explorer::Mode mode)
{
    switch (v) {
    case explorer::Verdict::holds: return "holds";
    case explorer::Verdict::violated: return "violated";
    case explorer::Verdict::incomplete: return "incomplete";
    case explorer::Verdict::no_violation_found: return "no violation found (" + mode_name(mode) + ", not exhaustive)";
    }
    return "?";
}

int exit_status(explorer::Verdict v)
{
    switch (v) {
    case explorer::Verdict::holds: return 0;
    case explorer::Verdict::violated: return 1;
    case explorer::Verdict::incomplete: return 3;
    case explorer::Verdict::no_violation_found: return 3;
    }
    return 2;
}

std::string stats_text(const explorer::Stats& st)
{
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "states: %llu  transitions: %llu  depth: %u  terminal states: %llu\n"
                  "time: %.3f s  states/s: %.0f  bytes/state: %.1f (state %zu bytes)  peak memory: %.1f MiB  "
                  "threads: %u\n",
                  (unsigned long long)st.states, (unsigned long long)st.transitions, st.depth,
                  (unsigned long long)st.terminal_states, st.seconds, st.states_per_second(), st.bytes_per_state(),
                  st.state_size, double(st.peak_rss_bytes) / (1 << 20), st.threads);
    std::string out = buf;
    if (st.mode == explorer::Mode::compact) {
        std::snprintf(buf, sizeof buf,
                      "compact: 64-bit fingerprints; probability that a state was missed <= %.2g "
                      "(birthday bound n^2/2^65)\n",
                      st.omission_bound);
        out += buf;
    } else if (st.mode == explorer::Mode::bitstate) {
        std::snprintf(buf, sizeof buf,
                      "bitstate: %llu bits (%.0f MiB), %u per state, %.3g %% set; probability that a state was "
                      "missed <= %.2g\n          (union bound: the sum over the n insertions of (1-e^(-k i/m))^k)\n",
                      (unsigned long long)st.bitstate_bits, double(st.bitstate_bits) / 8 / (1 << 20),
                      st.hash_functions, st.bits_set * 100, st.omission_bound);
        out += buf;
    }
    return out;
}

}  // namespace pxc::cli
