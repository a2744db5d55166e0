#include "props/memo.hpp"

#include <map>
#include <utility>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace pxc::props {

namespace {

bool have_ssse3()
{
#if defined(__x86_64__)
    static const bool yes = __builtin_cpu_supports("ssse3");
    return yes;
#else
    return false;
#endif
}

}  // namespace

Projection::Projection(std::vector<uint16_t> at, size_t state_size) : at_(std::move(at))
{
    if (!fits() || state_size < 16 || !have_ssse3())
        return;
    // Key byte i comes from state byte at_[i], read from the 16 bytes at
    // `from` (the last 16 of the state when fewer follow).
    std::map<std::pair<uint8_t, uint16_t>, Shuffle> by_source;   // by half, then source
    for (size_t i = 0; i < at_.size(); ++i) {
        const uint16_t from = uint16_t(std::min<size_t>(at_[i] / 16 * 16, state_size - 16));
        const uint8_t half = uint8_t(i / 16);
        auto [it, fresh] = by_source.try_emplace({half, from});
        if (fresh) {
            std::memset(it->second.select, 0x80, sizeof it->second.select);
            it->second.from = from;
            it->second.half = half;
        }
        it->second.select[i % 16] = uint8_t(at_[i] - from);
    }
    for (const auto& [where, sh] : by_source) {
        shuffles_.push_back(sh);
        first_half_ += sh.half == 0;
    }
}

MemoKey Projection::gather(const uint8_t* s) const
{
    MemoKey k{};
    for (size_t i = 0; i < at_.size(); ++i)
        k.b[i] = s[at_[i]];
    k.b[max_bytes] = 1;
    return k;
}

#if defined(__x86_64__)
namespace {

// acc | the bytes shuffles [from, to) select.
__attribute__((target("ssse3"))) __m128i take(__m128i acc, const uint8_t* s, const auto* shuffles, size_t from,
                                              size_t to)
{
    for (size_t i = from; i < to; ++i) {
        const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + shuffles[i].from));
        const __m128i select = _mm_loadu_si128(reinterpret_cast<const __m128i*>(shuffles[i].select));
        acc = _mm_or_si128(acc, _mm_shuffle_epi8(bytes, select));
    }
    return acc;
}

}  // namespace

__attribute__((target("ssse3"))) MemoKey Projection::shuffle(const uint8_t* s) const
{
    MemoKey k;
    _mm_store_si128(reinterpret_cast<__m128i*>(k.b), take(_mm_setzero_si128(), s, shuffles_.data(), 0, first_half_));
    // The key's last byte is 1 (max_bytes < 32: no shuffle writes it).
    _mm_store_si128(reinterpret_cast<__m128i*>(k.b + 16),
                    take(_mm_set_epi8(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), s, shuffles_.data(), first_half_, shuffles_.size()));
    return k;
}
#else
MemoKey Projection::shuffle(const uint8_t* s) const
{
    return gather(s);
}
#endif

}  // namespace pxc::props
