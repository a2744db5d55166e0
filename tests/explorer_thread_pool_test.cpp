// The lossy searches' thread pool: every part once per job, all done when
// run() returns, and the same thread for a part from job to job (what the
// memo tables rely on to stay warm).
#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "explorer/thread_pool.hpp"

using pxc::explorer::ThreadPool;

TEST_CASE("a thread pool runs every part of a job once, and run() returns only when all are done")
{
    for (unsigned n : {1u, 2u, 3u, 8u}) {
        CAPTURE(n);
        ThreadPool pool(n);
        REQUIRE(pool.size() == n);
        std::vector<std::atomic<unsigned>> calls(n);
        for (unsigned job = 0; job < 500; ++job) {
            std::vector<unsigned> done(n, 0);   // plain: run()'s return must publish the writes
            pool.run([&](unsigned t) {
                calls[t].fetch_add(1, std::memory_order_relaxed);
                done[t] = job + 1;
            });
            for (unsigned t = 0; t < n; ++t)
                REQUIRE(done[t] == job + 1);
        }
        for (unsigned t = 0; t < n; ++t)
            CHECK(calls[t].load() == 500u);
    }
}

TEST_CASE("a thread pool gives a part the same thread, with its thread_local data, from job to job")
{
    ThreadPool pool(4);
    std::vector<std::thread::id> first(4);
    pool.run([&](unsigned t) { first[t] = std::this_thread::get_id(); });
    CHECK(first[0] == std::this_thread::get_id());
    for (unsigned t = 1; t < 4; ++t)
        CHECK(first[t] != first[0]);
    static thread_local unsigned jobs_here = 0;
    std::vector<unsigned> seen(4);
    for (unsigned job = 0; job < 50; ++job)
        pool.run([&](unsigned t) {
            CHECK(std::this_thread::get_id() == first[t]);   // doctest's CHECK is thread-safe
            seen[t] = ++jobs_here;
        });
    for (unsigned t = 1; t < 4; ++t)
        CHECK(seen[t] == 50u);
}
