#include "kernel/state.hpp"

namespace pxc::kernel {

Layout::Layout(int cpus, int tasks, int locks, bool with_ww, bool with_g2)
    : ncpus(cpus), ntasks(tasks), nlocks(locks), ww(with_ww), g2(with_g2)
{
    g2_at = ww ? 14 : 10;
    task_size = g2_at + (g2 ? 1 : 0);
    wait_list_at = ww ? 3 : 2;
    lock_size = size_t(wait_list_at) + size_t(ntasks);
    task_off = 0;
    lock_off = task_off + size_t(ntasks) * task_bytes();
    cpu_off = lock_off + size_t(nlocks) * lock_bytes();
    global_off = cpu_off + size_t(ncpus) * cpu_bytes;
    size = global_off + 2;
}

}  // namespace pxc::kernel
