#include "trace/read.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "kernel/error.hpp"

namespace pxc::trace {

using nlohmann::json;

namespace {

// A count or index: a JSON integer that is not negative (written as signed
// by trace_json, read back as unsigned from text).
bool natural(const json& v) { return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0); }

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

    RecordedStep step(const json& s, size_t i) const
    {
        const std::string where = "step " + std::to_string(i) + ": ";
        RecordedStep r;
        r.index = i;
        const json& label = field(s, "label", where);
        if (!label.is_number_unsigned())
            fail(where + "field 'label' is not a step label");
        r.label = label.get<uint64_t>();
        const json& cpu = field(s, "cpu", where);
        if (!natural(cpu))
            fail(where + "field 'cpu' is not a CPU number");
        r.cpu = cpu.get<int>();
        const json& task = field(s, "task", where);
        if (!task.is_null() && !task.is_string())
            fail(where + "field 'task' is neither a task name nor null");
        r.task = task.is_string() ? task.get<std::string>() : "";
        r.title = str(s, "step", where);
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

}  // namespace

TraceFile parse_trace_text(const std::string& text, const std::string& path)
{
    const Reader rd{path};
    json j;
    try {
        j = json::parse(text);
    } catch (const json::parse_error& e) {
        rd.fail(std::string(e.byte >= text.size() ? "the JSON ends early (truncated file?)" : "invalid JSON") +
                " at byte " + std::to_string(e.byte));
    }
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
    tf.message = j.value("message", "");
    tf.at_terminal = j.value("at_terminal_state", false);
    if (j.contains("cpus")) {
        if (!natural(j["cpus"]))
            rd.fail("field 'cpus' is not a number");
        tf.cpus = j["cpus"].get<int>();
    }
    if (j.contains("tasks"))
        tf.tasks = rd.strings(j["tasks"], "'tasks'");
    if (j.contains("locks"))
        tf.locks = rd.strings(j["locks"], "'locks'");
    const json& steps = rd.field(j, "steps", "");
    if (!steps.is_array())
        rd.fail("'steps' is not a list");
    for (const json& s : steps)
        tf.steps.push_back(rd.step(s, tf.steps.size() + 1));
    if (j.contains("fixed") && !j["fixed"].is_null()) {
        const json& f = j["fixed"];
        FixedFlags fx;
        fx.features = rd.str(f, "features", "'fixed': ");
        const json& at = rd.field(f, "blocked_at", "'fixed': ");
        if (!natural(at))
            rd.fail("'fixed': 'blocked_at' is not a step number");
        fx.blocked_at = at.get<size_t>();
        tf.fixed = fx;
    }
    return tf;
}

TraceFile read_trace_file(const std::string& path)
{
    std::ifstream f(path);
    if (!f)
        throw Error(SourceLoc{path, 0, 0}, "cannot read file");
    std::stringstream ss;
    ss << f.rdbuf();
    return parse_trace_text(ss.str(), path);
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
