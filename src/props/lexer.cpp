#include "props/lexer.hpp"

#include <cctype>
#include <cstdio>

#include "kernel/error.hpp"

namespace pxc::props {

namespace {

bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool digit(char c) { return std::isdigit(static_cast<unsigned char>(c)); }

std::string hex_byte(unsigned char b)
{
    char out[8];
    std::snprintf(out, sizeof out, "\\x%02X", unsigned(b));
    return out;
}

// The character at text[i] for a message: a whole UTF-8 sequence and its
// code point (one byte of it alone would make the message invalid UTF-8);
// a control character, or a byte that starts no valid sequence, as \xNN.
std::string describe_char(std::string_view text, size_t i)
{
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80)
        return "character '" + (b < 0x20 || b == 0x7F ? hex_byte(b) : std::string(1, char(b))) + "'";
    const size_t len = b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xF0 && b <= 0xF4 ? 4 : 0;
    bool valid = len > 0 && i + len <= text.size();
    uint32_t cp = b & (0x7F >> len);
    for (size_t k = 1; valid && k < len; ++k) {
        const auto c = static_cast<unsigned char>(text[i + k]);
        valid = (c & 0xC0) == 0x80;
        cp = cp << 6 | (c & 0x3F);
    }
    // overlong forms, UTF-16 surrogates and values past U+10FFFF are not UTF-8 either
    const uint32_t least = len == 3 ? 0x800 : 0x10000;
    if (!valid || (len > 2 && cp < least) || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return "byte '" + hex_byte(b) + "' (not UTF-8)";
    char code[16];
    std::snprintf(code, sizeof code, "U+%04X", unsigned(cp));
    return "character '" + std::string(text.substr(i, len)) + "' (" + code + ")";
}

}  // namespace

Lexed lex(std::string_view text, const std::string& file)
{
    Lexed out;
    int line = 1;
    size_t line_start = 0;
    size_t i = 0;
    // A UTF-8 byte-order mark, as some editors write one; TOML and JSON inputs accept it too.
    if (text.starts_with("\xEF\xBB\xBF"))
        i = line_start = 3;
    auto column = [&](size_t at) { return int(at - line_start) + 1; };
    while (i < text.size()) {
        const char c = text[i];
        if (c == '\n') {
            ++line;
            line_start = ++i;
            continue;
        }
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
            continue;
        }
        if (c == '#') {
            size_t end = text.find('\n', i);
            if (end == std::string_view::npos)
                end = text.size();
            std::string_view body = text.substr(i + 1, end - i - 1);
            if (!body.empty() && body.front() == ' ')
                body.remove_prefix(1);
            while (!body.empty() && std::isspace(static_cast<unsigned char>(body.back())))
                body.remove_suffix(1);
            out.comments.push_back({line, std::string(body)});
            i = end;
            continue;
        }
        Token t;
        t.line = line;
        t.column = column(i);
        const size_t start = i;
        if (ident_start(c)) {
            while (i < text.size() && ident_char(text[i]))
                ++i;
            t.kind = Tok::ident;
        } else if (digit(c)) {
            while (i < text.size() && digit(text[i])) {
                t.value = t.value * 10 + (text[i] - '0');
                if (t.value > 1'000'000)
                    throw Error(SourceLoc{file, line, t.column}, "number too large");
                ++i;
            }
            if (i < text.size() && ident_char(text[i]))
                throw Error(SourceLoc{file, line, column(i)}, "a name cannot start with a digit");
            t.kind = Tok::number;
        } else {
            const char n = i + 1 < text.size() ? text[i + 1] : '\0';
            auto two = [&](Tok k) { t.kind = k, i += 2; };
            auto one = [&](Tok k) { t.kind = k, i += 1; };
            switch (c) {
            case ':': one(Tok::colon); break;
            case ',': one(Tok::comma); break;
            case '.': one(Tok::dot); break;
            case '(': one(Tok::lparen); break;
            case ')': one(Tok::rparen); break;
            case '{': one(Tok::lbrace); break;
            case '}': one(Tok::rbrace); break;
            case '=':
                if (n != '=')
                    throw Error(SourceLoc{file, line, t.column}, "'=' is not an operator; use '==' to compare");
                two(Tok::eq);
                break;
            case '!':
                if (n != '=')
                    throw Error(SourceLoc{file, line, t.column}, "'!' is not an operator; use 'not' or '!='");
                two(Tok::ne);
                break;
            case '<': n == '=' ? two(Tok::le) : one(Tok::lt); break;
            case '>': n == '=' ? two(Tok::ge) : one(Tok::gt); break;
            case '-':
                if (n != '>')
                    throw Error(SourceLoc{file, line, t.column}, "unexpected '-' (implication is '->')");
                two(Tok::arrow);
                break;
            default:
                throw Error(SourceLoc{file, line, t.column}, "unexpected " + describe_char(text, i));
            }
        }
        t.text = std::string(text.substr(start, i - start));
        out.tokens.push_back(std::move(t));
    }
    Token end;
    end.kind = Tok::end;
    end.line = line;
    end.column = column(i);
    out.tokens.push_back(end);
    return out;
}

}  // namespace pxc::props
