#include "cli/pictures.hpp"

#include <fstream>

#include "kernel/error.hpp"
#include "trace/dot.hpp"
#include "trace/svg.hpp"

namespace pxc::cli {

namespace {

void write_file(const std::string& path, const std::string& text)
{
    std::ofstream f(path);
    if (!f || !(f << text) || !f.flush())
        throw Error(SourceLoc{path, 0, 0}, "cannot write the picture file");
}

}  // namespace

void write_pictures(const kernel::Model& m, const trace::Trace& tr, const Pictures& p, const std::string& title)
{
    if (!p.dot.empty() || !p.svg.empty()) {
        const std::string graph = trace::wait_for_dot(m, tr.last_state(), title);
        if (!p.dot.empty())
            write_file(p.dot, graph);
        if (!p.svg.empty())
            trace::render_svg(graph, p.svg);
    }
    if (!p.sequence_dot.empty())
        write_file(p.sequence_dot, trace::sequence_dot(m, tr, title));
}

}  // namespace pxc::cli
