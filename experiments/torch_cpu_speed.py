#!/usr/bin/env python3
"""PyTorch CPU reference for issue 10: the same MiniLM-L6 encoder, the same batches, 2 threads.

MiniLM is written here in plain torch from the checkpoint's config and safetensors (no
`transformers` needed); attention uses `scaled_dot_product_attention` as HF's BertModel does by
default. On top sits a linear head (a per-token score, trained as a pointer with cross-entropy),
so the burn side, which runs the six SQLova heads, carries strictly more work.

Inputs are the batches the burn bench used (`cargo bench --bench cpu_speed -- --inputs FILE`):
the same token ids, type ids and padding, so both sides see identical shapes.

    python3 experiments/torch_cpu_speed.py --inputs INPUTS.json [--out torch.json]

Prints and (with --out) writes {"torch_infer_q_per_s", "torch_train_ex_per_s", ...}.
"""

import argparse
import json
import math
import time

import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn

ENCODER = "../shared/encoder/all-MiniLM-L6-v2"


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, ff = c["hidden_size"], c["intermediate_size"]
        self.heads = c["num_attention_heads"]
        self.q, self.k, self.v, self.o = (nn.Linear(h, h) for _ in range(4))
        self.ln1 = nn.LayerNorm(h, eps=c["layer_norm_eps"])
        self.up, self.down = nn.Linear(h, ff), nn.Linear(ff, h)
        self.ln2 = nn.LayerNorm(h, eps=c["layer_norm_eps"])
        self.p_att = c["attention_probs_dropout_prob"]
        self.drop = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, x, bias):
        b, s, h = x.shape
        split = lambda t: t.view(b, s, self.heads, h // self.heads).transpose(1, 2)
        ctx = F.scaled_dot_product_attention(
            split(self.q(x)),
            split(self.k(x)),
            split(self.v(x)),
            attn_mask=bias,
            dropout_p=self.p_att if self.training else 0.0,
        )
        ctx = ctx.transpose(1, 2).reshape(b, s, h)
        x = self.ln1(x + self.drop(self.o(ctx)))
        return self.ln2(x + self.drop(self.down(F.gelu(self.up(x)))))


class MiniLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.word = nn.Embedding(c["vocab_size"], h)
        self.pos = nn.Embedding(c["max_position_embeddings"], h)
        self.token_type = nn.Embedding(c["type_vocab_size"], h)
        self.ln = nn.LayerNorm(h, eps=c["layer_norm_eps"])
        self.drop = nn.Dropout(c["hidden_dropout_prob"])
        self.layers = nn.ModuleList(Layer(c) for _ in range(c["num_hidden_layers"]))
        self.head = nn.Linear(h, 1)

    def load(self, path):
        w = load_file(path)
        names = {
            "word.weight": "embeddings.word_embeddings.weight",
            "pos.weight": "embeddings.position_embeddings.weight",
            "token_type.weight": "embeddings.token_type_embeddings.weight",
            "ln.weight": "embeddings.LayerNorm.weight",
            "ln.bias": "embeddings.LayerNorm.bias",
        }
        parts = {
            "q": "attention.self.query",
            "k": "attention.self.key",
            "v": "attention.self.value",
            "o": "attention.output.dense",
            "ln1": "attention.output.LayerNorm",
            "up": "intermediate.dense",
            "down": "output.dense",
            "ln2": "output.LayerNorm",
        }
        for i in range(len(self.layers)):
            for ours, hf in parts.items():
                for p in ("weight", "bias"):
                    names[f"layers.{i}.{ours}.{p}"] = f"encoder.layer.{i}.{hf}.{p}"
        state = {ours: w[hf] for ours, hf in names.items()}
        missing = self.load_state_dict(state, strict=False).missing_keys
        assert missing == ["head.weight", "head.bias"], missing

    def forward(self, ids, types, pad):
        s = ids.shape[1]
        x = self.word(ids) + self.pos.weight[:s] + self.token_type(types)
        x = self.drop(self.ln(x))
        bias = (pad.float() * -10000.0)[:, None, None, :]
        for layer in self.layers:
            x = layer(x, bias)
        return self.head(x).squeeze(-1)  # [b, s] per-token scores


def tensors(batch):
    return (
        torch.tensor(batch["ids"], dtype=torch.long),
        torch.tensor(batch["type_ids"], dtype=torch.long),
        torch.tensor(batch["pad"], dtype=torch.bool),
    )


def timed(step, batches, budget, min_runs):
    """Warm up on the first batch, then cycle the batches for `budget` seconds (≥ min_runs).

    Returns examples/s, batches run, and CPU ms per example (all threads; less sensitive to
    other load on the machine than wall time, but OpenMP spin-waiting counts in it)."""
    step(batches[0])
    done, runs = 0, 0
    start, cpu = time.perf_counter(), time.process_time()
    while runs < min_runs or time.perf_counter() - start < budget:
        b = batches[runs % len(batches)]
        step(b)
        done += b[0].shape[0]
        runs += 1
    cpu_ms = (time.process_time() - cpu) * 1e3 / done
    return done / (time.perf_counter() - start), runs, cpu_ms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--inputs", required=True)
    ap.add_argument("--encoder", default=ENCODER)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--budget", type=float, default=15.0)
    ap.add_argument("--out")
    args = ap.parse_args()

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    with open(f"{args.encoder}/config.json") as f:
        config = json.load(f)
    with open(args.inputs) as f:
        inputs = json.load(f)
    infer = [tensors(b) for b in inputs["infer"]]
    train = [tensors(b) for b in inputs["train"]]

    model = MiniLM(config)
    model.load(f"{args.encoder}/model.safetensors")

    model.eval()

    def infer_step(b):
        with torch.inference_mode():
            model(*b).argmax(-1).tolist()

    infer_q, infer_runs, infer_cpu = timed(infer_step, infer, args.budget, 2 * len(infer))

    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    gen = torch.Generator().manual_seed(0)

    def train_step(b):
        ids, types, pad = b
        scores = model(ids, types, pad).masked_fill(pad, -10000.0)
        lengths = (~pad).sum(1)
        target = (torch.rand(len(lengths), generator=gen) * lengths).long()
        loss = F.cross_entropy(scores, target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        assert math.isfinite(loss.item())

    train_ex, train_runs, train_cpu = timed(train_step, train, args.budget, 3)

    result = {
        "torch_infer_q_per_s": round(infer_q, 1),
        "torch_train_ex_per_s": round(train_ex, 1),
        "torch_infer_cpu_ms_per_q": round(infer_cpu, 1),
        "torch_train_cpu_ms_per_ex": round(train_cpu, 1),
        "torch_version": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "torch_infer_batches_run": infer_runs,
        "torch_train_steps_run": train_runs,
    }
    print(json.dumps(result, indent=2))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
