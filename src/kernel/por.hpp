// Partial-order reduction for the kernel model: which CPU's steps form an
// ample set in a state (explorer/types.hpp Reduction; the explorer adds the
// cycle proviso). README "Partial-order reduction" has the argument in full.
//
// The processes are the CPUs. A state's ample set is every enabled step of
// one CPU c, chosen only when
//   C0  c has an enabled step (and is not the only CPU with one);
//   C1  no other CPU can, before c moves, take a step dependent on c's: the
//       objects c's steps read or write (footprint()) are disjoint from an
//       over-approximation of every object the other CPUs can read or write
//       while c stands still (influence());
//   C2  c's steps change no state byte a selected property reads (the
//       visible bytes, props/visibility.hpp). By C1 a step of c does the
//       same at every state the others lead to, so checking its successors
//       here is checking it there.
// Only situations whose footprint is written down here are candidates: an
// idle CPU's schedule, or the task on c at the start of a lock, unlock or
// ww_acquire_* operation (with the preemption that competes with it), with
// every task queued on c unblocked. Anything else is expanded fully.
//
// Deadlocks (the deadlock properties): C0 and C1 alone keep every reachable
// state without an enabled step (persistent sets: from a state, a path to a
// terminal state must take a step of the set, as an independent path would
// leave it enabled; that step commutes to the front); the reduced search
// finds them all. With deadlock properties only, C2 and the cycle proviso
// are left out: they protect invariants, which are not checked then.
#pragma once
#include <cstdint>
#include <vector>

#include "explorer/types.hpp"
#include "kernel/model.hpp"

namespace pxc::kernel {

// The objects a footprint is made of, one bit each.
namespace obj {
inline uint64_t task_sched(int t) { return uint64_t(1) << t; }        // __state, on_rq, cpu, masks, blocked_on, v7.2 byte
inline uint64_t task_private(int t) { return uint64_t(1) << (8 + t); } // pc_op, pc, wake_target, the ww ctx but its stamp
inline uint64_t lock(int m) { return uint64_t(1) << (16 + m); }       // the whole struct mutex
inline uint64_t rq(int c) { return uint64_t(1) << (24 + c); }         // rq->curr, donor, the __schedule state
inline uint64_t queued(int c) { return uint64_t(1) << (32 + c); }     // which tasks are queued on rq c
inline constexpr uint64_t stamps = uint64_t(1) << 40;                 // every ctx->stamp (ranks)
inline constexpr uint64_t wake_qs = uint64_t(1) << 41;                // every task's wake_q (wake_q_add reads all)
inline uint64_t task(int t) { return task_sched(t) | task_private(t); }
}  // namespace obj

class Por final : public explorer::Reduction {
public:
    // visible: one entry per state byte, nonzero where a selected property
    // reads it. invariants: some selected property is an invariant (else
    // only deadlock checks: no visibility, no cycle proviso needed).
    Por(const Model& model, std::vector<uint8_t> visible, bool invariants = true);

    bool ample(const uint8_t* s, size_t n, const explorer::Label* labels, const uint8_t* next,
               uint8_t* in) const override;
    bool proviso() const override { return invariants_; }

    // The objects CPU c's enabled steps may touch; false when c is not a
    // candidate (its footprint is not written down here).
    bool footprint(const uint8_t* s, int c, uint64_t& out) const;
    // The objects the other CPUs may touch before c takes a step.
    uint64_t influence(const uint8_t* s, int c) const;
    // C1 for CPU c.
    bool independent(const uint8_t* s, int c) const;

private:
    const Model& m_;
    std::vector<uint8_t> visible_;
    bool invariants_;
    bool usable_ = true;   // the object bits fit the scenario
};

}  // namespace pxc::kernel
