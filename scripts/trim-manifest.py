#!/usr/bin/env python3
"""trim-manifest.py CARGO_TOML: make a published crate a lean workspace member.

Edits a published (normalised) Cargo.toml in place, keeping what builds the library and the
binaries and dropping what only the crate's own test suite needs:
- the build script (`build = ...` in [package]),
- every [build-dependencies], [dev-dependencies] table (also under [target.'cfg(..)']),
- every [[test]], [[bench]] and [[example]] target.
"""
import argparse
import re

DROPPED_TABLE = re.compile(
    r"^\[\[(test|bench|example)\]\]$"
    r"|^\[(target\.[^\]]*\.)?(build-dependencies|dev-dependencies)(\.[^\]]*)?\]$"
)


def trim(text: str) -> str:
    out: list[str] = []
    keep = True
    section = ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped
            keep = not DROPPED_TABLE.match(stripped)
            if keep:
                out.append(line)
            continue
        if not keep:
            continue
        if section == "[package]" and re.match(r"^\s*build\s*=", line):
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest")
    args = parser.parse_args()
    with open(args.manifest, encoding="utf-8") as f:
        text = f.read()
    with open(args.manifest, "w", encoding="utf-8") as f:
        f.write(trim(text))


if __name__ == "__main__":
    main()
