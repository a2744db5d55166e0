// Counterexamples people can use: the fewest-preemption choice among the
// shortest traces, the diff view and --full, the 100-column layout, replay
// (against the flags a trace was found with, and against the fixed ones),
// reading bad trace files, the DOT pictures, and every committed trace under
// counterexamples/.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "explorer/explorer.hpp"
#include "kernel/error.hpp"
#include "kernel/model.hpp"
#include "kernel/scenario.hpp"
#include "kernel/step.hpp"
#include "props/checker.hpp"
#include "trace/dot.hpp"
#include "trace/json.hpp"
#include "trace/read.hpp"
#include "trace/replay.hpp"
#include "trace/text.hpp"
#include "trace/trace.hpp"

using namespace pxc;

namespace {

const std::string root = SOURCE_ROOT;

struct Found {
    Scenario sc;
    kernel::Model model;
    explorer::Result result;
    trace::Trace trace;
};

// The counterexample `check` prints for a bundled model (paths relative to the root).
Found find(const std::string& model_file, const std::string& edits,
           explorer::Order order = explorer::Order::cheapest_shortest, std::vector<std::string> props = {})
{
    Scenario sc = load_scenario(root + "/" + model_file);
    sc.file = model_file;
    const FeatureSet fs = sc.feature_set(split_feature_list(edits));
    Found f{sc, kernel::Model(sc, fs), {}, {}};
    props::Checker checker(f.model, props);
    explorer::Explorer ex(f.model, checker, {}, false, order);
    f.result = ex.run();
    REQUIRE(f.result.finding);
    f.trace = trace::build_trace(f.model, ex, f.result.finding->state, f.result.finding->violation,
                                 f.result.finding->at_terminal);
    return f;
}

std::vector<std::string> lines_of(const std::string& text)
{
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

size_t widest(const std::string& text)
{
    size_t w = 0;
    for (const std::string& l : lines_of(text))
        w = std::max(w, l.size());
    return w;
}

bool has_line(const std::string& text, const std::string& line)
{
    const auto ls = lines_of(text);
    return std::find(ls.begin(), ls.end(), line) != ls.end();
}

trace::TraceFile as_file(const kernel::Model& m, const trace::Trace& tr)
{
    return trace::parse_trace_text(trace::trace_json(m, tr).dump(), "test.json");
}

}  // namespace

TEST_CASE("step_cost counts a preempt step as a preemption and a step that changes rq->curr as a context switch")
{
    const Found f = find("models/chain3.toml", "-proxy_waking", explorer::Order::shortest);
    int preempts = 0, switches = 0;
    for (size_t i = 0; i < f.trace.steps.size(); ++i) {
        const kernel::Label l = f.trace.steps[i].label;
        const explorer::StepCost c = f.model.step_cost(l, f.trace.states[i].data(), f.trace.states[i + 1].data());
        const bool is_preempt = kernel::Step::unpack(l).kind == kernel::StepKind::preempt;
        const bool curr_changed = std::any_of(f.trace.steps[i].changes.begin(), f.trace.steps[i].changes.end(),
                                              [](const trace::Change& ch) { return ch.field.ends_with(".curr"); });
        CHECK(c.major == is_preempt);
        CHECK(c.minor == curr_changed);
        preempts += c.major;
        switches += c.minor;
    }
    CHECK(preempts == f.trace.preemptions());
    CHECK(switches == f.trace.context_switches());
}

TEST_CASE("among the shortest counterexamples, check prints one with the fewest preemptions")
{
    // chain3 -proxy_waking: plain BFS order finds a 12-step trace that
    // preempts A on CPU0; a 12-step trace without preemption exists.
    const Found bfs = find("models/chain3.toml", "-proxy_waking", explorer::Order::shortest);
    const Found cheap = find("models/chain3.toml", "-proxy_waking");
    CHECK(bfs.trace.steps.size() == 12u);
    CHECK(cheap.trace.steps.size() == 12u);
    CHECK(bfs.trace.preemptions() == 1);
    CHECK(cheap.trace.preemptions() == 0);
    CHECK(cheap.trace.property == "no_affinity_violating_run");
    CHECK(cheap.result.stats.states >= bfs.result.stats.states);   // it finishes the level
}

TEST_CASE("the text trace shows only what changed under each step; --full shows whole states instead")
{
    const Found f = find("models/proxy-waking-affinity.toml", "-proxy_waking");
    const std::string diff = trace::render_text(f.model, f.trace);
    const std::string full = trace::render_text(f.model, f.trace, {.width = 100, .full = true});
    // Step 8, B's unlock slowpath: the diff names the field and both values.
    CHECK(has_line(diff, "  8  B: __mutex_unlock_slowpath"));
    CHECK(has_line(diff, "       = A.blocked_on: M1 -> NULL"));
    // The narration "M1.owner = B" would repeat the diff line; only the diff remains.
    CHECK(has_line(diff, "       = M1.owner: NULL -> B"));
    CHECK(diff.find("       M1.owner = B\n") == std::string::npos);
    CHECK(diff.find("wake_q_add(A)") != std::string::npos);   // narration that is not a field stays
    CHECK(diff.find("     | ") == std::string::npos);
    // --full: after every step the whole state, no diff lines.
    CHECK(full.find("= A.blocked_on") == std::string::npos);
    size_t states_shown = 0;
    for (const std::string& l : lines_of(full))
        states_shown += l.rfind("     | CPU1: ", 0) == 0;
    CHECK(states_shown == f.trace.steps.size());
    CHECK(full.find("     | A: RUNNING, on_rq QUEUED on CPU0, cpus_mask {1}, running on CPU0") != std::string::npos);
    CHECK(diff.find("trace: 11 steps, 0 preemptions, 4 context switches") != std::string::npos);
}

TEST_CASE("the race diagram puts each step in its CPU's column and every line fits in 100 columns for 3 CPUs")
{
    for (const char* model : {"models/chain3.toml", "models/contention.toml"}) {
        CAPTURE(model);
        const Found f = find(model, "-proxy_waking");
        REQUIRE(f.model.layout().ncpus == 3);
        for (bool full : {false, true}) {
            const std::string text = trace::render_text(f.model, f.trace, {.width = 100, .full = full});
            CHECK(widest(text) <= 100u);
            CHECK(widest(text) > 80u);   // the columns use the width
        }
        // The step number is right-aligned in a 5-column gutter; CPUn's column starts at 5 + n * 31.
        const std::string diagram = trace::render_diagram(f.model, f.trace);
        CHECK(lines_of(diagram).front() == "     CPU0                           CPU1                           CPU2");
        for (size_t i = 0; i < f.trace.steps.size(); ++i) {
            const std::string num = std::to_string(i + 1);
            const auto ls = lines_of(diagram);
            const auto it = std::find_if(ls.begin(), ls.end(), [&](const std::string& l) {
                return l.substr(0, 5) == std::string(3 - num.size(), ' ') + num + "  ";
            });
            REQUIRE(it != ls.end());
            CHECK(it->substr(5 + size_t(f.trace.steps[i].cpu) * 31, f.trace.steps[i].title.size()) ==
                  f.trace.steps[i].title);
        }
    }
}

TEST_CASE("replay reproduces a violation under the flags it was found with")
{
    const Found f = find("models/proxy-waking-affinity.toml", "-proxy_waking");
    const trace::TraceFile tf = as_file(f.model, f.trace);
    trace::check_trace_matches(f.model, tf);
    const trace::Replay r = trace::replay(f.model, tf);
    CHECK(r.outcome == trace::ReplayOutcome::reproduced);
    REQUIRE(r.violation);
    CHECK(r.violation->property == "no_affinity_violating_run");
    CHECK(r.violation->message == f.trace.message);
    CHECK(r.trace.steps.size() == f.trace.steps.size());
    CHECK(r.differs.empty());
    CHECK(r.trace.states.back() == f.trace.states.back());
}

TEST_CASE("replay against the PROXY_WAKING fix stops at the step that is no longer possible and says why")
{
    const Found f = find("models/proxy-waking-affinity.toml", "-proxy_waking");
    const trace::TraceFile tf = as_file(f.model, f.trace);
    const kernel::Model fixed(f.sc, f.sc.feature_set());   // the file's own v7.1 flags
    const trace::Replay r = trace::replay(fixed, tf);
    REQUIRE(r.outcome == trace::ReplayOutcome::blocked);
    CHECK(r.blocked_at == 11u);
    CHECK(r.trace.steps.size() == 10u);
    // Step 8 still runs, but the unlock now leaves A PROXY_WAKING instead of NULL.
    CHECK(r.differs == std::vector<size_t>{8});
    CHECK(r.trace.steps[7].changes.front().to == "PROXY_WAKING");
    // At step 11, CPU0 no longer switches to A: find_proxy_task sends it home.
    const std::vector<std::string> why = trace::blocked_reason(fixed, tf, r);
    REQUIRE(why.size() >= 3u);
    CHECK(why[0].rfind("step 11: the trace expected CPU0 B: do_exit: ", 0) == 0);
    CHECK(why[0].find("CPU0 switches to A") != std::string::npos);
    CHECK(why[1] == "CPU0 (running B, at end of program) can instead:");
    CHECK(why[2].find("find_proxy_task: A is PROXY_WAKING; proxy_force_return(A)") != std::string::npos);
}

TEST_CASE("a trace for another model or a corrupt trace file is an error naming the file")
{
    const Found f = find("models/proxy-waking-affinity.toml", "-proxy_waking");
    const std::string json = trace::trace_json(f.model, f.trace).dump(2);
    auto message = [](auto&& fn) {
        try {
            fn();
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("(no error)");
    };
    CHECK(message([&] { trace::parse_trace_text(json.substr(0, json.size() / 2), "cut.json"); })
              .find("cut.json: not a usable proxycheck trace: the JSON ends early (truncated file?)") == 0);
    CHECK(message([&] { trace::parse_trace_text("{\"format\": \"other\"}", "x.json"); }).find("format 'other'") !=
          std::string::npos);
    CHECK(message([&] { trace::parse_trace_text(R"({"format": "proxycheck-trace-1", "model": "m"})", "x.json"); })
              .find("missing field 'features'") != std::string::npos);

    Scenario chain3 = load_scenario(root + "/models/chain3.toml");
    const kernel::Model other(chain3, chain3.feature_set());
    const trace::TraceFile tf = as_file(f.model, f.trace);
    CHECK(message([&] { trace::check_trace_matches(other, tf); }).find("wrong model file?") != std::string::npos);

    trace::TraceFile unknown_task = tf;
    unknown_task.tasks.clear();   // a file that does not record its tasks
    unknown_task.has_tasks = false;
    unknown_task.steps[1].task = "Z";
    CHECK(message([&] { trace::check_trace_matches(f.model, unknown_task); })
              .find("test.json: step 2: task 'Z' is not in") == 0);

    trace::TraceFile bad_label = tf;
    bad_label.steps[0].label = 0xEE;   // step kind 238
    CHECK(message([&] { trace::check_trace_matches(f.model, bad_label); })
              .find("step 1: unknown step label 238") != std::string::npos);
}

namespace {

// What happens to a trace file's text: the Error it is refused with (by the
// reader or by check_trace_matches, before any step replays), or
// "(replayed)" when it gets through to a replay.
std::string refusal(const kernel::Model& m, const std::string& text, const std::string& path = "bad.json")
{
    try {
        const trace::TraceFile tf = trace::parse_trace_text(text, path);
        trace::check_trace_matches(m, tf);
        trace::replay(m, tf);
    } catch (const Error& e) {
        return e.what();
    }
    return "(replayed)";
}

std::string read_text(const std::string& path)
{
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

const char* const pwa_trace = "/counterexamples/proxy-waking-affinity--no_affinity_violating_run.json";

}  // namespace

TEST_CASE("a trace file's cpus is range-checked, never truncated: 0, 2^32 + 2, 2^63 and 2^63 + 2 are refused")
{
    const Found f = find("models/proxy-waking-affinity.toml", "-proxy_waking");
    const nlohmann::json good = nlohmann::json::parse(read_text(root + pwa_trace));
    REQUIRE(good["cpus"] == 2);
    CHECK(refusal(f.model, good.dump()) == "(replayed)");
    // Each was read as 2 (or as "not recorded") and replayed as a match before.
    for (const char* cpus : {"0", "4294967298", "9223372036854775808", "9223372036854775810", "258", "9"}) {
        CAPTURE(cpus);
        nlohmann::json j = good;
        j["cpus"] = nlohmann::json::parse(cpus);
        CHECK(refusal(f.model, j.dump()) == std::string("bad.json: not a usable proxycheck trace: field 'cpus' is ") +
                                                cpus + ", but a model has 1 to 8 CPUs");
    }
    for (const char* cpus : {"-2", "2.0", "1e30", "\"2\"", "true", "null", "18446744073709551618"}) {
        CAPTURE(cpus);
        nlohmann::json j = good;
        j["cpus"] = nlohmann::json::parse(cpus);
        CHECK(refusal(f.model, j.dump()) == "bad.json: not a usable proxycheck trace: field 'cpus' is not a CPU count");
    }
    // A step's cpu the same way: 2^32 + 1 is not CPU1.
    nlohmann::json j = good;
    j["steps"][2]["cpu"] = 4294967297ull;
    CHECK(refusal(f.model, j.dump()) ==
          "bad.json: not a usable proxycheck trace: step 3: field 'cpu' is 4294967297, but the trace's model has CPUs 0 "
          "to 1");
}

TEST_CASE("a trace file's step index, cpu, function and title are cross-checked against its place and its label")
{
    const Found f = find("models/proxy-waking-affinity.toml", "-proxy_waking");
    const nlohmann::json good = trace::trace_json(f.model, f.trace);
    REQUIRE(good["steps"][2]["step"] == "schedule_idle");
    REQUIRE(good["steps"][6]["step"] == "B: mutex_unlock(M1)");
    CHECK(refusal(f.model, good.dump()) == "(replayed)");
    const std::string bad = "bad.json: not a usable proxycheck trace: step 3: ";
    struct Edit {
        size_t step;   // 0-based
        const char* key;
        const char* value;   // JSON; nullptr: delete the key
        std::string error;
    };
    const std::vector<Edit> edits = {
        {2, "index", "999", bad + "field 'index' is 999, expected 3 (steps are numbered from 1 in file order; the "
                                  "file was edited or is corrupt)"},
        {2, "index", "0", bad + "field 'index' is 0, expected 3 (steps are numbered from 1 in file order; the file "
                                "was edited or is corrupt)"},
        {2, "index", "-5", bad + "field 'index' is not a step number"},
        {2, "index", "\"3\"", bad + "field 'index' is not a step number"},
        {2, "index", "null", bad + "field 'index' is not a step number"},
        {2, "index", nullptr, bad + "missing field 'index'"},
        {2, "function", "\"bogus\"", bad + "field 'function' is 'bogus' but its step label is a schedule_idle step (the "
                                           "file was edited or is corrupt)"},
        {2, "function", "null", bad + "field 'function' is not a string"},
        {2, "function", nullptr, bad + "missing field 'function'"},
        {2, "cpu", "0", bad + "field 'cpu' is 0 but its step label is a step of CPU1 (the file was edited or is "
                              "corrupt)"},
        {2, "step", "\"bogus\"", "bad.json: step 3: field 'step' is 'bogus' but its step label is a step of 'schedule_idle'"
            " (the file was edited or is corrupt)"},
        {2, "step", "\"A: schedule_idle\"", "bad.json: step 3: field 'step' is 'A: schedule_idle' but its step label is a step of 'schedule_idle'"
            " (the file was edited or is corrupt)"},
        // The lock a title names is one of the model's, and the function is the label's.
        {6, "step", "\"B: mutex_unlock(M2)\"", "bad.json: step 7: field 'step' is 'B: mutex_unlock(M2)' but its step label is a step of 'B: mutex_unlock'"
            " (the file was edited, or models/proxy-waking-affinity.toml declares its locks otherwise: wrong model file?)"},
        {6, "step", "\"B: mutex_lock(M1)\"", "bad.json: step 7: field 'step' is 'B: mutex_lock(M1)' but its step label is a step of 'B: mutex_unlock'"
            " (the file was edited, or models/proxy-waking-affinity.toml declares its locks otherwise: wrong model file?)"},
        {6, "step", "\"B: ww_mutex_unlock(M1)\"", "bad.json: step 7: field 'step' is 'B: ww_mutex_unlock(M1)' but its step label is a step of 'B: mutex_unlock'"
            " (the file was edited, or models/proxy-waking-affinity.toml declares its locks otherwise: wrong model file?)"},
        {2, "label", "238", "bad.json: step 3: unknown step label 238 for models/proxy-waking-affinity.toml"},
        {2, "action", "[1]", bad + "'action' holds a non-string"},
        {2, "changes", "[{\"field\": \"x\"}]", bad + "missing field 'from'"},
    };
    for (const Edit& e : edits) {
        CAPTURE(e.step);
        CAPTURE(e.key);
        CAPTURE(e.value);
        nlohmann::json j = good;
        if (e.value)
            j["steps"][e.step][e.key] = nlohmann::json::parse(e.value);
        else
            j["steps"][e.step].erase(e.key);
        CHECK(refusal(f.model, j.dump()) == e.error);
    }
    // A step that is not an object, the steps out of order.
    nlohmann::json j = good;
    j["steps"][2] = 7;
    CHECK(refusal(f.model, j.dump()) == bad + "not a JSON object");
    j = good;
    std::swap(j["steps"][0], j["steps"][1]);
    CHECK(refusal(f.model, j.dump()) ==
          "bad.json: not a usable proxycheck trace: step 1: field 'index' is 2, expected 1 (steps are numbered from 1 "
          "in file order; the file was edited or is corrupt)");
}

TEST_CASE("a trace file's header fields are checked: types, a key twice, 'fixed' naming a step the trace has")
{
    const Found f = find("models/proxy-waking-affinity.toml", "-proxy_waking");
    const std::string text = read_text(root + pwa_trace);
    const nlohmann::json good = nlohmann::json::parse(text);
    const std::string bad = "bad.json: not a usable proxycheck trace: ";
    auto with = [&](const char* key, const char* value) {
        nlohmann::json j = good;
        j[key] = nlohmann::json::parse(value);
        return refusal(f.model, j.dump());
    };
    CHECK(with("message", "3") == bad + "field 'message' is not a string");
    CHECK(with("at_terminal_state", "\"no\"") == bad + "field 'at_terminal_state' is not true or false");
    CHECK(with("tasks", "[]") == bad + "'tasks' is empty, but a model has at least one task");
    CHECK(with("locks", "[]").find("bad.json: the trace was recorded on a model with 2 CPUs, tasks [A, B] and locks "
                                   "[]; ") == 0);
    CHECK(with("preemptions", "-1") == bad + "field 'preemptions' is not a count");
    CHECK(with("context_switches", "12") == bad + "field 'context_switches' is 12, more than the trace's 11 steps");
    CHECK(with("final_state", "{}") == bad + "'final_state' is not a list");
    CHECK(with("fixed", "[]") == bad + "'fixed' is neither an object nor null");
    CHECK(with("fixed", R"({"features": "+proxy_waking", "blocked_at": 0})") ==
          bad + "'fixed': field 'blocked_at' is 0, not one of the trace's 11 steps");
    CHECK(with("fixed", R"({"features": "+proxy_waking", "blocked_at": 12})") ==
          bad + "'fixed': field 'blocked_at' is 12, not one of the trace's 11 steps");
    // A key twice: the parser would keep the second one silently.
    std::string twice = text;
    twice.replace(twice.find("\"cpus\": 2,"), 10, "\"cpus\": 3, \"cpus\": 2,");
    CHECK(refusal(f.model, twice) == bad + "key 'cpus' appears twice in one object (the file was edited or is corrupt)");
    std::string twice_in_step = text;
    twice_in_step.replace(twice_in_step.find("\"index\": 3,"), 11, "\"index\": 3, \"index\": 3,");
    CHECK(refusal(f.model, twice_in_step) ==
          bad + "key 'index' appears twice in one object (the file was edited or is corrupt)");
    CHECK(refusal(f.model, "") == bad + "the file is empty");
    CHECK(refusal(f.model, text) == "(replayed)");   // the committed file as it is
}

TEST_CASE("a folder given as the trace file is refused as a folder, not as truncated JSON")
{
    const std::string dir = root + "/counterexamples";
    try {
        trace::read_trace_file(dir);
        FAIL("read a folder as a trace");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) == dir + ": cannot read the trace: it is a folder, not a file");
    }
}

TEST_CASE("a trace with no steps is a real counterexample (the initial state breaks the property) and replays")
{
    // check --trace-out writes such a trace: it must be read and reproduce.
    Scenario sc = load_scenario(root + "/models/proxy-waking-affinity.toml");
    sc.file = "models/proxy-waking-affinity.toml";
    const kernel::Model m(sc, sc.feature_set());
    props::Catalog catalog = props::Catalog::standard();
    catalog.add_text("invariant all_on_cpu1: forall t in tasks: t.cpu == 1\n", "init.prop");
    props::Checker checker(m, catalog, {"all_on_cpu1"});
    explorer::Explorer ex(m, checker, {}, false, explorer::Order::cheapest_shortest);
    const explorer::Result result = ex.run();
    REQUIRE(result.finding);
    const trace::Trace tr =
        trace::build_trace(m, ex, result.finding->state, result.finding->violation, result.finding->at_terminal);
    CHECK(tr.steps.empty());
    const trace::TraceFile tf = as_file(m, tr);
    CHECK(tf.steps.empty());
    trace::check_trace_matches(m, tf, catalog);
    const trace::Replay r = trace::replay(m, tf, catalog);
    CHECK(r.outcome == trace::ReplayOutcome::reproduced);
    CHECK(r.trace.steps.empty());
}

TEST_CASE("the wait-for graph shows tasks, locks and CPUs with their edges, and a task outside its mask in red")
{
    const Found f = find("models/chain3.toml", "-proxy_waking");
    const std::string dot = trace::wait_for_dot(f.model, f.trace.last_state(), "title \"quoted\"");
    CHECK(dot.rfind("digraph G {", 0) == 0);
    CHECK(dot.find("label=\"title \\\"quoted\\\"\"") != std::string::npos);
    // A runs on CPU1 outside {0,2}: red and filled; C waits on CPU2 inside its mask.
    CHECK(dot.find("A\\nRUNNING, queued on CPU1\\ncpus_mask {0,2}\\nRUNS OUTSIDE ITS MASK\", shape=\"ellipse\", "
                   "color=\"red\"") != std::string::npos);
    CHECK(dot.find("C\\nRUNNING, queued on CPU2\\ncpus_mask {2}\", shape=\"ellipse\"]") != std::string::npos);
    CHECK(dot.find("[label=\"curr, donor\", color=\"blue\"]") != std::string::npos);
    CHECK(dot.find("[label=\"owner\", penwidth=\"2\", color=\"darkgreen\"]") != std::string::npos);   // M1 -> A
    CHECK(dot.find("[label=\"on wait_list\", style=\"dotted\"]") != std::string::npos);   // A still on M2's list
    // Vertices: 3 tasks, 2 locks, 3 CPUs.
    size_t vertices = 0;
    for (const std::string& l : lines_of(dot))
        vertices += l.find("->") == std::string::npos && l.find("[label=") != std::string::npos;
    CHECK(vertices == 8u);
}

TEST_CASE("the sequence picture has one lane per CPU, one row per step and a message for a cross-CPU change")
{
    const Found f = find("models/proxy-waking-affinity.toml", "-proxy_waking");
    const std::string dot = trace::sequence_dot(f.model, f.trace, "seed");
    size_t rows = 0, pos = 0;
    while ((pos = dot.find("rank=same", pos)) != std::string::npos)
        ++rows, ++pos;
    CHECK(rows == f.trace.steps.size() + 1);   // the CPU heads, then one per step
    CHECK(dot.find("s0_0 -> s1_0 -> s2_0") != std::string::npos);
    CHECK(dot.find("s0_1 -> s1_1 -> s2_1") != std::string::npos);
    // Step 6 on CPU1 migrates A to CPU0: a message into CPU0's lane.
    CHECK(dot.find("s6_1 -> s6_0 [label=\"A.on_rq: MIGRATING\\nA.cpu: 0\\n\"") != std::string::npos);
}

TEST_CASE("every committed counterexample reproduces under its own flags and is blocked where its header says "
          "under the fixed flags")
{
    size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(root + "/counterexamples")) {
        if (e.path().extension() != ".json")
            continue;
        ++files;
        const std::string name = e.path().filename().string();
        CAPTURE(name);
        const trace::TraceFile tf = trace::read_trace_file(e.path().string());
        // <model>--<property>.json
        CHECK(name == std::filesystem::path(tf.model).stem().string() + "--" + tf.property + ".json");
        CHECK(std::filesystem::exists(std::filesystem::path(e.path()).replace_extension(".txt")));
        const Scenario sc = load_scenario(root + "/" + tf.model);
        const kernel::Model own(sc, trace::recorded_features(tf));
        trace::check_trace_matches(own, tf);
        const trace::Replay r = trace::replay(own, tf);
        CHECK(r.outcome == trace::ReplayOutcome::reproduced);
        CHECK(r.trace.steps.size() == tf.steps.size());
        if (!tf.fixed)
            continue;
        FeatureSet fs = trace::recorded_features(tf);
        apply_feature_edits(fs, split_feature_list(tf.fixed->features), {});
        const trace::Replay fixed = trace::replay(kernel::Model(sc, fs), tf);
        CHECK(fixed.outcome == trace::ReplayOutcome::blocked);
        CHECK(fixed.blocked_at == tf.fixed->blocked_at);
    }
    CHECK(files >= 6u);
}
