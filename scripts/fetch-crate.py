#!/usr/bin/env python3
"""fetch-crate.py NAME VERSION DEST: download a published .crate from crates.io into DEST.

The archive is checked against the sha256 that crates.io's sparse index records for that
version, so a truncated or altered download is refused. Needs no cargo and no registry cache:
this is how scripts/patch-crates.sh obtains a crate on a fresh machine.
"""
import hashlib
import json
import os
import sys
import tempfile
import urllib.request

INDEX = "https://index.crates.io"
DOWNLOADS = "https://static.crates.io/crates"


def index_path(name: str) -> str:
    lower = name.lower()
    if len(lower) <= 2:
        return f"{len(lower)}/{lower}"
    if len(lower) == 3:
        return f"3/{lower[0]}/{lower}"
    return f"{lower[:2]}/{lower[2:4]}/{lower}"


def fetch(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "movie-lattice (scripts/fetch-crate.py)"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()


def checksum(name: str, version: str) -> str:
    for line in fetch(f"{INDEX}/{index_path(name)}").decode().splitlines():
        entry = json.loads(line)
        if entry.get("vers") == version:
            return entry["cksum"]
    sys.exit(f"fetch-crate: {name} {version} is not in the crates.io index")


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    name, version, dest = sys.argv[1:4]
    expected = checksum(name, version)
    data = fetch(f"{DOWNLOADS}/{name}/{name}-{version}.crate")
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        sys.exit(f"fetch-crate: {name} {version}: sha256 {actual} does not match the index's {expected}")
    folder = os.path.dirname(os.path.abspath(dest))
    with tempfile.NamedTemporaryFile(dir=folder, delete=False) as tmp:
        tmp.write(data)
    os.replace(tmp.name, dest)


if __name__ == "__main__":
    main()
