// The checker's memo (props/memo.hpp): a part's "holds" remembered by the
// bytes it reads. A key must be exactly those bytes (two states share a key
// only when they agree on every byte the part reads), the table must never
// answer for a key it was not given, and a checker must never see another
// checker's tables.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "explorer/explorer.hpp"
#include "kernel/model.hpp"
#include "kernel/scenario.hpp"
#include "props/checker.hpp"
#include "props/memo.hpp"
#include "props/split.hpp"
#include "props/visibility.hpp"
#include "sample_states.hpp"

using namespace pxc;
using namespace pxc::props;

namespace {

std::vector<uint16_t> offsets(const std::vector<uint8_t>& vis)
{
    std::vector<uint16_t> at;
    for (size_t i = 0; i < vis.size(); ++i)
        if (vis[i])
            at.push_back(uint16_t(i));
    return at;
}

MemoKey key_with(uint8_t first, uint8_t second)
{
    MemoKey k{};
    k.b[0] = first;
    k.b[1] = second;
    k.b[Projection::max_bytes] = 1;
    return k;
}

}  // namespace

TEST_CASE("a part's key is the bytes it reads, gathered or shuffled alike, on reachable states")
{
    int parts = 0, shuffled = 0;
    for_each_sample([&](const kernel::Model& model, const auto& ex, uint32_t states) {
        for (const Property& p : Catalog::standard().all()) {
            if (!p.decl || p.kind != Kind::invariant)
                continue;
            for (const auto& part : conjunctive_parts(*p.decl->body)) {
                const std::vector<uint16_t> at = offsets(visible_bytes(model, *part));
                const Projection proj(at, model.state_size());
                if (!proj.fits())
                    continue;
                INFO(p.name, ": ", to_source(*part));
                ++parts;
                shuffled += proj.shuffles();
                std::map<std::string, std::string> key_of;   // the bytes read -> the key
                bool all_agree = true, one_to_one = true;
                for (uint32_t i = 0; i < states; ++i) {
                    const uint8_t* s = ex.state(i);
                    const MemoKey k = proj.gather(s);
                    std::string bytes, key(reinterpret_cast<const char*>(k.b), sizeof k.b);
                    for (uint16_t a : at)
                        bytes.push_back(char(s[a]));
                    if (proj.shuffles())
                        all_agree = all_agree && proj.shuffle(s) == k;
                    all_agree = all_agree && proj.key(s) == k;
                    auto [it, fresh] = key_of.try_emplace(bytes, key);
                    one_to_one = one_to_one && it->second == key;
                    // The key is the bytes, zero-padded, marked in its last byte.
                    for (size_t j = 0; j < at.size(); ++j)
                        all_agree = all_agree && k.b[j] == s[at[j]];
                    all_agree = all_agree && k.b[Projection::max_bytes] == 1;
                }
                CHECK(all_agree);
                CHECK(one_to_one);
                // Different bytes, different keys.
                std::map<std::string, int> keys;
                for (const auto& [bytes, key] : key_of)
                    ++keys[key];
                CHECK(keys.size() == key_of.size());
            }
        }
    });
    CHECK(parts >= 12);
#if defined(__x86_64__)
    if (__builtin_cpu_supports("ssse3"))
        CHECK(shuffled == parts);
#endif
}

TEST_CASE("a part reading more bytes than a key holds has no key")
{
    std::vector<uint16_t> at;
    for (uint16_t i = 0; i < 40; ++i)
        at.push_back(i);
    CHECK_FALSE(Projection(at, 64).fits());
    at.resize(Projection::max_bytes);
    CHECK(Projection(at, 64).fits());
    CHECK_FALSE(Projection({}, 64).fits());   // reads nothing: never evaluated again anyway
}

TEST_CASE("the memo table answers only for keys it holds, and a key that takes a slot evicts the one there")
{
    MemoTable t;
    const MemoKey a = key_with(1, 0);
    CHECK_FALSE(t.contains(a));
    CHECK_FALSE(key_with(0, 0) == MemoKey{});   // no key is all zero, the empty slot
    t.insert(a);
    CHECK(t.contains(a));
    // A key that lands in a's slot replaces it; neither is ever taken for the other.
    bool evicted = false;
    for (int x = 0; x < 256 && !evicted; ++x)
        for (int y = 0; y < 256 && !evicted; ++y) {
            const MemoKey b = key_with(uint8_t(x), uint8_t(y));
            if (b == a)
                continue;
            CHECK_FALSE(t.contains(b));
            t.insert(b);
            if (!t.contains(a)) {
                evicted = true;
                CHECK(t.contains(b));
            } else {
                t.insert(a);
            }
        }
    CHECK(evicted);
}

TEST_CASE("a checker never answers from another checker's memo on the same thread")
{
    const Scenario sc = load_scenario(std::string(SOURCE_ROOT) + "/models/contention.toml");
    const kernel::Model model(sc, sc.feature_set({}));
    // Both read the same byte (task 0's on_rq): their keys are the same.
    Catalog c;
    c.add_text("invariant any: forall t in tasks: t.on_rq == TASK_ON_RQ_QUEUED or t.on_rq != TASK_ON_RQ_QUEUED\n"
               "invariant queued: forall t in tasks: t.on_rq == TASK_ON_RQ_QUEUED",
               "t.prop");
    Checker lenient(model, c, {"any"}), strict(model, c, {"queued"});
    std::vector<uint8_t> parent(model.state_size());
    model.initial_state(parent.data());
    std::vector<uint8_t> s = parent;
    kernel::Sys{&model.layout(), s.data()}.task(0).on_rq() = kernel::NOT_ON_RQ;
    for (int round = 0; round < 3; ++round) {
        CHECK_FALSE(lenient.check_successor(parent.data(), s.data()));
        const auto v = strict.check_successor(parent.data(), s.data());
        REQUIRE(v);
        CHECK(v->property == "queued");
    }
    // And one checker remembers: the second time the same bytes are a probe, still right.
    std::vector<uint8_t> back = s;
    kernel::Sys{&model.layout(), back.data()}.task(0).on_rq() = kernel::TASK_ON_RQ_QUEUED;
    CHECK_FALSE(strict.check_successor(s.data(), back.data()));
    CHECK_FALSE(strict.check_successor(s.data(), back.data()));
}
