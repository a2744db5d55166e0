#include "trace/read.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "kernel/error.hpp"
#include "kernel/input_file.hpp"
#include "kernel/scenario.hpp"

namespace pxc::trace {

using nlohmann::json;

namespace {

// A count, index or label: a JSON integer that is not negative (written as
// signed by trace_json, read back as unsigned from text). A fraction, a
// negative number or one past 2^64 - 1 (a double once parsed) is none.
std::optional<uint64_t> natural(const json& v)
{
    if (v.is_number_unsigned())
        return v.get<uint64_t>();
    if (v.is_number_integer() && v.get<int64_t>() >= 0)
        return uint64_t(v.get<int64_t>());
    return std::nullopt;
}

struct Reader {
    const std::string& path;

    [[noreturn]] void fail(const std::string& what) const
    {
        throw Error(SourceLoc{path, 0, 0}, "not a usable proxycheck trace: " + what);
    }
    const json& field(const json& obj, const char* key, const std::string& where) const
    {
        if (!obj.is_object() || !obj.contains(key))
            fail(where + "missing field '" + key + "'");
        return obj[key];
    }
    std::string str(const json& obj, const char* key, const std::string& where = "") const
    {
        const json& v = field(obj, key, where);
        if (!v.is_string())
            fail(where + "field '" + key + "' is not a string");
        return v.get<std::string>();
    }
    // An integer field in [lo, hi], never truncated: "is not <what>" when it
    // is no such integer, "is N, ..." when it is out of range.
    uint64_t number(const json& v, const std::string& key, const std::string& where, const std::string& what,
                    uint64_t lo, uint64_t hi, const std::string& range) const
    {
        const std::optional<uint64_t> n = natural(v);
        if (!n)
            fail(where + "field '" + key + "' is not " + what);
        if (*n < lo || *n > hi)
            fail(where + "field '" + key + "' is " + std::to_string(*n) + ", " + range);
        return *n;
    }
    std::vector<std::string> strings(const json& v, const std::string& what) const
    {
        if (!v.is_array())
            fail(what + " is not a list");
        std::vector<std::string> out;
        for (const json& e : v) {
            if (!e.is_string())
                fail(what + " holds a non-string");
            out.push_back(e.get<std::string>());
        }
        return out;
    }

    // Step i (1-based) of a trace of `cpus` CPUs (0: not recorded).
    RecordedStep step(const json& s, size_t i, int cpus) const
    {
        const std::string where = "step " + std::to_string(i) + ": ";
        if (!s.is_object())
            fail(where + "not a JSON object");
        RecordedStep r;
        r.index = i;
        const uint64_t index = number(field(s, "index", where), "index", where, "a step number", 0, UINT64_MAX, "");
        if (index != i)
            fail(where + "field 'index' is " + std::to_string(index) + ", expected " + std::to_string(i) +
                 " (steps are numbered from 1 in file order; the file was edited or is corrupt)");
        const json& label = field(s, "label", where);
        if (!label.is_number_unsigned())
            fail(where + "field 'label' is not a step label");
        r.label = label.get<uint64_t>();
        // A label of no step kind: check_trace_matches refuses it ("unknown
        // step label"); there is no function or CPU to compare with.
        const kernel::Step st = kernel::Step::unpack(r.label);
        const bool known = st.kind < kernel::StepKind::count_;
        const int ncpus = cpus ? cpus : max_cpus;
        r.cpu = int(number(field(s, "cpu", where), "cpu", where, "a CPU number", 0, uint64_t(ncpus - 1),
                           cpus ? "but the trace's model has CPUs 0 to " + std::to_string(ncpus - 1)
                                : "but a model has at most " + std::to_string(max_cpus) + " CPUs"));
        const json& task = field(s, "task", where);
        if (!task.is_null() && !task.is_string())
            fail(where + "field 'task' is neither a task name nor null");
        r.task = task.is_string() ? task.get<std::string>() : "";
        r.function = str(s, "function", where);
        r.title = str(s, "step", where);
        const std::string_view function = known ? kernel::step_kind_name(st.kind) : r.function;
        if (r.function != function)
            fail(where + "field 'function' is '" + r.function + "' but its step label is a " + std::string(function) +
                 " step (the file was edited or is corrupt)");
        if (known && r.cpu != st.cpu)
            fail(where + "field 'cpu' is " + std::to_string(r.cpu) + " but its step label is a step of CPU" +
                 std::to_string(st.cpu) + " (the file was edited or is corrupt)");
        if (s.contains("action"))
            r.actions = strings(s["action"], where + "'action'");
        if (s.contains("changes")) {
            r.has_changes = true;
            if (!s["changes"].is_array())
                fail(where + "'changes' is not a list");
            for (const json& c : s["changes"])
                r.changes.push_back({str(c, "field", where), str(c, "from", where), str(c, "to", where)});
        }
        return r;
    }
};

// Parses `text`, refusing a key that appears twice in one object (the
// parser would keep the last one silently; trace_json never writes that).
json parse_unique_keys(const std::string& text, std::string& duplicate)
{
    std::vector<std::set<std::string>> open;   // the keys of each object being read
    return json::parse(text, [&](int, json::parse_event_t ev, json& parsed) {
        switch (ev) {
        case json::parse_event_t::object_start:
            open.emplace_back();
            break;
        case json::parse_event_t::object_end:
            if (!open.empty())
                open.pop_back();
            break;
        case json::parse_event_t::key:
            if (!open.empty() && !open.back().insert(parsed.get<std::string>()).second && duplicate.empty())
                duplicate = parsed.get<std::string>();
            break;
        default:
            break;
        }
        return true;
    });
}

}  // namespace

TraceFile parse_trace_text(const std::string& text, const std::string& path)
{
    const Reader rd{path};
    if (text.empty())
        rd.fail("the file is empty");
    json j;
    std::string duplicate;
    try {
        j = parse_unique_keys(text, duplicate);
    } catch (const json::parse_error& e) {
        rd.fail(std::string(e.byte >= text.size() ? "the JSON ends early (truncated file?)" : "invalid JSON") +
                " at byte " + std::to_string(e.byte));
    }
    if (!duplicate.empty())
        rd.fail("key '" + duplicate + "' appears twice in one object (the file was edited or is corrupt)");
    if (!j.is_object())
        rd.fail("the top level is not a JSON object");
    try {
        return parse_trace_json(j, path);
    } catch (const json::exception& e) {
        rd.fail(e.what());
    }
}

TraceFile parse_trace_json(const nlohmann::json& j, const std::string& path)
{
    const Reader rd{path};
    if (rd.str(j, "format") != "proxycheck-trace-1")
        rd.fail("format '" + rd.str(j, "format") + "', expected 'proxycheck-trace-1'");
    TraceFile tf;
    tf.path = path;
    tf.model = rd.str(j, "model");
    tf.features = rd.str(j, "features");
    tf.property = rd.str(j, "property");
    if (j.contains("message"))
        tf.message = rd.str(j, "message");
    if (j.contains("at_terminal_state")) {
        if (!j["at_terminal_state"].is_boolean())
            rd.fail("field 'at_terminal_state' is not true or false");
        tf.at_terminal = j["at_terminal_state"].get<bool>();
    }
    // Absent in older files; present, it is what the model must have.
    if (j.contains("cpus"))
        tf.cpus = int(rd.number(j["cpus"], "cpus", "", "a CPU count", 1, max_cpus,
                                "but a model has 1 to " + std::to_string(max_cpus) + " CPUs"));
    if (j.contains("tasks")) {
        tf.tasks = rd.strings(j["tasks"], "'tasks'");
        tf.has_tasks = true;
        if (tf.tasks.empty())
            rd.fail("'tasks' is empty, but a model has at least one task");
    }
    if (j.contains("locks")) {
        tf.locks = rd.strings(j["locks"], "'locks'");
        tf.has_locks = true;
    }
    const json& steps = rd.field(j, "steps", "");
    if (!steps.is_array())
        rd.fail("'steps' is not a list");
    for (const json& s : steps)
        tf.steps.push_back(rd.step(s, tf.steps.size() + 1, tf.cpus));
    // Descriptive (re-derived by replay, never read): only their types, and
    // a step adds at most one preemption and one context switch.
    for (const char* key : {"preemptions", "context_switches"})
        if (j.contains(key))
            rd.number(j[key], key, "", "a count", 0, tf.steps.size(),
                      "more than the trace's " + std::to_string(tf.steps.size()) + " steps");
    if (j.contains("final_state"))
        rd.strings(j["final_state"], "'final_state'");
    if (j.contains("fixed") && !j["fixed"].is_null()) {
        const json& f = j["fixed"];
        if (!f.is_object())
            rd.fail("'fixed' is neither an object nor null");
        FixedFlags fx;
        fx.features = rd.str(f, "features", "'fixed': ");
        fx.blocked_at = rd.number(rd.field(f, "blocked_at", "'fixed': "), "blocked_at", "'fixed': ", "a step number",
                                  1, tf.steps.size(),
                                  "not one of the trace's " + std::to_string(tf.steps.size()) + " steps");
        tf.fixed = fx;
    }
    return tf;
}

TraceFile read_trace_file(const std::string& path)
{
    const std::string text = read_input_file(path, "trace");
    return parse_trace_text(text, path);
}

FeatureSet recorded_features(const TraceFile& tf)
{
    FeatureSet fs;
    if (tf.features == "(none)")
        return fs;
    std::vector<std::string> edits;
    for (const std::string& name : split_feature_list(tf.features))
        edits.push_back("+" + name);
    apply_feature_edits(fs, edits, SourceLoc{tf.path, 0, 0});
    return fs;
}

}  // namespace pxc::trace
