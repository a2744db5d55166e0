#include <cstdio>

#include "cli/commands.hpp"
#include "kernel/features.hpp"
#include "props/library.hpp"

namespace pxc::cli {

int cmd_list(const std::string& what, const std::vector<std::string>& property_files)
{
    if (what == "features") {
        for (const FeatureInfo& f : all_features())
            std::printf("%-22s %s%s\n%-22s ref: %s\n", std::string(f.name).c_str(), std::string(f.summary).c_str(),
                        f.modelled ? "" : " [not modelled yet]", "", std::string(f.reference).c_str());
    } else if (what == "baselines") {
        for (const BaselineInfo& b : all_baselines())
            std::printf("%-6s %s\n       %s\n", std::string(b.name).c_str(), b.features.to_string().c_str(),
                        std::string(b.reference).c_str());
    } else {
        const props::Catalog catalog = props::Catalog::with_files(property_files);
        for (const props::Property& p : catalog.all())
            std::printf("%-27s %-9s %s\n%-37s %s\n", p.name.c_str(),
                        p.kind == props::Kind::invariant ? "invariant" : "deadlock", p.description.c_str(), "",
                        p.origin().c_str());
    }
    return 0;
}

}  // namespace pxc::cli
