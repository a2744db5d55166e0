// A scenario file (models/*.toml, format in design.md): CPUs, locks, tasks
// with their programs, and the verdicts CI expects. Loading checks every
// name and number; nothing is explored from a scenario that did not load.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kernel/error.hpp"
#include "kernel/features.hpp"

namespace pxc {

inline constexpr int max_cpus = 8;
inline constexpr int max_tasks = 8;
inline constexpr int max_locks = 8;
inline constexpr int max_program = 32;

enum class LockType : uint8_t { mutex, ww_mutex };
enum class WwClass : uint8_t { none, wait_die, wound_wait };

struct LockDecl {
    std::string name;
    LockType type = LockType::mutex;
    WwClass ww_class = WwClass::none;
    int line = 0;
};

enum class OpKind : uint8_t {
    lock,             // mutex_lock / ww_mutex_lock
    unlock,           // mutex_unlock / ww_mutex_unlock
    ww_acquire_init,
    ww_acquire_done,
    ww_acquire_fini,
    set_affinity,     // set_cpus_allowed_ptr(current, cpus)
    yield,            // sched_yield
    repeat,           // start the program again
    barrier,          // the test's completions: wait until every task with a barrier reached it
};

struct Op {
    OpKind kind = OpKind::yield;
    int lock = -1;        // index into Scenario::locks for lock/unlock
    uint32_t cpus = 0;    // CPU bit mask for set_affinity
    std::string text;     // as written in the file
    int line = 0;
};

enum class Backoff : uint8_t { retry, none, once };

struct TaskDecl {
    std::string name;
    uint32_t affinity = 0;  // CPU bit mask
    int cpu = 0;            // where it starts (queued there)
    std::vector<Op> program;
    // On -EDEADLK: retry (back off until it succeeds, stress_inorder_work),
    // none (go on without the lock: test_abba without resolve), or once
    // (back off once; an -EDEADLK while relocking is kept: test_cycle_work).
    Backoff backoff = Backoff::retry;
    int line = 0;
};

struct Expect {
    std::vector<std::string> features;   // edits against the file's own feature set
    std::vector<std::string> holds;
    std::vector<std::string> violated;
    std::string counterexample;          // path as written (relative to the repository root)
    int line = 0;
    SourceLoc features_at;               // the features (or baseline) entry; else the [[expect]] line
    SourceLoc counterexample_at;
    std::map<std::string, SourceLoc, std::less<>> property_at;   // each name in holds and violated
};

struct Scenario {
    std::string file;
    std::string description;
    std::string baseline;                // empty: newest_baseline
    std::vector<std::string> features;   // "+flag" / "-flag" against the baseline
    int features_line = 0;
    int cpus = 0;
    std::vector<LockDecl> locks;
    std::vector<TaskDecl> tasks;
    std::vector<Expect> expects;

    SourceLoc at(int line) const { return SourceLoc{file, line, 0}; }
    // Baseline plus the file's edits plus extra edits (an [[expect]] or --features).
    FeatureSet feature_set(const std::vector<std::string>& extra = {}, const SourceLoc& extra_loc = {}) const;
};

// Reads and checks a scenario file; throws Error naming file and line.
Scenario load_scenario(const std::string& path);
Scenario parse_scenario(const std::string& text, const std::string& file);

}  // namespace pxc
