"""Step outputs persisted as artifacts through fsspec, so ``resume``/``retrigger`` reuse them.

Formats, by value type:

============================  =======================================================
``polars.DataFrame``          Arrow IPC file (``.arrow``), or Parquet when configured
``polars.LazyFrame``          its query plan (``.plan.json``) with fingerprints of the
                              files it scans, when the store keeps plans and the plan
                              only reads files (:mod:`~metalus_py.state.lazy_plans`);
                              otherwise **streamed** (``sink_ipc``/``sink_parquet``, never
                              collected) to an Arrow IPC or Parquet file. Loaded back as a
                              LazyFrame: the re-planned query, or a scan of the file
``pyarrow.Table``             Arrow IPC file (or Parquet)
JSON values                   ``.json`` (exact ``dict``/``list``/``str``/``int``/finite
                              ``float``/``bool``/``None``, nested; see
                              :func:`~metalus_py.state.summary.is_json_value`)
anything else                 ``.pkl`` (pickle)
``None``                      nothing written: an inline reference
============================  =======================================================

Secrets never reach storage: :class:`~metalus_py.base.secrets.Secret` values become
``***REDACTED***`` in JSON, in pickles and in summaries, and so do secret values inside JSON
strings (``"token-" + password``; see :func:`~metalus_py.base.secrets.redact_secrets`). A plain
``str`` attribute of a pickled object is not inspected.

Writes are atomic: the bytes go to a hidden temporary name (``.<name>.tmp-<uuid>``) in the
target folder, which is then renamed over the final name (``os.replace`` on local disk, which
is atomic; ``fs.mv`` elsewhere, e.g. ``memory://`` or object stores, where a PUT is itself
all-or-nothing). A reader therefore never sees a half-written artifact; temporary files left by
a killed process are ignored and removed by :meth:`ArtifactStore.clean_temp_files`.

An output reference is a JSON dict ``{"url", "format", "$type", "summary"}`` (``"value"``
instead of ``"url"`` for ``format == "inline"``); a step's is
``{"primary": ref, "named": {name: ref}}``.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import re
import uuid
from collections.abc import Callable, Mapping
from typing import IO, Any, Literal

import fsspec
from fsspec.implementations.local import LocalFileSystem

from metalus_py.base.loaded_modules import loaded
from metalus_py.base.secrets import REDACTED, Secret, redact_secrets
from metalus_py.state.errors import ArtifactError, StaleArtifactError
from metalus_py.state.lazy_plans import (
    check_sources,
    fingerprint_sources,
    inspect_plan,
    load_plan,
    plan_document,
)
from metalus_py.state.summary import is_json_value, summarize_value

__all__ = [
    "ArtifactStore",
    "FrameFormat",
    "inline_ref",
    "load_artifact",
    "load_step_output",
    "safe_name",
    "write_artifact",
]

FrameFormat = Literal["arrow", "parquet"]
_TMP_MARK = ".tmp-"
_SAFE = re.compile(r"[A-Za-z0-9._\-()]")


def safe_name(part: str) -> str:
    """Turn an id into one path component that is safe on every filesystem and for fsspec globs.

    ``[``/``]`` become ``(``/``)`` (``Fork1[2]`` → ``Fork1(2)``); every other character outside
    ``A-Z a-z 0-9 . _ -`` (including literal parentheses) becomes ``~XX`` (hex), so distinct
    ids give distinct names. A leading dot is escaped too (no hidden files).
    """
    out = []
    for i, ch in enumerate(part):
        if ch == "[":
            out.append("(")
        elif ch == "]":
            out.append(")")
        elif ch in "()" or not _SAFE.fullmatch(ch) or (i == 0 and ch == "."):
            out.extend(f"~{b:02X}" for b in ch.encode())
        else:
            out.append(ch)
    return "".join(out) or "~"


def inline_ref(value: Any) -> dict[str, Any]:
    """An output reference holding a JSON value itself (nothing written).

    Raises:
        ArtifactError: ``value`` is not a JSON value.
    """
    value = redact_secrets(value)
    if not is_json_value(value):
        raise ArtifactError(f"cannot inline a {type(value).__name__}: not a JSON value")
    return {"format": "inline", "$type": "json", "value": value, "summary": summarize_value(value)}


#: JSON values up to this many characters are stored inline in the output reference.
INLINE_LIMIT = 2048


def _small_json(value: Any) -> bool:
    if value is None:
        return True
    if type(value) in (bool, int, float):
        return is_json_value(value)
    if type(value) is str:
        return len(value) <= INLINE_LIMIT
    if type(value) in (list, dict) and is_json_value(value):
        return len(json.dumps(value)) <= INLINE_LIMIT
    return False


class _RedactingPickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, Secret):
            return (str, (REDACTED,))
        return NotImplemented


Writer = Callable[[IO[bytes]], None]
#: Writes straight to a local path (a streaming sink), where the file-object writer would be slower.
PathWriter = Callable[[str], None]


def _encode_lazy(
    value: Any, frame_format: FrameFormat, lazy_plans: bool
) -> tuple[str, Writer, PathWriter | None, dict[str, Any]]:
    """``(format, writer, local path writer, extra reference fields)`` for a LazyFrame.

    Its plan when allowed and possible, else streamed to a file (never collected); with
    ``lazy_plans`` a streamed file's reference also records the fingerprints of the files its
    plan scans, so it goes stale with them.
    """
    inspection = inspect_plan(value) if lazy_plans else None
    extra: dict[str, Any] = {}
    if inspection is not None:
        try:
            if inspection.plan is not None:
                data = json.dumps(plan_document(inspection)).encode()

                def write_plan(f: IO[bytes]) -> None:
                    f.write(data)

                return "plan", write_plan, None, extra
            if inspection.sources:
                extra["sources"] = fingerprint_sources(inspection.sources)
        except Exception:  # noqa: BLE001 - a source that cannot be fingerprinted: stream, unchecked
            extra = {}
    if frame_format == "parquet":
        return "parquet", lambda f: value.sink_parquet(f), lambda p: value.sink_parquet(p), extra
    return "arrow", lambda f: value.sink_ipc(f), lambda p: value.sink_ipc(p), extra


def _encode(value: Any, frame_format: FrameFormat) -> tuple[str, str, Writer, PathWriter | None]:
    """Choose ``(format, $type, writer, local path writer or None)`` for a value (not a LazyFrame)."""
    pl = loaded("polars")
    if pl is not None and isinstance(value, pl.DataFrame):
        df = value
        if frame_format == "parquet":
            return "parquet", "polars.DataFrame", lambda f: df.write_parquet(f), None
        return "arrow", "polars.DataFrame", lambda f: df.write_ipc(f), None
    pa = loaded("pyarrow")
    if pa is not None and isinstance(value, pa.Table):
        table = value
        if frame_format == "parquet":
            import pyarrow.parquet as pq

            return "parquet", "pyarrow.Table", lambda f: pq.write_table(table, f), None

        def write_ipc(f: IO[bytes]) -> None:
            with pa.ipc.new_file(f, table.schema) as writer:
                writer.write_table(table)

        return "arrow", "pyarrow.Table", write_ipc, None
    clean = redact_secrets(value) if isinstance(value, str | dict | list) else value
    if is_json_value(clean):
        data = json.dumps(clean, ensure_ascii=False).encode()

        def write_json(f: IO[bytes]) -> None:
            f.write(data)

        return "json", "json", write_json, None
    return (
        "pickle", "pickle", lambda f: _RedactingPickler(f, protocol=pickle.HIGHEST_PROTOCOL).dump(value), None
    )


_SUFFIX = {"arrow": ".arrow", "parquet": ".parquet", "json": ".json", "pickle": ".pkl", "plan": ".plan.json"}


def write_artifact(
    value: Any,
    url: str,
    *,
    frame_format: FrameFormat = "arrow",
    storage_options: Mapping[str, Any] | None = None,
    fsync: bool = True,
    lazy_plans: bool = False,
) -> dict[str, Any]:
    """Write one value atomically at ``url`` + a suffix chosen by format.

    Args:
        value: the value (see the module docstring for formats).
        url: fsspec URL of the artifact without suffix (its folder is created).
        frame_format: ``arrow`` (Arrow IPC) or ``parquet`` for frames and tables.
        storage_options: fsspec options for the filesystem.
        fsync: flush a local file to disk before the rename (off for artifacts that are rebuilt
            anyway after a crash; the rename keeps the write atomic for readers either way).
        lazy_plans: store a LazyFrame as its query plan when it only reads files (readers must
            see the same files: off for artifacts read on other hosts); otherwise it is streamed.

    Returns:
        The output reference; ``None`` gives an inline reference and writes nothing.

    Raises:
        ArtifactError: the value could not be encoded or written.
    """
    if value is None:
        return inline_ref(None)
    summary = summarize_value(value)
    pl = loaded("polars")
    extra: dict[str, Any] = {}
    if pl is not None and isinstance(value, pl.LazyFrame):
        kind = "polars.LazyFrame"
        fmt, writer, path_writer, extra = _encode_lazy(value, frame_format, lazy_plans)
    else:
        fmt, kind, writer, path_writer = _encode(value, frame_format)
    fs, path = fsspec.core.url_to_fs(url + _SUFFIX[fmt], **dict(storage_options or {}))
    folder, _, name = path.rpartition("/")
    tmp = f"{folder}/.{name}{_TMP_MARK}{uuid.uuid4().hex}"
    try:
        fs.makedirs(folder, exist_ok=True)
        _write_then_rename(fs, tmp, path, writer, path_writer, fsync=fsync)
    except Exception as exc:
        try:
            if fs.exists(tmp):
                fs.rm(tmp)
        except Exception:  # pragma: no cover - best effort
            pass
        raise ArtifactError(f"cannot write artifact {url}: {type(exc).__name__}: {exc}", url=url) from exc
    return {"url": fs.unstrip_protocol(path), "format": fmt, "$type": kind, "summary": summary, **extra}


def _write_then_rename(
    fs: Any, tmp: str, path: str, writer: Callable[[Any], None], path_writer: Callable[[str], None] | None,
    *, fsync: bool,
) -> None:
    """Write ``tmp`` (by path when the encoder can, e.g. a streamed sink), then rename it to ``path``."""
    if not isinstance(fs, LocalFileSystem):
        with fs.open(tmp, "wb") as f:
            writer(f)
        fs.mv(tmp, path)
        return
    if path_writer is not None:
        path_writer(tmp)
        if fsync:
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
    else:
        with open(tmp, "wb") as f:
            writer(f)
            f.flush()
            if fsync:
                os.fsync(f.fileno())
    os.replace(tmp, path)


def load_artifact(ref: Mapping[str, Any], *, storage_options: Mapping[str, Any] | None = None) -> Any:
    """Read back the value an output reference points at.

    Args:
        ref: an output reference from :func:`write_artifact` or :func:`inline_ref`.
        storage_options: fsspec options for the filesystem.

    Returns:
        A value equal to the one written (a LazyFrame comes back as a LazyFrame over the
        stored data; secrets come back as ``***REDACTED***``).

    Raises:
        StaleArtifactError: a stored query plan reads a file that changed since.
        ArtifactError: the artifact is missing or unreadable.
    """
    fmt = ref.get("format")
    if fmt == "inline":
        return ref.get("value")
    url = ref.get("url")
    if not isinstance(url, str) or fmt not in _SUFFIX:
        raise ArtifactError(f"not an output reference: {dict(ref)!r}")
    if isinstance(ref.get("sources"), dict):
        check_sources(ref["sources"], url=url)
    local = _local_path(url)
    if local is not None and fmt in ("arrow", "parquet") and ref.get("$type") == "polars.LazyFrame":
        if not os.path.exists(local):
            raise ArtifactError(f"artifact {url} is missing (was the artifact folder removed?)", url=url)
        import polars as pl

        return pl.scan_ipc(local) if fmt == "arrow" else pl.scan_parquet(local)
    return _decode(fmt, ref.get("$type"), _read_bytes(url, storage_options), url)


def _read_bytes(url: str, storage_options: Mapping[str, Any] | None) -> bytes:
    try:
        fs, path = fsspec.core.url_to_fs(url, **dict(storage_options or {}))
        data: bytes = fs.cat_file(path)  # no copy: artifacts can be large
        return data
    except FileNotFoundError as exc:
        raise ArtifactError(f"artifact {url} is missing (was the artifact folder removed?)", url=url) from exc
    except Exception as exc:
        raise ArtifactError(f"cannot read artifact {url}: {type(exc).__name__}: {exc}", url=url) from exc


def _decode(fmt: str, kind: Any, data: bytes, url: str) -> Any:
    """The value of an artifact's bytes, by its format and recorded type."""
    if fmt == "plan":
        try:
            document = json.loads(data)
        except ValueError as exc:
            raise ArtifactError(f"cannot read artifact {url}: {exc}", url=url) from exc
        try:
            return load_plan(document, url=url)
        except StaleArtifactError:
            raise
        except Exception as exc:
            raise StaleArtifactError(f"artifact {url}: the plan cannot be loaded: {exc}", url=url) from exc
    if fmt == "json":
        return json.loads(data)
    if fmt == "pickle":
        return pickle.loads(data)
    if kind == "pyarrow.Table":
        import pyarrow as pa

        if fmt == "parquet":
            import pyarrow.parquet as pq

            return pq.read_table(pa.BufferReader(data))
        return pa.ipc.open_file(pa.BufferReader(data)).read_all()
    import polars as pl

    df = pl.read_parquet(io.BytesIO(data)) if fmt == "parquet" else pl.read_ipc(io.BytesIO(data))
    return df.lazy() if kind == "polars.LazyFrame" else df


def _local_path(url: str) -> str | None:
    if url.startswith("file://"):
        return url[len("file://"):]
    return None if "://" in url else url


def load_step_output(
    output_ref: Mapping[str, Any], *, storage_options: Mapping[str, Any] | None = None
) -> tuple[Any, dict[str, Any]]:
    """Read back a step's outputs from ``{"primary": ref, "named": {name: ref}}``.

    Returns:
        ``(primary, named)``.
    """
    primary_ref = output_ref.get("primary")
    primary = None if primary_ref is None else load_artifact(primary_ref, storage_options=storage_options)
    named = {
        name: load_artifact(ref, storage_options=storage_options)
        for name, ref in (output_ref.get("named") or {}).items()
    }
    return primary, named


class ArtifactStore:
    """The artifact folder of one run.

    Args:
        root: fsspec URL of the run's folder (e.g. ``store.default_artifact_root(run_id=...)``
            or ``s3://bucket/metalus/<run_id>``).
        frame_format: ``arrow`` (default) or ``parquet`` for frames and tables.
        storage_options: fsspec options (credentials stay out of output references).
        lazy_plans: keep a LazyFrame that only reads files as its query plan (see
            :func:`write_artifact`); off where the artifacts are read on other hosts.
    """

    def __init__(
        self,
        root: str,
        *,
        frame_format: FrameFormat = "arrow",
        storage_options: Mapping[str, Any] | None = None,
        lazy_plans: bool = False,
    ) -> None:
        if frame_format not in ("arrow", "parquet"):
            raise ValueError(f"frame_format must be 'arrow' or 'parquet', not {frame_format!r}")
        self.root = root.rstrip("/")
        self.frame_format: FrameFormat = frame_format
        self.storage_options = dict(storage_options or {})
        self.lazy_plans = lazy_plans

    def __repr__(self) -> str:
        return f"ArtifactStore({self.root!r}, frame_format={self.frame_format!r})"

    def step_folder(self, *, execution_key: str, pipeline_id: str, step_path: str) -> str:
        """The URL of a step's folder: ``<root>/<execution key>/<pipeline>/<step path>``."""
        return "/".join([self.root, safe_name(execution_key), safe_name(pipeline_id), safe_name(step_path)])

    def persist_step_output(
        self,
        *,
        execution_key: str,
        pipeline_id: str,
        step_path: str,
        primary: Any,
        named: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Write a step's primary return and each named return.

        Files: ``<step folder>/primary.<ext>`` and ``<step folder>/named/<name>.<ext>``; ``None``
        and small JSON values (up to :data:`INLINE_LIMIT` characters) stay inline in the
        reference instead, so a step returning a number or a short string writes no file.

        Returns:
            ``{"primary": ref, "named": {name: ref}}`` for ``StateStore.complete_step``.
        """
        folder = self.step_folder(execution_key=execution_key, pipeline_id=pipeline_id, step_path=step_path)
        refs = {
            "primary": self._persist(primary, url=f"{folder}/primary"),
            "named": {
                str(name): self._persist(value, url=f"{folder}/named/{safe_name(str(name))}")
                for name, value in (named or {}).items()
            },
        }
        return refs

    def _persist(self, value: Any, *, url: str) -> dict[str, Any]:
        return inline_ref(value) if _small_json(value) else self.write(value, url=url)

    def write(self, value: Any, *, url: str) -> dict[str, Any]:
        """Write one value at ``url`` (no suffix); see :func:`write_artifact`."""
        return write_artifact(
            value, url, frame_format=self.frame_format, storage_options=self.storage_options,
            lazy_plans=self.lazy_plans,
        )

    def load(self, ref: Mapping[str, Any]) -> Any:
        """Read one value back; see :func:`load_artifact`."""
        return load_artifact(ref, storage_options=self.storage_options)

    def load_step_output(self, output_ref: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        """Read a step's ``(primary, named)`` back; see :func:`load_step_output`."""
        return load_step_output(output_ref, storage_options=self.storage_options)

    def temp_files(self) -> list[str]:
        """Temporary files under the root (left by a writer killed mid-write)."""
        fs, path = fsspec.core.url_to_fs(self.root, **self.storage_options)
        if not fs.exists(path):
            return []
        return sorted(p for p in fs.find(path) if _TMP_MARK in p.rpartition("/")[2])

    def clean_temp_files(self) -> int:
        """Remove temporary files left by killed writers; returns how many were removed."""
        fs, _ = fsspec.core.url_to_fs(self.root, **self.storage_options)
        leftovers = self.temp_files()
        for path in leftovers:
            fs.rm(path)
        return len(leftovers)
