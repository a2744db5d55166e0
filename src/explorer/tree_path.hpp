// The path to a state of the tree store, which keeps no parents: the level
// above the state is expanded again, in the order the search expanded it,
// until a step reaches the state; that step's state is the parent the
// search recorded (the flat store's parent pointer, see explorer.hpp):
//   shortest: the first state of the level above, at its first such step;
//   cheapest_shortest: the first (state, step) whose path cost is the
//   state's, which is the least over the level above (the search re-parents
//   only on a strictly cheaper path, so among equals the first stays).
// Then the same for that parent, up to the initial state. It costs at most
// one more expansion of the levels above the state, only when a path is
// asked for (a counterexample). The expansions run on a copy of the model
// where it can be copied: what a model counts while it expands (the kernel
// model's events) stays what the search counted.
#pragma once
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "explorer/cost.hpp"
#include "explorer/tree_store.hpp"
#include "explorer/types.hpp"

namespace pxc::explorer {

// The states from the initial one to `state` and the label of the step
// into each (the initial state's label is 0), expanding with `model`.
template <Model M>
std::vector<std::pair<uint32_t, Label>> tree_path_in(const M& model, const TreeStore& store, uint32_t state,
                                                     bool cheapest)
{
    const size_t size = store.state_size();
    std::vector<std::pair<uint32_t, Label>> path{{state, 0}};
    TreeStore::Cursor cur(store);
    std::vector<uint8_t> target(size), image(size);
    const bool reduce = reduces(model);   // the store holds canonical states (symmetry reduction)
    for (uint32_t d = store.depth_of(state); d > 0; --d) {
        const uint32_t t = path.back().first;
        store.read(t, target.data());
        const PathCost want = cheapest ? store.cost(t) : 0;
        bool found = false;
        for (uint64_t p = store.level_start(d - 1); p < store.level_start(d) && !found; ++p) {
            const uint8_t* s = store.open(uint32_t(p), cur);
            model.for_each_successor(s, [&](Label label, const uint8_t* next) {
                if (found)
                    return;
                const uint8_t* stored = next;
                if (reduce) {
                    std::memcpy(image.data(), next, size);
                    canonicalise(model, image.data());
                    stored = image.data();
                }
                if (std::memcmp(stored, target.data(), size) != 0)
                    return;
                if constexpr (CostedModel<M>)
                    if (cheapest && add_cost(store.cost(uint32_t(p)), model.step_cost(label, s, next)) != want)
                        return;
                found = true;
                path.back().second = label;
                path.emplace_back(uint32_t(p), 0);
            });
        }
        if (!found)
            break;   // cannot happen: every stored state but the first has a parent in the level above
    }
    return {path.rbegin(), path.rend()};
}

template <Model M>
std::vector<std::pair<uint32_t, Label>> tree_path(const M& search_model, const TreeStore& store, uint32_t state,
                                                  bool cheapest)
{
    if constexpr (std::is_copy_constructible_v<M>) {
        const M copy(search_model);
        return tree_path_in(copy, store, state, cheapest);
    } else {
        return tree_path_in(search_model, store, state, cheapest);
    }
}

}  // namespace pxc::explorer
