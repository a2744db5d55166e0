#include "trace/json.hpp"

namespace pxc::trace {

nlohmann::json stats_json(const explorer::Stats& st)
{
    nlohmann::json j{
        {"states", st.states},
        {"transitions", st.transitions},
        {"depth", st.depth},
        {"terminal_states", st.terminal_states},
        {"seconds", st.seconds},
        {"states_per_second", st.states_per_second()},
        {"bytes_per_state", st.bytes_per_state()},
        {"state_bytes", st.state_size},
        {"peak_memory_bytes", st.peak_rss_bytes},
        {"threads", st.threads},
        {"mode", st.mode == explorer::Mode::exact     ? "exact"
                 : st.mode == explorer::Mode::compact ? "compact"
                                                      : "bitstate"},
    };
    if (st.mode == explorer::Mode::exact)
        j["store"] = st.store == explorer::StoreKind::tree ? "tree" : "flat";
    if (st.mode != explorer::Mode::exact) {
        j["omission_bound"] = st.omission_bound;
        j["trail_disk_bytes"] = st.disk_bytes;
        j["level_disk_bytes"] = st.level_disk_bytes;
        if (!st.one_thread_levels.empty())
            j["one_thread_depths"] = st.one_thread_levels;   // [[from, to], ...]
    }
    if (st.mode == explorer::Mode::bitstate) {
        j["bitstate_bits"] = st.bitstate_bits;
        j["hash_functions"] = st.hash_functions;
        j["bits_set"] = st.bits_set;
    }
    return j;
}

nlohmann::json trace_json(const kernel::Model& m, const Trace& tr)
{
    nlohmann::json steps = nlohmann::json::array();
    for (size_t i = 0; i < tr.steps.size(); ++i) {
        const TraceStep& st = tr.steps[i];
        nlohmann::json changes = nlohmann::json::array();
        for (const Change& c : st.changes)
            changes.push_back({{"field", c.field}, {"from", c.from}, {"to", c.to}});
        steps.push_back({
            {"index", i + 1},
            {"cpu", st.cpu},
            {"task", st.task.empty() ? nlohmann::json(nullptr) : nlohmann::json(st.task)},
            {"function", st.function},
            {"step", st.title},
            {"label", st.label},
            {"action", st.actions},
            {"changes", changes},
        });
    }
    nlohmann::json tasks = nlohmann::json::array(), locks = nlohmann::json::array();
    for (int t = 0; t < m.layout().ntasks; ++t)
        tasks.push_back(m.task_name(t));
    for (int i = 0; i < m.layout().nlocks; ++i)
        locks.push_back(m.lock_name(i));
    return {
        {"format", "proxycheck-trace-1"},
        {"model", tr.model},
        {"features", tr.features},
        // What replay checks the model against (a wrong --model is refused).
        {"cpus", m.layout().ncpus},
        {"tasks", tasks},
        {"locks", locks},
        {"preemptions", tr.preemptions()},
        {"context_switches", tr.context_switches()},
        {"property", tr.property},
        {"message", tr.message},
        {"at_terminal_state", tr.at_terminal},
        {"steps", steps},
        {"final_state", describe_state(m, tr.last_state())},
    };
}

}  // namespace pxc::trace
