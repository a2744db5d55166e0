#include "trace/text.hpp"

#include <algorithm>

namespace pxc::trace {

namespace {

// Splits text into pieces of at most width characters, at spaces if possible;
// continuation pieces start with `cont` spaces.
std::vector<std::string> wrap(const std::string& text, size_t width, size_t cont = 2)
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
        rest = std::string(cont, ' ') + rest;
    }
    out.push_back(rest);
    return out;
}

std::string pad(const std::string& s, size_t width) { return s.size() >= width ? s : s + std::string(width - s.size(), ' '); }

std::string rstrip(std::string s)
{
    while (!s.empty() && s.back() == ' ')
        s.pop_back();
    return s;
}

// The narration says "M1.owner = B" and the diff "M1.owner: NULL -> B": the
// diff is the one place a field change is shown.
bool restates_a_change(const std::string& action, const std::vector<Change>& changes)
{
    return std::any_of(changes.begin(), changes.end(),
                       [&](const Change& c) { return action == c.field + " = " + c.to; });
}

std::string count(int n, const std::string& one, const std::string& many)
{
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

constexpr size_t gutter = 5;   // step number column

size_t column_width(const kernel::Model& m, const TextOptions& opt)
{
    return std::clamp<size_t>((size_t(opt.width) - gutter) / size_t(m.layout().ncpus), 20, 60);
}

}  // namespace

std::string wrap_lines(const std::string& text, size_t width, const std::string& indent, size_t cont)
{
    std::string out;
    for (const std::string& piece : wrap(text, width - indent.size(), cont))
        out += rstrip(indent + piece) + "\n";
    return out;
}

std::string render_state(const kernel::Model& m, const uint8_t* s, const TextOptions& opt, const std::string& indent)
{
    std::string out;
    for (const std::string& line : describe_state(m, s))
        out += wrap_lines(line, size_t(opt.width), indent);
    return out;
}

std::string render_diagram(const kernel::Model& m, const Trace& tr, const TextOptions& opt)
{
    const int ncpus = m.layout().ncpus;
    const size_t col = column_width(m, opt);
    std::string out;
    std::string head = pad("", gutter);
    for (int c = 0; c < ncpus; ++c)
        head += pad("CPU" + std::to_string(c), col);
    out += rstrip(head) + "\n";

    for (size_t i = 0; i < tr.steps.size(); ++i) {
        const TraceStep& st = tr.steps[i];
        std::vector<std::string> cell = wrap(st.title, col - 1);
        for (const std::string& a : st.actions)
            if (!restates_a_change(a, st.changes))
                for (const std::string& piece : wrap("  " + a, col - 1, 4))
                    cell.push_back(piece);
        if (!opt.full)
            for (const Change& ch : st.changes)
                for (const std::string& piece : wrap("  = " + ch.field + ": " + ch.from + " -> " + ch.to, col - 1, 6))
                    cell.push_back(piece);
        for (size_t row = 0; row < cell.size(); ++row) {
            const std::string num = row == 0 ? std::to_string(i + 1) : "";
            std::string line =
                pad(std::string(gutter - 2 - std::min<size_t>(num.size(), gutter - 2), ' ') + num, gutter);
            line += std::string(size_t(st.cpu) * col, ' ') + cell[row];
            out += rstrip(line) + "\n";
        }
        if (opt.full && i + 1 < tr.states.size())
            out += render_state(m, tr.states[i + 1].data(), opt, std::string(gutter, ' ') + "| ");
    }
    return out;
}

std::string render_text(const kernel::Model& m, const Trace& tr, const TextOptions& opt)
{
    const size_t width = size_t(opt.width);
    std::string out;
    out += wrap_lines("property " + tr.property + " violated: " + tr.message, width);
    out += wrap_lines("model: " + tr.model, width);
    out += wrap_lines("features: " + tr.features, width);
    out += wrap_lines("trace: " + count(int(tr.steps.size()), "step", "steps") + ", " +
                          count(tr.preemptions(), "preemption", "preemptions") + ", " +
                          count(tr.context_switches(), "context switch", "context switches") +
                          (tr.at_terminal ? ", ending in a state with no enabled step" : ""),
                      width);
    out += "\ninitial state:\n" + render_state(m, tr.states.front().data(), opt);
    out += "\n" + render_diagram(m, tr, opt);
    out += "\nstate after step " + std::to_string(tr.steps.size()) + ":\n" + render_state(m, tr.last_state(), opt);
    out += "\n" + wrap_lines("violated: " + tr.property + ": " + tr.message, width);
    return out;
}

}  // namespace pxc::trace
