// An unlinked temporary file in $TMPDIR (else /tmp), opened at the first
// write: where the lossy modes put what they will read back rarely (the
// trail) or only once, in order (a level's states). It disappears with the
// process, whatever way that ends.
#pragma once
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>

namespace pxc::explorer {

class TempFile {
public:
    TempFile() = default;
    ~TempFile()
    {
        if (fd_ >= 0)
            ::close(fd_);
    }
    TempFile(TempFile&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    TempFile& operator=(TempFile&& o) noexcept
    {
        std::swap(fd_, o.fd_);
        return *this;
    }

    // False when the file cannot be created or written (a full disk, no
    // writable directory): the caller keeps the bytes in memory.
    bool write(const void* p, uint64_t n, uint64_t off)
    {
        if (fd_ < 0 && !open())
            return false;
        const char* c = static_cast<const char*>(p);
        for (uint64_t done = 0; done < n;) {
            const ssize_t w = ::pwrite(fd_, c + done, n - done, off_t(off + done));
            if (w <= 0)
                return false;
            done += uint64_t(w);
        }
        return true;
    }
    // False when fewer than n bytes could be read back.
    bool read(void* p, uint64_t n, uint64_t off) const
    {
        char* c = static_cast<char*>(p);
        for (uint64_t done = 0; done < n;) {
            const ssize_t r = fd_ < 0 ? -1 : ::pread(fd_, c + done, n - done, off_t(off + done));
            if (r <= 0)
                return false;
            done += uint64_t(r);
        }
        return true;
    }

private:
    bool open()
    {
        const char* env = std::getenv("TMPDIR");
        const std::string dir = env && *env ? env : "/tmp";
#ifdef O_TMPFILE
        fd_ = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd_ >= 0)
            return true;
#endif
        std::string name = dir + "/proxycheck-XXXXXX";
        fd_ = ::mkstemp(name.data());
        if (fd_ < 0)
            return false;
        ::unlink(name.c_str());
        return true;
    }
    int fd_ = -1;
};

}  // namespace pxc::explorer
