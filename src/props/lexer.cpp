#include "props/lexer.hpp"

#include <cctype>

#include "kernel/error.hpp"

namespace pxc::props {

namespace {

bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool digit(char c) { return std::isdigit(static_cast<unsigned char>(c)); }

}  // namespace

Lexed lex(std::string_view text, const std::string& file)
{
    Lexed out;
    int line = 1;
    size_t line_start = 0;
    size_t i = 0;
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
                throw Error(SourceLoc{file, line, t.column},
                            std::string("unexpected character '") + c + "'");
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
