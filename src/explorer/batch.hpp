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

    // Collects the successors of s (in the model's order), hashes them and
    // prefetches what the store will read for them.
    template <class M>
    void collect(const M& model, const uint8_t* s, const StateStore& store)
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
        for (size_t i = 0; i < n_; ++i) {
            hashes_[i] = XXH3_64bits(state(i), size_);
            store.prefetch_slot(hashes_[i]);
        }
        for (size_t i = 0; i < n_; ++i)
            store.prefetch_match(hashes_[i]);
    }
    // Partial-order reduction: moves the ample set the reduction picks to
    // the front (each part keeps the model's order) and returns its size;
    // size() when there is none. The step numbers the searches record are
    // positions in this order, the same for every thread count.
    size_t reduce(const Reduction& r, const uint8_t* s)
    {
        in_.assign(n_, 0);
        if (n_ < 2 || !r.ample(s, n_, labels_.data(), bytes_.data(), in_.data()))
            return n_;
        size_t k = 0;
        for (size_t i = 0; i < n_; ++i)
            k += in_[i] != 0;
        if (k == 0 || k == n_)
            return n_;
        std::vector<uint8_t> bytes(n_ * size_);
        std::vector<Label> labels(n_);
        std::vector<uint64_t> hashes(n_);
        size_t at = 0;
        for (int pass = 1; pass >= 0; --pass)
            for (size_t i = 0; i < n_; ++i)
                if ((in_[i] != 0) == bool(pass)) {
                    std::memcpy(bytes.data() + at * size_, state(i), size_);
                    labels[at] = labels_[i];
                    hashes[at] = hashes_[i];
                    ++at;
                }
        std::memcpy(bytes_.data(), bytes.data(), n_ * size_);
        std::copy(labels.begin(), labels.end(), labels_.begin());
        std::copy(hashes.begin(), hashes.end(), hashes_.begin());
        return k;
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
    std::vector<uint8_t> in_;   // reduce(): the ample marks (bool-sized bytes)
};

}  // namespace pxc::explorer
