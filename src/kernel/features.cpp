#include "kernel/features.hpp"

#include <array>

namespace pxc {

namespace {

constexpr std::array<FeatureInfo, static_cast<size_t>(Feature::count_)> feature_table{{
    {Feature::proxy_exec, "proxy_exec",
     "v6.17: \"sched: Start blocked_on chain processing in find_proxy_task()\" (CONFIG_SCHED_PROXY_EXEC)",
     "mutex-blocked tasks stay queued as donors; __schedule runs find_proxy_task on them", true},
    {Feature::proxy_migration, "proxy_migration",
     "v7.1: \"[PATCH v23 6/9] sched: Handle blocked-waiter migration (and return migration)\" (v26 Simple Donor Migration)",
     "find_proxy_task moves a donor to a remote owner's CPU ignoring its mask (proxy_migrate_task) and returns it "
     "with proxy_force_return", true},
    {Feature::proxy_waking, "proxy_waking",
     "v7.1: commit 2d7622669836 \"sched/locking: Add special p->blocked_on==PROXY_WAKING value for proxy return-migration\"",
     "unlock and ww die/wound set blocked_on = PROXY_WAKING instead of clearing it; try_to_wake_up clears it at out:", true},
    {Feature::is_blocked, "is_blocked",
     "v7.2: peterz/queue \"sched/proxy: Switch proxy to use p->is_blocked\"",
     "p->is_blocked replaces the PROXY_WAKING sentinel: a woken donor has is_blocked set and blocked_on NULL", true},
    {Feature::ttwu_return_migration, "ttwu_return_migration",
     "v7.2: \"[PATCH v23 7/9] sched: Have try_to_wake_up() handle return-migration for PROXY_WAKING case\"",
     "proxy_needs_return in ttwu_runnable dequeues a donor parked off its wake_cpu for a full wakeup", true},
    {Feature::blocked_donor, "blocked_donor",
     "v7.2: \"[PATCH v29 7/9] sched: Add blocked_donor link to task for smarter mutex handoffs\"",
     "find_proxy_task records owner->blocked_donor; the unlock slowpath hands off to it", true},
    {Feature::unlock_preempt_guard, "unlock_preempt_guard",
     "PeterZ, \"Re: [PATCH v29 7/9]\" 2026-05-22: guard(preempt)() across __mutex_unlock_slowpath",
     "preemption disabled across the whole unlock slowpath", true},
    {Feature::ttwu_any_is_blocked, "ttwu_any_is_blocked",
     "alternative reading of v7.2 proxy_needs_return (sources: summaries only; cf. \"sched: Be more strict about p->is_blocked\")",
     "try_to_wake_up returns or unblocks every is_blocked task it wakes, also one still blocked_on a mutex "
     "(a stale wakeup); without it only a task whose blocked_on was cleared (v23's PROXY_WAKING test)", true},
}};

FeatureSet make(std::initializer_list<Feature> fs)
{
    FeatureSet s;
    for (Feature f : fs)
        s.set(f, true);
    return s;
}

}  // namespace

std::span<const FeatureInfo> all_features() { return feature_table; }

const FeatureInfo& feature_info(Feature f) { return feature_table[static_cast<size_t>(f)]; }

std::string FeatureSet::to_string() const
{
    std::string out;
    for (const auto& info : feature_table) {
        if (!has(info.flag))
            continue;
        if (!out.empty())
            out += ",";
        out += info.name;
    }
    return out.empty() ? "(none)" : out;
}

std::vector<BaselineInfo> all_baselines()
{
    using enum Feature;
    return {
        {"none", "proxy execution off (CONFIG_SCHED_PROXY_EXEC=n or sched_proxy_exec=0)", make({})},
        {"v6.17", "v6.17: single-runqueue proxy execution", make({proxy_exec})},
        {"v7.1", "v7.1 (merged 2026-04-14): Simple Donor Migration, PROXY_WAKING",
         make({proxy_exec, proxy_migration, proxy_waking})},
        {"v7.2", "v7.2: is_blocked, return migration in try_to_wake_up, blocked_donor handoff (G2, partly unverified)",
         make({proxy_exec, proxy_migration, is_blocked, ttwu_return_migration, blocked_donor, unlock_preempt_guard})},
    };
}

FeatureSet baseline_features(std::string_view name, const SourceLoc& loc)
{
    for (const auto& b : all_baselines())
        if (b.name == name)
            return b.features;
    throw Error(loc, "unknown baseline '" + std::string(name) + "' (known: none, v6.17, v7.1, v7.2)");
}

void apply_feature_edits(FeatureSet& set, std::span<const std::string> edits, const SourceLoc& loc)
{
    for (const std::string& edit : edits) {
        if (edit == "+" || edit == "-")
            throw Error(loc, "feature edit '" + edit + "' names no flag: +flag or -flag");
        if (edit.empty() || (edit[0] != '+' && edit[0] != '-'))
            throw Error(loc, "feature '" + edit + "' needs a sign: +flag or -flag");
        std::string_view name = std::string_view(edit).substr(1);
        bool found = false;
        for (const auto& info : feature_table) {
            if (info.name == name) {
                set.set(info.flag, edit[0] == '+');
                found = true;
            }
        }
        if (!found)
            throw Error(loc, "unknown feature '" + std::string(name) + "' (see: proxycheck list features)");
    }
}

std::vector<std::string> split_feature_list(std::string_view list)
{
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= list.size()) {
        size_t comma = list.find(',', start);
        if (comma == std::string_view::npos)
            comma = list.size();
        std::string_view item = list.substr(start, comma - start);
        while (!item.empty() && item.front() == ' ')
            item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ')
            item.remove_suffix(1);
        if (!item.empty())
            out.emplace_back(item);
        start = comma + 1;
    }
    return out;
}

void validate_features(const FeatureSet& set, const SourceLoc& loc)
{
    using enum Feature;
    auto needs = [&](Feature f, Feature g, const char* why) {
        if (set.has(f) && !set.has(g))
            throw Error(loc, "feature combination cannot be built: " + std::string(feature_info(f).name) +
                                 " without " + std::string(feature_info(g).name) + " (" + why + ")");
    };
    needs(proxy_migration, proxy_exec, "proxy_migrate_task is part of find_proxy_task");
    needs(is_blocked, proxy_exec, "is_blocked is tested by the proxy paths of __schedule");
    needs(ttwu_return_migration, proxy_migration, "proxy_needs_return undoes proxy migration");
    needs(blocked_donor, proxy_exec, "blocked_donor is set by find_proxy_task");
    needs(ttwu_any_is_blocked, is_blocked, "it is a reading of is_blocked");
    needs(ttwu_any_is_blocked, ttwu_return_migration, "it is a reading of proxy_needs_return");
    if (set.has(is_blocked) && set.has(proxy_waking))
        throw Error(loc, "feature combination cannot be built: is_blocked replaces proxy_waking "
                         "(\"sched/proxy: Remove PROXY_WAKING\"); drop one of them");
    for (const auto& info : feature_table)
        if (set.has(info.flag) && !info.modelled)
            throw Error(loc, "feature '" + std::string(info.name) +
                                 "' is not modelled yet; the model refuses rather than simplifying it away");
}

}  // namespace pxc
