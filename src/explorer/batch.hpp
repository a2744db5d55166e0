// The successors of one state, collected before any is looked up, so that
// the cache misses of their lookups (the table slot, then the stored state
// the slot names) overlap instead of coming one after the other.
#pragma once
#include <xxhash.h>

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "explorer/state_store.hpp"

namespace pxc::explorer {

class SuccessorBatch {
public:
    explicit SuccessorBatch(size_t state_size) : size_(state_size) {}

    // Collects the successors of s (in the model's order); for the flat
    // store, hashes them and prefetches what it will read for them (the
    // tree store looks up only the nodes a step changed, from small tables).
    template <class M, class Store>
    void collect(const M& model, const uint8_t* s, const Store& store)
    {
        n_ = 0;
        model.for_each_successor(s, [&](Label label, const uint8_t* next) {
            if (n_ == labels_.size()) {
                labels_.resize(n_ * 2 + 16);
                hashes_.resize(n_ * 2 + 16);
                bytes_.resize(labels_.size() * size_);
            }
            std::memcpy(bytes_.data() + n_ * size_, next, size_);
            labels_[n_] = label;
            ++n_;
        });
        if constexpr (std::is_same_v<Store, StateStore>) {
            for (size_t i = 0; i < n_; ++i) {
                hashes_[i] = XXH3_64bits(state(i), size_);
                store.prefetch_slot(hashes_[i]);
            }
            for (size_t i = 0; i < n_; ++i)
                store.prefetch_match(hashes_[i]);
        }
    }
    size_t size() const { return n_; }
    const uint8_t* state(size_t i) const { return bytes_.data() + i * size_; }
    Label label(size_t i) const { return labels_[i]; }
    uint64_t hash(size_t i) const { return hashes_[i]; }

private:
    size_t size_;
    size_t n_ = 0;
    std::vector<uint8_t> bytes_;
    std::vector<Label> labels_;
    std::vector<uint64_t> hashes_;
};

}  // namespace pxc::explorer
