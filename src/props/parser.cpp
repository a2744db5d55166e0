// Recursive descent over the grammar in parser.hpp, one function per rule.
#include "props/parser.hpp"

#include <algorithm>
#include <array>
#include <map>

#include "kernel/error.hpp"
#include "props/lexer.hpp"

namespace pxc::props {

namespace {

constexpr std::array<std::string_view, 9> keywords{"invariant", "deadlock", "forall", "exists", "in",
                                                   "and",       "or",       "not",    "builtin"};

std::string describe(const Token& t)
{
    return t.kind == Tok::end ? "end of file" : "'" + t.text + "'";
}

class Parser {
public:
    Parser(Lexed lexed, const std::string& file) : toks_(std::move(lexed.tokens)), file_(file)
    {
        for (Comment& c : lexed.comments)
            comments_[c.line] = std::move(c.text);
    }

    std::vector<Decl> file()
    {
        std::vector<Decl> out;
        while (peek().kind != Tok::end)
            out.push_back(decl());
        return out;
    }

private:
    const Token& peek(size_t ahead = 0) const { return toks_[std::min(pos_ + ahead, toks_.size() - 1)]; }
    bool at_word(std::string_view w) const { return peek().kind == Tok::ident && peek().text == w; }
    const Token& take() { return toks_[pos_ < toks_.size() - 1 ? pos_++ : pos_]; }

    [[noreturn]] void fail(const Token& at, const std::string& message) const
    {
        throw Error(SourceLoc{file_, at.line, at.column}, message);
    }
    const Token& expect(Tok kind, const char* what)
    {
        if (peek().kind != kind)
            fail(peek(), std::string("expected ") + what + ", found " + describe(peek()));
        return take();
    }
    std::string name(const char* what)
    {
        const Token& t = peek();
        if (t.kind != Tok::ident)
            fail(t, std::string("expected ") + what + ", found " + describe(t));
        if (is_keyword(t.text))
            fail(t, "'" + t.text + "' is a keyword, not " + what);
        return take().text;
    }
    std::unique_ptr<Expr> node(Op op, const Token& at) { return std::make_unique<Expr>(op, at.line, at.column); }

    // The nesting limit (ast.hpp) is kept twice. On the way down, Level
    // counts the levels around what is parsed next (an operand of `not`,
    // an expression in parentheses, in arguments, after `->` or a
    // quantifier's colon: each a level of the tree), so that the recursion
    // stops before the stack does. On the way up, add() checks the height of
    // each node made, which a loop (`a and b and ...`, `x.f.g`) grows without
    // recursing. Both refuse only what is deeper than max_nesting.
    [[noreturn]] void too_deep(int line, int column) const
    {
        throw Error(SourceLoc{file_, line, column},
                    "expression nested too deeply (more than " + std::to_string(max_nesting) + " levels)");
    }
    class Level {
    public:
        explicit Level(Parser& p) : p_(p)
        {
            if (p_.depth_ == max_nesting)
                p_.too_deep(p_.peek().line, p_.peek().column);
            ++p_.depth_;
        }
        ~Level() { --p_.depth_; }
        Level(const Level&) = delete;
        Level& operator=(const Level&) = delete;

    private:
        Parser& p_;
    };
    // Makes `operand` the next operand of e.
    void add(Expr& e, std::unique_ptr<Expr> operand)
    {
        if (operand->height >= max_nesting)
            too_deep(e.line, e.column);
        e.height = std::max(e.height, operand->height + 1);
        e.args.push_back(std::move(operand));
    }

    // The contiguous block of comment lines ending on the line above `line`.
    std::string description(int line) const
    {
        int first = line;
        while (comments_.count(first - 1))
            --first;
        std::string out;
        for (int l = first; l < line; ++l) {
            const std::string& text = comments_.at(l);
            if (!text.empty())
                out += (out.empty() ? "" : " ") + text;
        }
        return out;
    }

    Decl decl()
    {
        const Token& kw = peek();
        Decl d;
        if (at_word("invariant"))
            d.kind = Kind::invariant;
        else if (at_word("deadlock"))
            d.kind = Kind::deadlock;
        else
            fail(kw, "expected 'invariant' or 'deadlock' to start a property, found " + describe(kw));
        d.description = description(kw.line);
        take();
        d.file = file_;
        d.line = peek().line;
        d.column = peek().column;
        d.name = name("a property name");
        expect(Tok::colon, "':' after the property name");
        if (at_word("builtin")) {
            take();
            d.builtin = true;
        } else {
            d.body = expr();
        }
        if (peek().kind != Tok::end && !at_word("invariant") && !at_word("deadlock"))
            fail(peek(), "expected an operator or the next property, found " + describe(peek()));
        return d;
    }

    std::unique_ptr<Expr> expr()
    {
        const Level level(*this);
        auto left = disj();
        if (peek().kind != Tok::arrow)
            return left;
        auto e = node(Op::implies, take());
        add(*e, std::move(left));
        add(*e, expr());
        return e;
    }

    std::unique_ptr<Expr> chain(Op op, std::string_view word, std::unique_ptr<Expr> (Parser::*operand)())
    {
        auto left = (this->*operand)();
        while (at_word(word)) {
            auto e = node(op, take());
            add(*e, std::move(left));
            add(*e, (this->*operand)());
            left = std::move(e);
        }
        return left;
    }
    std::unique_ptr<Expr> disj() { return chain(Op::or_, "or", &Parser::conj); }
    std::unique_ptr<Expr> conj() { return chain(Op::and_, "and", &Parser::unary); }

    std::unique_ptr<Expr> unary()
    {
        if (at_word("not")) {
            auto e = node(Op::not_, take());
            const Level level(*this);
            add(*e, unary());
            return e;
        }
        if (at_word("forall") || at_word("exists"))
            return quant();
        return cmp();
    }

    // `forall t, u in tasks: body` is `forall t in tasks: forall u in tasks: body`.
    std::unique_ptr<Expr> quant()
    {
        const Token kw = take();
        const Op op = kw.text == "forall" ? Op::forall : Op::exists;
        std::vector<std::pair<Token, std::string>> vars;
        do {
            const Token at = peek();
            vars.emplace_back(at, name("a variable name"));
        } while (peek().kind == Tok::comma && (take(), true));
        if (!at_word("in"))
            fail(peek(), "expected 'in' after the quantified variable, found " + describe(peek()));
        take();
        auto domain = term();
        expect(Tok::colon, "':' after the quantifier's domain");
        auto body = expr();
        for (size_t i = vars.size(); i-- > 0;) {
            auto e = node(op, i == 0 ? kw : vars[i].first);
            e->name = vars[i].second;
            add(*e, i == 0 ? std::move(domain) : clone_domain(*domain));
            add(*e, std::move(body));
            body = std::move(e);
        }
        return body;
    }

    // The domain of `forall t, u in D` is D for each variable; D is a term.
    static std::unique_ptr<Expr> clone_domain(const Expr& d)
    {
        auto e = std::make_unique<Expr>(d.op, d.line, d.column);
        e->name = d.name;
        e->value = d.value;
        e->height = d.height;
        for (const auto& a : d.args)
            e->args.push_back(clone_domain(*a));
        return e;
    }

    std::unique_ptr<Expr> cmp()
    {
        auto left = term();
        Op op;
        switch (peek().kind) {
        case Tok::eq: op = Op::eq; break;
        case Tok::ne: op = Op::ne; break;
        case Tok::lt: op = Op::lt; break;
        case Tok::le: op = Op::le; break;
        case Tok::gt: op = Op::gt; break;
        case Tok::ge: op = Op::ge; break;
        default:
            if (!at_word("in"))
                return left;
            op = Op::in;
        }
        auto e = node(op, take());
        add(*e, std::move(left));
        add(*e, term());
        return e;
    }

    std::unique_ptr<Expr> term()
    {
        auto e = primary();
        while (peek().kind == Tok::dot) {
            auto f = node(Op::field, take());
            const Token at = peek();
            f->name = name("a field name");
            f->line = at.line, f->column = at.column;
            add(*f, std::move(e));
            e = std::move(f);
        }
        return e;
    }

    std::unique_ptr<Expr> primary()
    {
        const Token& t = peek();
        switch (t.kind) {
        case Tok::number: {
            auto e = node(Op::integer, t);
            e->value = take().value;
            return e;
        }
        case Tok::lparen: {
            const Token& open = take();
            auto e = expr();
            expect(Tok::rparen, "')'");
            // the parentheses are a level too (expr()'s Level counted them on the way down)
            if (e->height >= max_nesting)
                too_deep(open.line, open.column);
            ++e->height;
            return e;
        }
        case Tok::lbrace: {
            auto e = node(Op::cpuset, take());
            while (peek().kind != Tok::rbrace) {
                if (!e->args.empty())
                    expect(Tok::comma, "',' or '}' in a set");
                auto n = node(Op::integer, peek());
                n->value = expect(Tok::number, "a CPU number in a set").value;
                add(*e, std::move(n));
            }
            take();
            return e;
        }
        case Tok::ident: {
            auto e = node(Op::name, t);
            e->name = name("an expression");
            if (peek().kind == Tok::lparen) {
                e->op = Op::call;
                take();
                while (peek().kind != Tok::rparen) {
                    if (!e->args.empty())
                        expect(Tok::comma, "',' or ')' in the arguments");
                    add(*e, expr());
                }
                take();
            }
            return e;
        }
        default: fail(t, "expected an expression, found " + describe(t));
        }
    }

    std::vector<Token> toks_;
    size_t pos_ = 0;
    int depth_ = 0;   // Levels open
    std::string file_;
    std::map<int, std::string> comments_;
};

}  // namespace

bool is_keyword(std::string_view word)
{
    for (std::string_view k : keywords)
        if (k == word)
            return true;
    return false;
}

std::vector<Decl> parse_properties(std::string_view text, const std::string& file)
{
    return Parser(lex(text, file), file).file();
}

}  // namespace pxc::props
