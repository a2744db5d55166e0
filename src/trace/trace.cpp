#include "trace/trace.hpp"

#include <cstring>

#include "kernel/state.hpp"

namespace pxc::trace {

using namespace pxc::kernel;

namespace {

std::string flags_text(uint8_t f)
{
    std::string out;
    if (f & MUTEX_FLAG_WAITERS)
        out += "WAITERS";
    if (f & MUTEX_FLAG_HANDOFF)
        out += std::string(out.empty() ? "" : "|") + "HANDOFF";
    if (f & MUTEX_FLAG_PICKUP)
        out += std::string(out.empty() ? "" : "|") + "PICKUP";
    return out.empty() ? "0" : out;
}

const char* on_rq_text(uint8_t v)
{
    return v == TASK_ON_RQ_QUEUED ? "QUEUED" : v == TASK_ON_RQ_MIGRATING ? "MIGRATING" : "0";
}

const char* state_text(uint8_t v)
{
    return v == TASK_RUNNING ? "RUNNING" : v == TASK_UNINTERRUPTIBLE ? "UNINTERRUPTIBLE" : "DEAD";
}

std::string wait_list_text(const Model& m, const LockViewT<const uint8_t>& l)
{
    std::string out = "[";
    for (int i = 0; i < l.waiters(); ++i)
        out += (i ? "," : "") + m.task_name(l.wait_list()[i]);
    return out + "]";
}

std::string wake_q_text(const Model& m, uint8_t q)
{
    std::string out = "[";
    for (int t = 0; t < 8; ++t)
        if (q & (1u << t))
            out += (out.size() > 1 ? "," : "") + m.task_name(t);
    return out + "]";
}

// ctx->acquired as the set of locks the context holds.
std::string lock_set_text(const Model& m, uint8_t set)
{
    std::string out = "{";
    for (int i = 0; i < 8; ++i)
        if (set & (1u << i))
            out += (out.size() > 1 ? "," : "") + m.lock_name(i);
    return out + "}";
}

std::string ctx_text(const Model& m, uint8_t holder)
{
    return holder == NO_TASK ? "NULL" : m.task_name(holder) + "'s context";
}

void split_actions(const std::string& log, std::vector<std::string>& out)
{
    size_t start = 0;
    while (start < log.size()) {
        size_t end = log.find("; ", start);
        if (end == std::string::npos)
            end = log.size();
        out.push_back(log.substr(start, end - start));
        start = end + 2;
    }
}

}  // namespace

std::vector<Change> diff_states(const Model& m, const uint8_t* before, const uint8_t* after)
{
    std::vector<Change> out;
    auto a = m.view(before), b = m.view(after);
    auto add = [&](std::string field, std::string from, std::string to) {
        if (from != to)
            out.push_back({std::move(field), std::move(from), std::move(to)});
    };
    const Layout& l = m.layout();
    for (int t = 0; t < l.ntasks; ++t) {
        auto x = a.task(t), y = b.task(t);
        const std::string n = m.task_name(t) + ".";
        add(n + "__state", state_text(x.state()), state_text(y.state()));
        add(n + "on_rq", on_rq_text(x.on_rq()), on_rq_text(y.on_rq()));
        add(n + "cpu", std::to_string(x.cpu()), std::to_string(y.cpu()));
        add(n + "wake_cpu", std::to_string(x.wake_cpu()), std::to_string(y.wake_cpu()));
        add(n + "cpus_mask", Model::cpumask_name(x.cpus_mask()), Model::cpumask_name(y.cpus_mask()));
        add(n + "blocked_on", m.blocked_on_name(x.blocked_on()), m.blocked_on_name(y.blocked_on()));
        add(n + "wake_q", wake_q_text(m, x.wake_q()), wake_q_text(m, y.wake_q()));
        if (l.ww) {
            add(n + "ctx.stamp", std::to_string(x.ww_stamp()), std::to_string(y.ww_stamp()));
            add(n + "ctx.acquired", lock_set_text(m, x.ww_acquired()), lock_set_text(m, y.ww_acquired()));
            add(n + "ctx.wounded", std::to_string(x.ww_flags() & WW_WOUNDED), std::to_string(y.ww_flags() & WW_WOUNDED));
        }
    }
    for (int i = 0; i < l.nlocks; ++i) {
        auto x = a.lock(i), y = b.lock(i);
        const std::string n = m.lock_name(i) + ".";
        add(n + "owner", m.task_name(x.owner()), m.task_name(y.owner()));
        add(n + "flags", flags_text(x.flags()), flags_text(y.flags()));
        add(n + "wait_list", wait_list_text(m, x), wait_list_text(m, y));
        if (l.ww)
            add(n + "ctx", ctx_text(m, x.ww_ctx()), ctx_text(m, y.ww_ctx()));
    }
    for (int c = 0; c < l.ncpus; ++c) {
        auto x = a.cpu(c), y = b.cpu(c);
        const std::string n = "CPU" + std::to_string(c) + ".";
        add(n + "curr", m.task_name(x.curr()), m.task_name(y.curr()));
        add(n + "donor", m.task_name(x.donor()), m.task_name(y.donor()));
    }
    return out;
}

std::vector<std::string> describe_state(const Model& m, const uint8_t* s)
{
    std::vector<std::string> out;
    auto sys = m.view(s);
    const Layout& l = m.layout();
    for (int t = 0; t < l.ntasks; ++t) {
        auto task = sys.task(t);
        std::string line = m.task_name(t) + ": " + state_text(task.state()) + ", on_rq " + on_rq_text(task.on_rq()) +
                           " on CPU" + std::to_string(task.cpu()) + ", cpus_mask " + Model::cpumask_name(task.cpus_mask());
        const int on = sys.running_on(t);
        if (on >= 0)
            line += ", running on CPU" + std::to_string(on);
        for (int c = 0; c < l.ncpus; ++c)
            if (sys.cpu(c).donor() == t && sys.cpu(c).curr() != t)
                line += ", donor of CPU" + std::to_string(c);
        const uint8_t bo = task.blocked_on();
        line += ", blocked_on " + m.blocked_on_name(bo);
        if (is_mutex(bo))
            line += " (owner " + m.task_name(sys.lock(mutex_of(bo)).owner()) + ")";
        line += ", at " + m.where(t, s);
        if (l.ww && task.ww_stamp())
            line += ", ctx stamp " + std::to_string(task.ww_stamp()) + " acquired " +
                    lock_set_text(m, task.ww_acquired()) + (task.ww_flags() & WW_WOUNDED ? " wounded" : "");
        out.push_back(line);
    }
    for (int i = 0; i < l.nlocks; ++i) {
        auto lock = sys.lock(i);
        out.push_back(m.lock_name(i) + ": owner " + m.task_name(lock.owner()) + ", flags " + flags_text(lock.flags()) +
                      ", wait_list " + wait_list_text(m, lock) + (l.ww ? ", ctx " + ctx_text(m, lock.ww_ctx()) : ""));
    }
    for (int c = 0; c < l.ncpus; ++c) {
        auto rq = sys.cpu(c);
        out.push_back("CPU" + std::to_string(c) + ": curr " + m.task_name(rq.curr()) + ", donor " +
                      m.task_name(rq.donor()) + (rq.sched() == SCHED_STUCK ? ", stuck in find_proxy_task" : ""));
    }
    return out;
}

std::vector<std::string> narrate_step(const Model& m, const uint8_t* before, Label label, const uint8_t* after)
{
    std::string narration;
    struct Match {
        Label want;
        const uint8_t* after;
        size_t size;
        std::string* out;
    } match{label, after, m.state_size(), &narration};
    m.successors(before,
                 kernel::Emit{&match,
                              [](void* o, Label l, const uint8_t* next, const std::string* log) {
                                  auto* mt = static_cast<Match*>(o);
                                  if (l == mt->want && std::memcmp(next, mt->after, mt->size) == 0 && log)
                                      *mt->out = *log;
                              }},
                 true);
    std::vector<std::string> actions;
    split_actions(narration, actions);
    return actions;
}

TraceStep describe_trace_step(const Model& m, const uint8_t* before, Label label, const uint8_t* after)
{
    const Step st = Step::unpack(label);
    TraceStep ts;
    ts.label = label;
    ts.cpu = st.cpu;
    ts.task = st.task == NO_TASK ? "" : m.task_name(st.task);
    ts.function = m.step_function(label);
    ts.title = (ts.task.empty() ? "" : ts.task + ": ") + ts.function;
    if (st.task != NO_TASK && (st.kind == StepKind::mutex_lock || st.kind == StepKind::mutex_unlock ||
                               st.kind == StepKind::ww_mutex_unlock)) {
        const int lock = m.current_op(before, st.task).lock;
        if (st.kind != StepKind::ww_mutex_unlock && m.scenario().locks[size_t(lock)].type == LockType::ww_mutex)
            ts.title = ts.task + ": ww_" + ts.function;
        ts.title += "(" + m.lock_name(lock) + ")";
    }
    ts.actions = narrate_step(m, before, label, after);
    ts.changes = diff_states(m, before, after);
    const explorer::StepCost cost = m.step_cost(label, before, after);
    ts.preemption = cost.major != 0;
    ts.context_switch = cost.minor != 0;
    return ts;
}

int Trace::preemptions() const
{
    int n = 0;
    for (const TraceStep& s : steps)
        n += s.preemption;
    return n;
}

int Trace::context_switches() const
{
    int n = 0;
    for (const TraceStep& s : steps)
        n += s.context_switch;
    return n;
}

Trace build_trace_from_states(const Model& m, const std::vector<std::vector<uint8_t>>& states, const std::vector<Label>& labels,
                  const explorer::Violation& v, bool at_terminal)
{
    Trace tr;
    tr.model = m.scenario().file;
    tr.features = m.features().to_string();
    tr.property = v.property;
    tr.message = v.message;
    tr.at_terminal = at_terminal;
    for (size_t i = 1; i < states.size(); ++i)
        tr.steps.push_back(describe_trace_step(m, states[i - 1].data(), labels[i], states[i].data()));
    tr.states = states;
    return tr;
}

}  // namespace pxc::trace
