// The successors of one state, collected before any is looked up, so that
// the cache misses of their lookups (the table slot, then the stored state
// the slot names) overlap instead of coming one after the other.
#pragma once
#include <xxhash.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "explorer/state_store.hpp"
#include "explorer/types.hpp"

namespace pxc::explorer {

class SuccessorBatch {
public:
    explicit SuccessorBatch(size_t state_size) : size_(state_size) {}

    // Collects the successors of s (in the model's order), canonical when
    // the model reduces by symmetry, hashes them and prefetches what the
    // store will read for them.
    template <class M>
    void collect(const M& model, const uint8_t* s, const StateStore& store)
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
        for (size_t i = 0; i < n_; ++i) {
            hashes_[i] = XXH3_64bits(state(i), size_);
            store.prefetch_slot(hashes_[i]);
        }
        for (size_t i = 0; i < n_; ++i)
            store.prefetch_match(hashes_[i]);
    }
    size_t size() const { return n_; }
    const uint8_t* state(size_t i) const { return bytes_.data() + i * size_; }
    // The successor as the step made it, before canonicalisation: what a
    // step's cost is measured on.
    const uint8_t* concrete(size_t i) const { return (concrete_.empty() ? bytes_ : concrete_).data() + i * size_; }
    Label label(size_t i) const { return labels_[i]; }
    uint64_t hash(size_t i) const { return hashes_[i]; }

private:
    size_t size_;
    size_t n_ = 0;
    std::vector<uint8_t> bytes_;
    std::vector<uint8_t> concrete_;   // with symmetry reduction only
    std::vector<Label> labels_;
    std::vector<uint64_t> hashes_;
};

}  // namespace pxc::explorer
