// The property library, properties/*.prop, compiled into the binary so that
// proxycheck needs no data files at run time. library_files.cpp is generated
// at build time by embed_library.py (see src/meson.build).
#pragma once
#include <span>
#include <string_view>

namespace pxc::props {

struct LibraryFile {
    std::string_view name;   // "properties/affinity.prop", as errors name it
    std::string_view text;
};

std::span<const LibraryFile> library_files();

}  // namespace pxc::props
