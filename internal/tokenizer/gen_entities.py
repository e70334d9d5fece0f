# Writes htmlentities_table.go from Python's html.entities.html5 (the WHATWG
# list of named character references):
#
#     python3 gen_entities.py > htmlentities_table.go
import html.entities, sys
def lit(s):
    out = []
    for ch in s:
        c = ord(ch)
        if ch == '"' or ch == '\\':
            out.append('\\' + ch)
        elif 0x20 <= c < 0x7f:
            out.append(ch)
        elif c <= 0xffff:
            out.append('\\u%04x' % c)
        else:
            out.append('\\U%08x' % c)
    return '"' + ''.join(out) + '"'
items = sorted(html.entities.html5.items())
w = sys.stdout.write
w("// Code generated from Python %s html.entities.html5; DO NOT EDIT.\n" % sys.version.split()[0])
w("//\n// The table is the WHATWG list of named character references: each name\n")
w("// with its trailing semicolon, plus the legacy names that browsers (and\n")
w("// Python's html.unescape) also accept without one.\n\n")
w("package tokenizer\n\n")
w("// html5Entities maps an entity name (without the leading '&') to its text.\n")
w("var html5Entities = [...]struct{ name, text string }{\n")
for k, v in items:
    w("\t{%s, %s},\n" % (lit(k), lit(v)))
w("}\n")
