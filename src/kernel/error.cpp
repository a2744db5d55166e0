#include "kernel/error.hpp"

namespace pxc {

std::string format_error(const SourceLoc& loc, const std::string& message)
{
    std::string out;
    if (!loc.file.empty()) {
        out += loc.file;
        if (loc.line > 0) {
            out += ":" + std::to_string(loc.line);
            if (loc.column > 0)
                out += ":" + std::to_string(loc.column);
        }
        out += ": ";
    }
    return out + message;
}

Error::Error(SourceLoc loc, const std::string& message)
    : std::runtime_error(format_error(loc, message)), loc_(std::move(loc)), message_(message)
{
}

}  // namespace pxc
