"""Which vector library backs the face index: exact flat search vs FAISS, usearch, hnswlib.

Data imitate face embeddings rather than uniform noise (which no real index ever sees):
N 128-d unit vectors drawn around N/8 identity centres, with the noise set so that two
sightings of one person have cosine about 0.6 (SFace's genuine pairs sit near there).
Queries are fresh noisy samples of stored identities, as a patient's reference photo is.

For each backend it reports recall@10 against exact numpy search, the median wall time of
a search for 1 query and for 10 queries at once (1 to 10 patients), the build time, the
serialised size, and the time to serialise + AES-GCM encrypt + decrypt + load (what a
day partition costs on every open, since partitions are stored encrypted as a whole).

    .venv/bin/python benchmarks/bench_vector_index.py --sizes 100000 1000000
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import platform
import secrets
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from numpy.typing import NDArray

DIM = 128
K = 10
CHUNK = 64 << 20  # AES-GCM in `cryptography` refuses single messages >= 2 GiB
THREADS = os.cpu_count() or 1

F32 = NDArray[np.float32]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class Backend:
    """A built index: how to search it and how to turn it into bytes and back."""

    search: Callable[[F32, int], I64]
    dump: Callable[[], bytes]
    load: Callable[[bytes], object]


@dataclass(frozen=True)
class Row:
    name: str
    n: int
    recall_at_10: float
    query1_ms: float
    query10_ms: float
    build_s: float
    size_mb: float
    roundtrip_s: float


def make_data(n: int, n_queries: int, seed: int = 0) -> tuple[F32, F32]:
    rng = np.random.default_rng(seed)
    n_ids = max(1, n // 8)
    centres = rng.standard_normal((n_ids, DIM), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    sigma = np.float32(0.8 / np.sqrt(DIM))  # |noise| ~ 0.8 -> same-person cosine ~ 0.6
    x = np.empty((n, DIM), np.float32)
    step = 200_000
    for s in range(0, n, step):
        e = min(n, s + step)
        x[s:e] = centres[rng.integers(0, n_ids, e - s)]
        x[s:e] += sigma * rng.standard_normal((e - s, DIM), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    q = centres[rng.integers(0, n_ids, n_queries)]
    q = q + sigma * rng.standard_normal(q.shape, dtype=np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    return x, q.astype(np.float32)


def exact_top_k(x: F32, q: F32, k: int) -> I64:
    sims = q @ x.T
    part = np.argpartition(-sims, k, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(sims, part, axis=1), axis=1)
    return np.take_along_axis(part, order, axis=1).astype(np.int64)


def encrypt_roundtrip(blob: bytes) -> bytes:
    """Encrypt in chunks and decrypt again, as the index store does; returns the plaintext."""
    aes = AESGCM(AESGCM.generate_key(bit_length=256))
    sealed = []
    for i in range(0, len(blob), CHUNK):
        nonce = secrets.token_bytes(12)
        sealed.append((nonce, aes.encrypt(nonce, blob[i : i + CHUNK], b"day"), i))
    return b"".join(aes.decrypt(nonce, ct, b"day") for nonce, ct, _ in sealed)


def build_numpy(x: F32) -> Backend:
    def dump() -> bytes:
        return x.tobytes()

    def load(b: bytes) -> object:
        return np.frombuffer(b, np.float32).reshape(-1, DIM)

    return Backend(lambda q, k: exact_top_k(x, q, k), dump, load)


def build_faiss(x: F32, kind: str) -> Backend:
    import faiss

    faiss.omp_set_num_threads(THREADS)
    index: faiss.Index
    if kind == "flat":
        index = faiss.IndexFlatIP(DIM)
    elif kind == "sq8":
        qt, ip = faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
        index = faiss.IndexScalarQuantizer(DIM, qt, ip)
        index.train(x[: min(len(x), 100_000)])
    else:
        hnsw = faiss.IndexHNSWFlat(DIM, 16, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = 100
        index = hnsw
    index.add(x)
    if kind == "hnsw":
        hnsw.hnsw.efSearch = 64

    def search(q: F32, k: int) -> I64:
        _, ids = index.search(q, k)
        return np.asarray(ids, np.int64)

    def dump() -> bytes:
        return bytes(faiss.serialize_index(index))

    def load(b: bytes) -> object:
        return faiss.deserialize_index(np.frombuffer(b, np.uint8))

    return Backend(search, dump, load)


def build_usearch(x: F32, dtype: str) -> Backend:
    from usearch.index import Index

    index = Index(
        ndim=DIM,
        metric="ip",
        dtype=dtype,
        connectivity=16,
        expansion_add=100,
        expansion_search=64,
    )
    index.add(np.arange(len(x), dtype=np.uint64), x, threads=THREADS)

    def search(q: F32, k: int) -> I64:
        m = index.search(q, k, threads=THREADS)
        return np.asarray(m.keys, np.int64).reshape(len(q), k)

    def dump() -> bytes:
        out = index.save()
        assert out is not None
        return bytes(out)

    def load(b: bytes) -> object:
        return Index.restore(b)

    return Backend(search, dump, load)


def build_hnswlib(x: F32) -> Backend:
    import hnswlib

    index = hnswlib.Index(space="ip", dim=DIM)
    index.init_index(max_elements=len(x), M=16, ef_construction=100)
    index.add_items(x, np.arange(len(x)), num_threads=THREADS)
    index.set_ef(64)

    def search(q: F32, k: int) -> I64:
        labels, _ = index.knn_query(q, k=k, num_threads=THREADS)
        return np.asarray(labels, np.int64)

    def dump() -> bytes:
        # hnswlib only serialises to a path or through pickle; pickle is its in-memory route.
        return pickle.dumps(index)

    def load(b: bytes) -> object:
        return pickle.loads(b)  # our own bytes, benchmark only

    return Backend(search, dump, load)


BUILDERS: dict[str, Callable[[F32], Backend]] = {
    "numpy-exact": build_numpy,
    "faiss-flat": lambda x: build_faiss(x, "flat"),
    "faiss-sq8": lambda x: build_faiss(x, "sq8"),
    "faiss-hnsw16": lambda x: build_faiss(x, "hnsw"),
    "usearch-f32": lambda x: build_usearch(x, "f32"),
    "usearch-i8": lambda x: build_usearch(x, "i8"),
    "hnswlib-16": build_hnswlib,
}


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def measure(name: str, x: F32, q: F32, truth: I64) -> Row:
    t0 = time.perf_counter()
    backend = BUILDERS[name](x)
    build_s = time.perf_counter() - t0
    found = backend.search(q, K)
    hits = sum(len(set(found[i].tolist()) & set(truth[i].tolist())) for i in range(len(q)))
    recall = hits / (len(q) * K)
    q1 = median_ms(lambda: backend.search(q[:1], K), 15)
    q10 = median_ms(lambda: backend.search(q[:10], K), 7)
    t0 = time.perf_counter()
    blob = backend.dump()
    backend.load(encrypt_roundtrip(blob))
    roundtrip_s = time.perf_counter() - t0
    size_mb = len(blob) / 1e6
    return Row(name, len(x), recall, q1, q10, build_s, size_mb, roundtrip_s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--backends", nargs="+", default=list(BUILDERS))
    parser.add_argument("--queries", type=int, default=100, help="queries used for recall")
    args = parser.parse_args()
    cpu = platform.processor() or platform.machine()
    print(f"# {cpu}, {THREADS} threads, Python {platform.python_version()}")
    print(
        "| backend | N | recall@10 | 1 query ms | 10 queries ms | build s | size MB "
        "| ser+enc+dec+load s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        x, q = make_data(n, args.queries)
        truth = exact_top_k(x, q, K)
        for name in args.backends:
            r = measure(name, x, q, truth)
            print(
                f"| {r.name} | {r.n:,} | {r.recall_at_10:.3f} | {r.query1_ms:.2f} | "
                f"{r.query10_ms:.2f} | {r.build_s:.1f} | {r.size_mb:.0f} | {r.roundtrip_s:.2f} |",
                flush=True,
            )
        del x, q, truth
        gc.collect()


if __name__ == "__main__":
    main()
