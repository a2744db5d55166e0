// The lossy modes (one thread): compact (hash compaction: a table of 64-bit
// fingerprints) and bitstate (a bit array, k bits per state). Neither keeps a
// state's bytes once its level is expanded: the BFS queue holds the full
// states of the level being expanded and of the next one, and every state
// keeps its parent's index and its step number among the parent's
// successors (6 bytes, the trail: on disk once its level is expanded), so a
// counterexample is rebuilt by replaying the steps from the initial state.
// A violation found is therefore real; "no violation" is not a proof: two
// states may share a fingerprint (or a state may find all its bits set by
// others), and the second is never explored.
//
// The search order is the exact one-thread order: when no state is missed,
// the states, transitions, depth and counterexample are those of exact mode.
// With cheapest_shortest, a state of the next level reached again by a
// cheaper path is re-parented through an exact index of the next level's
// queue (by bytes), as in exact mode.
#pragma once
#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "explorer/alloc.hpp"
#include "explorer/progress.hpp"
#include "explorer/types.hpp"

namespace pxc::explorer {

// compact: open addressing over 64-bit fingerprints (0 is remapped: it marks
// an empty slot), at most 3/4 full. The home slot is the fingerprint scaled
// onto the table (multiply-high: monotonic in the fingerprint), so the
// table grows to any size without the states, and in one streaming pass.
// Small tables double; from 2^14 slots on they grow by a quarter, so that a
// big table stays between 60 % and 75 % full (about 12 bytes a state).
class FingerprintSet {
public:
    explicit FingerprintSet(size_t slots = 1024) : size_(std::max<size_t>(slots, 16)), table_(alloc(size_)) {}
    ~FingerprintSet() { std::free(table_); }
    FingerprintSet(const FingerprintSet&) = delete;
    FingerprintSet& operator=(const FingerprintSet&) = delete;

    uint64_t count() const { return count_; }
    uint64_t bytes() const { return size_ * sizeof(uint64_t); }
    // What the next insert may allocate (the old table is freed after).
    uint64_t bytes_next_growth() const { return wants_growth() ? grown() * sizeof(uint64_t) : 0; }
    bool contains(uint64_t fp) const { return table_[find(fp ? fp : 1)] != 0; }
    void prefetch(uint64_t fp) const { __builtin_prefetch(&table_[home(fp ? fp : 1)]); }
    // Inserts fp; false when it was there. Throws std::bad_alloc.
    bool insert(uint64_t fp)
    {
        fp = fp ? fp : 1;
        size_t slot = find(fp);
        if (table_[slot] != 0)
            return false;
        if (wants_growth()) {
            grow();
            slot = find(fp);
        }
        table_[slot] = fp;
        ++count_;
        return true;
    }

private:
    bool wants_growth() const { return (count_ + 1) * 4 > size_ * 3; }
    size_t grown() const { return size_ < (size_t(1) << 14) ? size_ * 2 : size_ + size_ / 4; }
    static uint64_t* alloc(size_t n)
    {
        auto* p = static_cast<uint64_t*>(big_alloc(n * sizeof(uint64_t), true));
        if (!p)
            throw std::bad_alloc();
        return p;
    }
    size_t home(uint64_t fp) const
    {
        __extension__ typedef unsigned __int128 u128;
        return size_t((u128(fp) * size_) >> 64);
    }
    size_t find(uint64_t fp) const
    {
        size_t slot = home(fp);
        while (table_[slot] != 0 && table_[slot] != fp)
            slot = slot + 1 == size_ ? 0 : slot + 1;
        return slot;
    }
    void grow()
    {
        uint64_t* old = table_;
        const size_t old_size = size_;
        const size_t fresh = grown();
        table_ = alloc(fresh);   // throws: the old table stays
        size_ = fresh;
        for (size_t i = 0; i < old_size; ++i)
            if (old[i] != 0)
                table_[find(old[i])] = old[i];
        std::free(old);
    }
    size_t size_;
    uint64_t* table_;
    uint64_t count_ = 0;
};

// The visited set of compact mode: 256 FingerprintSets chosen by a
// fingerprint's top byte, so a growth copies 1/256 of the table (no moment
// with two whole tables in memory), and the threads of the parallel search
// can add to different shards at once.
class FingerprintShards {
public:
    static constexpr unsigned shard_bits = 8, shards = 1u << shard_bits;
    FingerprintShards()
    {
        for (auto& s : sets_) {
            s = std::make_unique<FingerprintSet>(256);
            bytes_ += s->bytes();
        }
    }
    static uint64_t fingerprint(uint64_t h) { return h ? h : 1; }
    static unsigned shard_of(uint64_t h) { return unsigned(fingerprint(h) >> (64 - shard_bits)); }

    bool contains(uint64_t h) const { return set(h).contains(inner(h)); }
    void prefetch(uint64_t h) const { set(h).prefetch(inner(h)); }
    // Inserts; false when it was there. Threads may insert at once into
    // different shards. Throws std::bad_alloc.
    bool insert(uint64_t h)
    {
        FingerprintSet& s = *sets_[shard_of(h)];
        const uint64_t before = s.bytes();
        const bool fresh = s.insert(inner(h));
        if (s.bytes() != before)
            bytes_.fetch_add(s.bytes() - before, std::memory_order_relaxed);
        return fresh;
    }
    uint64_t count() const
    {
        uint64_t n = 0;
        for (const auto& s : sets_)
            n += s->count();
        return n;
    }
    uint64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }
    uint64_t bytes_next_growth(uint64_t h) const { return set(h).bytes_next_growth(); }

private:
    // Within a shard the home comes from the bits below the shard's.
    static uint64_t inner(uint64_t h) { return std::rotl(fingerprint(h), int(shard_bits)); }
    const FingerprintSet& set(uint64_t h) const { return *sets_[shard_of(h)]; }
    std::unique_ptr<FingerprintSet> sets_[shards];
    std::atomic<uint64_t> bytes_{0};
};

// bitstate: m bits, k of them per state, from one 128-bit XXH3 hash by
// double hashing (h1 + i*h2, mapped onto [0, m) by multiply-shift).
class BitState {
public:
    BitState(uint64_t bits, unsigned k) : m_(std::max<uint64_t>(bits, 64)), k_(std::max(1u, k))
    {
        // calloc: untouched pages of a large array cost nothing until a bit lands there.
        words_ = static_cast<uint64_t*>(big_alloc((m_ + 63) / 64 * sizeof(uint64_t), true));
        if (!words_)
            throw std::bad_alloc();
    }
    ~BitState() { std::free(words_); }
    BitState(const BitState&) = delete;
    BitState& operator=(const BitState&) = delete;

    uint64_t bits() const { return m_; }
    unsigned k() const { return k_; }
    uint64_t bytes() const { return (m_ + 63) / 64 * sizeof(uint64_t); }
    uint64_t bits_set() const { return set_; }
    void prefetch(XXH128_hash_t h) const
    {
        for (unsigned i = 0; i < k_; ++i)
            __builtin_prefetch(&words_[pos(h, i) >> 6]);
    }
    bool contains(XXH128_hash_t h) const
    {
        for (unsigned i = 0; i < k_; ++i) {
            const uint64_t b = pos(h, i);
            if (!(words_[b >> 6] & (uint64_t(1) << (b & 63))))
                return false;
        }
        return true;
    }
    // Sets the k bits; false when all were set already.
    bool insert(XXH128_hash_t h)
    {
        bool fresh = false;
        for (unsigned i = 0; i < k_; ++i) {
            const uint64_t b = pos(h, i);
            uint64_t& w = words_[b >> 6];
            const uint64_t bit = uint64_t(1) << (b & 63);
            if (!(w & bit)) {
                w |= bit;
                ++set_;
                fresh = true;
            }
        }
        return fresh;
    }
    // The same for several threads at once; returns the number of bits it
    // set (the caller adds them up: bits_set() counts only insert()'s).
    unsigned insert_atomic(XXH128_hash_t h)
    {
        unsigned fresh = 0;
        for (unsigned i = 0; i < k_; ++i) {
            const uint64_t b = pos(h, i);
            const uint64_t bit = uint64_t(1) << (b & 63);
            fresh += (std::atomic_ref<uint64_t>(words_[b >> 6]).fetch_or(bit, std::memory_order_relaxed) & bit) == 0;
        }
        return fresh;
    }

private:
    uint64_t pos(XXH128_hash_t h, unsigned i) const
    {
        __extension__ typedef unsigned __int128 u128;
        const uint64_t x = h.low64 + i * (h.high64 | 1) + uint64_t(i) * i;
        return uint64_t((u128(x) * m_) >> 64);
    }
    uint64_t m_;
    unsigned k_;
    uint64_t* words_;
    uint64_t set_ = 0;
};

// Parent index and step number of every state, in chunks of 65536. Only
// the entries of the level being built are ever written again (re-parenting
// by cost), so spill_below() moves the whole chunks of the levels already
// expanded to an unlinked temporary file ($TMPDIR, else /tmp): in memory the
// lossy modes keep their visited set and two levels of states, and 6 bytes
// a state go to the disk, read back only to rebuild a counterexample. When
// no file can be written the chunks stay in memory.
class Trail {
public:
    Trail() = default;
    ~Trail()
    {
        if (fd_ >= 0)
            ::close(fd_);
    }
    Trail(const Trail&) = delete;
    Trail& operator=(const Trail&) = delete;

    uint64_t count() const { return count_; }
    uint64_t bytes() const { return (chunks_.size() - spilled_) * chunk_bytes; }   // in memory
    uint64_t disk_bytes() const { return spilled_ * chunk_bytes; }
    uint64_t bytes_next_growth() const { return (count_ & mask) == 0 ? chunk_bytes : 0; }
    uint32_t parent(uint32_t i) const { return read(i).parent; }
    uint16_t step(uint32_t i) const { return read(i).step; }
    void set(uint32_t i, uint32_t parent, uint16_t step) { at(i) = {parent, step}; }
    uint32_t push(uint32_t parent, uint16_t step)   // throws std::bad_alloc
    {
        if ((count_ & mask) == 0) {
            chunks_.reserve(chunks_.size() + 1);
            auto* p = static_cast<Entry*>(big_alloc(chunk_bytes, false));
            if (!p)
                throw std::bad_alloc();
            chunks_.emplace_back(p);
        }
        at(uint32_t(count_)) = {parent, step};
        return uint32_t(count_++);
    }
    // Writes the whole chunks below entry `index` to the file and frees
    // them (the caller will not set() them again). False when the file
    // cannot be opened or written: those chunks stay in memory.
    bool spill_below(uint64_t index)
    {
        const size_t upto = size_t(index >> 16);
        while (spilled_ < upto && spilled_ < chunks_.size()) {
            if (fd_ < 0 && !open_file())
                return false;
            const char* p = reinterpret_cast<const char*>(chunks_[spilled_].get());
            for (uint64_t done = 0; done < chunk_bytes;) {
                const ssize_t w = ::pwrite(fd_, p + done, chunk_bytes - done, off_t(spilled_ * chunk_bytes + done));
                if (w <= 0)
                    return false;
                done += uint64_t(w);
            }
            chunks_[spilled_].reset();
            ++spilled_;
        }
        return true;
    }

private:
#pragma pack(push, 2)
    struct Entry {
        uint32_t parent;
        uint16_t step;
    };
#pragma pack(pop)
    static_assert(sizeof(Entry) == 6);
    static constexpr uint32_t mask = (1u << 16) - 1;
    static constexpr uint64_t chunk_bytes = (uint64_t(mask) + 1) * sizeof(Entry);
    Entry& at(uint32_t i) { return chunks_[i >> 16].get()[i & mask]; }
    Entry read(uint32_t i) const
    {
        if ((i >> 16) >= spilled_)
            return chunks_[i >> 16].get()[i & mask];
        Entry e{};
        const off_t off = off_t(uint64_t(i) * sizeof(Entry));
        if (::pread(fd_, &e, sizeof e, off) != ssize_t(sizeof e))
            throw std::runtime_error("cannot read the trail back from its temporary file");
        return e;
    }
    bool open_file()
    {
        const char* env = std::getenv("TMPDIR");
        const std::string dir = env && *env ? env : "/tmp";
#ifdef O_TMPFILE
        fd_ = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd_ >= 0)
            return true;
#endif
        std::string name = dir + "/proxycheck-trail-XXXXXX";
        fd_ = ::mkstemp(name.data());
        if (fd_ < 0)
            return false;
        ::unlink(name.c_str());
        return true;
    }
    struct Free {
        void operator()(void* p) const { std::free(p); }
    };
    std::vector<std::unique_ptr<Entry, Free>> chunks_;
    uint64_t count_ = 0;
    size_t spilled_ = 0;   // chunks [0, spilled_) are in the file
    int fd_ = -1;
};

// The path to state i of a trail, rebuilt by replaying the recorded step
// numbers from the initial state (canonical states with symmetry
// reduction: Explorer::path() makes it a concrete run).
template <Model M>
Path replay_trail(const M& model, const Trail& trail, uint32_t i)
{
    std::vector<uint16_t> steps;
    for (uint32_t s = i; trail.parent(s) != no_parent; s = trail.parent(s))
        steps.push_back(trail.step(s));
    const size_t size = model.state_size();
    // With symmetry reduction the steps were numbered among the canonical
    // parent's successors, and lead to canonical states.
    const bool reduce = reduces(model);
    Path p;
    std::vector<uint8_t> cur(size);
    model.initial_state(cur.data());
    if (reduce)
        canonicalise(model, cur.data());
    p.states.push_back(cur);
    p.labels.push_back(0);
    for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
        uint32_t n = 0;
        bool done = false;
        model.for_each_successor(cur.data(), [&](Label l, const uint8_t* next) {
            if (n++ == *it && !done) {
                p.states.emplace_back(next, next + size);
                if (reduce)
                    canonicalise(model, p.states.back().data());
                p.labels.push_back(l);
                done = true;
            }
        });
        if (!done)
            break;   // cannot happen with a deterministic model
        cur = p.states.back();
    }
    return p;
}

inline uint32_t trail_depth(const Trail& trail, uint32_t i)
{
    uint32_t d = 0;
    for (uint32_t s = i; trail.parent(s) != no_parent; s = trail.parent(s))
        ++d;
    return d;
}

// One BFS level's full states: index, path cost, bytes; in blocks of 4096.
class LevelQueue {
public:
    explicit LevelQueue(size_t state_size) : size_(state_size), rec_((8 + state_size + 7) / 8 * 8) {}
    uint64_t count() const { return count_; }
    uint64_t bytes() const { return blocks_.size() * block_bytes(); }
    uint64_t bytes_next_growth() const
    {
        return (count_ & mask) == 0 && count_ / per_block >= blocks_.size() ? block_bytes() : 0;
    }
    uint32_t index(uint64_t pos) const { return load<uint32_t>(pos, 0); }
    PathCost cost(uint64_t pos) const { return load<PathCost>(pos, 4); }
    void set_cost(uint64_t pos, PathCost c) { std::memcpy(rec(pos) + 4, &c, sizeof c); }
    const uint8_t* state(uint64_t pos) const { return rec(pos) + 8; }
    uint64_t push(uint32_t index, PathCost c, const uint8_t* bytes)   // throws std::bad_alloc
    {
        if (count_ / per_block >= blocks_.size()) {
            blocks_.reserve(blocks_.size() + 1);
            auto* p = static_cast<uint8_t*>(big_alloc(block_bytes(), false));
            if (!p)
                throw std::bad_alloc();
            blocks_.emplace_back(p);
        }
        uint8_t* r = rec(count_);
        std::memcpy(r, &index, 4);
        std::memcpy(r + 4, &c, sizeof c);
        std::memset(r + 6, 0, rec_ - 6);
        std::memcpy(r + 8, bytes, size_);
        return count_++;
    }
    void clear() { count_ = 0; }   // keeps the blocks for the next level
    void swap(LevelQueue& o)
    {
        blocks_.swap(o.blocks_);
        std::swap(count_, o.count_);
    }

private:
    static constexpr uint64_t per_block = 4096, mask = per_block - 1;
    uint64_t block_bytes() const { return per_block * rec_; }
    uint8_t* rec(uint64_t pos) const { return blocks_[pos / per_block].get() + (pos & mask) * rec_; }
    template <class T>
    T load(uint64_t pos, size_t off) const
    {
        T v;
        std::memcpy(&v, rec(pos) + off, sizeof v);
        return v;
    }
    struct Free {
        void operator()(void* p) const { std::free(p); }
    };
    size_t size_, rec_;
    std::vector<std::unique_ptr<uint8_t, Free>> blocks_;
    uint64_t count_ = 0;
};

// The states of the level being built, by bytes (cheapest_shortest only):
// open addressing over queue positions + 1.
class LevelIndex {
public:
    uint64_t bytes() const { return slots_.capacity() * sizeof(uint32_t); }
    void clear() { std::fill(slots_.begin(), slots_.end(), 0u), n_ = 0; }
    void prefetch(uint64_t h) const
    {
        if (!slots_.empty())
            __builtin_prefetch(&slots_[h & (slots_.size() - 1)]);
    }
    std::optional<uint64_t> find(const LevelQueue& q, const uint8_t* bytes, size_t size, uint64_t h) const
    {
        if (slots_.empty())
            return std::nullopt;
        const size_t mask = slots_.size() - 1;
        for (size_t s = h & mask; slots_[s] != 0; s = (s + 1) & mask)
            if (std::memcmp(q.state(slots_[s] - 1), bytes, size) == 0)
                return slots_[s] - 1;
        return std::nullopt;
    }
    void add(const LevelQueue& q, size_t size, uint64_t pos, uint64_t h)   // throws std::bad_alloc
    {
        if ((n_ + 1) * 2 > slots_.size()) {
            std::vector<uint32_t> old(std::max<size_t>(slots_.size() * 2, 1024), 0u);
            old.swap(slots_);
            const size_t mask = slots_.size() - 1;
            for (uint32_t v : old)
                if (v != 0) {
                    size_t s = XXH3_64bits(q.state(v - 1), size) & mask;
                    while (slots_[s] != 0)
                        s = (s + 1) & mask;
                    slots_[s] = v;
                }
        }
        const size_t mask = slots_.size() - 1;
        size_t s = h & mask;
        while (slots_[s] != 0)
            s = (s + 1) & mask;
        slots_[s] = uint32_t(pos + 1);
        ++n_;
    }

private:
    std::vector<uint32_t> slots_;
    uint64_t n_ = 0;
};

// The bounds the lossy modes report (see Stats::omission_bound).
inline double compact_omission_bound(uint64_t n) { return std::min(1.0, double(n) * double(n) / std::ldexp(1.0, 65)); }
// The integral of (1 - e^(-k x / m))^k over [0, n]: the integrand grows, so it
// bounds the sum over the insertions i = 0 .. n-1 from above.
inline double bitstate_omission_bound(uint64_t n, uint64_t m, unsigned k)
{
    if (n == 0 || m == 0)
        return 0;
    const int steps = 4096;   // Simpson's rule, even number of steps
    const double a = double(k) / double(m), hstep = double(n) / steps;
    auto f = [&](double x) { return std::pow(-std::expm1(-a * x), double(k)); };
    double sum = f(0) + f(double(n));
    for (int i = 1; i < steps; ++i)
        sum += (i % 2 ? 4 : 2) * f(i * hstep);
    return sum * hstep / 3;
}

// The statistics of a lossy search's end: the omission bound, and for
// bitstate the array's size, k and fill (bits: null in compact mode).
inline void set_omission_stats(Stats& st, const BitState* bits, uint64_t bits_set)
{
    if (!bits) {
        st.omission_bound = compact_omission_bound(st.states);
        return;
    }
    st.bitstate_bits = bits->bits();
    st.hash_functions = bits->k();
    st.bits_set = double(bits_set) / double(bits->bits());
    st.omission_bound = std::min(1.0, bitstate_omission_bound(st.states, bits->bits(), bits->k()));
}

template <Model M, Checker C>
class LossySearch {
public:
    struct Outcome {
        std::optional<Finding> finding;
        std::string limit;
        Stats stats;
    };

    LossySearch(const M& model, C& checker, const Limits& limits, Progress& progress, bool cheapest, Mode mode,
                uint64_t bitstate_bytes, unsigned hash_functions, std::chrono::steady_clock::time_point start,
                const Reduction* reduction = nullptr)
        : model_(model), checker_(checker), limits_(limits), progress_(progress), cheapest_(cheapest), mode_(mode),
          size_(model.state_size()), start_(start), reduction_(reduction), cur_(size_), next_(size_)
    {
        if (mode == Mode::bitstate)
            bits_ = std::make_unique<BitState>(bitstate_bytes * 8, hash_functions);
        else
            fps_ = std::make_unique<FingerprintShards>();
    }

    Outcome run()
    {
        Outcome out;
        try {
            search(out);
        } catch (const std::bad_alloc&) {
            out.limit = "out of memory";
        }
        progress_.finish();
        Stats& st = out.stats;
        st.states = trail_.count();
        st.transitions = transitions_;
        st.terminal_states = terminals_;
        st.por = reduction_ != nullptr || por_gave_up_at_ != 0;
        st.ample_states = ample_states_;
        st.proviso_full = proviso_full_;
        st.por_gave_up_at = por_gave_up_at_;
        st.depth = out.finding ? depth_of(out.finding->state) : depth_;
        st.store_bytes = peak_bytes_;
        st.disk_bytes = trail_.disk_bytes();
        st.state_size = size_;
        st.mode = mode_;
        set_omission_stats(st, bits_.get(), bits_ ? bits_->bits_set() : 0);
        return out;
    }

    // The path to state i, rebuilt by replaying the recorded step numbers.
    Path path(uint32_t i) const { return replay_trail(model_, trail_, i); }
    uint32_t depth_of(uint32_t i) const { return trail_depth(trail_, i); }

private:
    struct Candidate {
        Finding finding;
        uint32_t depth;
        bool in_next;    // its cost is in the next level's queue, else in the current one
        uint64_t pos;
    };

    uint64_t bytes_used() const
    {
        return (bits_ ? bits_->bytes() : fps_->bytes()) + trail_.bytes() + cur_.bytes() + next_.bytes() +
               index_.bytes();
    }
    uint64_t bytes_next_growth(uint64_t h64) const
    {
        return (bits_ ? 0 : fps_->bytes_next_growth(h64)) + trail_.bytes_next_growth() + next_.bytes_next_growth();
    }
    std::string memory_limit_text() const { return explorer::memory_limit_text(limits_); }

    struct Hash {
        uint64_t h64;
        XXH128_hash_t h128;
    };
    Hash hash(const uint8_t* s) const
    {
        Hash h{};
        if (bits_) {
            h.h128 = XXH3_128bits(s, size_);
            h.h64 = h.h128.low64;
        } else {
            h.h64 = XXH3_64bits(s, size_);
        }
        return h;
    }
    bool seen(const Hash& h) const { return bits_ ? bits_->contains(h.h128) : fps_->contains(h.h64); }
    void mark(const Hash& h)
    {
        if (bits_)
            bits_->insert(h.h128);
        else
            fps_->insert(h.h64);
    }

    void search(Outcome& out)
    {
        std::vector<uint8_t> init(size_);
        model_.initial_state(init.data());
        if (reduces(model_))
            canonicalise(model_, init.data());
        const Hash h0 = hash(init.data());
        mark(h0);
        trail_.push(no_parent, 0);
        cur_.push(0, 0, init.data());
        peak_bytes_ = bytes_used();
        if (auto v = checker_.check_state(init.data())) {
            out.finding = Finding{0, *v, false};
            return;
        }
        std::vector<Candidate> candidates;
        bool stop_after_level = false;
        uint64_t expanded = 0;
        for (;;) {
            for (uint64_t pos = 0; pos < cur_.count(); ++pos, ++expanded) {
                if ((expanded & 1023) == 0 && limits_.seconds > 0 &&
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count() > limits_.seconds)
                    out.limit = "--time " + std::to_string(int(limits_.seconds)) + " s";
                if ((expanded & 4095) == 0)
                    progress_.update(trail_.count(), cur_.count() - pos + next_.count(), depth_, bytes_used());
                if (!out.limit.empty())
                    break;
                expand(out, pos, candidates, stop_after_level);
                if (!out.limit.empty() || (!cheapest_ && out.finding))
                    break;
            }
            peak_bytes_ = std::max(peak_bytes_, bytes_used());
            if (!out.limit.empty() || out.finding || stop_after_level || next_.count() == 0)
                break;
            cur_.swap(next_);
            next_.clear();   // its blocks serve the level after
            index_.clear();
            ++depth_;
            if (reduction_ && por_gives_up(expanded, ample_states_)) {
                reduction_ = nullptr;
                por_gave_up_at_ = depth_;
            }
            trail_.spill_below(cur_.index(0));   // the levels above are expanded
        }
        if (cheapest_ && !candidates.empty()) {
            // Shortest first, then cheapest, then first found.
            auto cost = [&](const Candidate& c) { return c.in_next ? next_.cost(c.pos) : cur_.cost(c.pos); };
            const Candidate* best = &candidates.front();
            for (const Candidate& c : candidates)
                if (c.depth < best->depth || (c.depth == best->depth && cost(c) < cost(*best)))
                    best = &c;
            out.finding = best->finding;
        }
    }

    void expand(Outcome& out, uint64_t pos, std::vector<Candidate>& candidates, bool& stop_after_level)
    {
        const uint32_t idx = cur_.index(pos);
        const PathCost pcost = cur_.cost(pos);
        const uint8_t* s = cur_.state(pos);
        auto found = [&](uint32_t state, const Violation& v, bool at_terminal, uint32_t at_depth, bool in_next,
                         uint64_t qpos) {
            if (!cheapest_) {
                out.finding = Finding{state, v, at_terminal};
                return;
            }
            candidates.push_back({Finding{state, v, at_terminal}, at_depth, in_next, qpos});
            stop_after_level = true;
        };
        // All successors first, hashed, their lookups prefetched (see batch.hpp).
        uint32_t steps = 0;
        const bool reduce = reduces(model_);
        model_.for_each_successor(s, [&](Label label, const uint8_t* next) {
            if (steps == labels_.size()) {
                labels_.resize(steps * 2 + 16);
                hashes_.resize(labels_.size());
                succ_.resize(labels_.size() * size_);
                if (reduce)
                    concrete_.resize(succ_.size());
            }
            std::memcpy(succ_.data() + size_t(steps) * size_, next, size_);
            if (reduce) {   // stored canonical, priced concrete
                std::memcpy(concrete_.data() + size_t(steps) * size_, next, size_);
                canonicalise(model_, succ_.data() + size_t(steps) * size_);
            }
            labels_[steps++] = label;
        });
        for (uint32_t j = 0; j < steps; ++j) {
            hashes_[j] = hash(succ_.data() + size_t(j) * size_);
            if (bits_)
                bits_->prefetch(hashes_[j].h128);
            else
                fps_->prefetch(hashes_[j].h64);
            if (cheapest_)
                index_.prefetch(hashes_[j].h64);
        }
        // POR: the ample steps first, the others only when one of the ample
        // successors was seen before (the cycle proviso, explorer.hpp). Step
        // numbers stay the model's (path() replays them).
        in_.assign(steps, 0);
        uint32_t ample = 0;
        if (reduction_ && steps > 1 &&
            reduction_->ample(s, steps, labels_.data(), reduce ? concrete_.data() : succ_.data(), in_.data()))
            for (uint32_t j = 0; j < steps; ++j)
                ample += in_[j] != 0;
        for (uint32_t j = 0; j < steps && ample && ample < steps && reduction_->proviso(); ++j)
            if (in_[j] && seen(hashes_[j]) && std::memcmp(succ_.data() + size_t(j) * size_, s, size_) != 0) {
                ample = 0;   // refused: expand fully
                ++proviso_full_;
            }
        if (ample && ample < steps)
            ++ample_states_;
        else
            in_.assign(steps, 1);
        for (uint32_t step = 0; step < steps; ++step) {
            if (!in_[step])
                continue;
            const uint8_t* next = succ_.data() + size_t(step) * size_;
            const Label label = labels_[step];
            const Hash& h = hashes_[step];
            ++transitions_;
            if (!out.limit.empty() || (!cheapest_ && out.finding))
                continue;
            if (step > 0xFFFF) {
                out.limit = "a state has more than 65536 successors";
                continue;
            }
            auto price = [&] {
                if constexpr (CostedModel<M>)
                    if (cheapest_)
                        return add_cost(pcost, model_.step_cost(label, s,
                                                                reduce ? concrete_.data() + size_t(step) * size_ : next));
                return PathCost(0);
            };
            if (seen(h)) {
                if (cheapest_)
                    if (auto q = index_.find(next_, next, size_, h.h64)) {
                        const PathCost c = price();
                        if (c < next_.cost(*q)) {
                            next_.set_cost(*q, c);
                            trail_.set(next_.index(*q), idx, uint16_t(step));
                        }
                    }
                continue;
            }
            // A limit stops only a step to a new state.
            if (limits_.max_states && trail_.count() >= limits_.max_states) {
                out.limit = "--max-states " + std::to_string(limits_.max_states);
                continue;
            }
            if (trail_.count() >= max_store_states) {
                out.limit = "the 2^32 state indices";
                continue;
            }
            if (limits_.memory_bytes && bytes_used() + bytes_next_growth(h.h64) > limits_.memory_bytes) {
                out.limit = memory_limit_text();
                continue;
            }
            mark(h);
            const uint32_t child = trail_.push(idx, uint16_t(step));
            const uint64_t q = next_.push(child, price(), next);
            if (cheapest_)
                index_.add(next_, size_, q, h.h64);
            if (auto v = checker_.check_state(next))
                found(child, *v, false, depth_ + 1, true, q);
        }
        if (steps == 0) {
            ++terminals_;
            if (cheapest_ || !out.finding)
                if (auto v = checker_.check_deadlock(s))
                    found(idx, *v, true, depth_, false, pos);
        }
    }

    const M& model_;
    C& checker_;
    Limits limits_;
    Progress& progress_;
    bool cheapest_;
    Mode mode_;
    size_t size_;
    std::chrono::steady_clock::time_point start_;
    const Reduction* reduction_;   // null once partial-order reduction gave up (por_gives_up)
    uint32_t por_gave_up_at_ = 0;
    uint64_t ample_states_ = 0, proviso_full_ = 0;
    std::vector<uint8_t> in_;       // the steps expanded (POR: the ample ones)
    std::unique_ptr<FingerprintShards> fps_;
    std::unique_ptr<BitState> bits_;
    Trail trail_;
    LevelQueue cur_, next_;
    LevelIndex index_;
    std::vector<uint8_t> succ_;     // the successors of the state being expanded
    std::vector<uint8_t> concrete_; // the same before canonicalisation (symmetry reduction only)
    std::vector<Label> labels_;
    std::vector<Hash> hashes_;
    uint64_t transitions_ = 0, terminals_ = 0;
    uint32_t depth_ = 0;
    uint64_t peak_bytes_ = 0;
};

}  // namespace pxc::explorer
