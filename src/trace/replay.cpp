#include "trace/replay.hpp"

#include <algorithm>
#include <cstring>

#include "kernel/error.hpp"
#include "props/checker.hpp"

namespace pxc::trace {

using namespace pxc::kernel;

namespace {

std::string names_text(const std::vector<std::string>& names)
{
    std::string out;
    for (const std::string& n : names)
        out += (out.empty() ? "" : ", ") + n;
    return "[" + out + "]";
}

struct Successor {
    Label label;
    std::vector<uint8_t> next;
};

std::vector<Successor> successors(const Model& m, const uint8_t* s)
{
    std::vector<Successor> out;
    m.for_each_successor(s, [&](Label l, const uint8_t* next) { out.push_back({l, {next, next + m.state_size()}}); });
    return out;
}

bool same_changes(const std::vector<Change>& a, const std::vector<Change>& b)
{
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i].field != b[i].field || a[i].from != b[i].from || a[i].to != b[i].to)
            return false;
    return true;
}

// The context switches of a step: its rq->curr changes (Model::step_cost's
// definition). The label names the choices a step makes (pick_next_task,
// select_task_rq) but not where find_proxy_task sends the CPU, so a
// recorded step is only replayed by one with its label that switches the
// same CPUs to the same tasks.
std::vector<Change> switches(const std::vector<Change>& changes)
{
    std::vector<Change> out;
    for (const Change& c : changes)
        if (c.field.rfind("CPU", 0) == 0 && c.field.size() > 5 && c.field.substr(c.field.size() - 5) == ".curr")
            out.push_back(c);
    return out;
}

std::string joined(const std::vector<std::string>& parts, const char* sep)
{
    std::string out;
    for (const std::string& p : parts)
        out += (out.empty() ? "" : sep) + p;
    return out;
}

std::string step_text(const std::string& title, const std::vector<std::string>& actions)
{
    return actions.empty() ? title : title + ": " + joined(actions, "; ");
}

// Whether `title` is one describe_trace_step writes for a step with this
// label: "[task: ]function", and for a task's lock or unlock "task:
// [ww_]function(lock)" naming one of the model's locks (which lock depends
// on the state, not the label; "ww_" exactly when it is a ww_mutex).
bool title_fits(const Model& m, const Step& st, const std::string& task, const std::string& title)
{
    const std::string plain = (task.empty() ? "" : task + ": ") + std::string(step_kind_name(st.kind));
    const bool names_lock = st.task != NO_TASK && (st.kind == StepKind::mutex_lock ||
                                                   st.kind == StepKind::mutex_unlock ||
                                                   st.kind == StepKind::ww_mutex_unlock);
    if (!names_lock)
        return title == plain;
    for (int i = 0; i < m.layout().nlocks; ++i) {
        const bool ww = st.kind != StepKind::ww_mutex_unlock && m.scenario().locks[size_t(i)].type == LockType::ww_mutex;
        const std::string fn = ww ? task + ": ww_" + std::string(step_kind_name(st.kind)) : plain;
        if (title == fn + "(" + m.lock_name(i) + ")")
            return true;
    }
    return false;
}

}  // namespace

void check_trace_matches(const Model& m, const TraceFile& tf, const props::Catalog& catalog)
{
    const SourceLoc at{tf.path, 0, 0};
    const Layout& l = m.layout();
    std::vector<std::string> tasks, locks;
    for (int t = 0; t < l.ntasks; ++t)
        tasks.push_back(m.task_name(t));
    for (int i = 0; i < l.nlocks; ++i)
        locks.push_back(m.lock_name(i));
    const std::string model = m.scenario().file;
    if (!catalog.find(tf.property))
        throw Error(at, "property '" + tf.property +
                            "' is not one proxycheck knows (see: proxycheck list properties; a property of your "
                            "own needs --properties FILE)");
    if ((tf.cpus && tf.cpus != l.ncpus) || (tf.has_tasks && tf.tasks != tasks) || (tf.has_locks && tf.locks != locks))
        throw Error(at, "the trace was recorded on a model with " + std::to_string(tf.cpus) + " CPUs, tasks " +
                            names_text(tf.tasks) + " and locks " + names_text(tf.locks) + "; " + model + " has " +
                            std::to_string(l.ncpus) + " CPUs, tasks " + names_text(tasks) + " and locks " +
                            names_text(locks) + " (wrong model file? --model names the right one)");
    for (const RecordedStep& s : tf.steps) {
        const std::string where = "step " + std::to_string(s.index) + ": ";
        const Step st = Step::unpack(s.label);
        if (st.kind >= StepKind::count_ || st.cpu >= l.ncpus || (st.task != NO_TASK && st.task >= l.ntasks))
            throw Error(at, where + "unknown step label " + std::to_string(s.label) + " for " + model);
        if (!s.task.empty() && std::find(tasks.begin(), tasks.end(), s.task) == tasks.end())
            throw Error(at, where + "task '" + s.task + "' is not in " + model + " (tasks " + names_text(tasks) +
                                "; wrong model file?)");
        const std::string label_task = st.task == NO_TASK ? "" : m.task_name(st.task);
        // The label says what the step is; a field that says otherwise was edited,
        // or (a lock's kind) the model is another one.
        const std::string is = " but its step label is a step of ";
        if (s.cpu != st.cpu)
            throw Error(at, where + "field 'cpu' is " + std::to_string(s.cpu) + is + "CPU" + std::to_string(st.cpu) +
                                " (the file was edited or is corrupt)");
        if (s.task != label_task)
            throw Error(at, where + "field 'task' is " + (s.task.empty() ? "null" : "'" + s.task + "'") + is +
                                (label_task.empty() ? "no task" : "task " + label_task) +
                                " (the file was edited or is corrupt)");
        const bool lock_step = st.kind == StepKind::mutex_lock || st.kind == StepKind::mutex_unlock ||
                               st.kind == StepKind::ww_mutex_unlock;
        if (!title_fits(m, st, label_task, s.title))
            throw Error(at, where + "field 'step' is '" + s.title + "'" + is + "'" +
                                (label_task.empty() ? "" : label_task + ": ") + std::string(step_kind_name(st.kind)) +
                                (lock_step ? "' (the file was edited, or " + model +
                                                 " declares its locks otherwise: wrong model file?)"
                                           : "' (the file was edited or is corrupt)"));
    }
}

Replay replay(const Model& m, const TraceFile& tf, const props::Catalog& catalog)
{
    props::Checker checker(m, catalog, {tf.property});
    Replay r;
    std::vector<uint8_t> state(m.state_size());
    m.initial_state(state.data());
    r.trace.model = m.scenario().file;
    r.trace.features = m.features().to_string();
    r.trace.property = tf.property;
    r.trace.states.push_back(state);
    auto broke = [&](std::optional<explorer::Violation> v, bool at_terminal) {
        if (!v)
            return false;
        r.outcome = ReplayOutcome::reproduced;
        r.violation = v;
        r.trace.message = v->message;
        r.trace.at_terminal = at_terminal;
        return true;
    };
    if (broke(checker.check_state(state.data()), false))
        return r;
    for (const RecordedStep& rec : tf.steps) {
        const std::vector<Successor> next = successors(m, state.data());
        // Were two successors to share the label, the recorded changes tell them apart.
        const Successor* match = nullptr;
        for (const Successor& s : next) {
            if (s.label != rec.label)
                continue;
            const std::vector<Change> changes = diff_states(m, state.data(), s.next.data());
            if (rec.has_changes && !same_changes(switches(changes), switches(rec.changes)))
                continue;
            if (!match || same_changes(changes, rec.changes))
                match = &s;
        }
        if (!match) {
            r.outcome = ReplayOutcome::blocked;
            r.blocked_at = rec.index;
            for (const Successor& s : next)
                (Step::unpack(s.label).cpu == rec.cpu ? r.instead : r.elsewhere)
                    .push_back(describe_trace_step(m, state.data(), s.label, s.next.data()));
            return r;
        }
        r.trace.steps.push_back(describe_trace_step(m, state.data(), match->label, match->next.data()));
        if (!rec.changes.empty() && !same_changes(r.trace.steps.back().changes, rec.changes))
            r.differs.push_back(rec.index);
        state = match->next;
        r.trace.states.push_back(state);
        if (broke(checker.check_state(state.data()), false))
            return r;
    }
    if (successors(m, state.data()).empty())
        broke(checker.check_deadlock(state.data()), true);
    return r;
}

std::vector<std::string> blocked_reason(const Model& m, const TraceFile& tf, const Replay& r)
{
    const RecordedStep& want = tf.steps[r.blocked_at - 1];
    std::vector<std::string> out;
    out.push_back("step " + std::to_string(r.blocked_at) + ": the trace expected CPU" + std::to_string(want.cpu) + " " +
                  step_text(want.title, want.actions));
    const uint8_t* s = r.trace.last_state();
    const int curr = m.view(s).cpu(want.cpu).curr();
    std::string who = "CPU" + std::to_string(want.cpu) + " (running " + m.task_name(curr);
    if (curr != IDLE && curr != NO_TASK)
        who += ", at " + m.where(curr, s);
    who += ")";
    if (r.instead.empty()) {
        out.push_back(who + " has no enabled step there");
    } else {
        out.push_back(who + " can instead:");
        for (const TraceStep& st : r.instead)
            out.push_back("  " + step_text(st.title, st.actions));
    }
    return out;
}

}  // namespace pxc::trace
