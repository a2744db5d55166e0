// The visible bytes of the selected properties, read off their syntax
// trees: a one-byte field marks its byte in every object, a computed field
// or predicate the records it reads (see fields.cpp for each), holds() the
// task bytes Model::holds reads. The checker skips an invariant after a
// step that changed none of its bytes, so a byte left out here is a
// violation missed, not only a weaker reduction.
#include "props/visibility.hpp"

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
    void tasks()
    {
        const Layout& l = m.layout();
        range(l.task_off, size_t(l.ntasks) * l.task_bytes());
    }
    void locks()
    {
        const Layout& l = m.layout();
        range(l.lock_off, size_t(l.nlocks) * l.lock_bytes());
    }
    void cpus()
    {
        const Layout& l = m.layout();
        range(l.cpu_off, size_t(l.ncpus) * Layout::cpu_bytes);
    }
    // holds(t, m): what Model::holds reads of every task, its program
    // position and, with ww_mutexes, its acquire context and back-off.
    void holds()
    {
        static const uint8_t probe[max_state_bytes] = {};
        for (int t = 0; t < m.layout().ntasks; ++t) {
            const auto task = m.view(probe).task(t);
            for (const uint8_t* b : {&task.pc_op(), &task.pc()})
                range(size_t(b - probe), 1);
            if (m.layout().ww)
                for (const uint8_t* b : {&task.ww_acquired(), &task.ww_flags(), &task.ww_locks()})
                    range(size_t(b - probe), 1);
        }
    }
    void globals()
    {
        const Layout& l = m.layout();
        range(l.global_off, l.size - l.global_off);
    }

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
        else if (n == "blocked_donor" || n == "is_blocked" || n == "done")
            tasks();
        else if (n == "waiting_on")
            tasks(), locks();
        else if (n == "wait_list")
            locks();
        else if (n == "running")
            cpus();
        else if (n == "is_donor")
            cpus(), tasks();
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

bool por_preserves(const Property& p) { return p.kind == Kind::invariant || p.kind == Kind::deadlock; }

}  // namespace pxc::props
