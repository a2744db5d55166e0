// A fixed set of threads that run one job at a time: run(fn) calls fn(t)
// for every t below size(), fn(0) on the calling thread, and returns when
// all have returned. The threads live as long as the pool, so a search of
// many short phases starts none per phase, and what a thread keeps for
// itself (the property checker's memo tables, thread_local) stays warm from
// one level to the next.
#pragma once
#include <atomic>
#include <cstdint>
#include <system_error>
#include <thread>
#include <type_traits>
#include <vector>

namespace pxc::explorer {

class ThreadPool {
public:
    // Starts n - 1 threads; fewer when the system refuses (size() says how many run jobs).
    explicit ThreadPool(unsigned n)
    {
        try {
            for (unsigned t = 1; t < n; ++t)
                threads_.emplace_back([this, t] { loop(t); });
        } catch (const std::system_error&) {
        }
    }
    ~ThreadPool()
    {
        quit_ = true;
        gen_.fetch_add(1, std::memory_order_release);
        gen_.notify_all();
        for (std::thread& th : threads_)
            th.join();
    }
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    unsigned size() const { return unsigned(threads_.size()) + 1; }

    // fn(t) must not throw (the caller catches inside fn).
    template <class F>
    void run(F&& fn)
    {
        using Fn = std::remove_reference_t<F>;
        job_ = const_cast<void*>(static_cast<const void*>(&fn));
        call_ = [](void* f, unsigned t) { (*static_cast<Fn*>(f))(t); };
        busy_.store(unsigned(threads_.size()), std::memory_order_relaxed);
        gen_.fetch_add(1, std::memory_order_release);   // publishes job_ and call_
        gen_.notify_all();
        fn(0u);
        for (unsigned b; (b = busy_.load(std::memory_order_acquire)) != 0;)
            busy_.wait(b, std::memory_order_acquire);
    }

private:
    void loop(unsigned t)
    {
        uint64_t seen = 0;
        for (;;) {
            gen_.wait(seen, std::memory_order_acquire);
            seen = gen_.load(std::memory_order_acquire);
            if (quit_)
                return;
            call_(job_, t);
            if (busy_.fetch_sub(1, std::memory_order_acq_rel) == 1)
                busy_.notify_one();
        }
    }

    std::vector<std::thread> threads_;
    std::atomic<uint64_t> gen_{0};   // one more per job (and to quit)
    std::atomic<unsigned> busy_{0};  // threads still in the current job
    void* job_ = nullptr;
    void (*call_)(void*, unsigned) = nullptr;
    bool quit_ = false;
};

}  // namespace pxc::explorer
