// An invariant part's "holds" remembered by the bytes the part reads.
//
// A part is a function of its visible bytes (visibility.hpp), so once it
// held on one state it holds on every state with the same bytes there. On
// contention the parts see 21 to 21,000 different projections in the first
// 300,000 states, while each is evaluated 50,000 to 180,000 times: most
// evaluations can be a table probe instead.
//
// The table is direct-mapped and keeps the whole projection: a probe that
// finds another projection (or none) only means evaluating the part, so no
// verdict depends on what the table holds. Only "holds" is remembered; a
// violation stops the search. Each thread has its own tables (checker.cpp).
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

namespace pxc::props {

// A part's bytes, gathered: at most 31, zero-padded, the last byte 1 so
// that no key is all zero (an empty slot).
struct alignas(16) MemoKey {
    uint8_t b[32];
    bool operator==(const MemoKey& o) const { return std::memcmp(b, o.b, sizeof b) == 0; }
};

// Where a part's bytes are in a state of `state_size` bytes, and how to
// gather them: with SSSE3, one byte shuffle per 16 state bytes that hold
// some of them; else byte by byte.
class Projection {
public:
    static constexpr size_t max_bytes = 31;

    Projection() = default;
    Projection(std::vector<uint16_t> at, size_t state_size);
    // A part that reads more than a key holds is evaluated every time.
    bool fits() const { return !at_.empty() && at_.size() <= max_bytes; }
    MemoKey key(const uint8_t* s) const { return shuffles_.empty() ? gather(s) : shuffle(s); }

    // Both ways, for the tests (shuffle(): only where SSSE3 is).
    MemoKey gather(const uint8_t* s) const;
    MemoKey shuffle(const uint8_t* s) const;
    bool shuffles() const { return !shuffles_.empty(); }

private:
    struct Shuffle {
        uint8_t select[16];   // the state byte of each key byte, 0x80: none
        uint16_t from;        // the 16 state bytes it reads
        uint8_t half;         // the key's first (0) or second 16 bytes
    };
    std::vector<uint16_t> at_;
    std::vector<Shuffle> shuffles_;   // those of the key's first half first
    size_t first_half_ = 0;
};

class MemoTable {
public:
    static constexpr unsigned bits = 12;   // 4,096 slots, 128 KiB

    MemoTable() : slots_(new MemoKey[size_t(1) << bits]()) {}
    bool contains(const MemoKey& k) const { return slots_[index(k)] == k; }
    void insert(const MemoKey& k) { slots_[index(k)] = k; }

private:
    std::unique_ptr<MemoKey[]> slots_;

    static size_t index(const MemoKey& k)
    {
        uint64_t w[4];
        std::memcpy(w, k.b, sizeof w);
        const uint64_t h = w[0] * 0x9E3779B97F4A7C15ull + w[1] * 0xC2B2AE3D27D4EB4Full +
                           w[2] * 0x165667B19E3779F9ull + w[3] * 0xD6E8FEB86659FD93ull;
        return size_t(h >> (64 - bits));
    }
};

}  // namespace pxc::props
