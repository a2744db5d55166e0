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
    out += message;
    // A control character from the input (a NUL, an escape sequence) is shown, not sent to the terminal.
    std::string shown;
    for (const char c : out) {
        if ((unsigned char)c < 0x20 && c != '\n') {
            static const char hex[] = "0123456789ABCDEF";
            shown += std::string("\\x") + hex[(unsigned char)c >> 4] + hex[c & 15];
        } else {
            shown += c;
        }
    }
    return shown;
}

Error::Error(SourceLoc loc, const std::string& message)
    : std::runtime_error(format_error(loc, message)), loc_(std::move(loc)), message_(message)
{
}

}  // namespace pxc
