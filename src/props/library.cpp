#include "props/library.hpp"


#include "kernel/error.hpp"
#include "kernel/input_file.hpp"
#include "props/library_files.hpp"
#include "props/parser.hpp"
#include "props/typecheck.hpp"

namespace pxc::props {

namespace {

const BuiltinProperty* find_builtin(const Decl& d, const SourceLoc& where)
{
    std::string names;
    for (const BuiltinProperty& b : builtin_properties()) {
        if (b.name == d.name) {
            if (b.kind != d.kind)
                throw Error(where, "the built-in property '" + d.name + "' is " +
                                       (b.kind == Kind::invariant ? "an invariant" : "a deadlock property"));
            return &b;
        }
        names += (names.empty() ? "" : ", ") + std::string(b.name);
    }
    throw Error(where, "no built-in C++ property '" + d.name + "' (there are: " + names + ")");
}

}  // namespace

std::string Property::origin() const
{
    if (file.empty())
        return "built-in C++ (src/props/builtin.cpp)";
    return file + ":" + std::to_string(line) + (builtin ? " (built-in C++)" : "");
}

const Catalog& Catalog::standard()
{
    // In the order the top-level meson.build lists the files: the order in
    // which a run checks the properties.
    static const Catalog catalog = [] {
        Catalog c;
        for (const LibraryFile& f : library_files())
            c.add_text(f.text, std::string(f.name));
        for (const BuiltinProperty& b : builtin_properties()) {
            if (c.find(b.name))
                continue;
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
    add_text(read_input_file(path, "property file"), path);
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
        if (d.builtin) {
            p.builtin = find_builtin(d, where);
            if (p.description.empty())
                p.description = std::string(p.builtin->description);
        } else {
            p.decl = std::make_shared<const Decl>(std::move(d));
        }
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
