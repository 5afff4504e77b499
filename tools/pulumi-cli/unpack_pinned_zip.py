"""Download a zip, check it against its pinned sha256, and unpack it: Go itself, for ./build.

    python3 unpack_pinned_zip.py URL SHA256 PREFIX DEST

Unpacks the zip's PREFIX/ folder into DEST, which is replaced whole and never left half-written,
and records the sha256 in DEST/.sha256. Exit status 1 means the download failed, 2 that the zip
did not match the pin (it is then discarded unopened), 3 that it could not be unpacked; stderr
then holds one line, the reason. It needs nothing but Python: it runs where Go is missing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath

# A proxy that stops answering must not hang the build; this bounds each read, not the download.
READ_TIMEOUT_SECONDS = 60.0
CHUNK_BYTES = 1 << 20
MARKER = ".sha256"


class Failed(Exception):
    """Carry the exit status and the one-line reason of a failed step."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def download(url: str, into: Path) -> str:
    """Write url's body to into and return its sha256, computed as it arrives."""
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=READ_TIMEOUT_SECONDS) as response, into.open("wb") as out:
            while chunk := response.read(CHUNK_BYTES):
                digest.update(chunk)
                out.write(chunk)
    except urllib.error.HTTPError as err:
        raise Failed(1, f"HTTP {err.code} {err.reason}") from err
    except urllib.error.URLError as err:
        raise Failed(1, str(err.reason)) from err
    except OSError as err:
        raise Failed(1, str(err)) from err
    return digest.hexdigest()


def unpack(archive: Path, prefix: str, into: Path) -> None:
    """Extract the files under prefix/ into the empty folder into, keeping their permission bits."""
    top = PurePosixPath(prefix)
    with zipfile.ZipFile(archive) as zipped:
        for member in zipped.infolist():
            name = PurePosixPath(member.filename)
            if top not in name.parents:
                raise Failed(3, f"{member.filename} lies outside {prefix}/")
            relative = name.relative_to(top)
            if ".." in relative.parts:
                raise Failed(3, f"{member.filename} climbs out of {prefix}/")
            target = into.joinpath(*relative.parts)
            if member.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zipped.open(member) as source, target.open("wb") as out:
                shutil.copyfileobj(source, out, CHUNK_BYTES)
            # Module zips made on Unix carry the mode in the high bits; bin/go must stay executable.
            mode = (member.external_attr >> 16) & 0o777
            target.chmod(mode or 0o644)


def fetch(url: str, sha256: str, prefix: str, dest: Path) -> None:
    """Download url, refuse it unless its sha256 is the pinned one, and unpack it into dest."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=f".{dest.name}-") as scratch:
        archive = Path(scratch) / "download.zip"
        got = download(url, archive)
        if got != sha256.lower():
            raise Failed(2, got)
        staged = Path(scratch) / "unpacked"
        staged.mkdir()
        try:
            unpack(archive, prefix, staged)
        except (OSError, zipfile.BadZipFile) as err:
            raise Failed(3, str(err)) from err
        # Written last: a folder without it is never taken for a checked toolchain.
        (staged / MARKER).write_text(f"{got}\n")
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(staged, dest)


def main(argv: list[str]) -> int:
    """Run fetch on the command line's arguments and turn a failure into its status and reason."""
    if len(argv) != 4:
        print("usage: unpack_pinned_zip.py URL SHA256 PREFIX DEST", file=sys.stderr)
        return 64
    url, sha256, prefix, dest = argv
    try:
        fetch(url, sha256, prefix, Path(dest))
    except Failed as err:
        print(" ".join(str(err).split()), file=sys.stderr)
        return err.status
    except OSError as err:
        print(" ".join(str(err).split()), file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
