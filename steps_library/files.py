"""File operations through fsspec URLs (``FileSteps``): list, test, copy, move, delete, read, write.

URLs may be plain local paths, ``file://``, ``memory://`` or any installed fsspec backend.
Copy and move work across filesystems (``memory://`` → local, ``s3://`` → local, ...).
``list_files`` returns URLs in the spelling of its input, ready for a fork over files.
"""

from __future__ import annotations

from typing import Any

from metalus_py.base.exceptions import PipelineException
from metalus_py.steps.contracts import output_schema
from steps_library import _fs


def list_files(
    path: str,
    pattern: str | None = None,
    recursive: bool = False,
    storage_options: dict[str, Any] | None = None,
) -> list[str]:
    """List the files in a directory or matching a glob, sorted, as URLs.

    Args:
        path: a directory URL, or a glob such as ``memory://in/*.csv`` or ``data/**/*.parquet``.
        pattern: a glob applied inside ``path`` (``"*.csv"``); default: every file.
        recursive: with ``pattern`` or a directory, descend into sub-directories.
        storage_options: options for the storage backend.

    Returns:
        File URLs (directories are not listed); empty when nothing matches.
    """
    fs, base = _fs.url_to_fs(path, storage_options)
    if pattern:
        base = _fs.join(base, "**", pattern) if recursive else _fs.join(base, pattern)
    if _fs.has_glob(base):
        found = [item for item in fs.glob(base) if fs.isfile(item)]
    elif fs.isdir(base):
        found = (
            list(fs.find(base))
            if recursive
            else [item for item in fs.ls(base, detail=False) if fs.isfile(item)]
        )
    else:
        found = [base] if fs.isfile(base) else []
    return [_fs.to_url(fs, item, path) for item in sorted(found)]


@output_schema({"type": "boolean"})
def exists(path: str, storage_options: dict[str, Any] | None = None) -> bool:
    """Whether a file or directory exists.

    Args:
        path: the URL to test.
        storage_options: options for the storage backend.
    """
    fs, fs_path = _fs.url_to_fs(path, storage_options)
    return bool(fs.exists(fs_path))


@output_schema({"type": "integer", "minimum": 0})
def get_size(path: str, storage_options: dict[str, Any] | None = None) -> int:
    """The size in bytes of a file (of every file below it, for a directory).

    Args:
        path: the URL of a file or directory.
        storage_options: options for the storage backend.
    """
    fs, fs_path = _fs.url_to_fs(path, storage_options)
    if not fs.exists(fs_path):
        raise PipelineException(f"get_size: '{path}' does not exist")
    return int(fs.du(fs_path, total=True) if fs.isdir(fs_path) else fs.size(fs_path))


def _copy_file(source: str, destination: str, storage_options: dict[str, Any] | None) -> None:
    source_fs, source_path = _fs.url_to_fs(source, storage_options)
    target_fs, target_path = _fs.url_to_fs(destination, storage_options)
    parent = target_path.rsplit("/", 1)[0]
    if parent and parent != target_path:
        target_fs.makedirs(parent, exist_ok=True)
    with source_fs.open(source_path, "rb") as reader, target_fs.open(target_path, "wb") as writer:
        while chunk := reader.read(8 * 1024 * 1024):
            writer.write(chunk)


def copy(
    source: str, destination: str, overwrite: bool = True, storage_options: dict[str, Any] | None = None
) -> list[str]:
    """Copy a file or a directory tree, across filesystems if needed.

    Args:
        source: the URL of a file or directory.
        destination: the target URL (a directory's files keep their relative paths below it).
        overwrite: replace existing files; if false, an existing destination is an error.
        storage_options: options for both storage backends.

    Returns:
        The URLs of the files written.
    """
    source_fs, source_path = _fs.url_to_fs(source, storage_options)
    if not source_fs.exists(source_path):
        raise PipelineException(f"copy: source '{source}' does not exist")
    if not overwrite and exists(destination, storage_options):
        raise PipelineException(f"copy: destination '{destination}' exists and overwrite is false")
    if not source_fs.isdir(source_path):
        _copy_file(source, destination, storage_options)
        return [destination]
    written = []
    root = source_path.rstrip("/")
    for item in sorted(source_fs.find(source_path)):
        target = _fs.join(destination, item[len(root) :])
        _copy_file(_fs.to_url(source_fs, item, source), target, storage_options)
        written.append(target)
    return written


def move(
    source: str, destination: str, overwrite: bool = True, storage_options: dict[str, Any] | None = None
) -> list[str]:
    """Move a file or directory tree (copy, then delete the source; a rename on one filesystem).

    Args:
        source: the URL of a file or directory.
        destination: the target URL.
        overwrite: replace existing files; if false, an existing destination is an error.
        storage_options: options for both storage backends.

    Returns:
        The URLs of the files at the destination.
    """
    source_fs, source_path = _fs.url_to_fs(source, storage_options)
    target_fs, target_path = _fs.url_to_fs(destination, storage_options)
    if not source_fs.exists(source_path):
        raise PipelineException(f"move: source '{source}' does not exist")
    if not overwrite and target_fs.exists(target_path):
        raise PipelineException(f"move: destination '{destination}' exists and overwrite is false")
    if type(source_fs) is type(target_fs) and not source_fs.isdir(source_path):
        parent = target_path.rsplit("/", 1)[0]
        if parent and parent != target_path:
            target_fs.makedirs(parent, exist_ok=True)
        source_fs.mv(source_path, target_path)
        return [destination]
    written = copy(source, destination, True, storage_options)
    source_fs.rm(source_path, recursive=True)
    return written


def delete(
    path: str, recursive: bool = False, missing_ok: bool = True, storage_options: dict[str, Any] | None = None
) -> bool:
    """Delete a file, or a directory with ``recursive``.

    Args:
        path: the URL to delete.
        recursive: allow deleting a directory and everything below it.
        missing_ok: a missing path is not an error.
        storage_options: options for the storage backend.

    Returns:
        Whether something was deleted.
    """
    fs, fs_path = _fs.url_to_fs(path, storage_options)
    if not fs.exists(fs_path):
        if missing_ok:
            return False
        raise PipelineException(f"delete: '{path}' does not exist")
    if fs.isdir(fs_path) and not recursive:
        raise PipelineException(f"delete: '{path}' is a directory; set recursive=true to delete it")
    fs.rm(fs_path, recursive=recursive)
    return True


def make_directories(path: str, storage_options: dict[str, Any] | None = None) -> str:
    """Create a directory and its parents (no error if it exists).

    Args:
        path: the directory URL.
        storage_options: options for the storage backend.
    """
    fs, fs_path = _fs.url_to_fs(path, storage_options)
    fs.makedirs(fs_path, exist_ok=True)
    return path


def read_text(path: str, encoding: str = "utf-8", storage_options: dict[str, Any] | None = None) -> str:
    """Read a whole text file.

    Args:
        path: the file URL.
        encoding: the text encoding.
        storage_options: options for the storage backend.
    """
    fs, fs_path = _fs.url_to_fs(path, storage_options)
    if not fs.isfile(fs_path):
        raise PipelineException(f"read_text: '{path}' is not a file")
    with fs.open(fs_path, "rb") as handle:
        return str(handle.read().decode(encoding))


def write_text(
    content: str, path: str, encoding: str = "utf-8", storage_options: dict[str, Any] | None = None
) -> str:
    """Write text to a file, creating parent directories and replacing an existing file.

    Args:
        content: the text.
        path: the file URL.
        encoding: the text encoding.
        storage_options: options for the storage backend.

    Returns:
        The path written.
    """
    fs, fs_path = _fs.url_to_fs(path, storage_options)
    parent = fs_path.rsplit("/", 1)[0]
    if parent and parent != fs_path:
        fs.makedirs(parent, exist_ok=True)
    with fs.open(fs_path, "wb") as handle:
        handle.write(str(content).encode(encoding))
    return path


class FileSteps:
    """File operations through fsspec URLs (local paths, ``memory://``, any installed backend)."""

    list_files = staticmethod(list_files)
    exists = staticmethod(exists)
    get_size = staticmethod(get_size)
    copy = staticmethod(copy)
    move = staticmethod(move)
    delete = staticmethod(delete)
    make_directories = staticmethod(make_directories)
    read_text = staticmethod(read_text)
    write_text = staticmethod(write_text)
