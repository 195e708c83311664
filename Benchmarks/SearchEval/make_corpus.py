#!/usr/bin/env python3
"""The search evaluation's corpus: the King James Bible, one JSON line per chapter.

    make_corpus.py OUT.jsonl [--bible /usr/bin/bible]

Dumps the whole text with the `bible` program of Debian's bible-kjv (data in bible-kjv-text):
`bible -f Gen1:1-Rev22:21` turns pretty-printing off, so every verse comes on one line of its
own behind its reference ("Ge1:1 In the beginning ..."). The program's book abbreviations
("Ge", "1Sm", "SSol", ...) are mapped to full names by their order, which is the canonical
one: exactly 66 books, 1,189 chapters and 31,102 verses, or the script fails.

Each line of OUT is {"id": "John 3", "book": "John", "chapter": 3, "verses": 36,
"text": "..."}, the verses without their numbers, one per line. Standard library only.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys

BOOKS = [
    "Genesis", "Exodus", "Leviticus", "Numbers", "Deuteronomy", "Joshua", "Judges", "Ruth",
    "1 Samuel", "2 Samuel", "1 Kings", "2 Kings", "1 Chronicles", "2 Chronicles", "Ezra",
    "Nehemiah", "Esther", "Job", "Psalms", "Proverbs", "Ecclesiastes", "Song of Solomon",
    "Isaiah", "Jeremiah", "Lamentations", "Ezekiel", "Daniel", "Hosea", "Joel", "Amos",
    "Obadiah", "Jonah", "Micah", "Nahum", "Habakkuk", "Zephaniah", "Haggai", "Zechariah",
    "Malachi",
    "Matthew", "Mark", "Luke", "John", "Acts", "Romans", "1 Corinthians", "2 Corinthians",
    "Galatians", "Ephesians", "Philippians", "Colossians", "1 Thessalonians",
    "2 Thessalonians", "1 Timothy", "2 Timothy", "Titus", "Philemon", "Hebrews", "James",
    "1 Peter", "2 Peter", "1 John", "2 John", "3 John", "Jude", "Revelation",
]
OLD_TESTAMENT = set(BOOKS[:39])
EXPECTED_CHAPTERS = 1189
EXPECTED_VERSES = 31102
VERSE = re.compile(r"^([1-3]?[A-Za-z]+)(\d+):(\d+) (.*)$")


def chapters(bible: str) -> list[dict]:
    dump = subprocess.run([bible, "-f", "Gen1:1-Rev22:21"], check=True, capture_output=True,
                          text=True, encoding="ascii", errors="replace").stdout
    abbreviations: list[str] = []
    out: list[dict] = []
    verses = 0
    for number, line in enumerate(dump.splitlines(), 1):
        if not line.strip():
            continue
        match = VERSE.match(line)
        if not match:
            sys.exit(f"make_corpus.py: line {number} of `{bible} -f` is not a verse: {line[:80]!r}")
        abbreviation, chapter, verse, text = match[1], int(match[2]), int(match[3]), match[4].strip()
        if not abbreviations or abbreviations[-1] != abbreviation:
            if abbreviation in abbreviations:
                sys.exit(f"make_corpus.py: book {abbreviation} comes back at line {number}")
            abbreviations.append(abbreviation)
            if len(abbreviations) > len(BOOKS):
                sys.exit(f"make_corpus.py: more than {len(BOOKS)} books")
        book = BOOKS[len(abbreviations) - 1]
        if not out or out[-1]["book"] != book or out[-1]["chapter"] != chapter:
            if out and out[-1]["book"] == book and chapter != out[-1]["chapter"] + 1:
                sys.exit(f"make_corpus.py: {book} {chapter} follows {out[-1]['id']}")
            out.append({"id": f"{book} {chapter}", "book": book, "chapter": chapter,
                        "testament": "old" if book in OLD_TESTAMENT else "new", "verses": 0, "lines": []})
        current = out[-1]
        if verse != current["verses"] + 1:
            sys.exit(f"make_corpus.py: {current['id']}:{verse} follows verse {current['verses']}")
        current["verses"] = verse
        current["lines"].append(text)
        verses += 1
    if len(abbreviations) != len(BOOKS) or len(out) != EXPECTED_CHAPTERS or verses != EXPECTED_VERSES:
        sys.exit(f"make_corpus.py: got {len(abbreviations)} books, {len(out)} chapters, {verses} verses; "
                 f"expected {len(BOOKS)}, {EXPECTED_CHAPTERS}, {EXPECTED_VERSES}")
    for chapter in out:
        chapter["text"] = "\n".join(chapter.pop("lines"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--bible", default="bible")
    args = parser.parse_args()
    docs = chapters(args.bible)
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for doc in docs:
            f.write(json.dumps(doc, ensure_ascii=False) + "\n")
    os.replace(tmp, args.out)
    words = sum(len(d["text"].split()) for d in docs)
    print(f"make_corpus.py: {len(docs)} chapters, {sum(d['verses'] for d in docs)} verses, {words} words -> {args.out}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
