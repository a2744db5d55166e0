#include "cli/counterexample.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "cli/options.hpp"
#include "kernel/error.hpp"
#include "kernel/input_file.hpp"
#include "trace/json.hpp"
#include "trace/replay.hpp"
#include "trace/text.hpp"

namespace pxc::cli {

namespace fs = std::filesystem;

std::string compare_counterexample(const kernel::Model& model, const trace::Trace& tr, const std::string& path)
{
    if (!fs::exists(path))
        return "counterexample file " + path + " missing (proxycheck ci --update-counterexamples writes it)";
    // cmd_ci has read it as a trace before any search: it is one.
    const nlohmann::json old = nlohmann::json::parse(read_input_file(path, "counterexample"));
    if (old.value("property", "") != tr.property)
        return "committed counterexample violates " + old.value("property", "?") + ", the model now " + tr.property;
    const nlohmann::json fresh = trace::trace_json(model, tr);
    std::vector<uint64_t> a, b;
    for (const auto& s : old["steps"])
        a.push_back(s.value("label", uint64_t(0)));
    for (const auto& s : fresh["steps"])
        b.push_back(s.value("label", uint64_t(0)));
    if (a != b)
        return "the shortest counterexample changed from the committed " + path + " (" + std::to_string(a.size()) +
               " -> " + std::to_string(b.size()) + " steps)";
    return "";
}

std::optional<trace::FixedFlags> find_fixed_flags(const Scenario& sc, const kernel::Model& model,
                                                  const trace::Trace& tr)
{
    const FeatureSet found = model.features();
    struct Candidate {
        std::vector<std::string> edits;
        FeatureSet features;
    };
    std::vector<Candidate> candidates;
    for (const Expect& ex : sc.expects) {
        if (std::find(ex.holds.begin(), ex.holds.end(), tr.property) == ex.holds.end())
            continue;
        const FeatureSet fixed = resolve_features(sc, ex.features, ex.features_at);
        Candidate c{{}, fixed};
        for (const FeatureInfo& f : all_features())
            if (found.has(f.flag) != fixed.has(f.flag))
                c.edits.push_back((fixed.has(f.flag) ? "+" : "-") + std::string(f.name));
        if (!c.edits.empty())
            candidates.push_back(std::move(c));
    }
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const Candidate& a, const Candidate& b) { return a.edits.size() < b.edits.size(); });
    const trace::TraceFile tf = trace::parse_trace_json(trace::trace_json(model, tr), "(fresh trace)");
    for (const Candidate& c : candidates) {
        const kernel::Model fixed(sc, c.features);
        const trace::Replay r = trace::replay(fixed, tf);
        if (r.outcome != trace::ReplayOutcome::blocked)
            continue;
        std::string edits;
        for (const std::string& e : c.edits)
            edits += (edits.empty() ? "" : ",") + e;
        return trace::FixedFlags{edits, r.blocked_at};
    }
    return std::nullopt;
}

void write_counterexample(const Scenario& sc, const kernel::Model& model, const trace::Trace& tr,
                          const std::string& path)
{
    nlohmann::json j = trace::trace_json(model, tr);
    const std::optional<trace::FixedFlags> fixed = find_fixed_flags(sc, model, tr);
    j["fixed"] = fixed ? nlohmann::json{{"features", fixed->features}, {"blocked_at", fixed->blocked_at}}
                       : nlohmann::json(nullptr);
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream json_file(path);
    if (!json_file || !(json_file << j.dump(2) << "\n"))
        throw Error(SourceLoc{path, 0, 0}, "cannot write the counterexample");
    const std::string text_path = fs::path(path).replace_extension(".txt").string();
    std::ofstream text_file(text_path);
    if (!text_file || !(text_file << trace::render_text(model, tr)))
        throw Error(SourceLoc{text_path, 0, 0}, "cannot write the counterexample");
}

}  // namespace pxc::cli
