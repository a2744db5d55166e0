#include "cli/run.hpp"

#include <cstdio>

#include "props/checker.hpp"

namespace pxc::cli {

RunOutcome run_model(const kernel::Model& model, const props::Catalog& catalog,
                     const std::vector<std::string>& properties, const explorer::Limits& limits, bool progress,
                     explorer::Order order)
{
    props::Checker checker(model, catalog, properties);
    explorer::Explorer ex(model, checker, limits, progress, order);
    RunOutcome out;
    out.result = ex.run();
    if (out.result.finding) {
        const explorer::Finding& f = *out.result.finding;
        out.trace = trace::build_trace(model, ex, f.state, f.violation, f.at_terminal);
    }
    return out;
}

std::string verdict_word(explorer::Verdict v)
{
    switch (v) {
    case explorer::Verdict::holds: return "holds";
    case explorer::Verdict::violated: return "violated";
    case explorer::Verdict::incomplete: return "incomplete";
    }
    return "?";
}

int exit_status(explorer::Verdict v)
{
    switch (v) {
    case explorer::Verdict::holds: return 0;
    case explorer::Verdict::violated: return 1;
    case explorer::Verdict::incomplete: return 3;
    }
    return 2;
}

std::string stats_text(const explorer::Stats& st)
{
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "states: %llu  transitions: %llu  depth: %u  terminal states: %llu\n"
                  "time: %.3f s  states/s: %.0f  bytes/state: %.1f (state %zu bytes)  peak memory: %.1f MiB\n",
                  (unsigned long long)st.states, (unsigned long long)st.transitions, st.depth,
                  (unsigned long long)st.terminal_states, st.seconds, st.states_per_second(), st.bytes_per_state(),
                  st.state_size, double(st.peak_rss_bytes) / (1 << 20));
    return buf;
}

}  // namespace pxc::cli
