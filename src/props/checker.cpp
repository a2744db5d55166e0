#include "props/checker.hpp"

#include <atomic>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "kernel/error.hpp"
#include "props/explain.hpp"
#include "props/split.hpp"
#include "props/visibility.hpp"

namespace pxc::props {

namespace {

std::atomic<uint64_t> checkers{0};

// This thread's memo tables, for the checker `owner` (a table is made on
// the first evaluation of its part: a short search makes few).
struct ThreadMemos {
    uint64_t owner = 0;
    std::vector<std::unique_ptr<MemoTable>> tables;
};
thread_local ThreadMemos thread_memos;

}  // namespace

Checker::Checker(const kernel::Model& model, const Catalog& catalog, const std::vector<std::string>& names)
    : model_(model), id_(++checkers)
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
                if (code->fixed().value_or(0) != 0)
                    continue;
                const std::vector<uint8_t> vis = visible_bytes(model, *part);
                std::vector<uint16_t> at;
                for (size_t i = 0; i < vis.size(); ++i)
                    if (vis[i])
                        at.push_back(uint16_t(i));
                Part entry{std::move(code), bits(vis), Projection(std::move(at), model.layout().size)};
                if (entry.projection.fits())
                    entry.memo = memos_++;
                e.parts.push_back(std::move(entry));
            }
            if (e.parts.empty())   // true whatever the state: read nothing, never evaluated
                e.parts.push_back({std::make_unique<Compiled>(*p->decl->body, model), {}, {}});
        } else if (p->decl) {
            e.parts.push_back({std::make_unique<Compiled>(*p->decl->body, model), {}, {}});
        }
        (invariant ? invariants_ : deadlocks_).push_back(std::move(e));
    }
    for (const Entry& e : invariants_) {
        if (e.parts.empty())
            units_.push_back({e.reads, &e, nullptr});
        for (const Part& part : e.parts)
            units_.push_back({part.reads, &e, &part});
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
    // States of at most 128 bytes (most scenarios): two words to test, not four.
    return size <= 128 ? check_units<2>(changed, s) : check_units<4>(changed, s);
}

template <size_t Words>
std::optional<explorer::Violation> Checker::check_units(const Bytes& changed, const uint8_t* s) const
{
    static_assert(Words <= std::tuple_size_v<Bytes>);
    auto touched = [&](const Bytes& r) {
        uint64_t any = 0;
        for (size_t w = 0; w < Words; ++w)
            any |= changed[w] & r[w];
        return any != 0;
    };
    ThreadMemos& memos = thread_memos;
    if (memos.owner != id_) {
        memos.owner = id_;
        memos.tables.clear();
        memos.tables.resize(size_t(memos_));
    }
    for (const Unit& u : units_) {
        if (!touched(u.reads))
            continue;
        if (!u.part) {
            if (auto v = check(*u.entry, s))
                return v;
            continue;
        }
        Env env(&model_, s);
        if (u.part->memo < 0) {
            if (!u.part->code->eval(env))
                return violation(*u.entry, s);
            continue;
        }
        std::unique_ptr<MemoTable>& table = memos.tables[size_t(u.part->memo)];
        if (!table)
            table = std::make_unique<MemoTable>();
        const MemoKey key = u.part->projection.key(s);
        if (table->contains(key))
            continue;
        if (!u.part->code->eval(env))
            return violation(*u.entry, s);
        table->insert(key);
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
