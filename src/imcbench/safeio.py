"""Writing output files safely: atomically, never over an existing file unless forced, never outside
the output folder.

* :func:`atomic_path` yields a temporary path in the destination's folder; when the block succeeds the
  file is flushed to disk and renamed over the destination (``os.replace``, atomic on POSIX and Windows),
  when it fails the temporary file is removed. A crash or Ctrl-C never leaves a half-written report or
  database under the final name, and the previous version survives until the new one is complete.
* :func:`ensure_writable` is the ``--force`` policy: an existing output is an error unless forced.
* :class:`StagedFolder` does the same for a folder of outputs (figures, tables): files are written into
  a hidden staging folder inside it and moved in only when all of them are complete.
* :func:`safe_join` and :func:`safe_filename` keep names that come from input files (network names,
  layer names, keys of a sweep) inside the output folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import shutil
from pathlib import Path, PurePath
from typing import Iterator

from imcbench.errors import ImcbenchError

TMP_MARK = ".imcbench-tmp"  # temporary files and staging folders carry this in their name
MAX_FILENAME_CHARS = 120  # well below the 255-byte limit of common file systems, leaving room for suffixes
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._+-]+")  # portable file-name characters (POSIX portable set and +)
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}


# --- the --force policy ---------------------------------------------------------------------------------
def ensure_writable(path: str | os.PathLike, force: bool, *, option: str = "output") -> Path:
    """``path`` as a Path if a file may be written there: an existing file only with ``force``.

    Raises :class:`ImcbenchError` for an existing folder (a file was expected) and, without ``force``, for
    an existing file, saying how to proceed. ``option`` names the command-line option in the message.
    """
    path = Path(path)
    if path.is_dir():
        raise ImcbenchError(f"{option} {path}: is a folder; give the path of a file")
    if (path.exists() or path.is_symlink()) and not force:
        raise ImcbenchError(f"{option} {path}: already exists; pass --force to overwrite it or choose another path")
    return path


def check_output_folder(folder: str | os.PathLike, names, force: bool, *, option: str = "output folder") -> Path:
    """Fail early, before any work, if ``folder`` is a file or, without ``force``, holds one of ``names``.

    Nothing is created; :class:`StagedFolder` checks every file again when it moves them in.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ImcbenchError(f"{option} {folder}: is a file, not a folder; give a folder path")
    for name in names:
        ensure_writable(safe_join(folder, name), force, option=option)
    return folder


def ensure_folder(folder: str | os.PathLike, *, option: str = "output folder") -> Path:
    """Create ``folder`` (and its parents) if needed; an existing file of that name is an error."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ImcbenchError(f"{option} {folder}: is a file, not a folder; give a folder path")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImcbenchError(f"{option} {folder}: cannot create the folder ({exc.strerror or exc})") from None
    return folder


# --- atomic writes --------------------------------------------------------------------------------------
@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``, on failure it is removed.

    The temporary name keeps the suffix of ``path`` (writers such as matplotlib pick the format from it).
    Missing parent folders are created. This helper does not apply the ``--force`` policy: call
    :func:`ensure_writable` first.
    """
    path = Path(path)
    parent = ensure_folder(path.parent)
    tmp = parent / f"{TMP_MARK}-{secrets.token_hex(6)}-{safe_filename(path.stem)}{path.suffix}"
    try:
        os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))  # the umask applies, as for open()
    except OSError as exc:
        raise ImcbenchError(f"cannot write {path} ({exc.strerror or exc}); check the folder's permissions") from None
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, path)
        _fsync_folder(parent)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`); returns the path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_path`); returns the path."""
    return atomic_write_bytes(path, text.encode(encoding))


def _fsync(path: Path) -> None:
    """Flush a closed file's data to disk, so that the rename never publishes an empty file."""
    if path.is_dir():
        return
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_folder(folder: Path) -> None:
    """Flush the folder entry of a rename (POSIX); a no-op where folders cannot be opened (Windows)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class StagedFolder:
    """Outputs written into ``folder`` all at once: ``with StagedFolder(out, force) as stage:`` write into
    ``stage.path``; on success every file moves into ``folder`` (``stage.written`` lists them).

    Before anything moves, every destination is checked: none may exist unless ``force``, none may leave
    ``folder`` (see :func:`safe_join`). On any failure nothing moves and the staging folder is removed.
    """

    def __init__(self, folder: str | os.PathLike, force: bool, *, option: str = "output folder"):
        self.folder = Path(folder)
        self.force = force
        self.option = option
        self.path: Path | None = None
        self.written: list[Path] = []

    def __enter__(self) -> "StagedFolder":
        ensure_folder(self.folder, option=self.option)
        self.path = self.folder / f"{TMP_MARK}-{secrets.token_hex(6)}"
        try:
            self.path.mkdir()
        except OSError as exc:
            raise ImcbenchError(f"{self.option} {self.folder}: cannot write into it ({exc.strerror or exc})") from None
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self.written = self._commit()
        finally:
            shutil.rmtree(self.path, ignore_errors=True)

    def _commit(self) -> list[Path]:
        moves = []
        for staged in sorted(self.path.rglob("*")):
            if staged.is_symlink():
                raise ImcbenchError(f"{self.option} {self.folder}: refusing to publish the symbolic link "
                                    f"{staged.relative_to(self.path)}")
            if staged.is_file():
                moves.append((staged, safe_join(self.folder, staged.relative_to(self.path))))
        existing = [dest for _, dest in moves if dest.exists() or dest.is_symlink()]
        if existing and not self.force:
            more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
            raise ImcbenchError(f"{self.option} {self.folder}: {existing[0].name} already exists{more}; pass --force "
                                "to overwrite or choose another folder (nothing was written)")
        for staged, dest in moves:
            if dest.is_dir():
                raise ImcbenchError(f"{self.option} {self.folder}: {dest.name} is a folder; cannot write a file there")
        for staged, dest in moves:
            dest.parent.mkdir(parents=True, exist_ok=True)
            _fsync(staged)
            os.replace(staged, dest)
        _fsync_folder(self.folder)
        return [dest for _, dest in moves]


# --- names and paths from input files -------------------------------------------------------------------
def safe_join(root: str | os.PathLike, relative: str | os.PathLike) -> Path:
    """``root / relative``, refusing anything that would land outside ``root``.

    Refused: absolute paths (and Windows drives), empty paths, ``..`` components, NUL bytes, and paths
    that leave ``root`` through a symbolic link (checked on the resolved path).
    """
    text = os.fspath(relative)
    if not text or "\x00" in text:
        raise ImcbenchError(f"path {text!r}: empty or contains a NUL byte; cannot be used inside {root}")
    rel = PurePath(text)
    if rel.is_absolute() or rel.drive or rel.root or text.startswith(("/", "\\")):
        raise ImcbenchError(f"path {text!r} is absolute; only paths inside the output folder {root} are allowed")
    if any(part == ".." for part in re.split(r"[\\/]", text)):
        raise ImcbenchError(f"path {text!r} contains '..'; only paths inside the output folder {root} are allowed")
    root_path = Path(root)
    candidate = root_path / rel
    if candidate.resolve() == root_path.resolve():
        raise ImcbenchError(f"path {text!r} names the output folder {root} itself, not a file in it")
    if not candidate.resolve().is_relative_to(root_path.resolve()):
        raise ImcbenchError(f"path {text!r} leaves the output folder {root} through a symbolic link")
    return candidate


def safe_filename(name: object, default: str = "unnamed", max_chars: int = MAX_FILENAME_CHARS) -> str:
    """``name`` turned into one portable file name (no folder part), e.g. ``'../../etc/x'`` -> ``'etc_x'``.

    Characters outside ``A-Z a-z 0-9 . _ + -`` become ``_``; dots and underscores at either end
    (hidden files, ``..``) are dropped; Windows device names get a ``_`` prefix; an empty result becomes
    ``default``. A name longer than ``max_chars`` is cut and given a short hash of the full name, so
    distinct long names stay distinct. Different names can map to the same result (``a/b``, ``a_b``):
    callers that need unique files must check for that.
    """
    text = str(name)
    clean = re.sub(r"_+", "_", _UNSAFE_CHARS.sub("_", text)).strip("._")  # edge dots: hidden, '..', Windows
    if not clean or set(clean) <= {"."}:
        clean = default
    if clean.split(".")[0].upper() in _WINDOWS_RESERVED:
        clean = "_" + clean
    if len(clean) > max_chars:
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        clean = clean[: max_chars - 11].rstrip("._") + "_" + digest
    return clean
