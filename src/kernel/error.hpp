// proxycheck::Error: the one exception type for bad user input (a malformed
// scenario, an unknown flag, a bad command line). It carries the place the
// mistake was found, is caught once in main and exits with status 2.
#pragma once
#include <stdexcept>
#include <string>

namespace pxc {

struct SourceLoc {
    std::string file;  // empty when the input is not a file (a command-line option)
    int line = 0;      // 1-based; 0 when unknown
    int column = 0;    // 1-based; 0 when unknown
};

class Error : public std::runtime_error {
public:
    Error(SourceLoc loc, const std::string& message);
    explicit Error(const std::string& message) : Error(SourceLoc{}, message) {}
    const SourceLoc& where() const { return loc_; }
    const std::string& message() const { return message_; }

private:
    SourceLoc loc_;
    std::string message_;
};

// "file:line:column: message", leaving out what is unknown.
std::string format_error(const SourceLoc& loc, const std::string& message);

}  // namespace pxc
