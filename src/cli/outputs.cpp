#include "cli/outputs.hpp"

#include <filesystem>
#include <system_error>

#include "kernel/error.hpp"

namespace pxc::cli {

namespace {

// The same file, also when one of them does not exist yet.
bool same_file(const std::string& a, const std::string& b)
{
    std::error_code ea, eb;
    const auto ca = std::filesystem::weakly_canonical(a, ea), cb = std::filesystem::weakly_canonical(b, eb);
    return !ea && !eb && ca == cb;
}

}  // namespace

void refuse_inputs_as_outputs(const std::vector<std::string>& outputs, const std::vector<std::string>& inputs)
{
    for (size_t i = 0; i < outputs.size(); ++i) {
        if (outputs[i].empty())
            continue;
        for (const std::string& in : inputs)
            if (same_file(outputs[i], in))
                throw Error(SourceLoc{outputs[i], 0, 0},
                            "is an input of this run (" + in + "): choose another output file");
        for (size_t j = 0; j < i; ++j)
            if (!outputs[j].empty() && same_file(outputs[i], outputs[j]))
                throw Error(SourceLoc{outputs[i], 0, 0}, "is named for two outputs: one would overwrite the other");
    }
}

}  // namespace pxc::cli
