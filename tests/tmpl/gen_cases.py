"""gen_cases.py - seeded random-but-valid templates and data for the
differential test (test_tmpl_diff.py).

    gen_cases.py DIALECT N SEED > cases.jsonl

Data follows one schema: every key has one type everywhere (an object
under "o1" always has the same keys), so that a name means the same
thing at every level. Templates are built from the dialect's grammar,
tracking what is in scope so that most names resolve, some do not, and
block tags often stand alone on their lines (the whitespace rules).

Kept out on purpose (the engines are not required to agree there, see
docs/templates.md): lambdas, numbers beyond 2^53, integer-like object
keys (JavaScript orders them first), non-ASCII blanks, and two unescaped
Handlebars values side by side (handlebars.js adds numbers with +).
"""

import json
import random
import sys

STRINGS = ["a", "Ann", "<b>", "x & y", "\"q\"", "it's", "a=b", "`t`",
           "/p/", "", " ", "multi\nline", "café", "€", "0", "tab\there"]
NUMBERS = [0, 1, -3, 42, 7, 0.5, 1.25, -0.1, 100.0, 1e21, 1.5e-7,
           123456789, 3.14159]
TEXTS = ["a", "b", " ", "  ", "\n", "\n", "\n", "x y", "<p>", "\t", "-",
         ".", "\r\n", "=", "&", "'", "end", "\n  "]

# The schema: key -> kind.  Objects and lists of objects have fields.
OBJ_FIELDS = {
    "o1": ["s1", "n1", "b1", "o2"],
    "o2": ["s2", "n2", "b2"],
    "item": ["s1", "n1", "b1", "tags"],
}
ROOT_FIELDS = ["s1", "s2", "s3", "n1", "n2", "b1", "b2", "z", "e", "o1",
               "l1", "tags", "nums", "h"]
KIND = {"s1": "str", "s2": "str", "s3": "str", "n1": "num", "n2": "num",
        "b1": "bool", "b2": "bool", "z": "null", "e": "empty",
        "o1": "obj", "o2": "obj", "l1": "list", "tags": "strlist",
        "nums": "numlist", "h": "map"}


def gen_value(r, key, depth=0):
    kind = KIND[key]
    if kind == "str":
        return r.choice(STRINGS)
    if kind == "num":
        return r.choice(NUMBERS)
    if kind == "bool":
        return r.random() < 0.5
    if kind == "null":
        return None
    if kind == "empty":
        return ""
    if kind == "obj":
        return {f: gen_value(r, f, depth + 1) for f in OBJ_FIELDS[key]}
    if kind == "list":
        return [{f: gen_value(r, f, depth + 1) for f in OBJ_FIELDS["item"]}
                for _ in range(r.choice([0, 1, 2, 3]))]
    if kind == "strlist":
        return [r.choice(STRINGS) for _ in range(r.choice([0, 1, 2, 3]))]
    if kind == "numlist":
        return [r.choice(NUMBERS) for _ in range(r.choice([0, 1, 3]))]
    if kind == "map":
        return {k: r.choice(STRINGS) for k in
                r.sample(["k1", "k2", "k3", "key"], r.choice([0, 1, 2, 3]))}
    raise ValueError(kind)


def gen_data(r):
    d = {}
    for k in ROOT_FIELDS:
        if r.random() < 0.85:
            d[k] = gen_value(r, k)
    return d


class Gen:
    """A template generator for one dialect."""

    def __init__(self, r, dialect):
        self.r = r
        self.d = dialect
        self.partials = {}

    # --- names ---------------------------------------------------------
    def scalar_name(self, scope):
        r = self.r
        fields = scope
        scalars = [f for f in fields if KIND.get(f) in
                   ("str", "num", "bool", "null", "empty")]
        roll = r.random()
        if self.d == "handlebars" and self.bp and r.random() < 0.3:
            # a block parameter in scope (any depth), or a field of it
            names = [(n, f) for frame in self.bp for n, f in frame]
            n, fields = r.choice(names)
            if fields and r.random() < 0.5:
                return n + "." + r.choice(fields + ["missing"])
            return n
        if self.d == "handlebars":
            if roll < 0.08:
                return "this"
            if roll < 0.14 and len(self.stack) > 1:
                up = self.stack[-2]
                s = [f for f in up if KIND.get(f) in ("str", "num")]
                if s:
                    return "../" + r.choice(s)
            if roll < 0.18:
                return "@root." + r.choice(["s1", "n1", "o1.s1", "nope"])
            if roll < 0.22 and self.in_each:
                return r.choice(["@index", "@key", "@first", "@last"])
            if roll < 0.27:
                return "o1." + r.choice(OBJ_FIELDS["o1"][:3] + ["o2.s2"])
            if roll < 0.30:
                return "this." + r.choice(scalars or ["s1"])
        else:
            if roll < 0.10:
                return "."
            if roll < 0.20:
                return "o1." + r.choice(["s1", "n1", "b1", "o2.s2", "o2.n2",
                                         "missing"])
            if roll < 0.28:
                # names from outer scopes: Mustache walks the stack
                outer = [f for sc in self.stack for f in sc
                         if KIND.get(f) in ("str", "num")]
                if outer:
                    return r.choice(outer)
        if roll < 0.35:
            return r.choice(["missing", "nope", "s9"])
        return r.choice(scalars or ["s1"])

    def block_name(self, scope):
        """(name, fields of the new scope or None, kind)."""
        r = self.r
        cands = [f for f in scope if KIND.get(f) in
                 ("obj", "list", "strlist", "numlist", "bool", "str",
                  "num", "null", "empty", "map")]
        if not cands or r.random() < 0.1:
            return r.choice(["missing", "b1", "s1"]), None
        name = r.choice(cands)
        kind = KIND[name]
        if kind == "obj":
            return name, OBJ_FIELDS[name]
        if kind == "list":
            return name, OBJ_FIELDS["item"]
        if kind in ("strlist", "numlist", "map"):
            return name, []
        return name, None

    # --- nodes ---------------------------------------------------------
    def text(self):
        return "".join(self.r.choice(TEXTS) for _ in range(self.r.choice(
            [1, 1, 2, 3])))

    def nl_tag(self, tag):
        """A tag, often alone on its line (with indentation)."""
        r = self.r
        if r.random() < 0.5:
            return "\n" + r.choice(["", " ", "  ", "\t"]) + tag + "\n"
        return tag

    def mus_tag(self, inner):
        o, c = self.delims
        return o + inner + c

    def node(self, depth, scope):
        r = self.r
        roll = r.random()
        if depth >= 4:
            roll = min(roll, 0.5)
        if roll < 0.30:
            return self.text()
        if roll < 0.50:
            return self.interp(scope)
        if roll < 0.55:
            return self.comment()
        if roll < 0.60 and self.partials is not None:
            if self.d == "handlebars" and r.random() < 0.4:
                return self.partial_block(depth, scope)
            return self.partial()
        return self.block(depth, scope)

    def seq(self, depth, scope, n=None):
        if n is None:
            n = self.r.choice([1, 2, 3, 4])
        return "".join(self.node(depth, scope) for _ in range(n))

    def interp(self, scope):
        r = self.r
        name = self.scalar_name(scope)
        if self.d == "handlebars":
            lt = "~" if r.random() < 0.1 else ""
            rt = "~" if r.random() < 0.1 else ""
            if r.random() < 0.05:
                return "{{%slookup o1 \"s1\"%s}}" % (lt, rt)
            form = r.choice(["{{%s%s%s}}", "{{%s%s%s}}", "{{%s{%s}%s}}",
                             "{{%s&%s%s}}", "{{%s %s %s}}"])
            if "{" in form[2:] or "&" in form:
                # handlebars.js joins unescaped values with JavaScript's
                # +: two numbers side by side are added ({{{n}}}{{{n}}}
                # gives 2n). Not a behaviour to copy: keep text between.
                return (form % ("", name, "")) + "|"
            return form % (lt, name, rt)
        form = r.choice(["%s", "%s", "{%s}", "&%s", " %s ", "& %s"])
        inner = form % name
        if inner.startswith("{") and self.delims != ("{{", "}}"):
            inner = "&" + name
        return self.mus_tag(inner)

    def comment(self):
        r = self.r
        if self.d == "handlebars":
            c = r.choice(["{{! note }}", "{{!-- a }} b --}}", "{{!x}}",
                          "{{~! strip ~}}"])
        else:
            c = self.mus_tag(r.choice(["! note ", "!x", "! multi\nline "]))
        return self.nl_tag(c)

    def partial(self):
        r = self.r
        name = r.choice(["p1", "p2"])
        if name not in self.partials:
            self.partials[name] = None  # filled by the caller
        if self.d == "handlebars":
            t = "{{> %s}}" % name
        else:
            t = self.mus_tag("> %s" % name)
        return self.nl_tag(t)

    def partial_block(self, depth, scope):
        """{{#> pb1}}default{{/pb1}}: pb1 exists and renders its
        {{> @partial-block}}; pb0 never exists (the default renders)."""
        r = self.r
        name = r.choice(["pb1", "pb0"])
        if name == "pb1":
            self.partials.setdefault(name, None)
        body = self.seq(depth + 1, scope)
        ws = lambda: "~" if r.random() < 0.08 else ""  # noqa: E731
        return (self.nl_tag("{{%s#> %s%s}}" % (ws(), name, ws())) + body
                + self.nl_tag("{{%s/%s%s}}" % (ws(), name, ws())))

    def block(self, depth, scope):
        r = self.r
        if self.d == "handlebars":
            return self.hbs_block(depth, scope)
        name, inner = self.block_name(scope)
        sigil = r.choice(["#", "#", "^"])
        self.stack.append(inner if inner is not None else scope)
        body = self.seq(depth + 1, inner if (inner is not None and
                                            sigil == "#") else scope)
        self.stack.pop()
        open_t = self.nl_tag(self.mus_tag(sigil + name))
        close_t = self.nl_tag(self.mus_tag("/" + name))
        return open_t + body + close_t

    def hbs_block(self, depth, scope):
        r = self.r
        kind = r.choice(["if", "if", "unless", "each", "each", "with",
                         "plain", "inverse", "chain"])
        name, inner = self.block_name(scope)
        ws = lambda: "~" if r.random() < 0.08 else ""  # noqa: E731
        extra = ""
        if kind == "if" and r.random() < 0.2:
            extra = " includeZero=true"
        if kind in ("if", "unless", "chain"):
            head = "if" if kind == "chain" else kind
            self.stack.append(scope)
            body = self.seq(depth + 1, scope)
            tail = ""
            if kind == "chain":
                n2, _ = self.block_name(scope)
                tail += self.nl_tag("{{%selse if %s%s}}" % (ws(), n2, ws()))
                tail += self.seq(depth + 1, scope)
            if kind == "chain" or r.random() < 0.4:
                tail += self.nl_tag("{{%selse%s}}" % (ws(), ws()))
                tail += self.seq(depth + 1, scope)
            self.stack.pop()
            return (self.nl_tag("{{%s#%s %s%s%s}}" % (ws(), head, name, extra,
                                                      ws()))
                    + body + tail
                    + self.nl_tag("{{%s/%s%s}}" % (ws(), head, ws())))
        if kind in ("each", "with", "plain"):
            new = inner if inner is not None else []
            self.stack.append(new)
            saved = self.in_each
            self.in_each = kind in ("each", "plain") or saved
            params = ""
            if kind != "plain" and r.random() < 0.4:
                # as |a| / as |a b|: names that may shadow fields,
                # helpers or outer parameters
                pool = ["it", "i", "k", "s1", "n1", "length", "x", "v"]
                names = r.sample(pool, r.choice([1, 2, 2, 3]))
                params = " as |%s|" % " ".join(names)
                # the item's fields when it is an object (a list's item
                # or with's object); the second is the index or key
                frame = [(names[0], list(new))] + [(n, []) for n in
                                                   names[1:]]
                self.bp.append(frame)
            body = self.seq(depth + 1, new)
            if params:
                self.bp.pop()
            self.in_each = saved
            tail = ""
            if r.random() < 0.3:
                tail = self.nl_tag("{{else}}") + self.seq(depth + 1, scope)
            self.stack.pop()
            if kind == "plain":
                return (self.nl_tag("{{#%s}}" % name) + body + tail
                        + self.nl_tag("{{/%s}}" % name))
            return (self.nl_tag("{{%s#%s %s%s%s}}" % (ws(), kind, name,
                                                      params, ws()))
                    + body + tail
                    + self.nl_tag("{{%s/%s%s}}" % (ws(), kind, ws())))
        # inverse
        self.stack.append(scope)
        body = self.seq(depth + 1, scope)
        self.stack.pop()
        return (self.nl_tag("{{^%s}}" % name) + body
                + self.nl_tag("{{/%s}}" % name))

    def template(self):
        r = self.r
        self.stack = [ROOT_FIELDS]
        self.in_each = False
        self.bp = []
        self.delims = ("{{", "}}")
        self.partials = {}
        out = self.seq(0, ROOT_FIELDS, r.choice([2, 3, 4, 6]))
        if self.d == "mustache" and r.random() < 0.15:
            # a stretch under other delimiters, then back
            self.delims = ("<%", "%>")
            mid = self.seq(3, ROOT_FIELDS, 2)
            self.delims = ("{{", "}}")
            out += (self.nl_tag("{{=<% %>=}}") + mid
                    + self.nl_tag("<%={{ }}=%>"))
        names = list(self.partials)
        for name in names:
            self.stack = [ROOT_FIELDS]
            self.bp = []
            self.delims = ("{{", "}}")
            saved = self.partials
            self.partials = None  # no partials inside partials
            src = self.seq(3, ROOT_FIELDS, r.choice([1, 2, 3]))
            if name == "pb1":
                # the caller's block, once or twice, maybe inside a
                # block of the partial's own
                pbt = self.nl_tag("{{> @partial-block}}")
                if r.random() < 0.3:
                    pbt = (self.nl_tag("{{#each l1}}") + pbt
                           + self.nl_tag("{{/each}}"))
                src += pbt + self.seq(3, ROOT_FIELDS, r.choice([0, 1]))
                if r.random() < 0.2:
                    src += pbt
            if r.random() < 0.5:
                src += "\n"
            self.partials = saved
            self.partials[name] = src
        return out


def main():
    dialect, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    r = random.Random(seed)
    g = Gen(r, dialect)
    for i in range(n):
        tpl = g.template()
        case = {"id": i, "dialect": dialect, "template": tpl,
                "data": gen_data(r), "partials": dict(g.partials),
                "escape": "none" if r.random() < 0.1 else "html"}
        sys.stdout.write(json.dumps(case) + "\n")


if __name__ == "__main__":
    main()
