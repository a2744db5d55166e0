#include "kernel/scenario.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <charconv>
#include <initializer_list>
#include <iterator>
#include <map>
#include <string_view>
#include <utility>

#include <toml++/toml.h>

#include "kernel/input_file.hpp"

namespace pxc {

namespace {

constexpr std::array<std::pair<std::string_view, OpKind>, 9> op_names{{
    {"lock", OpKind::lock},
    {"unlock", OpKind::unlock},
    {"ww_acquire_init", OpKind::ww_acquire_init},
    {"ww_acquire_done", OpKind::ww_acquire_done},
    {"ww_acquire_fini", OpKind::ww_acquire_fini},
    {"set_affinity", OpKind::set_affinity},
    {"yield", OpKind::yield},
    {"repeat", OpKind::repeat},
    {"barrier", OpKind::barrier},
}};

std::string_view trim(std::string_view s)
{
    constexpr std::string_view space = " \t\r\n";
    size_t first = s.find_first_not_of(space);
    if (first == std::string_view::npos)
        return {};
    return s.substr(first, s.find_last_not_of(space) - first + 1);
}

bool is_identifier(std::string_view s)
{
    auto word_char = [](char c) { return c == '_' || std::isalnum(static_cast<unsigned char>(c)); };
    return !s.empty() && !std::isdigit(static_cast<unsigned char>(s[0])) && std::ranges::all_of(s, word_char);
}

// Turns a toml++ tree into a Scenario. Every reader names the node it was
// given when it throws, so each message points at the offending value.
class Parser {
public:
    explicit Parser(const std::string& file) { s_.file = file; }

    Scenario run(const toml::table& root)
    {
        only_keys(root, {"description", "baseline", "features", "cpus", "lock", "task", "expect"}, "");
        if (auto* n = root.get("description"))
            s_.description = string(*n, "description");
        if (auto* n = root.get("baseline")) {
            s_.baseline = string(*n, "baseline");
            baseline_features(s_.baseline, at(*n));   // throws on an unknown name
        }
        if (auto* n = root.get("features")) {
            s_.features = feature_edits(*n);
            s_.features_line = line(*n);
        }
        const toml::node& cpus = required(root, "cpus", "");
        const int64_t n = integer(cpus, "cpus");
        if (n < 1 || n > max_cpus)
            throw Error(at(cpus), "cpus must be between 1 and " + std::to_string(max_cpus) + ", not " + std::to_string(n));
        s_.cpus = static_cast<int>(n);
        for (const toml::table* t : tables(root, "lock", max_locks))
            s_.locks.push_back(lock(*t));
        for (const toml::table* t : tables(root, "task", max_tasks))
            s_.tasks.push_back(task(*t));
        if (s_.tasks.empty())
            throw Error(at(root), "a scenario needs at least one [[task]]");
        for (const toml::table* t : tables(root, "expect", 0))
            s_.expects.push_back(expect(*t));
        return std::move(s_);
    }

private:
    // --- typed readers -------------------------------------------------

    int line(const toml::node& n) const { return static_cast<int>(n.source().begin.line); }
    SourceLoc at(const toml::source_region& r) const
    {
        return SourceLoc{s_.file, static_cast<int>(r.begin.line), static_cast<int>(r.begin.column)};
    }
    SourceLoc at(const toml::node& n) const { return at(n.source()); }

    void only_keys(const toml::table& t, std::initializer_list<std::string_view> allowed, std::string_view where) const
    {
        for (auto&& [key, value] : t)
            if (std::ranges::find(allowed, key.str()) == allowed.end())
                throw Error(at(key.source()), "unknown key '" + std::string(key.str()) + "'" + std::string(where));
    }

    const toml::node& required(const toml::table& t, std::string_view key, std::string_view where) const
    {
        if (const toml::node* n = t.get(key))
            return *n;
        throw Error(at(t), std::string(key) + " is required" + std::string(where));
    }

    std::string string(const toml::node& n, std::string_view what) const
    {
        if (const auto* v = n.as_string())
            return v->get();
        throw Error(at(n), std::string(what) + " must be a string");
    }

    int64_t integer(const toml::node& n, std::string_view what) const
    {
        if (const auto* v = n.as_integer())
            return v->get();
        throw Error(at(n), std::string(what) + " must be an integer");
    }

    const toml::array& array(const toml::node& n, std::string_view what) const
    {
        if (const auto* v = n.as_array())
            return *v;
        throw Error(at(n), std::string(what) + " must be an array");
    }

    std::vector<std::string> strings(const toml::node& n, std::string_view what) const
    {
        std::vector<std::string> out;
        for (const toml::node& e : array(n, what))
            out.push_back(string(e, std::string("each entry of ") + std::string(what)));
        return out;
    }

    // The [[key]] tables of root, at most `limit` of them (0: no limit).
    std::vector<const toml::table*> tables(const toml::table& root, std::string_view key, size_t limit) const
    {
        std::vector<const toml::table*> out;
        const toml::node* n = root.get(key);
        if (!n)
            return out;
        const std::string what = "[[" + std::string(key) + "]]";
        for (const toml::node& e : array(*n, key)) {
            if (!e.is_table())
                throw Error(at(e), std::string(key) + " must be an array of tables (" + what + ")");
            if (limit && out.size() == limit)
                throw Error(at(e), "at most " + std::to_string(limit) + " " + what + " allowed");
            out.push_back(e.as_table());
        }
        return out;
    }

    // "+flag" / "-flag" entries, each checked at its own line.
    std::vector<std::string> feature_edits(const toml::node& n) const
    {
        std::vector<std::string> out;
        for (const toml::node& e : array(n, "features")) {
            out.push_back(string(e, "each entry of features"));
            FeatureSet scratch;
            apply_feature_edits(scratch, std::span(&out.back(), 1), at(e));
        }
        return out;
    }

    // A lock or task name: an identifier not used by any other lock or task.
    std::string name(const toml::table& t, std::string_view where)
    {
        const toml::node& n = required(t, "name", where);
        std::string name = string(n, "name");
        if (!is_identifier(name))
            throw Error(at(n), "name '" + name + "' must be an identifier (letters, digits, '_')");
        if (name.size() > 32)   // a race diagram's column holds it
            throw Error(at(n), "name '" + name.substr(0, 32) + "...' is longer than 32 characters");
        // What traces and property messages print for no task, no lock, a CPU.
        const bool cpu_like = name.size() > 3 && name.starts_with("CPU") &&
                              name.find_first_not_of("0123456789", 3) == std::string::npos;
        if (cpu_like || name == "NULL" || name == "idle" || name == "none" || name == "PROXY_WAKING")
            throw Error(at(n), "name '" + name + "' is reserved (traces and properties print NULL, idle, none, "
                                   "PROXY_WAKING and CPUn with their own meaning)");
        auto [it, fresh] = names_.emplace(name, line(n));
        if (!fresh)
            throw Error(at(n), "duplicate name '" + name + "' (first declared at line " +
                                   std::to_string(it->second) + ")");
        return name;
    }

    int cpu_number(int64_t cpu, const SourceLoc& loc) const
    {
        if (cpu < 0 || cpu >= s_.cpus)
            throw Error(loc, "cpu " + std::to_string(cpu) + " out of range (cpus = " + std::to_string(s_.cpus) + ")");
        return static_cast<int>(cpu);
    }

    // Adds one CPU to a mask, refusing one out of range or named twice.
    uint32_t add_cpu(uint32_t mask, int64_t cpu, const SourceLoc& loc) const
    {
        if (mask & (1u << cpu_number(cpu, loc)))
            throw Error(loc, "cpu " + std::to_string(cpu) + " listed twice");
        return mask | (1u << cpu);
    }

    int lock_index(std::string_view name) const
    {
        for (size_t i = 0; i < s_.locks.size(); i++)
            if (s_.locks[i].name == name)
                return static_cast<int>(i);
        return -1;
    }

    // --- sections ------------------------------------------------------

    LockDecl lock(const toml::table& t)
    {
        only_keys(t, {"name", "type", "ww_class"}, " in [[lock]]");
        LockDecl l{.name = name(t, " in [[lock]]"), .line = line(t)};
        if (auto* n = t.get("type")) {
            std::string type = string(*n, "type");
            if (type == "ww_mutex")
                l.type = LockType::ww_mutex;
            else if (type != "mutex")
                throw Error(at(*n), "lock type must be \"mutex\" or \"ww_mutex\", not \"" + type + "\"");
        }
        const toml::node* cls = t.get("ww_class");
        if (l.type == LockType::mutex) {
            if (cls)
                throw Error(at(*cls), "ww_class is only allowed for type = \"ww_mutex\"");
            return l;
        }
        const std::string where = " for ww_mutex " + l.name;
        std::string c = string(required(t, "ww_class", where), "ww_class");
        if (c == "wait_die")
            l.ww_class = WwClass::wait_die;
        else if (c == "wound_wait")
            l.ww_class = WwClass::wound_wait;
        else
            throw Error(at(*cls), "ww_class must be \"wait_die\" or \"wound_wait\", not \"" + c + "\"");
        return l;
    }

    TaskDecl task(const toml::table& t)
    {
        only_keys(t, {"name", "affinity", "cpu", "program", "backoff"}, " in [[task]]");
        TaskDecl task;
        task.name = name(t, " in [[task]]");
        task.line = line(t);

        task.affinity = (1u << s_.cpus) - 1;   // default: every CPU
        if (auto* n = t.get("affinity")) {
            task.affinity = 0;
            for (const toml::node& e : array(*n, "affinity"))
                task.affinity = add_cpu(task.affinity, integer(e, "each entry of affinity"), at(e));
            if (!task.affinity)
                throw Error(at(*n), "affinity must name at least one cpu");
        }
        task.cpu = std::countr_zero(task.affinity);
        if (auto* n = t.get("cpu")) {
            task.cpu = cpu_number(integer(*n, "cpu"), at(*n));
            if (!(task.affinity & (1u << task.cpu)))
                throw Error(at(*n), "cpu " + std::to_string(task.cpu) + " is not in the affinity of task " + task.name);
        }

        if (auto* n = t.get("backoff")) {
            const std::string b = n->is_boolean() ? (n->value_or(true) ? "retry" : "none") : n->value_or(std::string());
            if (b == "retry")
                task.backoff = Backoff::retry;
            else if (b == "none")
                task.backoff = Backoff::none;
            else if (b == "once")
                task.backoff = Backoff::once;
            else
                throw Error(at(*n), "backoff must be \"retry\" (true), \"none\" (false) or \"once\"");
        }

        const toml::node& prog = required(t, "program", " for task " + task.name);
        const toml::array& ops = array(prog, "program");
        if (ops.empty() || ops.size() > static_cast<size_t>(max_program))
            throw Error(at(prog), "program must have 1 to " + std::to_string(max_program) + " operations");
        for (const toml::node& e : ops) {
            if (!task.program.empty() && task.program.back().kind == OpKind::repeat)
                throw Error(at(e), "repeat must be the last operation");
            task.program.push_back(op(e, line(prog)));
        }
        check_program(task);
        const auto barriers = std::ranges::count(task.program, OpKind::barrier, &Op::kind);
        if (barriers > 1 || (barriers && task.program.back().kind == OpKind::repeat))
            throw Error(at(prog), "a program may have one barrier, and not together with repeat");
        return task;
    }

    Op op(const toml::node& n, int program_line) const
    {
        Op op{.text = string(n, "each program operation"), .line = line(n) ? line(n) : program_line};
        const SourceLoc loc = at(n);
        std::string_view text = trim(op.text);
        size_t space = text.find_first_of(" \t");
        std::string_view word = text.substr(0, space);
        std::string_view arg = space == std::string_view::npos ? "" : trim(text.substr(space));

        auto known = std::ranges::find(op_names, word, &std::pair<std::string_view, OpKind>::first);
        if (known == op_names.end())
            throw Error(loc, "unknown operation '" + op.text + "'");
        op.kind = known->second;
        switch (op.kind) {
        case OpKind::lock:
        case OpKind::unlock:
            if (arg.empty())
                throw Error(loc, std::string(word) + " needs a lock name");
            op.lock = lock_index(arg);
            if (op.lock < 0)
                throw Error(loc, "unknown lock '" + std::string(arg) + "'");
            break;
        case OpKind::set_affinity:
            op.cpus = cpu_list(arg, loc);
            break;
        default:
            if (!arg.empty())
                throw Error(loc, "unknown operation '" + op.text + "' (" + std::string(word) + " takes no argument)");
        }
        return op;
    }

    // "[0,1]" or "0, 1".
    uint32_t cpu_list(std::string_view arg, const SourceLoc& loc) const
    {
        if (arg.starts_with('[') && arg.ends_with(']'))
            arg = arg.substr(1, arg.size() - 2);
        uint32_t mask = 0;
        while (!trim(arg).empty()) {
            size_t comma = arg.find(',');
            std::string_view item = trim(arg.substr(0, comma));
            int cpu = -1;
            auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), cpu);
            if (ec != std::errc{} || end != item.data() + item.size())
                throw Error(loc, "set_affinity: '" + std::string(item) + "' is not a cpu number");
            mask = add_cpu(mask, cpu, loc);
            arg = comma == std::string_view::npos ? "" : arg.substr(comma + 1);
        }
        if (!mask)
            throw Error(loc, "set_affinity needs at least one cpu");
        return mask;
    }

    // Locks are taken and released in program order, never recursively, and
    // all of them are released (and any acquire context finished) before
    // the program ends or repeats. Inside an acquire context a ww_mutex may
    // be locked again (ww_mutex_lock returns -EALREADY), all its ww_mutexes
    // share one ww_class, and ww_acquire_fini comes after their unlocks.
    void check_program(const TaskDecl& task) const
    {
        const std::string who = "task " + task.name;
        uint32_t held = 0, ctx_held = 0;
        bool in_ctx = false, ctx_done = false;
        WwClass ctx_class = WwClass::none;
        int ctx_class_lock = -1;
        for (const Op& op : task.program) {
            const SourceLoc loc = s_.at(op.line);
            const uint32_t bit = op.lock >= 0 ? 1u << op.lock : 0;
            const std::string lock = op.lock >= 0 ? s_.locks[op.lock].name : "";
            const bool ww = op.lock >= 0 && s_.locks[op.lock].type == LockType::ww_mutex;
            switch (op.kind) {
            case OpKind::lock:
                if (ww && in_ctx) {
                    const WwClass cls = s_.locks[op.lock].ww_class;
                    if (ctx_class != WwClass::none && cls != ctx_class)
                        throw Error(loc, who + " locks " + lock + " (" + ww_class_name(cls) +
                                             ") in an acquire context of class " + ww_class_name(ctx_class) +
                                             " (first used with " + s_.locks[ctx_class_lock].name +
                                             "); ww_mutex_lock_acquired() warns on mixed classes");
                    ctx_class = cls;
                    ctx_class_lock = op.lock;
                    if (ctx_held & bit)
                        break;   // -EALREADY: test_aa
                    ctx_held |= bit;
                } else if (held & bit) {
                    throw Error(loc, who + " locks " + lock + " while holding it (recursive locking)");
                }
                held |= bit;
                break;
            case OpKind::unlock:
                if (!(held & bit))
                    throw Error(loc, who + " unlocks " + lock + ", which it does not hold");
                held &= ~bit;
                ctx_held &= ~bit;
                break;
            case OpKind::ww_acquire_init:
                if (in_ctx)
                    throw Error(loc, who + ": ww_acquire_init inside an acquire context");
                in_ctx = true;
                ctx_done = false;
                ctx_class = WwClass::none;
                break;
            case OpKind::ww_acquire_done:
            case OpKind::ww_acquire_fini:
                if (!in_ctx)
                    throw Error(loc, who + ": " + op.text + " without ww_acquire_init");
                if (op.kind == OpKind::ww_acquire_done && std::exchange(ctx_done, true))
                    throw Error(loc, who + ": ww_acquire_done twice in one acquire context "
                                           "(ww_acquire_done: DEBUG_LOCKS_WARN_ON(ctx->done_acquire))");
                if (op.kind == OpKind::ww_acquire_fini && ctx_held)
                    throw Error(loc, who + ": ww_acquire_fini while still holding " +
                                         s_.locks[std::countr_zero(ctx_held)].name +
                                         " (ctx->acquired != 0; unlock the context's locks first)");
                in_ctx = op.kind == OpKind::ww_acquire_done;
                break;
            default:
                break;
            }
        }
        const bool repeats = task.program.back().kind == OpKind::repeat;
        const std::string ends = who + (repeats ? " reaches repeat" : " ends");
        if (held)
            throw Error(s_.at(task.line), ends + " holding " + s_.locks[std::countr_zero(held)].name);
        if (in_ctx)
            throw Error(s_.at(task.line), ends + " inside an acquire context (no ww_acquire_fini)");
    }

    static const char* ww_class_name(WwClass c) { return c == WwClass::wait_die ? "wait_die" : "wound_wait"; }

    Expect expect(const toml::table& t) const
    {
        only_keys(t, {"baseline", "features", "holds", "violated", "counterexample"}, " in [[expect]]");
        Expect e;
        e.line = line(t);
        e.features_at = at(t);
        if (auto* n = t.get("baseline")) {
            e.features_at = at(*n);
            // another baseline: the edits that turn the file's feature set into it
            const FeatureSet from = s_.feature_set();
            const FeatureSet to = baseline_features(string(*n, "baseline"), at(*n));
            for (const FeatureInfo& info : all_features())
                if (from.has(info.flag) != to.has(info.flag))
                    e.features.push_back((to.has(info.flag) ? "+" : "-") + std::string(info.name));
        }
        if (auto* n = t.get("features")) {
            e.features_at = at(*n);
            std::vector<std::string> more = feature_edits(*n);
            e.features.insert(e.features.end(), more.begin(), more.end());
        }
        // Each property once: in holds or in violated, not both, not twice.
        for (auto [key, list] : {std::pair{"holds", &e.holds}, std::pair{"violated", &e.violated}})
            if (auto* n = t.get(key))
                for (const toml::node& entry : array(*n, key)) {
                    std::string p = string(entry, "each entry of " + std::string(key));
                    auto [it, fresh] = e.property_at.emplace(p, at(entry));
                    if (!fresh)
                        throw Error(at(entry), "property '" + p + "' named twice in this [[expect]] (also at line " +
                                                   std::to_string(it->second.line) + ")");
                    list->push_back(std::move(p));
                }
        if (auto* n = t.get("counterexample")) {
            e.counterexample = string(*n, "counterexample");
            e.counterexample_at = at(*n);
            if (e.counterexample.empty())
                throw Error(at(*n), "counterexample must name a file");
            if (e.violated.empty())
                throw Error(at(*n), "counterexample needs a property in violated (the trace is of its first one)");
        }
        if (e.holds.empty() && e.violated.empty())
            throw Error(at(t), "[[expect]] needs a property in holds or violated");
        return e;
    }

    Scenario s_;
    std::map<std::string, int, std::less<>> names_;   // lock and task names -> line
};

}  // namespace

FeatureSet Scenario::feature_set(const std::vector<std::string>& extra, const SourceLoc& extra_loc) const
{
    FeatureSet set = baseline_features(baseline.empty() ? newest_baseline : std::string_view(baseline), at(0));
    apply_feature_edits(set, features, at(features_line));
    apply_feature_edits(set, extra, extra_loc);
    return set;
}

Scenario parse_scenario(const std::string& text, const std::string& file)
{
    toml::table root;
    try {
        root = toml::parse(text, std::string_view(file));
    } catch (const toml::parse_error& e) {
        std::string what(e.description());
        if (!what.empty())
            what[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(what[0])));
        throw Error(SourceLoc{file, static_cast<int>(e.source().begin.line), static_cast<int>(e.source().begin.column)},
                    "invalid toml: " + what);
    }
    return Parser(file).run(root);
}

Scenario load_scenario(const std::string& path)
{
    return parse_scenario(read_input_file(path, "scenario"), path);
}

}  // namespace pxc
