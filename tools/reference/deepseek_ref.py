#!/usr/bin/python3
"""Straightforward PyTorch reference for DeepSeek-V3 / V2 checkpoints (HF layout).

Independent of the C++ engine: its own safetensors parser (numpy), its own FP8 e4m3
decoding, float64 math, and the *naive* MLA form (per-head keys and values expanded from
the latent through kv_b_proj), so it checks the engine's absorbed path.

Usage: /usr/bin/python3 tools/reference/deepseek_ref.py --model DIR [--binary-out FILE]
       [--kv-cache-dtype f32|bf16]
With --kv-cache-dtype bf16 the cached values (normalized latent, roped shared key) are
rounded to bfloat16 (nearest even, from float32) before use, as the engine's bf16 cache
stores them.
stdin: JSON lines {"ids": [...], "logits_from": k (optional)}
stdout: {"logits": [[...], ...]} per line (one row per position from k on), or with
--binary-out the rows as little-endian float32, concatenated over all lines.
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np
import torch

DT = torch.float64


def f8e4m3_table():
    table = np.zeros(256, dtype=np.float64)
    for b in range(256):
        sign = -1.0 if b & 0x80 else 1.0
        exp = (b >> 3) & 0xF
        man = b & 0x7
        if exp == 0xF and man == 0x7:
            table[b] = np.nan
        elif exp == 0:
            table[b] = sign * (man / 8.0) * 2.0 ** -6
        else:
            table[b] = sign * (1.0 + man / 8.0) * 2.0 ** (exp - 7)
    return table


F8_TABLE = f8e4m3_table()


class SafeTensors:
    def __init__(self, path):
        with open(path, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            self.header = json.loads(f.read(n))
        self.data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)

    def get(self, name):
        e = self.header[name]
        a, b = e["data_offsets"]
        raw = self.data[a:b]
        shape = e["shape"]
        dt = e["dtype"]
        if dt == "F32":
            arr = raw.view("<f4").astype(np.float64)
        elif dt == "F16":
            arr = raw.view("<f2").astype(np.float64)
        elif dt == "BF16":
            arr = (raw.view("<u2").astype(np.uint32) << 16).view("<f4").astype(np.float64)
        elif dt == "F8_E4M3":
            arr = F8_TABLE[raw]
        else:
            raise ValueError(f"{name}: unsupported dtype {dt}")
        return arr.reshape(shape), dt


class Checkpoint:
    def __init__(self, d):
        idx = os.path.join(d, "model.safetensors.index.json")
        self.files = {}
        self.where = {}
        if os.path.exists(idx):
            wm = json.load(open(idx))["weight_map"]
            for name, shard in wm.items():
                if shard not in self.files:
                    self.files[shard] = SafeTensors(os.path.join(d, shard))
                self.where[name] = self.files[shard]
        else:
            st = SafeTensors(os.path.join(d, "model.safetensors"))
            for name in st.header:
                if name != "__metadata__":
                    self.where[name] = st

    def has(self, name):
        return name in self.where

    def tensor(self, name):
        arr, dt = self.where[name].get(name)
        if dt == "F8_E4M3":
            base = name[: -len(".weight")]
            s, _ = self.where[base + ".weight_scale_inv"].get(base + ".weight_scale_inv")
            s = np.repeat(np.repeat(s, 128, axis=0), 128, axis=1)[: arr.shape[0], : arr.shape[1]]
            arr = arr * s
        return torch.from_numpy(np.ascontiguousarray(arr)).to(DT)


def rms_norm(x, w, eps):
    return w * (x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps))


def bf16_round(x):
    return x.to(torch.float32).to(torch.bfloat16).to(DT)


class Reference:
    def __init__(self, d, kv_cache_dtype="f32"):
        self.kv_bf16 = kv_cache_dtype == "bf16"
        self.cfg = json.load(open(os.path.join(d, "config.json")))
        self.ck = Checkpoint(d)
        self.cache = {}
        c = self.cfg
        self.eps = c.get("rms_norm_eps", 1e-6)
        rs = c.get("rope_scaling") or None
        dr = c["qk_rope_head_dim"]
        base = c.get("rope_theta", 10000.0)
        freqs = 1.0 / (base ** (torch.arange(0, dr, 2, dtype=DT) / dr))
        scale = (c["qk_nope_head_dim"] + dr) ** -0.5
        if rs and rs.get("factor", 1.0) > 1.0:
            factor = rs["factor"]
            orig = rs.get("original_max_position_embeddings", 4096)

            def corr(rot):
                return dr * math.log(orig / (rot * 2 * math.pi)) / (2 * math.log(base))

            low = max(math.floor(corr(rs.get("beta_fast", 32))), 0)
            high = min(math.ceil(corr(rs.get("beta_slow", 1))), dr - 1)
            if low == high:
                high += 0.001
            ramp = torch.clamp((torch.arange(dr // 2, dtype=DT) - low) / (high - low), 0, 1)
            freqs = freqs / factor * ramp + freqs * (1 - ramp)
            m = 0.1 * rs.get("mscale", 1.0) * math.log(factor) + 1.0
            scale = scale * m * m
        self.freqs = freqs
        self.scale = scale

    def w(self, name):
        if name not in self.cache:
            self.cache[name] = self.ck.tensor(name)
        return self.cache[name]

    def rope(self, x, pos):
        # x [..., T, dr] with T along dim -2; rotate adjacent pairs as complex numbers.
        ang = pos[:, None].to(DT) * self.freqs[None, :]
        rot = torch.polar(torch.ones_like(ang), ang)
        shape = x.shape
        xc = torch.view_as_complex(x.reshape(*shape[:-1], shape[-1] // 2, 2).contiguous())
        return torch.view_as_real(xc * rot).reshape(shape)

    def mlp(self, p, x):
        g = x @ self.w(p + "gate_proj.weight").T
        u = x @ self.w(p + "up_proj.weight").T
        return (torch.nn.functional.silu(g) * u) @ self.w(p + "down_proj.weight").T

    def moe(self, p, x):
        c = self.cfg
        logits = x @ self.w(p + "gate.weight").T
        if c.get("scoring_func", "softmax") == "sigmoid":
            scores = logits.sigmoid()
        else:
            scores = logits.softmax(dim=-1)
        original = scores
        method = c.get("topk_method", "greedy")
        if method == "noaux_tc":
            scores = scores + self.w(p + "gate.e_score_correction_bias")
        ng = c.get("n_group", 1)
        if method != "greedy" and ng > 1:
            s = scores.view(x.shape[0], ng, -1)
            if method == "noaux_tc":
                gs = s.topk(2, dim=-1)[0].sum(-1)
            else:
                gs = s.amax(dim=-1)
            keep = gs.topk(c["topk_group"], dim=-1)[1]
            mask = torch.ones(x.shape[0], ng, dtype=torch.bool).scatter_(1, keep, False)
            scores = s.masked_fill(mask.unsqueeze(-1), float("-inf")).flatten(1)
        idx = scores.topk(c["num_experts_per_tok"], dim=-1)[1]
        wts = original.gather(1, idx)
        if c.get("norm_topk_prob", False):
            wts = wts / wts.sum(-1, keepdim=True)
        wts = wts * c.get("routed_scaling_factor", 1.0)
        y = torch.zeros_like(x)
        for e in range(c["n_routed_experts"]):
            rows, slot = torch.where(idx == e)
            if rows.numel() == 0:
                continue
            y[rows] += wts[rows, slot][:, None] * self.mlp(f"{p}experts.{e}.", x[rows])
        if c.get("n_shared_experts", 0):
            y = y + self.mlp(p + "shared_experts.", x)
        return y

    def attention(self, p, x, pos):
        c = self.cfg
        T = x.shape[0]
        H, dn, dr, dv, dc = (c["num_attention_heads"], c["qk_nope_head_dim"], c["qk_rope_head_dim"],
                             c["v_head_dim"], c["kv_lora_rank"])
        if c.get("q_lora_rank"):
            q = rms_norm(x @ self.w(p + "q_a_proj.weight").T, self.w(p + "q_a_layernorm.weight"), self.eps)
            q = q @ self.w(p + "q_b_proj.weight").T
        else:
            q = x @ self.w(p + "q_proj.weight").T
        q = q.view(T, H, dn + dr)
        q_nope, q_pe = q[..., :dn], q[..., dn:]
        q_pe = self.rope(q_pe.transpose(0, 1), pos).transpose(0, 1)
        kv = x @ self.w(p + "kv_a_proj_with_mqa.weight").T
        latent, k_pe = kv[:, :dc], kv[:, dc:]
        latent = rms_norm(latent, self.w(p + "kv_a_layernorm.weight"), self.eps)
        k_pe = self.rope(k_pe, pos)
        if self.kv_bf16:
            latent, k_pe = bf16_round(latent), bf16_round(k_pe)
        kvb = (latent @ self.w(p + "kv_b_proj.weight").T).view(T, H, dn + dv)
        k_nope, v = kvb[..., :dn], kvb[..., dn:]
        k = torch.cat([k_nope, k_pe[:, None, :].expand(T, H, dr)], dim=-1)
        qf = torch.cat([q_nope, q_pe], dim=-1)
        scores = torch.einsum("thd,shd->hts", qf, k) * self.scale
        mask = torch.full((T, T), float("-inf"), dtype=DT).triu(1)
        probs = (scores + mask).softmax(dim=-1)
        o = torch.einsum("hts,shd->thd", probs, v).reshape(T, H * dv)
        return o @ self.w(p + "o_proj.weight").T

    def logits(self, ids, start):
        c = self.cfg
        pos = torch.arange(len(ids))
        h = self.w("model.embed_tokens.weight")[torch.tensor(ids)]
        for l in range(c["num_hidden_layers"]):
            p = f"model.layers.{l}."
            h = h + self.attention(p + "self_attn.", rms_norm(h, self.w(p + "input_layernorm.weight"), self.eps), pos)
            x = rms_norm(h, self.w(p + "post_attention_layernorm.weight"), self.eps)
            moe = (c.get("n_routed_experts") and l >= c.get("first_k_dense_replace", 0)
                   and l % c.get("moe_layer_freq", 1) == 0)
            h = h + (self.moe(p + "mlp.", x) if moe else self.mlp(p + "mlp.", x))
        h = rms_norm(h[start:], self.w("model.norm.weight"), self.eps)
        head = "lm_head.weight" if self.ck.has("lm_head.weight") else "model.embed_tokens.weight"
        return h @ self.w(head).T


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--binary-out")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--kv-cache-dtype", choices=["f32", "bf16"], default="f32")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    ref = Reference(args.model, args.kv_cache_dtype)
    binary = open(args.binary_out, "wb") if args.binary_out else None
    with torch.no_grad():
        for line in sys.stdin:
            if not line.strip():
                continue
            req = json.loads(line)
            out = ref.logits(req["ids"], req.get("logits_from", 0))
            if binary:
                binary.write(out.to(torch.float32).numpy().astype("<f4").tobytes())
            else:
                sys.stdout.write(json.dumps({"logits": out.tolist()}) + "\n")
    if binary:
        binary.close()


if __name__ == "__main__":
    main()
