// A path of canonical states (symmetry reduction, types.hpp CanonicalModel)
// turned back into a run of the model: from the real initial state, at each
// step a successor whose canonical form is the next stored state. One
// exists at every step because the model is symmetric: the stored step,
// renamed as the concrete state is renamed. Among several, the cheapest
// step (Order::cheapest_shortest prices steps on concrete states), then the
// stored label, then the first. The path keeps its length; its cost is at
// most the stored one, which was minimal.
#pragma once
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "explorer/cost.hpp"
#include "explorer/types.hpp"

namespace pxc::explorer {

template <Model M>
Path concretise(const M& model, const Path& canonical)
{
    const size_t size = model.state_size();
    Path out;
    std::vector<uint8_t> cur(size), image(size), best(size);
    model.initial_state(cur.data());
    out.states.push_back(cur);
    out.labels.push_back(0);
    for (size_t i = 1; i < canonical.states.size(); ++i) {
        const uint8_t* want = canonical.states[i].data();
        bool found = false;
        Label best_label = 0;
        StepCost best_cost{};
        bool best_stored = false;
        model.for_each_successor(cur.data(), [&](Label l, const uint8_t* next) {
            std::memcpy(image.data(), next, size);
            canonicalise(model, image.data());
            if (std::memcmp(image.data(), want, size) != 0)
                return;
            StepCost c{};
            if constexpr (CostedModel<M>)
                c = model.step_cost(l, cur.data(), next);
            const bool stored = l == canonical.labels[i];
            const PathCost pc = add_cost(0, c), bc = add_cost(0, best_cost);
            if (!found || pc < bc || (pc == bc && stored && !best_stored)) {
                found = true;
                best_label = l;
                best_cost = c;
                best_stored = stored;
                std::memcpy(best.data(), next, size);
            }
        });
        if (!found)   // the model is not symmetric under its canonicalisation
            throw std::logic_error("symmetry reduction: no step leads into the class of path state " +
                                   std::to_string(i));
        cur = best;
        out.states.push_back(cur);
        out.labels.push_back(best_label);
    }
    return out;
}

}  // namespace pxc::explorer
