// The successors of one state, collected before any is looked up, so that
// the cache misses of their lookups (the table slot, then the stored state
// the slot names) overlap instead of coming one after the other.
#pragma once
#include <xxhash.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "explorer/state_store.hpp"
#include "explorer/types.hpp"

namespace pxc::explorer {

class SuccessorBatch {
public:
    explicit SuccessorBatch(size_t state_size) : size_(state_size) {}

    // Collects the successors of s (in the model's order), canonical when
    // the model reduces by symmetry, and, with mark_self_loops, which of
    // them equal s (self_loop()). Hashes nothing: each search hashes with
    // its own function (the flat store: collect(); the lossy modes: their
    // fingerprints).
    template <class M>
    void gather(const M& model, const uint8_t* s, bool mark_self_loops)
    {
        n_ = 0;
        const bool reduce = reduces(model);
        model.for_each_successor(s, [&](Label label, const uint8_t* next) {
            if (n_ == labels_.size()) {
                labels_.resize(n_ * 2 + 16);
                hashes_.resize(n_ * 2 + 16);
                bytes_.resize(labels_.size() * size_);
                if (reduce)
                    concrete_.resize(bytes_.size());
            }
            std::memcpy(bytes_.data() + n_ * size_, next, size_);
            if (reduce) {
                std::memcpy(concrete_.data() + n_ * size_, next, size_);
                canonicalise(model, bytes_.data() + n_ * size_);
            }
            labels_[n_] = label;
            ++n_;
        });
        self_.clear();
        if (mark_self_loops) {
            // A step that leaves the state as it was (a preemption that
            // picks the same task) needs no lookup: it leads back to s.
            self_.resize(n_);
            for (size_t i = 0; i < n_; ++i)
                self_[i] = std::memcmp(state(i), s, size_) == 0;
        }
    }

    // gather(); for the flat store, hashes the successors that are not
    // self-loops and prefetches what their lookups will read (the tree
    // store looks up only the nodes a step changed, from small tables).
    template <class M, class Store>
    void collect(const M& model, const uint8_t* s, const Store& store)
    {
        constexpr bool flat = std::is_same_v<Store, StateStore>;
        gather(model, s, flat);
        if constexpr (flat) {
            for (size_t i = 0; i < n_; ++i) {
                if (self_[i])
                    continue;
                hashes_[i] = XXH3_64bits(state(i), size_);
                store.prefetch_slot(hashes_[i]);
            }
            for (size_t i = 0; i < n_; ++i)
                if (!self_[i])
                    store.prefetch_match(hashes_[i]);
        }
    }
    // Partial-order reduction: moves the ample set the reduction picks to
    // the front (each part keeps the model's order) and returns its size;
    // size() when there is none. The step numbers the searches record are
    // positions in this order, the same for every thread count.
    size_t reduce(const Reduction& r, const uint8_t* s)
    {
        in_.assign(n_, 0);
        // The reduction judges the steps as the model made them (before canonicalisation).
        if (n_ < 2 || !r.ample(s, n_, labels_.data(), concrete(0), in_.data()))
            return n_;
        size_t k = 0;
        for (size_t i = 0; i < n_; ++i)
            k += in_[i] != 0;
        if (k == 0 || k == n_)
            return n_;
        order_.clear();
        for (int pass = 1; pass >= 0; --pass)
            for (size_t i = 0; i < n_; ++i)
                if ((in_[i] != 0) == bool(pass))
                    order_.push_back(i);
        permute(bytes_, size_);
        if (!concrete_.empty())
            permute(concrete_, size_);
        permute(labels_, 1);
        permute(hashes_, 1);
        if (!self_.empty())
            permute(self_, 1);
        return k;
    }
    size_t size() const { return n_; }
    const uint8_t* state(size_t i) const { return bytes_.data() + i * size_; }
    // The successor as the step made it, before canonicalisation: what a
    // step's cost is measured on.
    const uint8_t* concrete(size_t i) const { return (concrete_.empty() ? bytes_ : concrete_).data() + i * size_; }
    // concrete(0), ...: what Reduction::ample() judges.
    const uint8_t* concrete_states() const { return concrete(0); }
    Label label(size_t i) const { return labels_[i]; }
    const Label* labels() const { return labels_.data(); }
    uint64_t hash(size_t i) const { return hashes_[i]; }   // collect() with the flat store
    // Successor i is the state expanded (gather() with mark_self_loops).
    bool self_loop(size_t i) const { return self_[i] != 0; }

private:
    size_t size_;
    size_t n_ = 0;
    std::vector<uint8_t> bytes_;
    std::vector<uint8_t> concrete_;   // with symmetry reduction only
    std::vector<Label> labels_;
    std::vector<uint64_t> hashes_;
    std::vector<uint8_t> self_;   // self_loop(), when marked
    std::vector<uint8_t> in_;   // reduce(): the ample marks (bool-sized bytes)
    std::vector<size_t> order_; // reduce(): the new order of the steps

    // v[i] = old v[order_[i]], for records of `width` elements.
    template <class T>
    void permute(std::vector<T>& v, size_t width)
    {
        std::vector<T> old(v.begin(), v.begin() + std::ptrdiff_t(n_ * width));
        for (size_t i = 0; i < n_; ++i)
            std::copy_n(old.begin() + std::ptrdiff_t(order_[i] * width), width, v.begin() + std::ptrdiff_t(i * width));
    }
};

}  // namespace pxc::explorer
