"""The face vector index: exact cosine search, partitioned by UTC day, encrypted on disk.

Layout: ``<home>/index/faces/<YYYY-MM-DD>/<segment>.seg``. A day is a folder of immutable
segments; each `add` writes one new segment (tmp file, fsync, rename), so ingestion
workers never rewrite each other's data and a crash leaves either a whole segment or
none. `compact` merges a day's segments into one; `drop_day` deletes the folder, so
retention forgets a day without rebuilding anything.

Segment file: ``magic (8) | header length (4) | header JSON | sealed payload``. The header
(day, segment name, count, dim) is in clear so counts are cheap to read, and it is bound
into the payload's associated data, so an edited count fails decryption. The payload
(sighting ids, then the (N, D) float32 unit vectors from a 64-byte boundary) is sealed
with `Cipher.encrypt_large`: no embedding byte ever lies on disk in clear.

Why exact search (numpy matrix products) and no ANN graph: see
docs/benchmarks.md. In short, per-day flat search over 1M faces answers 1 to
10 patients in tens of milliseconds with recall 1.0, needs no build, and its segments are
plain vectors that any ANN library can load later behind the same `VectorIndex` protocol.

The database is the truth; this index is derived from it. `reconcile` rebuilds any day
whose count disagrees with the database (crash between DB commit and index write, a
purge interrupted halfway) and drops days the database no longer has.
"""

from __future__ import annotations

import itertools
import json
import math
import mmap
import os
import re
import secrets
import shutil
import struct
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, overload

import numpy as np
from numpy.typing import NDArray

from cctrace.core.errors import CorruptDataError, InputError
from cctrace.core.types import FloatArray
from cctrace.store.crypto import Cipher, large_key_ids, overwrite_and_unlink
from cctrace.store.records import DayFaces

MAGIC = b"CCTFIDX1"
SEGMENT_SUFFIX = ".seg"
DEFAULT_DIM = 128
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HLEN = struct.Struct("<I")
_IDS_LEN = struct.Struct("<Q")
_NEWLINE = ord("\n")
_LOAD_THREADS = max(2, min(4, os.cpu_count() or 2))  # days decrypted at once by `prefetch`
_SEARCH_BLOCK = 1 << 20  # vectors per matrix product: bounds the (Q, block) score matrix
STALE_TMP_S = 3600.0
"""A segment's temporary file older than this is a crashed write's leftover."""


@dataclass(frozen=True)
class Match:
    """One search hit: cosine similarity in [-1, 1] between the query and the stored face."""

    sighting_id: str
    similarity: float


@dataclass(frozen=True)
class ScoreStats:
    """Every score one query got in a search, summarised: how many faces were compared,
    and the sum and sum of squares of their cosines. Nearly every face of a city's index
    is someone else's, so this is the query's impostor distribution; summaries of
    several searches add up (`plus`)."""

    count: int = 0
    total: float = 0.0
    total_sq: float = 0.0

    def plus(self, other: ScoreStats) -> ScoreStats:
        return ScoreStats(
            self.count + other.count, self.total + other.total, self.total_sq + other.total_sq
        )

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0

    @property
    def std(self) -> float:
        if self.count < 2:
            return 0.0
        var = (self.total_sq - self.total * self.total / self.count) / (self.count - 1)
        return math.sqrt(max(var, 0.0))


@dataclass(frozen=True)
class ReconcileReport:
    rebuilt: list[str]
    dropped: list[str]


class FaceSource(Protocol):
    """What the index is rebuilt from: the store (`cctrace.store.repository.Store`)."""

    def face_counts_by_day(self) -> dict[str, int]: ...

    def day_faces(self, day: str) -> DayFaces: ...


class VectorIndex(Protocol):
    """Face search by day; swappable for an ANN or a server backend."""

    def add(self, day: str, sighting_ids: Sequence[str], embeddings: FloatArray) -> None: ...

    def search(
        self,
        queries: FloatArray,
        days: Sequence[str],
        k: int,
        min_similarity: float | None = None,
    ) -> list[list[Match]]: ...

    def search_with_stats(
        self,
        queries: FloatArray,
        days: Sequence[str],
        k: int,
        min_similarity: float | None = None,
    ) -> tuple[list[list[Match]], list[ScoreStats]]: ...

    def prefetch(self, days: Sequence[str]) -> None: ...

    def drop_day(self, day: str) -> int: ...

    def days(self) -> list[str]: ...

    def count(self, day: str) -> int: ...

    def reconcile(self, source: FaceSource) -> ReconcileReport: ...


@dataclass
class _LoadedDay:
    segments: tuple[str, ...]
    ids: Sequence[str]
    vectors: NDArray[np.float32] = field(repr=False)


class _SegmentIds(Sequence[str]):
    """A segment's sighting ids, decoded one at a time as search hits need them: a day holds
    hundreds of thousands, and decoding them all took longer than decrypting the day."""

    def __init__(self, buffer: bytearray, start: int, length: int) -> None:
        raw = np.frombuffer(buffer, np.uint8, count=length, offset=start)
        self._raw = raw
        newlines = np.flatnonzero(raw == _NEWLINE)
        self._ends = np.append(newlines, length) if length else np.zeros(0, np.intp)

    def __len__(self) -> int:
        return len(self._ends)

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> list[str]: ...

    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        start = int(self._ends[i - 1]) + 1 if i else 0
        return self._raw[start : int(self._ends[i])].tobytes().decode()


class FlatFaceIndex:
    """Exact inner-product search over L2-normalised vectors, one folder per UTC day.

    Loaded days are cached in memory (decrypted) up to ``max_cached_days``, and reloaded
    when their segment list changes on disk (another process added to them).
    """

    def __init__(
        self, root: Path, cipher: Cipher, dim: int = DEFAULT_DIM, max_cached_days: int = 16
    ) -> None:
        self.root = root
        self.dim = dim
        self._cipher = cipher
        self._max_cached = max_cached_days
        self._cache: OrderedDict[str, _LoadedDay] = OrderedDict()

    # -- writing ---------------------------------------------------------------------

    def add(self, day: str, sighting_ids: Sequence[str], embeddings: FloatArray) -> None:
        """Append ``embeddings`` (N, dim) for ``sighting_ids`` (N) to ``day`` as one segment.

        Vectors are L2-normalised here, so search scores are cosine similarities.
        """
        _check_day(day)
        ids = list(sighting_ids)
        vectors = self._normalised(embeddings, len(ids))
        if not ids:
            return
        ids, vectors = _first_of_each(ids, vectors)  # a segment never repeats an id
        self._write_segment(day, ids, vectors)

    def compact(self, day: str) -> None:
        """Merge a day's segments into one (duplicates dropped); a no-op for one segment."""
        _check_day(day)
        names = self._segment_names(day)
        if len(names) < 2:
            return
        loaded = self._load(day, names)
        self._write_segment(day, loaded.ids, loaded.vectors)
        self._delete_segments(day, names)

    def drop_day(self, day: str) -> int:
        """Forget a day: its segments are overwritten with zeros, then removed.

        Returns the bytes removed. A crash midway leaves a ``.drop-*`` folder that
        `wipe_leftovers` (run by purge) finishes.
        """
        _check_day(day)
        self._cache.pop(day, None)
        folder = self.root / day
        if not folder.exists():
            return 0
        # Rename first so a reader never sees half a day; then wipe what the rename hid.
        trash = self.root / f".drop-{day}-{secrets.token_hex(4)}"
        folder.replace(trash)
        return _wipe_tree(trash)

    def day_bytes(self, day: str) -> int:
        """Bytes on disk of a day's partition (segments and any leftovers in its folder)."""
        _check_day(day)
        folder = self.root / day
        if not folder.is_dir():
            return 0
        return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())

    def wipe_leftovers(self) -> int:
        """Wipe what crashes left behind: half-dropped days, stale temporary segments.

        Returns the bytes removed.
        """
        if not self.root.exists():
            return 0
        freed = 0
        for p in self.root.iterdir():
            if p.is_dir() and p.name.startswith(".drop-"):
                freed += _wipe_tree(p)
            elif p.is_dir() and _DAY.match(p.name):
                now = time.time()
                for tmp in p.glob(".*.tmp"):
                    try:
                        stale = now - tmp.stat().st_mtime > STALE_TMP_S
                    except FileNotFoundError:
                        continue
                    if stale:
                        freed += overwrite_and_unlink(tmp)
        return freed

    def segment_key_ids(self, day: str) -> dict[str, set[str]]:
        """For each segment of ``day``, the key ids its payload is sealed with (no decryption)."""
        _check_day(day)
        out: dict[str, set[str]] = {}
        for name in self._segment_names(day):
            path = self.root / day / name
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            (n,) = _HLEN.unpack_from(data, len(MAGIC))
            out[name] = large_key_ids(memoryview(data)[len(MAGIC) + _HLEN.size + n :])
        return out

    def reseal_day(self, day: str) -> int:
        """Rewrite ``day`` as one segment sealed with the cipher's current key, then wipe the
        old segments; returns how many were replaced. Readers see the old segments or the
        new one (duplicates are dropped at load), never neither."""
        _check_day(day)
        names = self._segment_names(day)
        if not names:
            return 0
        loaded = self._load(day, names)
        if loaded.ids:
            self._write_segment(day, loaded.ids, loaded.vectors)
        self._delete_segments(day, names)
        return len(names)

    def reconcile(self, source: FaceSource) -> ReconcileReport:
        """Make every day's partition agree with the database: rebuild or drop as needed."""
        truth = source.face_counts_by_day()
        rebuilt, dropped = [], []
        for day in self.days():
            if day not in truth:
                self.drop_day(day)
                dropped.append(day)
        for day, n in sorted(truth.items()):
            if self.count(day) != n:
                self._rebuild(day, source.day_faces(day))
                rebuilt.append(day)
        return ReconcileReport(rebuilt, dropped)

    def rebuild_day(self, day: str, faces: DayFaces) -> None:
        """Replace ``day``'s partition with ``faces`` (the old segments are wiped)."""
        _check_day(day)
        self._rebuild(day, faces)

    def _rebuild(self, day: str, faces: DayFaces) -> None:
        # Segments listed before reading the DB are replaced; any added meanwhile by a
        # worker stay, and their duplicates are dropped at load.
        old = self._segment_names(day)
        if faces.sighting_ids:
            vectors = self._normalised(faces.embeddings, len(faces.sighting_ids))
            self._write_segment(day, faces.sighting_ids, vectors)
        self._delete_segments(day, old)
        self._cache.pop(day, None)

    # -- reading ---------------------------------------------------------------------

    def days(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and _DAY.match(p.name))

    def count(self, day: str) -> int:
        """Vectors stored for ``day``, from the segment headers (no decryption)."""
        _check_day(day)
        return sum(self._read_header(day, name).count for name in self._segment_names(day))

    def search(
        self,
        queries: FloatArray,
        days: Sequence[str],
        k: int,
        min_similarity: float | None = None,
    ) -> list[list[Match]]:
        """For each query (Q, dim), the ``k`` most similar faces over ``days``, best first.

        Days with no partition contribute nothing. With ``min_similarity`` only hits at
        or above it are returned (possibly fewer than ``k``).
        """
        return self.search_with_stats(queries, days, k, min_similarity)[0]

    def prefetch(self, days: Sequence[str]) -> None:
        """Load and decrypt the days a search is about to read, several at once (as many
        as the cache holds). A week of a 10 M-sighting city is 1.5 GB of faces: 4.7-5.3 s
        one day after another on the 2-core dev VM, 2.5-3.0 s two at a time (AES-GCM and
        the file reads let go of the GIL). Days already loaded are not read again."""
        wanted = list(dict.fromkeys(days))[: self._max_cached]
        for day in wanted:
            _check_day(day)
        todo = [(d, names) for d in wanted if (names := self._segment_names(d))]
        todo = [(d, n) for d, n in todo if (c := self._cache.get(d)) is None or c.segments != n]
        if len(todo) < 2:
            return  # nothing to overlap: `_loaded` reads it when the search needs it
        try:
            with ThreadPoolExecutor(min(len(todo), _LOAD_THREADS)) as pool:
                loaded = list(pool.map(lambda item: self._load(*item), todo))
        except FileNotFoundError:
            return  # a compaction replaced a segment meanwhile: `_loaded` lists again
        for (day, _), got in zip(todo, loaded, strict=True):
            self._cache[day] = got
            self._cache.move_to_end(day)
        while len(self._cache) > self._max_cached:
            self._cache.popitem(last=False)

    def search_with_stats(
        self,
        queries: FloatArray,
        days: Sequence[str],
        k: int,
        min_similarity: float | None = None,
    ) -> tuple[list[list[Match]], list[ScoreStats]]:
        """`search`, plus each query's `ScoreStats` over every face compared (the same
        matrix product: the statistics cost two sums per block)."""
        q = self._normalised(queries, None)
        best: list[list[Match]] = [[] for _ in range(len(q))]
        count = 0
        total = np.zeros(len(q), np.float64)
        total_sq = np.zeros(len(q), np.float64)
        if k > 0 and len(q):
            for day in dict.fromkeys(days):  # each day once, in the given order
                _check_day(day)
                loaded = self._loaded(day)
                if not loaded.ids:
                    continue
                for start in range(0, len(loaded.ids), _SEARCH_BLOCK):
                    block = loaded.vectors[start : start + _SEARCH_BLOCK]
                    scores = q @ block.T  # (Q, B)
                    count += scores.shape[1]
                    total += scores.sum(axis=1, dtype=np.float64)
                    total_sq += np.einsum("ij,ij->i", scores, scores, dtype=np.float64)
                    for qi in range(len(q)):
                        for j in _top_k(scores[qi], k, min_similarity):
                            best[qi].append(Match(loaded.ids[start + int(j)], float(scores[qi, j])))
                best = [sorted(b, key=lambda m: -m.similarity)[:k] for b in best]
        stats = [
            ScoreStats(count, float(a), float(b)) for a, b in zip(total, total_sq, strict=True)
        ]
        return best, stats

    # -- segments on disk ------------------------------------------------------------

    def _segment_names(self, day: str) -> tuple[str, ...]:
        folder = self.root / day
        if not folder.is_dir():
            return ()
        return tuple(sorted(p.name for p in folder.iterdir() if p.name.endswith(SEGMENT_SUFFIX)))

    def _write_segment(self, day: str, ids: Sequence[str], vectors: NDArray[np.float32]) -> None:
        folder = self.root / day
        folder.mkdir(parents=True, exist_ok=True)
        # Time-ordered names keep segments in insertion order; the random tail keeps two
        # workers writing in the same nanosecond apart.
        name = f"{time.time_ns():020d}-{secrets.token_hex(4)}{SEGMENT_SUFFIX}"
        header = _Header(day, name, len(ids), vectors.shape[1])
        if any("\n" in i for i in ids):
            raise ValueError("sighting ids must not contain newlines")
        id_bytes = "\n".join(ids).encode()
        # One plaintext buffer (ids, then vectors) filled in place: at millions of vectors
        # every extra copy of the matrix costs seconds.
        offset = _vectors_offset(len(id_bytes))
        plain = bytearray(offset + vectors.nbytes)
        _IDS_LEN.pack_into(plain, 0, len(id_bytes))
        plain[_IDS_LEN.size : _IDS_LEN.size + len(id_bytes)] = id_bytes
        out = np.frombuffer(plain, "<f4", offset=offset)
        out[:] = vectors.reshape(-1)
        head = header.to_json()
        parts = [MAGIC, _HLEN.pack(len(head)), head]
        sealed = self._cipher.encrypt_large_parts(memoryview(plain), header.record_id, header.field)
        _atomic_write(folder / name, itertools.chain(parts, sealed))  # chunk by chunk

    def _delete_segments(self, day: str, names: Sequence[str]) -> None:
        for name in names:
            _overwrite_and_unlink(self.root / day / name)
        self._cache.pop(day, None)

    def _read_header(self, day: str, name: str) -> _Header:
        path = self.root / day / name
        with path.open("rb") as f:
            start = f.read(len(MAGIC) + _HLEN.size)
            if len(start) < len(MAGIC) + _HLEN.size or not start.startswith(MAGIC):
                raise CorruptDataError(f"face index segment {path} is not a cctrace segment")
            (n,) = _HLEN.unpack_from(start, len(MAGIC))
            return _Header.from_json(f.read(n), path)

    def _loaded(self, day: str) -> _LoadedDay:
        for _ in range(3):
            try:
                return self._loaded_once(day)
            except FileNotFoundError:
                # A compaction, rebuild or key rotation replaced a segment between the
                # listing and the read: list again (the new segment is already there).
                continue
        return self._loaded_once(day)

    def _loaded_once(self, day: str) -> _LoadedDay:
        names = self._segment_names(day)
        cached = self._cache.get(day)
        if cached is not None and cached.segments == names:
            self._cache.move_to_end(day)
            return cached
        loaded = self._load(day, names)
        self._cache[day] = loaded
        while len(self._cache) > self._max_cached:
            self._cache.popitem(last=False)
        return loaded

    def _load(self, day: str, names: tuple[str, ...]) -> _LoadedDay:
        if len(names) == 1:
            # The common case after `compact`: no copy of the matrix, ids decoded on demand,
            # and no duplicate check (a segment never holds an id twice: `add` keeps the
            # first of a batch's repeats, and compaction and rebuilds write unique ids).
            seg_ids, seg_vectors = self._read_segment(day, names[0])
            return _LoadedDay(names, seg_ids, seg_vectors)
        ids: list[str] = []
        parts: list[NDArray[np.float32]] = []
        for name in names:
            seg_ids, seg_vectors = self._read_segment(day, name)
            ids += seg_ids
            parts.append(seg_vectors)
        vectors = np.concatenate(parts) if parts else np.zeros((0, self.dim), np.float32)
        # Across segments, duplicates follow a crash between a rebuild's write and its
        # deletes, or a re-added batch.
        ids, vectors = _first_of_each(ids, vectors)
        return _LoadedDay(names, ids, vectors)

    def _read_segment(self, day: str, name: str) -> tuple[Sequence[str], NDArray[np.float32]]:
        path = self.root / day / name
        with path.open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < len(MAGIC) + _HLEN.size:
                raise CorruptDataError(f"face index segment {path} is not a cctrace segment")
            # Mapped, not read: the sealed bytes are decrypted straight from the page cache
            # into one buffer (no copy of a day's 220 MB on either side). The mapping goes
            # with its last view (closing it by hand fails while an error's traceback
            # still holds a slice of it).
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        willneed = getattr(mmap, "MADV_WILLNEED", None)  # Linux, BSD, macOS
        if willneed is not None:  # read the whole file ahead, not page by page on faults
            mapped.madvise(willneed)
        plain, header = self._open_payload(memoryview(mapped), path, day, name)
        del mapped
        (id_len,) = _IDS_LEN.unpack_from(plain, 0)
        offset = _vectors_offset(id_len)
        vectors = np.frombuffer(plain, np.dtype("<f4"), offset=offset).reshape(-1, header.dim)
        vectors.flags.writeable = False  # search only reads it
        seg_ids = _SegmentIds(plain, _IDS_LEN.size, id_len)
        if len(seg_ids) != header.count or len(vectors) != header.count:
            raise CorruptDataError(f"face index segment {path} holds a wrong number of vectors")
        return seg_ids, vectors

    def _open_payload(
        self, data: memoryview, path: Path, day: str, name: str
    ) -> tuple[bytearray, _Header]:
        if data[: len(MAGIC)] != MAGIC:
            raise CorruptDataError(f"face index segment {path} is not a cctrace segment")
        (n,) = _HLEN.unpack_from(data, len(MAGIC))
        body = len(MAGIC) + _HLEN.size
        header = _Header.from_json(bytes(data[body : body + n]), path)
        if header.day != day or header.name != name:
            raise CorruptDataError(
                f"face index segment {path} was moved from {header.day}/{header.name}"
            )
        try:
            plain = self._cipher.decrypt_large(data[body + n :], header.record_id, header.field)
        except CorruptDataError as exc:
            raise CorruptDataError(
                f"face index segment {path}: {exc.message}; run the index reconcile to "
                "rebuild it from the database"
            ) from None
        return plain, header

    def _normalised(self, embeddings: FloatArray, n: int | None) -> NDArray[np.float32]:
        v = np.asarray(embeddings, np.float32)
        if v.ndim == 1:
            v = v.reshape(1, -1)
        if v.ndim != 2 or v.shape[1] != self.dim:
            raise InputError(f"face embeddings must be (N, {self.dim}), got shape {v.shape}")
        if n is not None and len(v) != n:
            raise ValueError(f"{n} sighting ids but {len(v)} embeddings")
        if not np.all(np.isfinite(v)):
            raise InputError("face embeddings contain NaN or infinity")
        norms = np.sqrt(np.einsum("ij,ij->i", v, v))[:, None]  # no (N, D) temporary
        return np.asarray(v / np.maximum(norms, np.float32(1e-12)), np.float32)


@dataclass(frozen=True)
class _Header:
    day: str
    name: str
    count: int
    dim: int

    @property
    def record_id(self) -> str:
        return f"faces/{self.day}/{self.name}"

    @property
    def field(self) -> str:
        return f"face_index:n={self.count}:d={self.dim}"

    def to_json(self) -> bytes:
        doc = {"day": self.day, "name": self.name, "count": self.count, "dim": self.dim}
        return json.dumps(doc, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes, path: Path) -> _Header:
        try:
            doc = json.loads(raw)
            return cls(str(doc["day"]), str(doc["name"]), int(doc["count"]), int(doc["dim"]))
        except (ValueError, KeyError, TypeError):
            raise CorruptDataError(f"face index segment {path} has a damaged header") from None


def _top_k(scores: NDArray[np.float32], k: int, min_similarity: float | None) -> NDArray[np.intp]:
    """Indices of the ``k`` highest ``scores`` (unordered) that reach ``min_similarity``."""
    if min_similarity is not None:
        # A threshold keeps a handful of a million faces; comparing is far cheaper than
        # partitioning, so filter first.
        candidates = np.flatnonzero(scores >= min_similarity)
        if len(candidates) <= k:
            return candidates
        return candidates[np.argpartition(scores[candidates], -k)[-k:]]
    if len(scores) <= k:
        return np.arange(len(scores))
    return np.argpartition(scores, -k)[-k:]


def _first_of_each(
    ids: list[str], vectors: NDArray[np.float32]
) -> tuple[list[str], NDArray[np.float32]]:
    """``ids`` and their rows with only the first copy of each repeated id kept."""
    if len(set(ids)) == len(ids):
        return ids, vectors
    first: dict[str, int] = {}
    for i, sid in enumerate(ids):
        first.setdefault(sid, i)
    return list(first), vectors[np.fromiter(first.values(), np.int64, len(first))]


def _vectors_offset(id_bytes: int) -> int:
    # Vectors start on a 64-byte boundary: BLAS skips misaligned arrays, and numpy's own
    # fallback loop is some 30x slower on a million faces.
    return -(-(_IDS_LEN.size + id_bytes) // 64) * 64


def _check_day(day: str) -> None:
    if not _DAY.match(day):
        raise InputError(f"day {day!r} is not YYYY-MM-DD")


def _atomic_write(path: Path, parts: Iterable[bytes]) -> None:
    """Write ``parts`` to ``path`` so that a crash leaves the old state or the new, never half."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with tmp.open("wb") as f:
            for part in parts:
                f.write(part)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    # The rename is durable only once the folder entry is on disk too.
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _overwrite_and_unlink(path: Path) -> int:
    return overwrite_and_unlink(path)


def _wipe_tree(folder: Path) -> int:
    """Overwrite and remove every file under ``folder``, then the folder; bytes removed."""
    freed = 0
    for p in sorted(folder.rglob("*"), reverse=True):
        if p.is_file() and not p.is_symlink():
            freed += overwrite_and_unlink(p)
    shutil.rmtree(folder, ignore_errors=True)
    return freed
