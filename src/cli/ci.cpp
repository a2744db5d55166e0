// proxycheck ci: every [[expect]] of every model, one line per expected
// property, reports for CI systems, and exit 0 only when all are met.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include "cli/commands.hpp"
#include "cli/counterexample.hpp"
#include "cli/options.hpp"
#include "cli/outputs.hpp"
#include "cli/run.hpp"
#include "kernel/error.hpp"
#include "trace/json.hpp"
#include "trace/read.hpp"
#include "trace/text.hpp"

namespace pxc::cli {

namespace fs = std::filesystem;

namespace {

struct Line {
    Line(std::string m, std::string f, std::string p, std::string e, std::string g, const explorer::Stats& st)
        : model(std::move(m)), features(std::move(f)), property(std::move(p)), expected(std::move(e)),
          got(std::move(g)), stats(st)
    {
    }
    std::string model, features, property, expected, got;
    std::string note;             // why it failed, in one line
    std::string por_off;          // why partial-order reduction did not run
    explorer::Stats stats;
    SymmetryUse symmetry;
    bool ok = false;
    bool cex_differs = false;     // the verdict as expected, the counterexample not the committed one
    bool incomplete() const { return got == "incomplete"; }   // not met, but not contradicted either
    bool failed() const { return !ok && !incomplete(); }
    std::optional<nlohmann::json> counterexample;   // summary, when the run found one
    std::string trace_text;       // the race diagram, for a failed expectation's report
};

// One line about a counterexample: property, length, last step, message.
nlohmann::json summarize(const trace::Trace& tr)
{
    nlohmann::json j{{"property", tr.property},
                     {"message", tr.message},
                     {"steps", tr.steps.size()},
                     {"at_terminal_state", tr.at_terminal}};
    if (!tr.steps.empty())
        j["last_step"] = "CPU" + std::to_string(tr.steps.back().cpu) + " " + tr.steps.back().title;
    return j;
}

std::string summary_text(const nlohmann::json& c)
{
    std::string out = c["property"].get<std::string>() + " violated after " + std::to_string(c["steps"].get<size_t>()) +
                      " steps";
    if (c.contains("last_step"))
        out += " (last: " + c["last_step"].get<std::string>() + ")";
    if (c["at_terminal_state"].get<bool>())
        out += ", no step enabled";
    return out + ": " + c["message"].get<std::string>();
}

std::vector<std::string> model_files(const std::vector<std::string>& paths)
{
    std::vector<std::string> out;
    for (const std::string& p : paths) {
        if (fs::is_directory(p)) {
            for (const auto& e : fs::recursive_directory_iterator(p))
                if (e.path().extension() == ".toml") {
                    if (!e.is_regular_file())   // a dangling link: not silently left out
                        throw Error(SourceLoc{e.path().string(), 0, 0}, "cannot read the scenario: not a file");
                    out.push_back(e.path().string());
                }
        } else if (fs::exists(p)) {
            out.push_back(p);
        } else {
            throw Error(SourceLoc{p, 0, 0}, "no such model file or folder");
        }
    }
    std::sort(out.begin(), out.end());
    // A file named twice (also through its folder) is checked once.
    std::vector<std::string> once;
    std::vector<fs::path> seen;
    for (const std::string& f : out) {
        std::error_code ec;
        const fs::path c = fs::weakly_canonical(f, ec);
        if (std::find(seen.begin(), seen.end(), c) == seen.end()) {
            seen.push_back(c);
            once.push_back(f);
        }
    }
    return once;
}

std::string edits_text(const std::vector<std::string>& edits)
{
    std::string out;
    for (const std::string& e : edits)
        out += (out.empty() ? "" : ",") + e;
    return out.empty() ? "(file's own)" : out;
}

std::string xml_escape(const std::string& s)
{
    std::string out;
    for (char c : s) {
        switch (c) {
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '&': out += "&amp;"; break;
        case '"': out += "&quot;"; break;
        default: out += c;
        }
    }
    return out;
}

void write_junit(std::ofstream& f, const std::string& path, const std::vector<Line>& lines)
{
    size_t failures = 0, errors = 0;
    double total = 0;
    for (const Line& l : lines) {
        failures += l.failed();
        errors += l.incomplete();
        total += l.stats.seconds;
    }
    f << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    f << "<testsuite name=\"proxycheck\" tests=\"" << lines.size() << "\" failures=\"" << failures << "\" errors=\"" << errors
      << "\" time=\""
      << total << "\">\n";
    for (const Line& l : lines) {
        f << "  <testcase classname=\"" << xml_escape(l.model) << "\" name=\""
          << xml_escape(l.property + " [" + l.features + "]") << "\" time=\"" << l.stats.seconds << "\">";
        if (l.incomplete())   // a limit stopped the search: no verdict, an error rather than a failure
            f << "\n    <error message=\"" << xml_escape("incomplete: " + l.note) << "\"/>\n  ";
        else if (!l.ok)
            f << "\n    <failure message=\"" << xml_escape("expected " + l.expected + ", got " + l.got + ": " + l.note)
              << "\">" << xml_escape(l.trace_text.empty() ? l.note : l.trace_text) << "</failure>\n  ";
        f << "</testcase>\n";
    }
    f << "</testsuite>\n";
    if (!f.flush())
        throw Error(SourceLoc{path, 0, 0}, "cannot write the JUnit report");
}

void write_json(std::ofstream& f, const std::string& path, const std::vector<Line>& lines)
{
    nlohmann::json arr = nlohmann::json::array();
    for (const Line& l : lines) {
        nlohmann::json j{{"model", l.model},
                         {"features", l.features},
                         {"property", l.property},
                         {"expected", l.expected},
                         {"got", l.got},
                         {"ok", l.ok},
                         {"note", l.note},
                         {"statistics", trace::stats_json(l.stats)}};
        j["statistics"]["symmetry"] = symmetry_json(l.symmetry);
        j["statistics"]["por"] = por_json(l.stats, l.por_off);
        if (l.counterexample)
            j["counterexample"] = *l.counterexample;
        arr.push_back(std::move(j));
    }
    if (!(f << nlohmann::json{{"expectations", arr}}.dump(2) << "\n") || !f.flush())
        throw Error(SourceLoc{path, 0, 0}, "cannot write the JSON report");
}

// One [[expect]] of one model file, checked before any search runs.
struct Job {
    std::string file;
    std::shared_ptr<const Scenario> sc;
    const Expect* ex;   // null: the file has no [[expect]]
    FeatureSet features;
};

// Every model read and every expectation checked (properties known, feature
// sets buildable, committed counterexamples readable traces), so that bad
// input stops ci before it prints a result.
std::vector<Job> prepare(const CiOptions& opt, const props::Catalog& catalog)
{
    const std::vector<std::string> paths = opt.paths.empty() ? std::vector<std::string>{"models"} : opt.paths;
    const std::vector<std::string> files = model_files(paths);
    if (files.empty())
        throw Error(SourceLoc{paths.front(), 0, 0}, "no scenario files (*.toml) found: nothing to check");
    std::vector<Job> jobs;
    bool any = false;
    for (const std::string& file : files) {
        auto sc = std::make_shared<const Scenario>(load_scenario(file));
        if (sc->expects.empty())
            jobs.push_back({file, sc, nullptr, {}});
        // What each property is expected to do under each feature set: once.
        std::map<std::pair<std::string, std::string>, std::pair<bool, SourceLoc>> expected;
        for (const Expect& ex : sc->expects) {
            const FeatureSet fs = resolve_features(*sc, ex.features, ex.features_at);
            const kernel::Model check_it(*sc, fs);   // a combination the model refuses, refused now
            for (const auto* names : {&ex.holds, &ex.violated})   // in file order
                for (const std::string& p : *names) {
                    const SourceLoc& at = ex.property_at.at(p);
                    if (!catalog.find(p))
                        throw Error(at, "unknown property '" + p +
                                            "' (see: proxycheck list properties; a property of your own needs "
                                            "--properties FILE)");
                    const bool holds = names == &ex.holds;
                    auto [it, fresh] = expected.try_emplace({fs.to_string(), p}, holds, at);
                    if (!fresh)
                        throw Error(at, "property '" + p + "' " +
                                            (it->second.first == holds ? "expected again" : "expected the other way") +
                                            " under the same features [" + fs.to_string() + "] at line " +
                                            std::to_string(it->second.second.line));
                }
            if (!ex.counterexample.empty()) {
                if (fs::is_directory(ex.counterexample))
                    throw Error(ex.counterexample_at, "counterexample '" + ex.counterexample + "' is a folder");
                if (!opt.update_counterexamples && fs::exists(ex.counterexample))
                    trace::read_trace_file(ex.counterexample);   // a corrupt one: Error, exit 2
            }
            jobs.push_back({file, sc, &ex, fs});
            any = true;
        }
    }
    if (!any)   // a green run that checked nothing
        throw Error(SourceLoc{paths.front(), 0, 0}, "no [[expect]] in any of its models: nothing to check");
    return jobs;
}

// A report file opened (and emptied) before the searches, so that an
// unwritable path is refused before any result is printed.
std::ofstream open_report(const std::string& path, const char* what)
{
    std::ofstream f;
    if (path.empty())
        return f;
    f.open(path);   // a folder, too, fails to open
    if (!f.is_open())
        throw Error(SourceLoc{path, 0, 0}, std::string("cannot write the ") + what);
    return f;
}

}  // namespace

int cmd_ci(const CiOptions& opt)
{
    const explorer::Limits limits = make_limits(opt.memory, opt.max_states, opt.seconds);
    const props::Catalog catalog = props::Catalog::with_files(opt.property_files);
    const explorer::Options options = make_options(opt.threads, "exact", limits, opt.store);
    const std::vector<Job> jobs = prepare(opt, catalog);
    std::vector<std::string> inputs = opt.property_files;
    for (const Job& job : jobs) {
        inputs.push_back(job.file);
        if (job.ex && !job.ex->counterexample.empty())
            inputs.push_back(job.ex->counterexample);
    }
    refuse_inputs_as_outputs({opt.junit, opt.json}, inputs);
    std::ofstream junit = open_report(opt.junit, "JUnit report"), json = open_report(opt.json, "JSON report");
    std::vector<Line> lines;
    for (const Job& job : jobs) {
        const std::string& file = job.file;
        const Scenario& sc = *job.sc;
        if (!job.ex) {
            std::printf("%s: no [[expect]]\n", file.c_str());
            continue;
        }
        const Expect& ex = *job.ex;
        const kernel::Model model(sc, job.features);
        auto one = [&](const std::string& property, const char* expected) {
            // A committed counterexample is the shortest (cheapest) of the
            // whole graph: its run is compared without the reduction,
            // whose counterexamples are shortest in the reduced graph.
            const bool compared = !ex.counterexample.empty() && property == ex.violated.front();
            const RunOutcome run = run_model(model, catalog, {property}, limits, false,
                                             explorer::Order::cheapest_shortest, options, !opt.no_symmetry,
                                             !opt.no_por && !compared);
            Line l(file, edits_text(ex.features), property, expected, verdict_word(run.result.verdict),
                   run.result.stats);
            l.symmetry = run.symmetry;
            l.ok = l.got == l.expected;
            l.por_off = compared && !opt.no_por ? "compared with a committed counterexample" : run.por_off;
            if (run.trace) {
                l.counterexample = summarize(*run.trace);
                l.note = summary_text(*l.counterexample);
                if (!l.ok)
                    l.trace_text = trace::render_text(model, *run.trace);
            } else if (!run.result.limit.empty()) {
                l.note = "stopped by " + run.result.limit + " after " + std::to_string(l.stats.states) +
                         " states, no violation among them";
            } else {
                l.note = "no counterexample: the property holds on all " + std::to_string(l.stats.states) +
                         " reachable states";
            }
            // The committed counterexample must still be one of the same property (and,
            // BFS being deterministic, the same steps).
            if (l.ok && run.trace && compared) {
                std::string diff;
                if (opt.update_counterexamples) {
                    write_counterexample(sc, model, *run.trace, ex.counterexample);
                    diff = "counterexample written";
                } else {
                    diff = compare_counterexample(model, *run.trace, ex.counterexample);
                }
                if (!diff.empty() && !opt.update_counterexamples) {
                    l.ok = false;
                    l.cex_differs = true;
                    l.trace_text = trace::render_text(model, *run.trace);
                }
                l.note = diff.empty() ? l.note : diff;
            }
            std::printf("%-4s %s [%s] %s: expected %s, got %s%s  (%llu states, %.2f s)%s%s\n",
                        l.ok ? "ok" : l.incomplete() ? "STOP" : "FAIL",
                        file.c_str(), l.features.c_str(), property.c_str(), expected, l.got.c_str(),
                        l.cex_differs ? ", not the committed counterexample" : "",
                        (unsigned long long)l.stats.states, l.stats.seconds, l.ok ? "" : "\n       ",
                        l.ok ? "" : l.note.c_str());
            std::fflush(stdout);
            lines.push_back(std::move(l));
        };
        // The properties expected to hold share one search when they all do.
        if (ex.holds.size() > 1) {
            const RunOutcome group = run_model(model, catalog, ex.holds, limits, false,
                                               explorer::Order::cheapest_shortest, options, !opt.no_symmetry,
                                               !opt.no_por);
            if (group.result.verdict == explorer::Verdict::holds) {
                for (const std::string& p : ex.holds) {
                    Line l(file, edits_text(ex.features), p, "holds", "holds", group.result.stats);
                    l.symmetry = group.symmetry;
                    l.ok = true;
                    l.por_off = group.por_off;
                    std::printf("ok   %s [%s] %s: expected holds, got holds  (%llu states, %.2f s, shared)\n",
                                file.c_str(), l.features.c_str(), p.c_str(), (unsigned long long)l.stats.states,
                                l.stats.seconds);
                    lines.push_back(std::move(l));
                }
            } else {
                for (const std::string& p : ex.holds)
                    one(p, "holds");
            }
        } else {
            for (const std::string& p : ex.holds)
                one(p, "holds");
        }
        for (const std::string& p : ex.violated)
            one(p, "violated");
    }
    if (!opt.junit.empty())
        write_junit(junit, opt.junit, lines);
    if (!opt.json.empty())
        write_json(json, opt.json, lines);
    const auto count = [&](bool (Line::*what)() const) {
        return size_t(std::count_if(lines.begin(), lines.end(), [&](const Line& l) { return (l.*what)(); }));
    };
    const size_t failed = count(&Line::failed), incomplete = count(&Line::incomplete);
    std::printf("expectations: %zu met, %zu failed", lines.size() - failed - incomplete, failed);
    if (incomplete)
        std::printf(", %zu incomplete (a limit stopped the search)", incomplete);
    std::printf("\n");
    if (failed)
        return 1;
    return incomplete ? 3 : 0;
}

}  // namespace pxc::cli
