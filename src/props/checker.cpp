#include "props/checker.hpp"

#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "kernel/error.hpp"
#include "props/explain.hpp"
#include "props/split.hpp"
#include "props/visibility.hpp"

namespace pxc::props {

Checker::Checker(const kernel::Model& model, const Catalog& catalog, const std::vector<std::string>& names)
    : model_(model)
{
    if (names.empty()) {
        for (const Property& p : catalog.all())
            selected_.push_back(&p);
    }
    for (const std::string& name : names) {
        const Property* p = catalog.find(name);
        if (!p)
            throw Error("unknown property '" + name + "' (see: proxycheck list properties)");
        selected_.push_back(p);
    }
    auto bits = [](const std::vector<uint8_t>& vis) {
        Bytes b{};
        for (size_t i = 0; i < vis.size(); ++i)
            b[i / 64] |= uint64_t(vis[i] != 0) << (i % 64);
        return b;
    };
    for (const Property* p : selected_) {
        const bool invariant = p->kind == Kind::invariant;
        Entry e{p, {}, invariant ? bits(visible_bytes(model, {p})) : Bytes{}};
        if (p->decl && invariant) {
            // A part the model makes true is dropped; one it makes false stays (every state violates it).
            for (const auto& part : conjunctive_parts(*p->decl->body)) {
                auto code = std::make_unique<Compiled>(*part, model);
                if (code->fixed().value_or(0) == 0)
                    e.parts.push_back({std::move(code), bits(visible_bytes(model, *part))});
            }
            if (e.parts.empty())   // true whatever the state: read nothing, never evaluated
                e.parts.push_back({std::make_unique<Compiled>(*p->decl->body, model), {}});
        } else if (p->decl) {
            e.parts.push_back({std::make_unique<Compiled>(*p->decl->body, model), {}});
        }
        (invariant ? invariants_ : deadlocks_).push_back(std::move(e));
    }
}

explorer::Violation Checker::violation(const Entry& e, const uint8_t* s) const
{
    return {e.property->name, explain(*e.property->decl, model_, s)};
}

std::optional<explorer::Violation> Checker::check(const Entry& e, const uint8_t* s) const
{
    if (!e.parts.empty()) {
        Env env(&model_, s);
        for (const Part& part : e.parts)
            if (!part.code->eval(env))
                return violation(e, s);
        return std::nullopt;
    }
    std::string msg = e.property->builtin->check(model_, s);
    if (!msg.empty())
        return explorer::Violation{e.property->name, std::move(msg)};
    return std::nullopt;
}

std::optional<explorer::Violation> Checker::run(const std::vector<Entry>& entries, const uint8_t* s) const
{
    for (const Entry& e : entries)
        if (auto v = check(e, s))
            return v;
    return std::nullopt;
}

std::optional<explorer::Violation> Checker::check_successor(const uint8_t* parent, const uint8_t* s) const
{
    // One bit per state byte the step changed.
    Bytes changed{};
    const size_t size = model_.layout().size;
#if defined(__SSE2__)
    // 16 bytes at `at`: set the bit of each that differs (bits may cross into the next word).
    auto chunk = [&](size_t at) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(parent + at));
        const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + at));
        const uint64_t diff = ~uint32_t(_mm_movemask_epi8(_mm_cmpeq_epi8(x, y))) & 0xFFFFu;
        changed[at / 64] |= diff << (at % 64);
        if (at % 64 > 48)
            changed[at / 64 + 1] |= diff >> (64 - at % 64);
    };
    if (size >= 16) {
        size_t i = 0;
        for (; i + 16 <= size; i += 16)
            chunk(i);
        if (i < size)
            chunk(size - 16);   // the tail, overlapping the last whole chunk
    } else {
        for (size_t i = 0; i < size; ++i)
            changed[i / 64] |= uint64_t(parent[i] != s[i]) << (i % 64);
    }
#else
    for (size_t i = 0; i < size; ++i)
        changed[i / 64] |= uint64_t(parent[i] != s[i]) << (i % 64);
#endif
    static_assert(std::tuple_size_v<Bytes> == 4, "touched() reads four words");
    auto touched = [&](const Bytes& r) {
        return ((changed[0] & r[0]) | (changed[1] & r[1]) | (changed[2] & r[2]) | (changed[3] & r[3])) != 0;
    };
    for (const Entry& e : invariants_) {
        if (!touched(e.reads))
            continue;
        if (e.parts.empty()) {
            if (auto v = check(e, s))
                return v;
            continue;
        }
        Env env(&model_, s);
        for (const Part& part : e.parts)
            if (touched(part.reads) && !part.code->eval(env))
                return violation(e, s);
    }
    return std::nullopt;
}

std::string evaluate(const kernel::Model& model, const Property& p, const uint8_t* s)
{
    if (p.builtin)
        return p.builtin->check(model, s);
    Env env(&model, s);
    return Compiled(*p.decl->body, model).eval(env) ? "" : explain(*p.decl, model, s);
}

}  // namespace pxc::props
