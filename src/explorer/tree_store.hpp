// Exact mode's compressed visited set, after LTSmin's tree compression
// (Laarman, van de Pol, Weber: "Parallel recursive state compression for
// free", SPIN 2011). The state, padded to 32-bit words, is the leaves of a
// balanced binary tree; every inner node is a pair of its children's values
// (a word at the bottom, else the child's id), interned in a PairTable of
// its own position in the tree, so that a pair met in many states is kept
// once. A state is its root: the root table's id is the state's index, in
// insertion order (the BFS queue, as in the flat store).
//
// What is kept per state, measured on the bundled models (tools beside the
// tests; README "Benchmark"): the root pair (5 bytes: its fields are the
// ids of the two half-state tables, with as many bits as those tables have
// slots), its index entry (4.7 to 5.9 bytes), the path cost (2 bytes, with
// costs on), and the new inner nodes it brought (0.12 per state on
// contention, 0.24 on ww/test-cycle4-1cpu-wound-wait), about 13 to 15 bytes.
// No parent and no label: the path to a state is rebuilt by expanding the
// level above it again (tree_path.hpp), so the store keeps where each BFS
// level begins.
//
// A state's successors differ from it in a few words: insertion starts from
// the tree of the state being expanded (the Cursor that open() filled) and
// looks up only the nodes above a changed word.
#pragma once
#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <utility>
#include <vector>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "explorer/chunks.hpp"
#include "explorer/cost.hpp"
#include "explorer/pair_table.hpp"
#include "explorer/state_store.hpp"

namespace pxc::explorer {

class TreeStore {
public:
    using Put = StateStore::Put;

    // The tree of the state last opened, and room for its successors'.
    struct Cursor {
        explicit Cursor(const TreeStore& s)
            : words(s.words_), ids(s.nodes_.size()), cache(s.nodes_.size() * cache_size)
        {
            room(s, 1);
        }
        void room(const TreeStore& s, size_t n)
        {
            if (n * s.stride_ <= next.size())
                return;
            next.resize(n * s.stride_);
            pairs.resize(n);
            hashes.resize(n);
            changed.resize(n * s.mask_words_);
        }
        std::vector<uint32_t> words, ids;             // of the opened state
        // Per successor (put_nodes(); put() uses the first): its words then
        // its nodes' ids (stride_ values: a node's children are read without
        // asking which kind they are), its root's pair and hash, and which
        // nodes differ from the opened state's (a bit set).
        std::vector<uint32_t> next;
        std::vector<uint64_t> pairs, hashes;
        std::vector<uint64_t> changed;
        // Per inner node below the root, the pairs this cursor looked up
        // last, by hash: the states expanded one after the other are alike,
        // and so are their successors (node ids never change).
        static constexpr unsigned cache_bits = 6;
        static constexpr size_t cache_size = size_t(1) << cache_bits;
        struct Cached {
            uint64_t pair = 0;
            uint32_t id = UINT32_MAX;   // none: ids stay below an index's slots, fewer than 2^32 - 4
        };
        std::vector<Cached> cache;
        std::vector<uint64_t> todo;                     // open()
        std::vector<uint32_t> probe_words, probe_ids;   // contains()
        bool opened = false;
    };

    explicit TreeStore(size_t state_size)
        : size_(state_size), words_(std::max<size_t>(2, (state_size + 3) / 4)), costs_(meter_)
    {
        split(0, unsigned(words_));
        stride_ = words_ + nodes_.size();
        for (Node& n : nodes_) {
            n.left_at = value_at(n.left);
            n.right_at = value_at(n.right);
        }
        mask_words_ = (nodes_.size() + 63) / 64;
        above_.assign(words_ * mask_words_, 0);
        low_.assign(mask_words_, 0);
        for (size_t p = 0; p + 1 < nodes_.size(); ++p)
            if (int(p) != nodes_.back().left && int(p) != nodes_.back().right)
                set(low_.data(), p);
        for (size_t p = 0; p < nodes_.size(); ++p) {
            nodes_[p].table = std::make_unique<PairTable>(meter_, field_bits(nodes_[p].left), field_bits(nodes_[p].right));
            // The nodes above a word: its parent's, and theirs (a parent comes after its children).
            for (int child : {nodes_[p].left, nodes_[p].right})
                for (size_t w = 0; w < words_; ++w)
                    if (child == -1 - int(w) || (child >= 0 && has(&above_[w * mask_words_], size_t(child))))
                        above_[w * mask_words_ + p / 64] |= uint64_t(1) << (p % 64);
        }
    }
    TreeStore(const TreeStore&) = delete;
    TreeStore& operator=(const TreeStore&) = delete;

    size_t state_size() const { return size_; }
    uint64_t count() const { return root().count(); }
    uint64_t lost() const { return root().lost(); }
    void sync_reserved() { root_mut().sync_reserved(); }
    // Inner nodes, roots included, for the statistics.
    uint64_t nodes() const
    {
        uint64_t n = 0;
        for (const Node& node : nodes_)
            n += node.table->count();
        return n;
    }

    // Decodes state i into the cursor (and keeps its tree for insertions).
    // Only the nodes that differ from the state opened before are read:
    // states expanded one after the other share most of their trees.
    const uint8_t* open(uint32_t i, Cursor& c) const
    {
        const size_t root = nodes_.size() - 1;
        c.todo.assign(mask_words_, 0);
        set(c.todo.data(), root);
        c.ids[root] = i;
        for (size_t p = root + 1; p-- > 0;) {
            if (!has(c.todo.data(), p))
                continue;
            const uint64_t pair = nodes_[p].table->pair(c.ids[p]);
            for (const auto& [child, v] : {std::pair{nodes_[p].left, uint32_t(pair >> 32)},
                                            std::pair{nodes_[p].right, uint32_t(pair)}}) {
                if (child < 0) {
                    c.words[size_t(-1 - child)] = v;
                } else if (!c.opened || c.ids[size_t(child)] != v) {
                    c.ids[size_t(child)] = v;
                    set(c.todo.data(), size_t(child));
                }
            }
        }
        c.opened = true;
        // The next state is most likely the next one opened: its root's
        // children come from the two largest tables, ask for them now.
        if (!levels_.empty() && i + 1 < levels_.back()) {
            const uint64_t next = nodes_[root].table->pair(i + 1);
            for (const auto& [child, id] : {std::pair{nodes_[root].left, uint32_t(next >> 32)},
                                             std::pair{nodes_[root].right, uint32_t(next)}})
                if (child >= 0)
                    nodes_[size_t(child)].table->prefetch_pair(id);
        }
        return reinterpret_cast<const uint8_t*>(c.words.data());
    }
    void read(uint32_t i, uint8_t* out) const
    {
        Cursor c(*this);
        std::memcpy(out, open(i, c), size_);
    }

    // A batch: the successors of the opened state (or of none: then every
    // node is looked up), every one's inner nodes below the root stored
    // (put_nodes(), many threads or one; found: done), then each one's root
    // (put_root(), in any order). Only the nodes above a word that differs
    // from the opened state's are looked up, children first, most of them
    // in the cursor's cache or in small tables. The two tables under the
    // root, as large as the number of distinct half states, and the root
    // table miss the caches: their lookups are done for all the successors
    // at once, home slots and pairs prefetched first, so that the misses
    // overlap. A failure (refused, table_full) is the first node's.
    template <class Batch>
    Put put_nodes(const Batch& batch, Cursor& c, const std::atomic<bool>& stop)
    {
        const size_t n = batch.size(), np = nodes_.size(), mw = mask_words_, root = np - 1;
        c.room(*this, n);
        // The nodes below the root's children, one successor after the other.
        for (size_t j = 0; j < n; ++j) {
            uint32_t* words = &c.next[j * stride_];
            std::memcpy(words, batch.state(j), size_);   // the padding stays 0
            std::memcpy(words + words_, c.ids.data(), np * sizeof(uint32_t));
            uint64_t* changed = &c.changed[j * mw];
            std::fill(changed, changed + mw, c.opened ? 0 : ~uint64_t(0));
            if (c.opened)
                for (size_t w0 = 0; w0 < words_; w0 += 64) {
                    uint64_t diff = differing(words + w0, c.words.data() + w0, std::min<size_t>(64, words_ - w0));
                    for (; diff; diff &= diff - 1) {
                        const size_t w = w0 + size_t(std::countr_zero(diff));
                        for (size_t k = 0; k < mw; ++k)
                            changed[k] |= above_[w * mw + k];
                    }
                }
            for (size_t k = 0; k < mw; ++k)
                for (uint64_t m = changed[k] & low_[k]; m; m &= m - 1)   // children before parents
                    if (const Put put = put_node(k * 64 + size_t(std::countr_zero(m)), j, c, stop); put != Put::found)
                        return put;
        }
        // The root's children, then the roots: home slots, the pairs they name, the lookups.
        for (const int child : {nodes_[root].left, nodes_[root].right}) {
            if (child < 0)
                continue;
            const size_t p = size_t(child);
            for (size_t j = 0; j < n; ++j)
                if (has(&c.changed[j * mw], p))
                    nodes_[p].table->prefetch_slot(PairTable::hash(pair_of(p, j, c)));
            for (size_t j = 0; j < n; ++j)
                if (has(&c.changed[j * mw], p))
                    nodes_[p].table->prefetch_match(PairTable::hash(pair_of(p, j, c)));
            for (size_t j = 0; j < n; ++j)
                if (has(&c.changed[j * mw], p))
                    if (const Put put = put_node(p, j, c, stop); put != Put::found)
                        return put;
        }
        for (size_t j = 0; j < n; ++j)
            if (has(&c.changed[j * mw], root)) {
                c.pairs[j] = pair_of(root, j, c);
                c.hashes[j] = PairTable::hash(c.pairs[j]);
                root_mut().prefetch_slot(c.hashes[j]);
            }
        for (size_t j = 0; j < n; ++j)
            if (has(&c.changed[j * mw], root))
                root_mut().prefetch_match(c.hashes[j]);
        return Put::found;
    }
    template <class Fill>
    std::pair<uint32_t, Put> put_root(size_t j, Cursor& c, uint64_t max_count, Fill&& fill,
                                      const std::atomic<bool>& stop)
    {
        if (!has(&c.changed[j * mask_words_], nodes_.size() - 1))
            return {c.ids.back(), Put::found};   // the successor is the opened state itself
        return root_mut().put(c.pairs[j], c.hashes[j], max_count, [&](uint32_t idx) {
            return (!costs_on_ || costs_.ensure(idx, 2, 0, 0)) && fill(idx);
        }, stop);
    }

    // One state: put_nodes() and put_root() of a batch of one.
    template <class Fill>
    std::pair<uint32_t, Put> put(const uint8_t* bytes, Cursor& c, uint64_t max_count, Fill&& fill,
                                 const std::atomic<bool>& stop)
    {
        const Put nodes = put_nodes(One{bytes}, c, stop);
        if (nodes != Put::found)
            return {0, nodes};
        return put_root(0, c, max_count, fill, stop);
    }

    // One thread: inserts unless present; prepare() made room. Throws
    // std::bad_alloc when memory runs out (a state is never half-stored:
    // nodes without a root are only unused).
    std::pair<uint32_t, bool> insert(const uint8_t* bytes, Cursor& c)
    {
        return check(put(bytes, c, max_store_states, [](uint32_t) { return true; }, never()));
    }
    // One thread, the batch's successor j (put_nodes() succeeded).
    std::pair<uint32_t, bool> insert_root(size_t j, Cursor& c)
    {
        return check(put_root(j, c, max_store_states, [](uint32_t) { return true; }, never()));
    }
    // Leaves the cursor's batch as it is.
    bool contains(const uint8_t* bytes, Cursor& c) const
    {
        if (broken_)
            return false;
        c.probe_words.assign(words_, 0);
        c.probe_ids.resize(nodes_.size());
        std::memcpy(c.probe_words.data(), bytes, size_);
        auto value = [&](int child) { return child < 0 ? c.probe_words[size_t(-1 - child)] : c.probe_ids[size_t(child)]; };
        for (size_t p = 0; p < nodes_.size(); ++p) {
            const int64_t id = nodes_[p].table->find(uint64_t(value(nodes_[p].left)) << 32 | value(nodes_[p].right));
            if (id < 0)
                return false;
            c.probe_ids[p] = uint32_t(id);
        }
        return true;
    }
    // One thread: room for n more states (growth and chunks). False when
    // over `limit` (over_limit()) or refused (then throw: out of memory).
    bool prepare(uint64_t n, uint64_t limit)
    {
        if (n <= budget_) {   // the common case: no table near its growth, no chunk missing
            budget_ -= n;
            return true;
        }
        // Room and chunks for the next 256 states or more (a new state adds
        // at most one node to each table): a small table that stopped
        // growing just below its load limit would otherwise end the fast
        // path above after every few expansions.
        const uint64_t ahead = std::max<uint64_t>(n, 256);
        if (wants_growth(ahead)) {
            if (!begin_growth(limit, ahead))
                return false;
            growth_part(0, 1);
            end_growth();
        }
        budget_ = UINT64_MAX;
        for (const Node& node : nodes_) {
            if (!node.table->reserve(ahead, limit))
                return false;
            budget_ = std::min({budget_, node.table->room(), node.table->ready()});
        }
        if (costs_on_) {
            const uint64_t last = count() + ahead;
            for (uint64_t c = count() >> Chunks::chunk_bits; c <= last >> Chunks::chunk_bits; ++c)
                if (!costs_.ensure(c << Chunks::chunk_bits, 2, 0, limit))
                    return false;
            budget_ = std::min(budget_, (((last >> Chunks::chunk_bits) + 1) << Chunks::chunk_bits) - count());
        }
        budget_ = budget_ > n ? budget_ - n : 0;
        return true;
    }

    // Path costs: off unless enabled before the first insert.
    void enable_costs() { costs_on_ = count() == 0 || costs_on_; }
    bool has_costs() const { return costs_on_; }
    PathCost cost(uint32_t i) const { return PathCost(costs_.get(i)); }
    void set_cost(uint32_t i, PathCost c) { costs_.set(i, c); }
    // No parents: the path is found again (tree_path.hpp).
    void set_parent(uint32_t, uint32_t, Label) {}
    void reparent(uint32_t i, uint32_t, Label, PathCost c) { set_cost(i, c); }

    // BFS levels: level d holds the indices [level_start(d), level_start(d + 1)).
    void start_level(uint64_t begin) { levels_.push_back(begin); }
    uint32_t depth_of(uint32_t i) const
    {
        return uint32_t(std::upper_bound(levels_.begin(), levels_.end(), uint64_t(i)) - levels_.begin() - 1);
    }
    uint64_t level_start(uint32_t d) const { return d < levels_.size() ? levels_[d] : count(); }

    // Memory: every byte the store holds (tables, indices, chunks,
    // directories, costs, level starts), now and at its largest.
    uint64_t bytes_used() const { return meter_.now() + levels_.capacity() * sizeof(uint64_t); }
    uint64_t peak_bytes() const { return meter_.peak() + levels_.capacity() * sizeof(uint64_t); }
    bool over_limit() const { return meter_.over_limit(); }
    // An index could not be allocated again after its growth: the store can
    // still be read (open(), costs, levels) but no longer searched.
    bool broken() const { return broken_; }

    // Many threads: put() allocates each table's chunks as its ids come
    // (one chunk holds 4096), so the limit is kept here, before each
    // expansion, with a margin: what the tables can take until the next
    // call, four chunks each. False when over `limit` (0: none).
    bool reserve_ahead(uint64_t, uint64_t limit)
    {
        const uint64_t margin = (nodes_.size() + 1) * 4 * Chunks::bytes_for(sizeof(uint64_t));
        if (limit && bytes_used() + margin > limit) {
            meter_.refuse();
            return false;
        }
        return true;
    }

    // Growth, while no put() runs: begin_growth (one thread), growth_part by
    // each of `parts` threads, end_growth. Due when `extra` more states
    // could fill some index past its load limit. Cheap while none is near.
    bool wants_growth(uint64_t extra) const
    {
        if (count() + extra < check_at_.load(std::memory_order_relaxed))
            return false;
        uint64_t room = UINT64_MAX;
        for (const Node& n : nodes_)
            room = std::min(room, n.table->room());
        check_at_.store(count() + room, std::memory_order_relaxed);
        return extra > room;
    }
    // What the growth begun adds beyond bytes_used(): nothing, the meter
    // has it all (the new indices replace the old ones).
    uint64_t growth_extra_bytes() const { return 0; }
    bool begin_growth(uint64_t limit, uint64_t extra)
    {
        growing_.clear();
        check_at_.store(0, std::memory_order_relaxed);
        budget_ = 0;
        std::vector<uint64_t> slots(nodes_.size());
        uint64_t more = 0, less = 0;
        for (size_t p = 0; p < nodes_.size(); ++p) {
            const PairTable& t = *nodes_[p].table;
            slots[p] = t.wants_growth(extra) ? t.grown_slots(extra) : t.slots();
            if (slots[p] != t.slots()) {
                growing_.push_back(p);
                more += slots[p] * sizeof(uint32_t);
                less += t.slots() * sizeof(uint32_t);
            }
        }
        // Parents first: a child's ids may need wider fields before they come.
        for (Node& n : nodes_) {
            auto bits = [&](int child) { return child < 0 ? 32u : unsigned(std::bit_width(slots[size_t(child)] - 1)); };
            if (!n.table->widen(bits(n.left), bits(n.right), limit))
                return false;
        }
        if (limit && bytes_used() - less + more > limit) {
            meter_.refuse();
            return false;
        }
        for (size_t p : growing_)
            if (!nodes_[p].table->resize_index(slots[p], 0)) {
                broken_ = true;
                return false;
            }
        return true;
    }
    void growth_part(unsigned part, unsigned parts)
    {
        for (size_t p : growing_)
            nodes_[p].table->rebuild_part(part, parts);
    }
    void end_growth() { growing_.clear(); }

    // The parallel search's levels come in the order the threads stored
    // them; once ranked, a level is put into the one-thread order so that a
    // path can be rebuilt as one thread would have found it: begin_reorder,
    // reorder_part(0, ...) by each thread, reorder_part(1, ...) by each,
    // end_reorder. new_index(i) is where state i of [begin, end) goes.
    bool begin_reorder(uint64_t begin, uint64_t end, uint64_t limit)
    {
        reorder_begin_ = begin;
        reorder_n_ = end - begin;
        reorder_bytes_ = reorder_n_ * (sizeof(uint64_t) + 2 * sizeof(uint32_t) + sizeof(PathCost));
        reorder_ = static_cast<uint8_t*>(meter_.alloc(reorder_bytes_, false, limit));
        if (!reorder_)
            return false;
        // The level's pairs move between chunks: all of them get the widest packing first.
        return root_mut().recode(begin, end, limit);
    }
    template <class NewIndex>
    void reorder_part(unsigned step, NewIndex&& new_index, unsigned part, unsigned parts)
    {
        uint64_t* pairs = reinterpret_cast<uint64_t*>(reorder_);
        uint32_t* slots = reinterpret_cast<uint32_t*>(pairs + reorder_n_);
        uint32_t* to = slots + reorder_n_;
        PathCost* costs = reinterpret_cast<PathCost*>(to + reorder_n_);
        PairTable& r = root_mut();
        for (uint64_t k = reorder_n_ * part / parts; k < reorder_n_ * (part + 1) / parts; ++k) {
            const uint32_t i = uint32_t(reorder_begin_ + k);
            if (step == 0) {
                pairs[k] = r.pair(i);
                slots[k] = uint32_t(r.slot_of(i));
                to[k] = new_index(i);
                costs[k] = costs_on_ ? cost(i) : 0;
            } else {
                r.set_pair(to[k], pairs[k]);
                r.repoint(slots[k], to[k]);
                if (costs_on_)
                    set_cost(to[k], costs[k]);
            }
        }
    }
    void end_reorder()
    {
        meter_.free(reorder_, reorder_bytes_);
        reorder_ = nullptr;
    }

private:
    // A node of the tree: its children (>= 0: a node; < 0: word -1 - child).
    struct Node {
        int left, right;
        std::unique_ptr<PairTable> table;
        uint32_t left_at = 0, right_at = 0;   // the children's places in a successor's values
    };
    struct One {   // a batch of one state
        const uint8_t* s;
        size_t size() const { return 1; }
        const uint8_t* state(size_t) const { return s; }
    };
    static const std::atomic<bool>& never()
    {
        static const std::atomic<bool> no{false};
        return no;
    }
    static std::pair<uint32_t, bool> check(std::pair<uint32_t, Put> r)
    {
        if (r.second != Put::found && r.second != Put::inserted)
            throw std::bad_alloc();
        return {r.first, r.second == Put::inserted};
    }

    // Builds the nodes over words [lo, hi), children first (the root
    // last), the left half the larger.
    int split(unsigned lo, unsigned hi)
    {
        if (hi - lo == 1)
            return -1 - int(lo);
        const unsigned mid = lo + (hi - lo + 1) / 2;
        const int l = split(lo, mid), r = split(mid, hi);
        nodes_.push_back(Node{l, r, nullptr});
        return int(nodes_.size()) - 1;
    }
    unsigned field_bits(int child) const
    {
        return child < 0 ? 32u : unsigned(std::bit_width(nodes_[size_t(child)].table->slots() - 1));
    }
    // Bit w set when a[w] != b[w], for n <= 64 words: four at a time where SSE2 is there.
    static uint64_t differing(const uint32_t* a, const uint32_t* b, size_t n)
    {
        uint64_t diff = 0;
        size_t w = 0;
#if defined(__SSE2__)
        for (; w + 4 <= n; w += 4) {
            const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + w));
            const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + w));
            diff |= uint64_t(unsigned(_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(x, y)))) ^ 0xFu) << w;
        }
#endif
        for (; w < n; ++w)
            diff |= uint64_t(a[w] != b[w]) << w;
        return diff;
    }
    static bool has(const uint64_t* bits, size_t p) { return bits[p / 64] >> (p % 64) & 1; }
    static void set(uint64_t* bits, size_t p) { bits[p / 64] |= uint64_t(1) << (p % 64); }
    // Successor j's pair at node p, from its children's words and ids.
    uint64_t pair_of(size_t p, size_t j, const Cursor& c) const
    {
        const uint32_t* v = &c.next[j * stride_];
        return uint64_t(v[nodes_[p].left_at]) << 32 | v[nodes_[p].right_at];
    }
    // Where a child's value lies among a successor's: a word, or after the words a node's id.
    uint32_t value_at(int child) const { return child < 0 ? uint32_t(-1 - child) : uint32_t(words_ + size_t(child)); }
    // Looks up (stores) successor j's node p, through the cursor's cache.
    // found: its id is in the cursor; else the failure.
    Put put_node(size_t p, size_t j, Cursor& c, const std::atomic<bool>& stop)
    {
        const uint64_t pair = pair_of(p, j, c), h = PairTable::hash(pair);
        Cursor::Cached& e = c.cache[p * Cursor::cache_size + (h >> (64 - Cursor::cache_bits))];
        uint32_t& id = c.next[j * stride_ + words_ + p];
        if (e.pair == pair && e.id != UINT32_MAX) {
            id = e.id;
            return Put::found;
        }
        const auto [got, put] = nodes_[p].table->put(pair, h, max_store_states, [](uint32_t) { return true; }, stop);
        if (put != Put::found && put != Put::inserted)
            return put;
        id = got;
        e = {pair, got};
        return Put::found;
    }
    const PairTable& root() const { return *nodes_.back().table; }
    PairTable& root_mut() { return *nodes_.back().table; }

    Meter meter_;
    size_t size_;
    size_t words_;
    std::vector<Node> nodes_;
    size_t stride_ = 0;                          // a successor's values in a Cursor: words_ + nodes
    size_t mask_words_ = 1;                      // 64-bit words of a set of nodes
    std::vector<uint64_t> above_;                // per state word: the nodes above it
    std::vector<uint64_t> low_;                  // the nodes below the root's children
    Chunks costs_;
    bool costs_on_ = false;
    bool broken_ = false;
    std::vector<uint64_t> levels_;
    std::vector<size_t> growing_;
    // Fast paths (see prepare(), wants_growth()).
    uint64_t budget_ = 0;
    mutable std::atomic<uint64_t> check_at_{0};
    uint8_t* reorder_ = nullptr;
    uint64_t reorder_begin_ = 0, reorder_n_ = 0, reorder_bytes_ = 0;
};

}  // namespace pxc::explorer
