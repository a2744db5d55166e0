// The catalog of properties a run can check: the library (properties/*.prop,
// embedded in the binary), the built-in C++ properties, and the user's own
// files (--properties). Every file is parsed and type-checked when it is
// added, so a mistake stops the run before anything is explored.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "props/ast.hpp"
#include "props/builtin.hpp"

namespace pxc::props {

struct Property {
    std::string name;
    Kind kind = Kind::invariant;
    std::string description;
    std::string file;                          // where it is declared; empty for an undeclared C++ one
    int line = 0;
    std::shared_ptr<const Decl> decl;          // a .prop expression ...
    const BuiltinProperty* builtin = nullptr;  // ... or a C++ check

    // "properties/affinity.prop:5", "properties/progress.prop:14 (built-in C++)",
    // or "built-in C++ (src/props/builtin.cpp)"
    std::string origin() const;
};

class Catalog {
public:
    // The library, loaded once, in its order (the C++ properties it declares
    // with `builtin` in their places, any others after it).
    static const Catalog& standard();
    // The standard catalog plus the user's property files, in order.
    static Catalog with_files(const std::vector<std::string>& paths);

    // Throws Error (file:line:column) on a syntax or type error, or a name
    // that is already taken.
    void add_file(const std::string& path);
    void add_text(std::string_view text, const std::string& file);

    const Property* find(std::string_view name) const;
    const std::vector<Property>& all() const { return props_; }

private:
    void add(Property p, const SourceLoc& where);
    std::vector<Property> props_;
};

}  // namespace pxc::props
