#include "trace/svg.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "kernel/error.hpp"

extern char** environ;

namespace pxc::trace {

namespace {

const char* const missing_dot = "--svg needs graphviz's `dot`, which is not installed (apt-get install graphviz); "
                                "--dot FILE writes the graph as DOT text without it";

bool dot_installed()
{
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "";
    for (size_t start = 0; start <= dirs.size();) {
        size_t end = dirs.find(':', start);
        if (end == std::string::npos)
            end = dirs.size();
        const std::string dir = end > start ? dirs.substr(start, end - start) : ".";
        if (access((dir + "/dot").c_str(), X_OK) == 0)
            return true;
        start = end + 1;
    }
    return false;
}

}  // namespace

void require_dot(const std::string& svg_path)
{
    if (!dot_installed())
        throw Error(SourceLoc{svg_path, 0, 0}, missing_dot);
}

void render_svg(const std::string& dot_text, const std::string& svg_path)
{
    const SourceLoc at{svg_path, 0, 0};
    require_dot(svg_path);
    // dot reads the graph from a temporary file: no pipe plumbing, and its
    // error messages (if any) name a real file.
    std::string tmp = (std::filesystem::temp_directory_path() / "proxycheck-XXXXXX.dot").string();
    const int fd = mkstemps(tmp.data(), 4);
    if (fd < 0)
        throw Error(at, "cannot create a temporary file for dot");
    close(fd);
    struct Remove {
        std::string path;
        ~Remove() { std::filesystem::remove(path); }
    } remove{tmp};
    std::ofstream(tmp) << dot_text;

    std::string prog = "dot", fmt = "-Tsvg", o = "-o", out = svg_path;
    char* argv[] = {prog.data(), fmt.data(), o.data(), out.data(), tmp.data(), nullptr};
    pid_t pid;
    const int rc = posix_spawnp(&pid, "dot", nullptr, nullptr, argv, environ);
    if (rc == ENOENT)
        throw Error(at, missing_dot);
    if (rc != 0)
        throw Error(at, "cannot run dot: " + std::string(std::strerror(rc)));
    int status = 0;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error(at, "dot -Tsvg failed (its message is above)");
}

}  // namespace pxc::trace
