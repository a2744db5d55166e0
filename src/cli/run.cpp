#include "cli/run.hpp"

#include <cstdio>

#include <memory>

#include "kernel/por.hpp"
#include "kernel/symmetry.hpp"
#include "props/checker.hpp"
#include "props/symmetry.hpp"
#include "props/visibility.hpp"

namespace pxc::cli {

RunOutcome run_model(const kernel::Model& model, const props::Catalog& catalog,
                     const std::vector<std::string>& properties, const explorer::Limits& limits, bool progress,
                     explorer::Order order, explorer::Options options, bool symmetry, bool por)
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
    std::unique_ptr<kernel::Por> reduction;
    out.por_off = por ? "" : "--no-por";
    for (const props::Property* p : checker.selected())
        if (out.por_off.empty() && !props::por_preserves(*p))
            out.por_off = "not sound for " + p->name;
    if (out.por_off.empty()) {
        bool invariants = false;
        for (const props::Property* p : checker.selected())
            invariants = invariants || p->kind == props::Kind::invariant;
        reduction = std::make_unique<kernel::Por>(model, props::visible_bytes(model, checker.selected()), invariants);
        options.reduction = reduction.get();
    }
    const kernel::SymmetricModel searched(model, out.symmetry.on ? &sym : nullptr);
    explorer::Explorer ex(searched, checker, limits, progress, order, options);
    out.result = ex.run();
    // The events the search counted; rebuilding the path expands states again.
    const std::vector<uint64_t> events = model.save_events();
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
    model.restore_events(events);
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

std::string por_text(const explorer::Stats& st, const std::string& por_off)
{
    if (!st.por)
        return "por: off (" + (por_off.empty() ? std::string("not used") : por_off) + ")\n";
    char buf[384];
    std::snprintf(buf, sizeof buf, "por: on (ample sets in %.1f%% of states, %llu refused by the cycle proviso",
                  st.states ? 100.0 * double(st.ample_states) / double(st.states) : 0.0,
                  (unsigned long long)st.proviso_full);
    std::string out = buf;
    if (st.por_gave_up_at) {
        std::snprintf(buf, sizeof buf,
                      ";\n     given up from depth %u on: fewer than 1 in 100 of the states expanded by then had one)\n",
                      st.por_gave_up_at);
        return out + buf;
    }
    return out + ")\n";
}

nlohmann::json por_json(const explorer::Stats& st, const std::string& por_off)
{
    nlohmann::json j{{"on", st.por}};
    if (st.por) {
        j["ample_states"] = st.ample_states;
        j["proviso_full"] = st.proviso_full;
        if (st.por_gave_up_at)
            j["gave_up_at_depth"] = st.por_gave_up_at;
    } else {
        j["off_because"] = por_off.empty() ? "not used" : por_off;
    }
    return j;
}

// Lossy modes: what went to temporary files (not in bytes/state): the
// trail of the levels already expanded, and the widest levels' states.
std::string trail_text(const explorer::Stats& st)
{
    std::string out;
    char buf[160];
    if (st.disk_bytes) {
        std::snprintf(buf, sizeof buf, "trail: %.1f MiB of parent links in a temporary file (not in bytes/state)\n",
                      double(st.disk_bytes) / (1 << 20));
        out += buf;
    }
    if (st.level_disk_bytes) {
        std::snprintf(buf, sizeof buf, "levels: %.1f MiB of the widest levels' states in temporary files (not in bytes/state)\n",
                      double(st.level_disk_bytes) / (1 << 20));
        out += buf;
    }
    if (!st.one_thread_levels.empty()) {
        std::string depths;
        bool several = st.one_thread_levels.size() > 1;
        for (const auto& [from, to] : st.one_thread_levels) {
            depths += (depths.empty() ? "" : ", ") + std::to_string(from);
            if (to > from) {
                depths += "-" + std::to_string(to);
                several = true;
            }
        }
        const std::string n = std::to_string(st.threads);
        out += "threads: " + n + ", one at depth" + (several ? "s " : " ") + depths +
               " (those levels would not fit in memory on " + n + ")\n";
    }
    return out;
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
        out += trail_text(st);
    } else if (st.mode == explorer::Mode::bitstate && st.bitstate_bits == 0) {
        out += "bitstate: no bit array (it could not be allocated), so no state was searched\n";
    } else if (st.mode == explorer::Mode::bitstate) {
        std::snprintf(buf, sizeof buf,
                      "bitstate: %llu bits (%.1f MiB), %u per state, %.3g %% set; probability that a state was "
                      "missed <= %.2g\n          (union bound: the sum over the n insertions of (1-e^(-k i/m))^k)\n",
                      (unsigned long long)st.bitstate_bits, double(st.bitstate_bits) / 8 / (1 << 20),
                      st.hash_functions, st.bits_set * 100, st.omission_bound);
        out += buf;
        out += trail_text(st);
    }
    return out;
}

}  // namespace pxc::cli
