#include "props/checker.hpp"

#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "kernel/error.hpp"
#include "props/explain.hpp"
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
    for (const Property* p : selected_) {
        Entry e{p, p->decl ? std::make_unique<Compiled>(*p->decl->body, model) : nullptr, {}};
        if (p->kind == Kind::invariant) {
            const std::vector<uint8_t> vis = visible_bytes(model, {p});
            for (size_t i = 0; i < vis.size(); ++i)
                e.reads[i / 64] |= uint64_t(vis[i] != 0) << (i % 64);
        }
        (p->kind == Kind::invariant ? invariants_ : deadlocks_).push_back(std::move(e));
    }
}

std::optional<explorer::Violation> Checker::check(const Entry& e, const uint8_t* s) const
{
    if (e.code) {
        Env env(&model_, s);
        if (e.code->eval(env))
            return std::nullopt;
        return explorer::Violation{e.property->name, explain(*e.property->decl, model_, s)};
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
    size_t i = 0;
#if defined(__SSE2__)
    auto chunk = [&](const uint8_t* a, const uint8_t* b) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a));
        const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b));
        const auto same = uint32_t(_mm_movemask_epi8(_mm_cmpeq_epi8(x, y)));
        changed[i / 64] |= uint64_t(~same & 0xFFFFu) << (i % 64);
    };
    for (; i + 16 <= size; i += 16)
        chunk(parent + i, s + i);
    if (i < size) {
        uint8_t a[16] = {}, b[16] = {};
        std::memcpy(a, parent + i, size - i);
        std::memcpy(b, s + i, size - i);
        chunk(a, b);
    }
#else
    for (; i < size; ++i)
        changed[i / 64] |= uint64_t(parent[i] != s[i]) << (i % 64);
#endif
    for (const Entry& e : invariants_) {
        uint64_t touched = 0;
        for (size_t w = 0; w < changed.size(); ++w)
            touched |= changed[w] & e.reads[w];
        if (touched)
            if (auto v = check(e, s))
                return v;
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
