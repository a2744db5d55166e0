#include "cli/pictures.hpp"

#include <filesystem>
#include <fstream>

#include "kernel/error.hpp"
#include "trace/dot.hpp"
#include "trace/svg.hpp"

namespace pxc::cli {

namespace {

void write_file(const std::string& path, const std::string& text)
{
    std::ofstream f(path);
    if (!f || !(f << text))
        throw Error(SourceLoc{path, 0, 0}, "cannot write the picture file");
}

}  // namespace

void refuse_inputs_as_outputs(const std::vector<std::string>& outputs, const std::vector<std::string>& inputs)
{
    for (const std::string& out : outputs)
        for (const std::string& in : inputs) {
            std::error_code ec;   // a path that does not exist yet is no input
            if (!out.empty() && std::filesystem::equivalent(out, in, ec))
                throw Error(SourceLoc{out, 0, 0}, "is an input of this run (" + in + "): choose another output file");
        }
}

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
