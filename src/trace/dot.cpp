#include "trace/dot.hpp"

// GCC 12 at -O3 warns that boost::optional inside the edge iterator of
// write_graphviz "may be used uninitialized" (a known false positive of
// boost::optional); it would break werror on correct code.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/graphviz.hpp>
#pragma GCC diagnostic pop
#include <map>
#include <sstream>

#include "kernel/state.hpp"

namespace pxc::trace {

using namespace pxc::kernel;

namespace {

// A DOT double-quoted string; "\l" line ends are added after escaping.
std::string quote(const std::string& s)
{
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c == '\n' ? std::string("\\n") : std::string(1, c);
    }
    return out + "\"";
}

// Graphviz attributes of a node or an edge, written only when set.
struct Attrs {
    std::vector<std::pair<std::string, std::string>> kv;
    Attrs& set(const std::string& k, const std::string& v)
    {
        kv.emplace_back(k, v);
        return *this;
    }
    void write(std::ostream& out) const
    {
        out << "[";
        for (size_t i = 0; i < kv.size(); ++i)
            out << (i ? ", " : "") << kv[i].first << "=" << quote(kv[i].second);
        out << "]";
    }
};

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, Attrs, Attrs>;

struct AttrWriter {
    const Graph& g;
    void operator()(std::ostream& out, Graph::vertex_descriptor v) const { g[v].write(out); }
    void operator()(std::ostream& out, Graph::edge_descriptor e) const { g[e].write(out); }
};

struct GraphWriter {
    std::string title;
    void operator()(std::ostream& out) const
    {
        out << "label=" << quote(title) << ";\nlabelloc=t;\nrankdir=LR;\nfontname=\"Helvetica\";\n"
            << "node [fontname=\"Helvetica\", fontsize=11];\nedge [fontname=\"Helvetica\", fontsize=10];\n";
    }
};

const char* state_word(uint8_t v)
{
    return v == TASK_RUNNING ? "RUNNING" : v == TASK_UNINTERRUPTIBLE ? "UNINTERRUPTIBLE" : "DEAD";
}

std::string rq_word(uint8_t on_rq)
{
    return on_rq == TASK_ON_RQ_QUEUED ? "queued" : on_rq == TASK_ON_RQ_MIGRATING ? "migrating" : "not queued";
}

}  // namespace

std::string wait_for_dot(const Model& m, const uint8_t* bytes, const std::string& title)
{
    const ConstSys s = m.view(bytes);
    const Layout& l = m.layout();
    Graph g;
    std::vector<Graph::vertex_descriptor> task_v, lock_v, cpu_v;
    for (int t = 0; t < l.ntasks; ++t) {
        auto task = s.task(t);
        const bool outside = !(task.cpus_mask() & (1u << task.cpu()));
        const int on = s.running_on(t);
        std::string label = m.task_name(t) + "\n" + state_word(task.state()) + ", " + rq_word(task.on_rq()) +
                            " on CPU" + std::to_string(task.cpu()) + "\ncpus_mask " +
                            Model::cpumask_name(task.cpus_mask());
        if (outside)
            label += on >= 0 ? "\nRUNS OUTSIDE ITS MASK" : "\noutside its mask";
        if (task.blocked_on() == PROXY_WAKING)
            label += "\nblocked_on PROXY_WAKING";
        Attrs a;
        a.set("label", label).set("shape", "ellipse");
        if (outside)
            a.set("color", "red").set("fontcolor", "red").set("penwidth", "2");
        if (outside && on >= 0)
            a.set("style", "filled").set("fillcolor", "mistyrose");
        if (task.state() == TASK_DEAD)
            a.set("style", "dashed");
        task_v.push_back(boost::add_vertex(a, g));
    }
    for (int i = 0; i < l.nlocks; ++i) {
        auto lock = s.lock(i);
        std::string waiters;
        for (int w = 0; w < lock.waiters(); ++w)
            waiters += (w ? "," : "") + m.task_name(lock.wait_list()[w]);
        Attrs a;
        a.set("label", m.lock_name(i) + (lock.owner() == NO_TASK ? "\nfree" : "") + "\nwait_list [" + waiters + "]")
            .set("shape", "box");
        lock_v.push_back(boost::add_vertex(a, g));
    }
    for (int c = 0; c < l.ncpus; ++c) {
        Attrs a;
        a.set("label", "CPU" + std::to_string(c) +
                           (s.cpu(c).sched() == SCHED_STUCK ? "\nstuck in find_proxy_task" : ""))
            .set("shape", "box")
            .set("style", "rounded,filled")
            .set("fillcolor", s.cpu(c).sched() == SCHED_STUCK ? "mistyrose" : "lightblue");
        cpu_v.push_back(boost::add_vertex(a, g));
    }

    for (int t = 0; t < l.ntasks; ++t) {
        const uint8_t bo = s.task(t).blocked_on();
        if (is_mutex(bo))
            boost::add_edge(task_v[size_t(t)], lock_v[size_t(mutex_of(bo))],
                            Attrs{}.set("label", "blocked_on").set("penwidth", "2"), g);
    }
    for (int i = 0; i < l.nlocks; ++i) {
        auto lock = s.lock(i);
        if (lock.owner() != NO_TASK)
            boost::add_edge(lock_v[size_t(i)], task_v[lock.owner()],
                            Attrs{}.set("label", "owner").set("penwidth", "2").set("color", "darkgreen"), g);
        // A waiter no longer blocked_on the lock (woken, PROXY_WAKING) is still on its wait_list.
        for (int w = 0; w < lock.waiters(); ++w) {
            const int t = lock.wait_list()[w];
            if (s.task(t).blocked_on() != blocked_on_mutex(i))
                boost::add_edge(task_v[size_t(t)], lock_v[size_t(i)],
                                Attrs{}.set("label", "on wait_list").set("style", "dotted"), g);
        }
    }
    for (int c = 0; c < l.ncpus; ++c) {
        auto rq = s.cpu(c);
        const int curr = rq.curr(), donor = rq.donor();
        if (curr != IDLE && curr != NO_TASK)
            boost::add_edge(cpu_v[size_t(c)], task_v[size_t(curr)],
                            Attrs{}.set("label", donor == curr ? "curr, donor" : "curr").set("color", "blue"), g);
        if (donor != IDLE && donor != NO_TASK && donor != curr)
            boost::add_edge(cpu_v[size_t(c)], task_v[size_t(donor)],
                            Attrs{}.set("label", "donor").set("color", "blue").set("style", "dashed"), g);
    }

    std::ostringstream out;
    const AttrWriter w{g};
    boost::write_graphviz(out, g, w, w, GraphWriter{title});
    return out.str();
}

std::string sequence_dot(const Model& m, const Trace& tr, const std::string& title)
{
    const int ncpus = m.layout().ncpus;
    std::ostringstream out;
    out << "digraph sequence {\n"
        << "  label=" << quote(title) << ";\n  labelloc=t;\n  fontname=\"Helvetica\";\n  nodesep=0.3;\n  ranksep=0.2;\n"
        << "  node [shape=box, fontname=\"Courier\", fontsize=9];\n"
        << "  edge [arrowhead=none, color=gray, fontname=\"Helvetica\"];\n";
    auto id = [](size_t row, int cpu) { return "s" + std::to_string(row) + "_" + std::to_string(cpu); };
    out << "  {\n    rank=same;\n";
    for (int c = 0; c < ncpus; ++c)
        out << "    " << id(0, c) << " [label=" << quote("CPU" + std::to_string(c))
            << ", style=\"rounded,filled\", fillcolor=lightblue, fontname=\"Helvetica\", fontsize=12];\n";
    out << "  }\n";
    for (size_t i = 0; i < tr.steps.size(); ++i) {
        const TraceStep& st = tr.steps[i];
        const size_t row = i + 1;
        // The lane's box: the step and what it changed (\l: left-justified lines).
        std::string label = std::to_string(row) + ". " + st.title + "\n";
        for (const Change& c : st.changes)
            label += c.field + ": " + c.from + " -> " + c.to + "\n";
        std::string q = quote(label);
        for (size_t p = 0; (p = q.find("\\n", p)) != std::string::npos; p += 2)
            q[p + 1] = 'l';
        out << "  {\n    rank=same;\n";
        for (int c = 0; c < ncpus; ++c) {
            if (c == st.cpu)
                out << "    " << id(row, c) << " [label=" << q << (st.preemption ? ", color=red" : "") << "];\n";
            else
                out << "    " << id(row, c) << " [shape=point, width=0.02, label=\"\"];\n";
        }
        out << "  }\n";
        // Messages: what the step changed on another CPU or on a task sitting there.
        std::map<int, std::string> to_cpu;
        const ConstSys after = m.view(tr.states.size() > row ? tr.states[row].data() : tr.last_state());
        for (const Change& ch : st.changes) {
            int target = -1;
            if (ch.field.rfind("CPU", 0) == 0)
                target = std::stoi(ch.field.substr(3));
            else
                for (int t = 0; t < m.layout().ntasks; ++t)
                    if (ch.field.rfind(m.task_name(t) + ".", 0) == 0)
                        target = after.task(t).cpu();
            if (target >= 0 && target != st.cpu)
                to_cpu[target] += ch.field + ": " + ch.to + "\n";
        }
        for (const auto& [cpu, text] : to_cpu)
            out << "  " << id(row, st.cpu) << " -> " << id(row, cpu) << " [label=" << quote(text)
                << ", color=red, fontcolor=red, arrowhead=normal, constraint=false, fontsize=9];\n";
    }
    for (int c = 0; c < ncpus; ++c) {
        out << "  ";
        for (size_t row = 0; row <= tr.steps.size(); ++row)
            out << (row ? " -> " : "") << id(row, c);
        out << " [style=dashed];\n";
    }
    out << "}\n";
    return out.str();
}

}  // namespace pxc::trace
