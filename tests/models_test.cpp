// Pinned state and transition counts of every bundled model under the
// baselines that matter, with every built-in property checked. A change to
// the state space shows up here, in review, before it shows up as a verdict.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "explorer/explorer.hpp"
#include "kernel/model.hpp"
#include "kernel/scenario.hpp"
#include "props/checker.hpp"

namespace {

struct Pinned {
    const char* model;
    const char* features;   // edits against the file's baseline
    const char* verdict;
    uint64_t states, transitions;
};

// Regenerate by hand: proxycheck check MODEL --features=F --format json
constexpr Pinned pinned[] = {
    {"models/abba.toml", "", "violated", 152, 305},
    {"models/abba.toml", "-proxy_waking", "violated", 158, 309},
    {"models/abba.toml", "-proxy_migration,-proxy_waking", "violated", 77, 165},
    {"models/abba.toml", "-proxy_exec,-proxy_migration,-proxy_waking", "violated", 68, 153},
    {"models/chain3.toml", "", "holds", 10059, 35647},
    {"models/chain3.toml", "-proxy_waking", "violated", 968, 2883},
    {"models/chain3.toml", "-proxy_migration,-proxy_waking", "holds", 1269, 4574},
    {"models/chain3.toml", "-proxy_exec,-proxy_migration,-proxy_waking", "holds", 707, 2463},
    {"models/contention.toml", "-proxy_waking", "violated", 6161, 16835},
    {"models/contention.toml", "-proxy_migration,-proxy_waking", "holds", 199202, 853411},
    {"models/contention.toml", "-proxy_exec,-proxy_migration,-proxy_waking", "holds", 87795, 359918},
    {"models/proxy-waking-affinity.toml", "", "holds", 194, 460},
    {"models/proxy-waking-affinity.toml", "-proxy_waking", "violated", 125, 281},
    {"models/proxy-waking-affinity.toml", "-proxy_migration,-proxy_waking", "holds", 66, 162},
    {"models/proxy-waking-affinity.toml", "-proxy_exec,-proxy_migration,-proxy_waking", "holds", 50, 118},
    {"models/sleeping-owner.toml", "", "holds", 2865, 8845},
    {"models/sleeping-owner.toml", "-proxy_waking", "violated", 706, 1954},
    {"models/sleeping-owner.toml", "-proxy_migration,-proxy_waking", "holds", 826, 2960},
    {"models/sleeping-owner.toml", "-proxy_exec,-proxy_migration,-proxy_waking", "holds", 433, 1419},
};

const char* verdict_name(pxc::explorer::Verdict v)
{
    return v == pxc::explorer::Verdict::holds ? "holds" : v == pxc::explorer::Verdict::violated ? "violated" : "incomplete";
}

}  // namespace

TEST_CASE("every bundled model keeps its pinned state and transition counts")
{
    for (const Pinned& p : pinned) {
        CAPTURE(p.model);
        CAPTURE(p.features);
        const pxc::Scenario sc = pxc::load_scenario(std::string(SOURCE_ROOT) + "/" + p.model);
        const pxc::FeatureSet fs = sc.feature_set(pxc::split_feature_list(p.features));
        const pxc::kernel::Model model(sc, fs);
        pxc::props::Checker checker(model, {});
        pxc::explorer::Explorer ex(model, checker, {}, false);
        const auto r = ex.run();
        CHECK(std::string(verdict_name(r.verdict)) == p.verdict);
        CHECK(r.stats.states == p.states);
        CHECK(r.stats.transitions == p.transitions);
    }
}
