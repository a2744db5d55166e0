#include "trace/text.hpp"

#include <algorithm>

namespace pxc::trace {

namespace {

// Splits text into pieces of at most width characters, at spaces if possible.
std::vector<std::string> wrap(const std::string& text, size_t width)
{
    std::vector<std::string> out;
    std::string rest = text;
    while (rest.size() > width) {
        size_t cut = rest.rfind(' ', width);
        if (cut == std::string::npos || cut < width / 2)
            cut = width;
        out.push_back(rest.substr(0, cut));
        rest = rest.substr(cut);
        if (!rest.empty() && rest[0] == ' ')
            rest.erase(0, 1);
        rest = "  " + rest;
    }
    out.push_back(rest);
    return out;
}

std::string pad(const std::string& s, size_t width) { return s.size() >= width ? s : s + std::string(width - s.size(), ' '); }

}  // namespace

std::string render_text(const kernel::Model& m, const Trace& tr, const TextOptions& opt)
{
    const int ncpus = m.layout().ncpus;
    const size_t gutter = 5;
    const size_t col = std::clamp<size_t>((size_t(opt.width) - gutter) / size_t(ncpus), 20, 60);
    std::string out;
    out += "property " + tr.property + " violated: " + tr.message + "\n";
    out += "model: " + tr.model + "\nfeatures: " + tr.features + "\n";
    out += "trace: " + std::to_string(tr.steps.size()) + " steps" +
           (tr.at_terminal ? ", ending in a state with no enabled step" : "") + "\n\n";

    std::string head = pad("", gutter);
    for (int c = 0; c < ncpus; ++c)
        head += pad("CPU" + std::to_string(c), col);
    while (!head.empty() && head.back() == ' ')
        head.pop_back();
    out += head + "\n";

    for (size_t i = 0; i < tr.steps.size(); ++i) {
        const TraceStep& st = tr.steps[i];
        std::vector<std::string> cell;
        for (const std::string& piece : wrap(st.title, col - 1))
            cell.push_back(piece);
        for (const std::string& a : st.actions)
            for (const std::string& piece : wrap("  " + a, col - 1))
                cell.push_back(piece);
        if (opt.changes)
            for (const Change& ch : st.changes)
                for (const std::string& piece : wrap("  = " + ch.field + ": " + ch.from + " -> " + ch.to, col - 1))
                    cell.push_back(piece);
        for (size_t row = 0; row < cell.size(); ++row) {
            std::string num = row == 0 ? std::to_string(i + 1) : "";
            std::string line = pad(std::string(gutter - 2 - std::min<size_t>(num.size(), gutter - 2), ' ') + num, gutter);
            line += std::string(size_t(st.cpu) * col, ' ') + cell[row];
            while (!line.empty() && line.back() == ' ')
                line.pop_back();
            out += line + "\n";
        }
    }
    out += "\nstate after step " + std::to_string(tr.steps.size()) + ":\n";
    for (const std::string& line : describe_state(m, tr.last_state.data()))
        out += "  " + line + "\n";
    out += "\nviolated: " + tr.property + ": " + tr.message + "\n";
    return out;
}

}  // namespace pxc::trace
