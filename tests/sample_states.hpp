// The first 1,500 reachable states of three bundled models, one of each
// state layout (v7.1: contention, v7.2: blocked-donor-race-b, ww:
// test-cycle3-1cpu-wound-wait), for the tests that check a rule of the
// property checker on every one of them.
#pragma once
#include <doctest/doctest.h>

#include <string>

#include "explorer/explorer.hpp"
#include "kernel/model.hpp"
#include "kernel/scenario.hpp"
#include "props/checker.hpp"

// fn(model, explorer, states): explorer.state(i) for i < states.
template <class F>
void for_each_sample(F&& fn)
{
    for (const char* file : {"models/contention.toml", "models/blocked-donor-race-b.toml",
                             "models/ww/test-cycle3-1cpu-wound-wait.toml"}) {
        INFO(file);
        const pxc::Scenario sc = pxc::load_scenario(std::string(SOURCE_ROOT) + "/" + file);
        const pxc::kernel::Model model(sc, sc.feature_set({}));
        pxc::props::Checker none(model, {"no_kernel_warning"});
        pxc::explorer::Explorer ex(model, none, {.max_states = 1500}, false);
        const auto r = ex.run();
        REQUIRE(r.stats.states >= 1500);
        fn(model, ex, uint32_t(r.stats.states));
    }
}
