"""The tools people would otherwise run, measured on the same data as Wayfinder.

    python peers.py embed   --model DIR --passages FILE [--threads 2] [--max-tokens 512]
    python peers.py lexical --corpus corpus.jsonl --queries queries.jsonl --qrels train.tsv [--k 10,100]
    python peers.py ingest  --chunks FILE [--dir DIR]

Each prints human-readable lines and, last, one line `RESULT {json}` that `bench/peers/run`
reads. Inputs are JSON lines; passages and chunks are `{"text": "..."}`.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def percentile(values, p):
    """Nearest-rank percentile, the definition Wayfinder's benchmarks print."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def result(**figures):
    print("RESULT " + json.dumps(figures), flush=True)


def embed(args):
    # Threads are fixed before torch starts its pools.
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    os.environ["MKL_NUM_THREADS"] = str(args.threads)
    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    model = SentenceTransformer(args.model, device="cpu")
    model.max_seq_length = args.max_tokens
    passages = [p["text"] for p in read_jsonl(args.passages)]
    tokens = sum(
        min(len(ids), args.max_tokens) for ids in model.tokenizer(passages, add_special_tokens=True)["input_ids"]
    )
    model.encode(passages[:32], batch_size=32)  # warm-up: first calls allocate and pick kernels
    best = None
    for _ in range(args.repeat):
        started = time.perf_counter()
        model.encode(passages, batch_size=32, normalize_embeddings=True)
        took = time.perf_counter() - started
        best = took if best is None else min(best, took)
    rate = tokens / best
    print(
        f"sentence-transformers {sentence_transformers.__version__} on PyTorch {torch.__version__}: "
        f"{len(passages)} passages, {tokens} tokens in {best:.2f} s: {rate:.0f} tokens/s ({args.threads} threads)"
    )
    result(tool=f"sentence-transformers {sentence_transformers.__version__} on PyTorch {torch.__version__}", tokens=tokens, seconds=best, tokens_per_s=rate)


def lexical(args):
    import bm25s
    import Stemmer

    corpus = read_jsonl(args.corpus)
    judged = set()
    with open(args.qrels, encoding="utf-8") as f:
        for line in f:
            parts = line.strip().split("\t")
            if len(parts) >= 3 and parts[0] != "query-id":
                judged.add(parts[0])
    queries = [q for q in read_jsonl(args.queries) if q["_id"] in judged]
    texts = [(d.get("title", "") + "\n" + d["text"]).strip() for d in corpus]
    stemmer = Stemmer.Stemmer("english")
    started = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False)
    indexed = time.perf_counter() - started
    print(f"bm25s {bm25s.__version__}: {len(texts)} documents indexed in {indexed:.2f} s; {len(queries)} queries")
    figures = {"tool": f"bm25s {bm25s.__version__} (stemmed, stopwords)"}
    # Ids and scores, as Wayfinder's ranking returns them; then with the documents' text too,
    # as a whole Wayfinder search returns its chunks (bm25s hands back items of an in-memory list).
    for k in args.k:
        figures[f"k{k}"] = {}
        for label, corpus_arg in (("ids", None), ("with text", texts)):
            latencies = []
            for query in queries:
                started = time.perf_counter()
                tokens = bm25s.tokenize([query["text"]], stopwords="en", stemmer=stemmer, show_progress=False)
                retriever.retrieve(tokens, corpus=corpus_arg, k=min(k, len(texts)), show_progress=False, n_threads=1)
                latencies.append((time.perf_counter() - started) * 1000)
            p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
            print(f"  k = {k:<4} {label:<9} p50 {p50:.2f} ms   p95 {p95:.2f} ms   (tokenising the query included)")
            key = "" if corpus_arg is None else "text_"
            figures[f"k{k}"][f"{key}p50_ms"] = p50
            figures[f"k{k}"][f"{key}p95_ms"] = p95
    result(**figures)


def ingest(args):
    import lancedb
    import pyarrow as pa

    chunks = [c["text"] for c in read_jsonl(args.chunks)]
    with tempfile.TemporaryDirectory(dir=args.dir) as where:
        db = lancedb.connect(where)
        started = time.perf_counter()
        table = db.create_table(
            "chunks", pa.table({"id": pa.array(range(len(chunks)), pa.int64()), "text": pa.array(chunks, pa.string())})
        )
        table.create_fts_index("text")
        took = time.perf_counter() - started
    rate = len(chunks) / took
    print(f"lancedb {lancedb.__version__}: {len(chunks)} chunks into a table with a full-text index in {took:.2f} s: {rate:.0f} chunks/s")
    result(tool=f"LanceDB {lancedb.__version__} table + full-text index", chunks=len(chunks), seconds=took, chunks_per_s=rate)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    e = sub.add_parser("embed")
    e.add_argument("--model", required=True)
    e.add_argument("--passages", required=True)
    e.add_argument("--threads", type=int, default=2)
    e.add_argument("--max-tokens", type=int, default=512)
    e.add_argument("--repeat", type=int, default=3)
    l = sub.add_parser("lexical")
    l.add_argument("--corpus", required=True)
    l.add_argument("--queries", required=True)
    l.add_argument("--qrels", required=True)
    l.add_argument("--k", type=lambda s: [int(x) for x in s.split(",")], default=[10, 100])
    i = sub.add_parser("ingest")
    i.add_argument("--chunks", required=True)
    i.add_argument("--dir", default=None)
    args = parser.parse_args()
    {"embed": embed, "lexical": lexical, "ingest": ingest}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
