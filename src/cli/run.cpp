#include "cli/run.hpp"

#include <cstdio>

#include "props/checker.hpp"

namespace pxc::cli {

RunOutcome run_model(const kernel::Model& model, const props::Catalog& catalog,
                     const std::vector<std::string>& properties, const explorer::Limits& limits, bool progress,
                     explorer::Order order, explorer::Options options)
{
    props::Checker checker(model, catalog, properties);
    explorer::Explorer ex(model, checker, limits, progress, order, options);
    RunOutcome out;
    out.result = ex.run();
    if (out.result.finding) {
        const explorer::Finding& f = *out.result.finding;
        out.trace = trace::build_trace(model, ex, f.state, f.violation, f.at_terminal);
    }
    return out;
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
                  "time: %.3f s  states/s: %.0f  bytes/state: %.1f (%sstate %zu bytes)  peak memory: %.1f MiB  "
                  "threads: %u\n",
                  (unsigned long long)st.states, (unsigned long long)st.transitions, st.depth,
                  (unsigned long long)st.terminal_states, st.seconds, st.states_per_second(), st.bytes_per_state(),
                  st.mode != explorer::Mode::exact          ? ""
                  : st.store == explorer::StoreKind::tree ? "tree; "
                                                          : "flat; ",
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
