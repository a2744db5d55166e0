// Feature flags: which kernel change is in force. Each flag is named after the
// patch that introduced the behaviour; a baseline names a released set.
// This is the one switch of the model (style.md: "KernelVariant").
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/error.hpp"

namespace pxc {

enum class Feature : uint8_t {
    proxy_exec,            // v6.17: mutex-blocked tasks stay queued as donors
    proxy_migration,       // v7.1: proxy_migrate_task / proxy_force_return
    proxy_waking,          // v7.1: blocked_on = PROXY_WAKING on wakeup (seed commit)
    is_blocked,            // v7.2: p->is_blocked replaces PROXY_WAKING (not modelled yet)
    ttwu_return_migration, // v7.2: proxy_needs_return in try_to_wake_up (not modelled yet)
    blocked_donor,         // v29 7/9: unlock hands off to blocked_donor (not modelled yet)
    unlock_preempt_guard,  // v29 resolution: no preemption in the unlock slowpath
    ttwu_any_is_blocked,   // v7.2 reading: proxy_needs_return acts on every woken is_blocked task
    count_
};

struct FeatureInfo {
    Feature flag;
    std::string_view name;
    std::string_view reference;   // commit or LKML subject
    std::string_view summary;
    bool modelled;                // false: the model refuses scenarios that enable it
};

std::span<const FeatureInfo> all_features();
const FeatureInfo& feature_info(Feature f);

class FeatureSet {
public:
    bool has(Feature f) const { return bits_ & bit(f); }
    void set(Feature f, bool on) { bits_ = on ? (bits_ | bit(f)) : (bits_ & ~bit(f)); }
    uint32_t bits() const { return bits_; }
    bool operator==(const FeatureSet&) const = default;
    std::string to_string() const;   // "proxy_exec,proxy_migration" or "(none)"

private:
    static uint32_t bit(Feature f) { return 1u << static_cast<unsigned>(f); }
    uint32_t bits_ = 0;
};

struct BaselineInfo {
    std::string_view name;
    std::string_view reference;
    FeatureSet features;
};

std::vector<BaselineInfo> all_baselines();
inline constexpr std::string_view newest_baseline = "v7.1";

// The named baseline; throws Error at loc if unknown.
FeatureSet baseline_features(std::string_view name, const SourceLoc& loc);

// Applies "+flag" / "-flag" tokens in order; throws Error at loc on an
// unknown flag or a token without a sign.
void apply_feature_edits(FeatureSet& set, std::span<const std::string> edits, const SourceLoc& loc);

// Splits a command-line LIST ("-proxy_waking,+blocked_donor").
std::vector<std::string> split_feature_list(std::string_view list);

// Refuses a combination the kernel cannot build (proxy_migration without
// proxy_exec, ...) and flags the model does not implement yet.
void validate_features(const FeatureSet& set, const SourceLoc& loc);

}  // namespace pxc
