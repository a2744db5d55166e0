// Tokens of a .prop file. Keywords are identifiers here; the parser and the
// type checker give them meaning. `#` comments are kept with their line so
// that the comment block above a declaration can become its description.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pxc::props {

enum class Tok : uint8_t {
    end, ident, number,
    colon, comma, dot, lparen, rparen, lbrace, rbrace,
    eq, ne, lt, le, gt, ge, arrow,
};

struct Token {
    Tok kind = Tok::end;
    std::string text;
    int64_t value = 0;   // number
    int line = 0, column = 0;
};

struct Comment {
    int line = 0;
    std::string text;    // without the `#` and one following space
};

struct Lexed {
    std::vector<Token> tokens;   // ends with Tok::end
    std::vector<Comment> comments;
};

// Throws Error at file:line:column on a character the language does not use.
Lexed lex(std::string_view text, const std::string& file);

}  // namespace pxc::props
