// Symmetry reduction over interchangeable tasks. Two tasks are
// interchangeable when the scenario gives them the same everything but the
// name: program, affinity, initial CPU, back-off policy. Renaming tasks
// inside such a class maps every run of the model onto a run (the
// transition relation is symmetric, see symmetry.cpp for where that needed
// an argument), so the search keeps one state per class of renamed states:
// the canonical one, whose bytes are the smallest among its renamings.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "explorer/cost.hpp"
#include "kernel/model.hpp"

namespace pxc::kernel {

class Symmetry {
public:
    // The classes of interchangeable tasks of the model's scenario, and
    // whether the model's transition relation is symmetric under them.
    explicit Symmetry(const Model& model);

    // Classes with two tasks or more, each in ascending task order.
    const std::vector<std::vector<int>>& classes() const { return classes_; }
    // Why the reduction cannot run on this model ("" when it can): no two
    // tasks alike, or a tie the model breaks by task index.
    const std::string& refusal() const { return refusal_; }
    bool usable() const { return refusal_.empty(); }
    // "2 classes, 5 tasks" (the tasks in classes).
    std::string summary() const;

    // Rewrites s to the canonical state of its class: the smallest bytes
    // among the renamings of s within the classes. The same bytes for s and
    // for every renaming of it.
    void canonicalise(uint8_t* s) const;
    // out = s with every task t renamed perm[t] (perm maps each class onto
    // itself and every other task to itself).
    void rename(const uint8_t* s, const int* perm, uint8_t* out) const;

private:
    const Model& model_;
    std::vector<std::vector<int>> classes_;
    std::vector<int> class_of_;   // index into classes_, -1 for a task alone
    std::string refusal_;
};

// The model as the explorer sees it with the reduction on: the same states
// and steps, and a canonical form for each state (explorer::CanonicalModel).
// sym == nullptr: no reduction (canonicalise is never called).
class SymmetricModel {
public:
    SymmetricModel(const Model& model, const Symmetry* sym) : model_(model), sym_(sym) {}
    // A copy expands on its own copy of the model, so that what it counts
    // (the model's events) is not added to the search's counts (tree_path.hpp
    // expands levels again on a copy).
    SymmetricModel(const SymmetricModel& o) : own_(std::make_shared<Model>(o.model_)), model_(*own_), sym_(o.sym_) {}
    SymmetricModel& operator=(const SymmetricModel&) = delete;

    size_t state_size() const { return model_.state_size(); }
    void initial_state(uint8_t* out) const { model_.initial_state(out); }
    template <class F>
    void for_each_successor(const uint8_t* s, F&& f) const
    {
        model_.for_each_successor(s, std::forward<F>(f));
    }
    explorer::StepCost step_cost(Label l, const uint8_t* before, const uint8_t* after) const
    {
        return model_.step_cost(l, before, after);
    }
    bool reduces() const { return sym_ != nullptr; }
    void canonicalise(uint8_t* s) const { sym_->canonicalise(s); }
    std::vector<uint64_t> save_events() const { return model_.save_events(); }
    void restore_events(const std::vector<uint64_t>& v) const { model_.restore_events(v); }
    const Model& model() const { return model_; }

private:
    std::shared_ptr<const Model> own_;   // copies only
    const Model& model_;
    const Symmetry* sym_;
};

}  // namespace pxc::kernel
