// proxycheck replay TRACE: re-executes a JSON trace against the model it
// names (or --model), under its own flags edited by --features. Exit 1 when
// the violation reproduces, 0 when the trace is blocked or completes without
// it, 2 when the trace does not fit the model.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/outputs.hpp"
#include "cli/pictures.hpp"
#include "kernel/error.hpp"
#include "trace/read.hpp"
#include "trace/replay.hpp"
#include "trace/svg.hpp"
#include "trace/text.hpp"

namespace pxc::cli {

namespace {

// The changes of `a` that `b` does not make.
std::string only_in(const std::vector<trace::Change>& a, const std::vector<trace::Change>& b)
{
    std::string out;
    for (const trace::Change& c : a) {
        const bool shared = std::any_of(b.begin(), b.end(), [&](const trace::Change& d) {
            return c.field == d.field && c.from == d.from && c.to == d.to;
        });
        if (!shared)
            out += (out.empty() ? "" : ", ") + c.field + ": " + c.from + " -> " + c.to;
    }
    return out.empty() ? "nothing more" : out;
}

}  // namespace

int cmd_replay(const ReplayOptions& opt)
{
    if (!opt.pictures.svg.empty())
        trace::require_dot(opt.pictures.svg);
    const props::Catalog catalog = props::Catalog::with_files(opt.property_files);
    const trace::TraceFile tf = trace::read_trace_file(opt.trace);
    const std::string model_path = opt.model.empty() ? tf.model : opt.model;
    if (opt.model.empty() && !std::filesystem::exists(model_path))
        throw Error(SourceLoc{opt.trace, 0, 0}, "the model it names, " + model_path +
                                                    ", cannot be read (--model MODEL names another path)");
    std::vector<std::string> inputs = opt.property_files;
    inputs.push_back(opt.trace);
    inputs.push_back(model_path);
    refuse_inputs_as_outputs({opt.pictures.dot, opt.pictures.sequence_dot, opt.pictures.svg}, inputs);
    const Scenario sc = load_scenario(model_path);
    FeatureSet fs = trace::recorded_features(tf);
    const std::vector<std::string> edits = split_feature_list(opt.features);
    apply_feature_edits(fs, edits, SourceLoc{"--features", 0, 0});
    validate_features(fs, edits.empty() ? SourceLoc{opt.trace, 0, 0} : SourceLoc{"--features", 0, 0});
    const kernel::Model model(sc, fs);
    trace::check_trace_matches(model, tf, catalog);
    const trace::Replay r = trace::replay(model, tf, catalog);

    const trace::TextOptions text{.full = opt.full};
    const size_t width = size_t(text.width);
    std::string out;
    out += trace::wrap_lines("replay: " + opt.trace + " (" + std::to_string(tf.steps.size()) + " steps, " +
                                 tf.property + ")",
                             width);
    out += trace::wrap_lines("model: " + model_path, width);
    out += trace::wrap_lines("features: " + fs.to_string() +
                                 (edits.empty() ? " (the trace's own)" : " (the trace's " + tf.features + ", then " +
                                                                             opt.features + ")"),
                             width);
    out += "\n" + trace::render_diagram(model, r.trace, text);
    for (size_t i : r.differs) {
        const trace::RecordedStep& rec = tf.steps[i - 1];
        const std::vector<trace::Change>& now = r.trace.steps[i - 1].changes;
        out += "\n" +
               trace::wrap_lines("step " + std::to_string(i) + " (" + rec.title + ") differs from the trace:", width);
        out += trace::wrap_lines("now " + only_in(now, rec.changes), width, "  ", 4);
        out += trace::wrap_lines("the trace had " + only_in(rec.changes, now), width, "  ", 4);
    }
    if (r.outcome == trace::ReplayOutcome::blocked) {
        out += "\n";
        for (const std::string& line : trace::blocked_reason(model, tf, r))
            out += line.rfind("  ", 0) == 0 ? trace::wrap_lines(line.substr(2), width, "  ", 4)
                                            : trace::wrap_lines(line, width, "", 4);
    }
    const size_t done = r.trace.steps.size();
    out += "\nstate after step " + std::to_string(done) + ":\n" +
           trace::render_state(model, r.trace.last_state(), text);
    std::string verdict;
    switch (r.outcome) {
    case trace::ReplayOutcome::reproduced:
        verdict = "reproduced: " + tf.property + " violated after step " + std::to_string(done) + " of " +
                  std::to_string(tf.steps.size()) + ": " + r.violation->message;
        break;
    case trace::ReplayOutcome::blocked:
        verdict = "blocked at step " + std::to_string(r.blocked_at) + " of " + std::to_string(tf.steps.size()) +
                  (!edits.empty() ? ": the violation does not reproduce with these flags"
                   : opt.model.empty()
                       ? ": the trace is not possible on its own model and flags (the trace was edited, or the model "
                         "changed since it was recorded)"
                       : ": the trace is not possible on " + opt.model + " with its own flags");
        break;
    case trace::ReplayOutcome::completed:
        verdict = "not reproduced: all " + std::to_string(done) + " steps replayed and " + tf.property +
                  " holds after the last";
        break;
    }
    out += "\n" + trace::wrap_lines("result: " + verdict, width);
    // The pictures first: a path that cannot be written is refused before any result is printed.
    if (opt.pictures.any())
        write_pictures(model, r.trace, opt.pictures,
                       "replay of " + opt.trace + " [" + fs.to_string() + "]\n" + verdict);
    std::cout << out;
    return r.outcome == trace::ReplayOutcome::reproduced ? 1 : 0;
}

}  // namespace pxc::cli
