#include "props/library.hpp"

#include <fstream>
#include <sstream>

#include "kernel/error.hpp"
#include "props/library_files.hpp"
#include "props/parser.hpp"
#include "props/typecheck.hpp"

namespace pxc::props {

std::string Property::origin() const
{
    return builtin ? "built-in C++ (src/props/builtin.cpp)" : file + ":" + std::to_string(line);
}

const Catalog& Catalog::standard()
{
    // Library files first, in the order src/meson.build lists them, then the
    // C++ properties: the order in which a run checks them.
    static const Catalog catalog = [] {
        Catalog c;
        for (const LibraryFile& f : library_files())
            c.add_text(f.text, std::string(f.name));
        for (const BuiltinProperty& b : builtin_properties()) {
            Property p;
            p.name = std::string(b.name);
            p.kind = b.kind;
            p.description = std::string(b.description) + " [" + std::string(b.reference) + "]";
            p.builtin = &b;
            c.add(std::move(p), SourceLoc{});
        }
        return c;
    }();
    return catalog;
}

Catalog Catalog::with_files(const std::vector<std::string>& paths)
{
    Catalog c = standard();
    for (const std::string& path : paths)
        c.add_file(path);
    return c;
}

void Catalog::add_file(const std::string& path)
{
    std::ifstream f(path);
    if (!f)
        throw Error(SourceLoc{path, 0, 0}, "cannot read the property file");
    std::ostringstream text;
    text << f.rdbuf();
    add_text(text.str(), path);
}

void Catalog::add_text(std::string_view text, const std::string& file)
{
    for (Decl& d : parse_properties(text, file)) {
        typecheck(d);
        Property p;
        p.name = d.name;
        p.kind = d.kind;
        p.description = d.description;
        p.file = file;
        p.line = d.line;
        const SourceLoc where{file, d.line, d.column};
        p.decl = std::make_shared<const Decl>(std::move(d));
        add(std::move(p), where);
    }
}

void Catalog::add(Property p, const SourceLoc& where)
{
    if (const Property* old = find(p.name))
        throw Error(where, "property name '" + p.name + "' is already taken: " + old->origin());
    props_.push_back(std::move(p));
}

const Property* Catalog::find(std::string_view name) const
{
    for (const Property& p : props_)
        if (p.name == name)
            return &p;
    return nullptr;
}

}  // namespace pxc::props
