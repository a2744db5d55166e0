// The visible bytes of the selected properties, read off their syntax
// trees: a one-byte field marks its byte in every object, a computed field
// or predicate the bytes its reader in fields.cpp reads (a test mutates
// every other byte of reachable states and checks no value changes). The
// checker skips a part of an invariant after a step that changed none of
// its bytes, so a byte left out here is a violation missed, not only a
// weaker reduction.
#include "props/visibility.hpp"

#include <array>
#include <string_view>

#include "props/fields.hpp"

namespace pxc::props {

using namespace pxc::kernel;

namespace {

struct Marker {
    const Model& m;
    std::vector<uint8_t>& vis;

    void range(size_t off, size_t len)
    {
        for (size_t i = off; i < off + len && i < vis.size(); ++i)
            vis[i] = 1;
    }
    void all() { range(0, vis.size()); }
    // Bytes of every task (of every CPU's rq), found through the views on a
    // zeroed buffer: `bytes` names them, no offset is written down here.
    static inline const uint8_t probe[max_state_bytes] = {};
    template <class F>
    void each_task(F bytes)
    {
        for (int t = 0; t < m.layout().ntasks; ++t)
            for (const uint8_t* b : bytes(m.view(probe).task(t)))
                range(size_t(b - probe), 1);
    }
    template <class F>
    void each_cpu(F bytes)
    {
        for (int c = 0; c < m.layout().ncpus; ++c)
            for (const uint8_t* b : bytes(m.view(probe).cpu(c)))
                range(size_t(b - probe), 1);
    }
    // holds(t, m): what Model::holds reads of every task, its program
    // position and, with ww_mutexes, its acquire context and back-off.
    void holds()
    {
        program_position();
        if (m.layout().ww)
            each_task([](auto task) { return std::array{&task.ww_acquired()}; });
    }
    // Model::current_op: pc_op, and with ww_mutexes the back-off (ww_flags'
    // high nibble, ww_locks); the step's pc inside it.
    void program_position()
    {
        each_task([](auto task) { return std::array{&task.pc_op(), &task.pc()}; });
        if (m.layout().ww)
            each_task([](auto task) { return std::array{&task.ww_flags(), &task.ww_locks()}; });
    }
    // The v7.2 byte of every task (p->is_blocked, p->blocked_donor), when the layout has it.
    void g2()
    {
        const Layout& l = m.layout();
        if (l.g2)
            for (int t = 0; t < l.ntasks; ++t)
                range(l.task_off + size_t(t) * l.task_bytes() + l.g2_off(), 1);
    }
    // Every lock's wait_list slots (not its owner word).
    void wait_lists()
    {
        for (int k = 0; k < m.layout().nlocks; ++k)
            range(size_t(m.view(probe).lock(k).wait_list() - probe), size_t(m.layout().ntasks));
    }
    void cpus()
    {
        const Layout& l = m.layout();
        range(l.cpu_off, size_t(l.ncpus) * Layout::cpu_bytes);
    }
    void globals()
    {
        const Layout& l = m.layout();
        range(l.global_off, l.size - l.global_off);
    }

    // What each computed field or predicate of fields.cpp reads, in every
    // object; a one-byte field marks its byte in every object. A name not
    // listed here reads the whole state.
    void access(const Access& a)
    {
        if (a.locate) {
            const ByteLoc loc = a.locate(m);
            const Layout& l = m.layout();
            const Type object = a.params[0];
            const int first = object == Type::lock ? 1 : 0;
            const int count = object == Type::task ? l.ntasks : object == Type::lock ? l.nlocks : l.ncpus;
            for (int v = first; v < first + count; ++v)
                range(size_t(loc.base + v * loc.stride), 1);
            return;
        }
        const std::string_view n = a.name;
        if (n == "holds")
            holds();
        else if (n == "blocked_donor" || n == "is_blocked")
            g2();
        else if (n == "done")
            program_position();
        else if (n == "waiting_on")   // Model::waits_for: the operation, and membership of its lock's wait_list
            program_position(), wait_lists();
        else if (n == "wait_list")   // membership and order, read where the wait_list is used
            wait_lists();
        else if (n == "running")   // task_on_cpu(): some rq->curr
            each_cpu([](auto rq) { return std::array{&rq.curr()}; });
        else if (n == "is_donor")   // some rq->donor
            each_cpu([](auto rq) { return std::array{&rq.donor()}; });
        else if (n == "warned")
            globals();
        else if (n == "idle")
            ;   // a constant
        else
            all();
    }

    void expr(const Expr& e)
    {
        if (e.access && (e.op == Op::field || e.op == Op::call))
            access(*e.access);
        for (const auto& a : e.args)
            expr(*a);
    }
};

}  // namespace

std::vector<uint8_t> visible_bytes(const Model& model, const std::vector<const Property*>& selected)
{
    std::vector<uint8_t> vis(model.layout().size, 0);
    Marker mk{model, vis};
    for (const Property* p : selected) {
        if (p->kind != Kind::invariant)
            continue;
        if (p->decl && p->decl->body) {
            mk.expr(*p->decl->body);
        } else if (p->builtin && p->builtin->name == "find_proxy_task_terminates") {
            mk.cpus();   // rq's __schedule state: SCHED_STUCK
        } else if (p->builtin && p->builtin->name == "blocked_donor_valid") {
            mk.globals();   // the EV_BLOCKED_DONOR_INVALID event bit
        } else {
            mk.all();
        }
    }
    return vis;
}

std::vector<uint8_t> visible_bytes(const Model& model, const Expr& e)
{
    std::vector<uint8_t> vis(model.layout().size, 0);
    Marker{model, vis}.expr(e);
    return vis;
}

std::vector<uint8_t> access_bytes(const Model& model, const Access& a)
{
    std::vector<uint8_t> vis(model.layout().size, 0);
    Marker{model, vis}.access(a);
    return vis;
}

bool por_preserves(const Property& p) { return p.kind == Kind::invariant || p.kind == Kind::deadlock; }

}  // namespace pxc::props
