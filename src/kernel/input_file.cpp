#include "kernel/input_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sys/stat.h>

#include "kernel/error.hpp"

namespace pxc {

std::string read_input_file(const std::string& path, std::string_view what)
{
    const std::string cannot = "cannot read the " + std::string(what) + ": ";
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0)
        throw Error(SourceLoc{path, 0, 0}, cannot + std::strerror(errno));
    if (S_ISDIR(st.st_mode))
        throw Error(SourceLoc{path, 0, 0}, cannot + "it is a folder, not a file");
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!f)
        throw Error(SourceLoc{path, 0, 0}, cannot + std::strerror(errno));
    // Read in pieces, whatever st_size says (a pipe or a device has none).
    std::string text;
    char buf[1 << 16];
    for (;;) {
        const size_t n = std::fread(buf, 1, sizeof buf, f.get());
        text.append(buf, n);
        if (text.size() > max_input_bytes)
            throw Error(SourceLoc{path, 0, 0}, cannot + "larger than " + std::to_string(max_input_bytes >> 20) +
                                                   " MiB, not a proxycheck input");
        if (n < sizeof buf) {
            if (std::ferror(f.get()))
                throw Error(SourceLoc{path, 0, 0}, cannot + std::strerror(errno));
            return text;
        }
    }
}

}  // namespace pxc
