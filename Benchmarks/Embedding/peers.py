#!/usr/bin/env python3
"""Benchmark peers for Context0's native MiniLM embedder, on the same texts.

  peers.py --system pytorch|onnxruntime --threads 1|all --texts TEXTS.json --model-dir DIR
           [--onnx MODEL.onnx] [--queries N] [--batch-size N] [--compare OURS.json]
  peers.py --export-onnx MODEL.onnx --model-dir DIR

pytorch      sentence-transformers on PyTorch (Debian's python3-torch), exactly as its users run it.
onnxruntime  ONNX Runtime on an ONNX export of the same BERT, with the model's fast tokenizer,
             mean pooling and L2 normalisation in numpy.

Prints one line, like the Swift benchmark:
  RESULT bench=embed system=<name> threads=<1|all> query_p50_ms=… query_p99_ms=… chunks_per_s=… peak_rss_mb=…
and with --compare, before it, how far its vectors are from Context0's for the same texts:
  CHECK bench=embed system=<name> against=context0 texts=N min_cosine=… max_abs_diff=…
"""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np


def thread_count(threads: str) -> int:
    return (os.cpu_count() or 1) if threads == "all" else int(threads)


class PyTorchPeer:
    def __init__(self, model_dir: str, threads: int):
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        torch.set_num_interop_threads(1)
        self.model = SentenceTransformer(model_dir, device="cpu")
        self.model.max_seq_length = 256

    def embed(self, texts, batch_size=32):
        return self.model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )


class OnnxRuntimePeer:
    def __init__(self, model_dir: str, onnx_path: str, threads: int):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
        # sentence-transformers' settings: truncate at 256, pad to the longest text of a batch.
        self.tokenizer.enable_truncation(max_length=256)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    def embed(self, texts, batch_size=32):
        out = []
        for start in range(0, len(texts), batch_size):
            encodings = self.tokenizer.encode_batch(texts[start:start + batch_size])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            hidden = self.session.run(
                ["last_hidden_state"],
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out.append(pooled / np.clip(norms, 1e-12, None))
        return np.concatenate(out)


def export_onnx(model_dir: str, path: str) -> None:
    """Exports the BERT of the sentence-transformers model (no pooling) with dynamic shapes."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(model_dir).eval()
    ids = torch.ones((2, 16), dtype=torch.long)
    inputs = (ids, torch.ones_like(ids), torch.zeros_like(ids))
    axes = {0: "batch", 1: "sequence"}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    temporary = path + ".partial"
    with torch.no_grad():
        torch.onnx.export(
            model, inputs, temporary, opset_version=14, do_constant_folding=True,
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                          "last_hidden_state": axes},
        )
    os.replace(temporary, path)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round((len(ordered) - 1) * fraction))]


def compare(peer, system: str, path: str) -> None:
    with open(path) as f:
        ours = json.load(f)
    theirs = peer.embed(ours["texts"])
    mine = np.array(ours["embeddings"], dtype=np.float64)
    theirs = np.asarray(theirs, dtype=np.float64)
    cosine = (mine * theirs).sum(1) / (np.linalg.norm(mine, axis=1) * np.linalg.norm(theirs, axis=1))
    print(f"CHECK bench=embed system={system} against=context0 texts={len(mine)} "
          f"min_cosine={cosine.min():.9f} max_abs_diff={np.abs(mine - theirs).max():.2e}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--system", choices=["pytorch", "onnxruntime"])
    parser.add_argument("--threads", default="1")
    parser.add_argument("--texts")
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--onnx")
    parser.add_argument("--export-onnx")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--compare")
    args = parser.parse_args()

    if args.export_onnx:
        export_onnx(args.model_dir, args.export_onnx)
        return
    if not args.system or not args.texts:
        parser.error("--system and --texts are required")

    threads = thread_count(args.threads)
    if args.system == "pytorch":
        peer = PyTorchPeer(args.model_dir, threads)
    else:
        if not args.onnx:
            parser.error("onnxruntime needs --onnx MODEL.onnx")
        peer = OnnxRuntimePeer(args.model_dir, args.onnx, threads)
    with open(args.texts) as f:
        texts = json.load(f)
    query, chunks = texts["query"], texts["chunks"]

    if args.compare:
        compare(peer, args.system, args.compare)

    for _ in range(20):
        peer.embed([query])
    latencies = []
    for _ in range(args.queries):
        start = time.perf_counter()
        peer.embed([query])
        latencies.append((time.perf_counter() - start) * 1000)

    peer.embed(chunks[:args.batch_size])
    start = time.perf_counter()
    for i in range(0, len(chunks), args.batch_size):
        peer.embed(chunks[i:i + args.batch_size], batch_size=args.batch_size)
    chunks_per_s = len(chunks) / (time.perf_counter() - start)

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    print(f"RESULT bench=embed system={args.system} threads={args.threads} "
          f"query_p50_ms={percentile(latencies, 0.5):.3f} query_p99_ms={percentile(latencies, 0.99):.3f} "
          f"chunks_per_s={chunks_per_s:.2f} peak_rss_mb={peak_mb:.1f}", flush=True)


if __name__ == "__main__":
    main()
