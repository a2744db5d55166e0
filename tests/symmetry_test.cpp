// Symmetry reduction over interchangeable tasks (kernel/symmetry.hpp): the
// classes, the renaming of every task reference, canonical forms, and the
// reduced search against the full one.
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "explorer/explorer.hpp"
#include "kernel/symmetry.hpp"
#include "kernel_world.hpp"
#include "props/symmetry.hpp"

using namespace pxc;
using namespace pxc::test;
using pxc::kernel::Symmetry;
using pxc::kernel::SymmetricModel;

namespace {

// Every reachable state of the model (full search, no reduction).
std::vector<std::vector<uint8_t>> reachable(const Model& m)
{
    const size_t n = m.state_size();
    std::set<std::string> seen;   // the bytes as a string (GCC 12 warns on a set of byte vectors)
    std::vector<std::vector<uint8_t>> queue(1, std::vector<uint8_t>(n));
    m.initial_state(queue[0].data());
    seen.insert(std::string(queue[0].begin(), queue[0].end()));
    for (size_t i = 0; i < queue.size(); ++i)
        m.for_each_successor(queue[i].data(), [&](Label, const uint8_t* next) {
            if (seen.insert(std::string(next, next + n)).second)
                queue.emplace_back(next, next + n);
        });
    return queue;
}

// Every permutation of the tasks that maps each class onto itself.
std::vector<std::vector<int>> class_permutations(const Symmetry& sym, int ntasks)
{
    std::vector<std::vector<int>> out;
    std::vector<int> perm(static_cast<size_t>(ntasks), 0);
    std::iota(perm.begin(), perm.end(), 0);
    std::vector<std::vector<int>> images;   // per class, its members in some order
    for (const auto& c : sym.classes())
        images.push_back(c);
    for (;;) {
        for (size_t c = 0; c < images.size(); ++c)
            for (size_t i = 0; i < images[c].size(); ++i)
                perm[size_t(sym.classes()[c][i])] = images[c][i];
        out.push_back(perm);
        size_t c = 0;
        while (c < images.size() && !std::next_permutation(images[c].begin(), images[c].end()))
            ++c;
        if (c == images.size())
            return out;
    }
}

const std::vector<std::string> library_properties = {
    "no_affinity_violating_run", "mutual_exclusion", "no_kernel_warning", "blocked_on_consistent", "donor_valid",
    "find_proxy_task_terminates", "no_lost_handoff", "blocked_donor_valid", "no_lost_wakeup", "no_deadlock",
    "all_tasks_done"};

}  // namespace

TEST_CASE("tasks alike in everything but their name form a class")
{
    const Scenario sc = make_scenario(2, {"M1"},
                                      {{"A", 0, {"lock M1", "unlock M1"}},
                                       {"B", 1, {"lock M1", "unlock M1"}},
                                       {"C", 0, {"lock M1", "unlock M1"}},
                                       {"D", 0, {"lock M1", "unlock M1"}, {0}},
                                       {"E", 0, {"lock M1", "yield", "unlock M1"}}});
    const Model m(sc, features("v7.1"));
    const Symmetry sym(m);
    CHECK(sym.usable());
    CHECK(sym.classes() == std::vector<std::vector<int>>{{0, 2}});   // B starts elsewhere, D's mask, E's program
    CHECK(sym.summary() == "1 class, 2 tasks");
}

TEST_CASE("the reduction is refused without a class, and for a class that uses acquire contexts")
{
    const Scenario none = make_scenario(2, {"M1"}, {{"A", 0, {"lock M1", "unlock M1"}}, {"B", 1, {"lock M1", "unlock M1"}}});
    const Model m1(none, features("v7.1"));
    CHECK(Symmetry(m1).refusal() == "no two tasks are alike");

    const std::vector<std::string> prog = {"ww_acquire_init", "lock M1", "unlock M1", "ww_acquire_fini"};
    const Scenario ww = make_scenario(1, {{"M1", "wait_die"}}, {{"A", 0, prog}, {"B", 0, prog}});
    const Model m2(ww, features("v7.1"));
    const Symmetry sym(m2);
    CHECK_FALSE(sym.usable());
    CHECK(sym.refusal().find("die and wound") != std::string::npos);
    CHECK(sym.refusal().find("wake_up_q") != std::string::npos);

    // Alike tasks that lock the ww_mutex without a context may be wounded
    // as its owner, in one wake_q with a dying waiter.
    const Scenario mixed = make_scenario(1, {{"M1", "wound_wait"}},
                                         {{"A", 0, {"lock M1", "unlock M1"}}, {"B", 0, {"lock M1", "unlock M1"}},
                                          {"C", 0, prog}});
    const Model m3(mixed, features("v7.1"));
    CHECK_FALSE(Symmetry(m3).usable());
    // Without any acquire context a ww_mutex is a mutex: nothing dies or is wounded.
    const Scenario plain = make_scenario(1, {{"M1", "wound_wait"}},
                                         {{"A", 0, {"lock M1", "unlock M1"}}, {"B", 0, {"lock M1", "unlock M1"}}});
    const Model m4(plain, features("v7.1"));
    CHECK(Symmetry(m4).usable());
}

TEST_CASE("renaming moves task blocks and renames every task reference")
{
    // ww and v7.2: the layout with ww->ctx and p->blocked_donor.
    const Scenario sc = make_scenario(2, {{"M1", "wound_wait"}},
                                      {{"A", 0, {"lock M1", "unlock M1"}},
                                       {"B", 0, {"lock M1", "unlock M1"}},
                                       {"C", 1, {"lock M1", "unlock M1"}}});
    World w(sc, features("v7.2"));
    const Symmetry sym(w.m);
    REQUIRE(sym.classes() == std::vector<std::vector<int>>{{A, B}});
    Sys s = w.sys();
    s.task(A).pc_op() = 1;
    s.task(A).wake_q() = uint8_t(1u << B | 1u << C);
    s.task(A).wake_target() = B;
    s.task(A).set_blocked_donor(B);
    s.task(C).wake_target() = A;
    s.lock(M1).owner() = A;
    s.lock(M1).ww_ctx() = A;
    s.lock(M1).wait_list()[0] = B;
    s.lock(M1).wait_list()[1] = C;
    s.cpu(0).curr() = A;
    s.cpu(0).donor() = B;
    s.cpu(1).arg_task() = B;
    const int swap[] = {B, A, C};
    std::vector<uint8_t> out(w.m.state_size());
    sym.rename(w.bytes.data(), swap, out.data());
    const Snapshot r{&w.m.layout(), out};
    CHECK(r.task(B).pc_op() == 1);   // A's block is now B's
    CHECK(r.task(A).pc_op() == 0);
    CHECK(r.task(B).wake_q() == (1u << A | 1u << C));
    CHECK(r.task(B).wake_target() == A);
    CHECK(r.task(B).blocked_donor() == A);
    CHECK(r.task(C).wake_target() == B);
    CHECK(r.lock(M1).owner() == B);
    CHECK(r.lock(M1).ww_ctx() == B);
    CHECK(r.lock(M1).wait_list()[0] == A);
    CHECK(r.lock(M1).wait_list()[1] == C);
    CHECK(r.lock(M1).wait_list()[2] == NO_TASK);
    CHECK(r.cpu(0).curr() == B);
    CHECK(r.cpu(0).donor() == A);
    CHECK(r.cpu(1).curr() == IDLE);
    CHECK(r.cpu(1).arg_task() == A);
    // Renaming back gives the state again; the canonical forms agree.
    std::vector<uint8_t> back(w.m.state_size());
    sym.rename(out.data(), swap, back.data());
    CHECK(back == w.bytes);
    std::vector<uint8_t> c1 = w.bytes, c2 = out;
    sym.canonicalise(c1.data());
    sym.canonicalise(c2.data());
    CHECK(c1 == c2);
}

TEST_CASE("every renaming of a reachable state has the same canonical form, itself a renaming")
{
    struct Case {
        const char* file;
        const char* features;
    };
    for (const Case& c : {Case{"models/blocked-donor-race-b.toml", "-unlock_preempt_guard"},
                          Case{"models/three-waiters.toml", "-proxy_waking"},
                          Case{"models/three-waiters.toml", "-proxy_migration,-proxy_waking"}}) {
        CAPTURE(c.file);
        CAPTURE(c.features);
        const Scenario sc = load_scenario(std::string(SOURCE_ROOT) + "/" + c.file);
        const Model m(sc, sc.feature_set(split_feature_list(c.features)));
        const Symmetry sym(m);
        REQUIRE(sym.usable());
        const auto perms = class_permutations(sym, m.layout().ntasks);
        const size_t n = m.state_size();
        std::vector<uint8_t> image(n), canon(n), other(n);
        size_t checked = 0;
        for (const auto& s : reachable(m)) {
            // symmetry.cpp's argument: without ww_mutexes a wake_q holds one task at most
            for (int t = 0; t < m.layout().ntasks; ++t)
                CHECK(std::popcount(m.view(s.data()).task(t).wake_q()) <= 1);
            canon = s;
            sym.canonicalise(canon.data());
            bool is_renaming = false;
            for (const auto& p : perms) {
                sym.rename(s.data(), p.data(), image.data());
                is_renaming |= image == canon;
                other = image;
                sym.canonicalise(other.data());
                if (other != canon) {
                    FAIL_CHECK("two renamings of a state canonicalise differently");
                    break;
                }
            }
            CHECK(is_renaming);
            if (++checked == 20000)
                break;
        }
        CHECK(checked > 100);
    }
}

TEST_CASE("the library's properties and the built-in ones allow the reduction")
{
    for (const auto& p : pxc::props::Catalog::standard().all()) {
        CAPTURE(p.name);
        CHECK(pxc::props::symmetry_breaker(p) == "");
    }
}

TEST_CASE("the reduced search has the full search's verdicts and counterexample lengths, with fewer states")
{
    struct Case {
        const char* file;
        const char* features;
    };
    for (const Case& c : {Case{"models/blocked-donor-race-b.toml", ""},
                          Case{"models/blocked-donor-race-b.toml", "-unlock_preempt_guard"},
                          Case{"models/three-waiters.toml", "-proxy_waking"},
                          Case{"models/three-waiters.toml", "-proxy_migration,-proxy_waking"}}) {
        const Scenario sc = load_scenario(std::string(SOURCE_ROOT) + "/" + c.file);
        const Model m(sc, sc.feature_set(split_feature_list(c.features)));
        const Symmetry sym(m);
        REQUIRE(sym.usable());
        const SymmetricModel full(m, nullptr), reduced(m, &sym);
        for (auto order : {pxc::explorer::Order::shortest, pxc::explorer::Order::cheapest_shortest})
            for (unsigned threads : {1u, 3u}) {
                CAPTURE(c.file);
                CAPTURE(c.features);
                CAPTURE(int(order));
                CAPTURE(threads);
                pxc::props::Checker c1(m, library_properties), c2(m, library_properties);
                const pxc::explorer::Options opt{.threads = threads};
                pxc::explorer::Explorer a(full, c1, {}, false, order, opt), b(reduced, c2, {}, false, order, opt);
                const auto ra = a.run(), rb = b.run();
                CHECK(ra.verdict == rb.verdict);
                CHECK(rb.stats.states < ra.stats.states);
                REQUIRE(bool(ra.finding) == bool(rb.finding));
                if (!rb.finding)
                    continue;
                CHECK(ra.finding->violation.property == rb.finding->violation.property);
                const auto pa = a.path(ra.finding->state), pb = b.path(rb.finding->state);
                CHECK(pa.states.size() == pb.states.size());
                // A concrete run: each step is a successor of the state before, by its label.
                for (size_t i = 1; i < pb.states.size(); ++i) {
                    bool ok = false;
                    m.for_each_successor(pb.states[i - 1].data(), [&](Label l, const uint8_t* n) {
                        ok |= l == pb.labels[i] && std::equal(n, n + m.state_size(), pb.states[i].begin());
                    });
                    CHECK(ok);
                }
                const uint8_t* last = pb.states.back().data();
                CHECK(bool(rb.finding->at_terminal ? c2.check_deadlock(last) : c2.check_state(last)));
            }
    }
}

TEST_CASE("a property that names a task or orders tasks turns the reduction off")
{
    // The language cannot write these today; the analysis refuses them for
    // the day it can. Typed trees built by hand.
    auto leaf = [](pxc::props::Op op, pxc::props::Type type, const char* name) {
        auto e = std::make_unique<pxc::props::Expr>(op, 1, 1);
        e->type = type;
        e->name = name;
        return e;
    };
    using pxc::props::Op;
    using pxc::props::Type;
    auto decl = std::make_shared<pxc::props::Decl>();
    decl->body = std::make_unique<pxc::props::Expr>(Op::eq, 1, 1);
    decl->body->type = Type::boolean;
    decl->body->args.push_back(leaf(Op::var, Type::task, "t"));
    decl->body->args.push_back(leaf(Op::constant, Type::task, "A"));
    pxc::props::Property p;
    p.name = "only_a";
    p.decl = decl;
    CHECK(pxc::props::symmetry_breaker(p) == "property only_a names a task (A)");

    decl->body->op = Op::lt;
    decl->body->args[1] = leaf(Op::var, Type::task, "u");
    CHECK(pxc::props::symmetry_breaker(p) == "property only_a orders tasks (t < u)");
}
