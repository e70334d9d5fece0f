"""Writes pyref.jsonl.gz: random strings and what Python makes of them.

Run with the Python and `regex` module of the golden data (Debian bookworm:
python3 3.11, python3-regex 0.1.20221031 = regex 2.5.123):

    /usr/bin/python3 gen_pyref.py

Each line holds a JSON object:
  text      the input (a mix of ASCII, Latin, Greek, Cyrillic, CJK, emoji,
            combining marks, white space of all kinds, HTML references and
            special tokens)
  unescape  html.unescape(text)
  collapse  re.sub(r'\s+', ' ', text.strip()).strip() with the regex module
  lower     text.lower()
  words     simple_tokenizer's pattern (regex, IGNORECASE) findall over
            collapse.lower()
This checks the cleaning steps that follow ftfy, and the pre-tokenizer,
against Python on far more inputs than the golden cases.
"""
import gzip
import html
import html.entities
import json
import random

import regex

PATTERN = regex.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
    regex.IGNORECASE,
)

random.seed(20241025)
NAMES = sorted(html.entities.html5)
POOL = (
    [chr(c) for c in range(0x20, 0x7F)] * 3
    + list("ſİıΣσςΑΩαωäöüßÆæØøÅåÉéÈèÑñ")
    + [chr(c) for c in range(0x80, 0x250)]
    + [chr(c) for c in range(0x370, 0x3FF)]
    + [chr(c) for c in range(0x400, 0x460)]
    + list("\u0300\u0301\u0307\u0345\u00ad\u200b\u200c\u200d\u2019\u2018'.:")
    + list("\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2009\u200a\u2028\u2029\u202f\u205f\u3000\u180e\ufeff")
    + list("東京日本語한국어١٢٣४५६①②½¾²³Ⅻⅳ𝟘𝟙😀👍🏽🇯🇵\U0001fabf")
    + list("<|>&#;")
    + ["<|startoftext|>", "<|endoftext|>", "<|ENDOFTEXT|>", "<|ſtartoftext|>",
       "'s", "'S", "'ſ", "'ll", "'LL", "'re", "'ve", "'m", "'d", "'t"]
)


def random_text():
    parts = []
    for _ in range(random.randint(0, 24)):
        r = random.random()
        if r < 0.08:
            parts.append("&" + random.choice(NAMES) + random.choice(["", ";", "x"]))
        elif r < 0.12:
            digits = "".join(random.choice("0123456789abcdefABCDEF") for _ in range(random.randint(0, 8)))
            parts.append("&#" + random.choice(["", "x", "X"]) + digits + random.choice(["", ";"]))
        else:
            parts.append(random.choice(POOL))
    return "".join(parts)


with gzip.open("pyref.jsonl.gz", "wt", encoding="utf-8") as out:
    for _ in range(1000):
        text = random_text()
        collapse = regex.sub(r"\s+", " ", text.strip()).strip()
        row = {
            "text": text,
            "unescape": html.unescape(text),
            "collapse": collapse,
            "lower": text.lower(),
            "words": PATTERN.findall(collapse.lower()),
        }
        out.write(json.dumps(row) + "\n")
