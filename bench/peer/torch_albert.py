"""
A plain PyTorch ALBERT (v2 layout: factorized embeddings, one block shared by every layer,
post-LayerNorm, gelu tanh form), written with torch.nn, as the peer our benchmarks compare
against. Not a port of any library's model: the architecture follows /work/shared/ALBERT-FACTS.md.

Modes (each prints one JSON line on stdout):

  export --out FILE [--batch 8 --seq 128 --opset 17 --int32 1]
      torch.onnx.export of the encoder alone (inputs input_ids, input_mask, segment_ids;
      outputs last_hidden_state, pooler_output), eval mode, dynamic batch and seq.
  train  [--batch 8 --seq 128 --steps 3 --optimizer adamw|lamb --threads T --predictions 20]
      eager steps of the full pretraining model (MLM + SOP) on random data; the first is not counted.
  infer  [--batch 8 --seq 128 --runs 10 --threads T]
      eager encoder forward passes under torch.no_grad.
  gemm   [--threads T]
      PyTorch's own fp32 GEMM rate at 1024x768 by 768x3072 (bench/gemm.ts's shape).

Size flags (default ALBERT-base): --vocab --embedding --hidden --layers --heads --intermediate
--max-positions.
"""
import argparse
import json
import math
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Config:
    def __init__(self, a):
        self.vocab = a.vocab
        self.embedding = a.embedding
        self.hidden = a.hidden
        self.layers = a.layers
        self.heads = a.heads
        self.intermediate = a.intermediate
        self.max_positions = a.max_positions
        self.type_vocab = 2
        self.eps = 1e-12


def gelu_new(x):
    # The original's "gelu": the tanh approximation.
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word = nn.Embedding(c.vocab, c.embedding)
        self.position = nn.Embedding(c.max_positions, c.embedding)
        self.token_type = nn.Embedding(c.type_vocab, c.embedding)
        self.norm = nn.LayerNorm(c.embedding, eps=c.eps)

    def forward(self, input_ids, segment_ids):
        seq = input_ids.shape[1]
        # Position embeddings sliced to the sequence length, broadcast over the batch.
        pos = self.position.weight[:seq].unsqueeze(0)
        x = self.word(input_ids) + pos + self.token_type(segment_ids)
        return self.norm(x)


class Block(nn.Module):
    """One transformer block; ALBERT runs the same one L times."""

    def __init__(self, c):
        super().__init__()
        self.heads = c.heads
        self.head_dim = c.hidden // c.heads
        self.query = nn.Linear(c.hidden, c.hidden)
        self.key = nn.Linear(c.hidden, c.hidden)
        self.value = nn.Linear(c.hidden, c.hidden)
        self.attn_out = nn.Linear(c.hidden, c.hidden)
        self.attn_norm = nn.LayerNorm(c.hidden, eps=c.eps)
        self.ffn = nn.Linear(c.hidden, c.intermediate)
        self.ffn_out = nn.Linear(c.intermediate, c.hidden)
        self.out_norm = nn.LayerNorm(c.hidden, eps=c.eps)

    def split(self, x):
        b, s, _ = x.shape
        return x.view(b, s, self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x, mask_add):
        b, s, h = x.shape
        q = self.split(self.query(x))
        k = self.split(self.key(x))
        v = self.split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim) + mask_add
        probs = F.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).transpose(1, 2).reshape(b, s, h)
        a = self.attn_norm(x + self.attn_out(ctx))
        f = self.ffn_out(gelu_new(self.ffn(a)))
        return self.out_norm(f + a)


class Encoder(nn.Module):
    """Embeddings -> E->H projection -> L applications of the shared block; pooler on token 0."""

    def __init__(self, c):
        super().__init__()
        self.layers = c.layers
        self.embeddings = Embeddings(c)
        self.mapping_in = nn.Linear(c.embedding, c.hidden)
        self.block = Block(c)
        self.pooler = nn.Linear(c.hidden, c.hidden)

    def forward(self, input_ids, input_mask, segment_ids):
        # [B, 1, 1, S] additive mask: 0 where attended, -10000 where padded.
        mask_add = (1.0 - input_mask.to(torch.float32))[:, None, None, :] * -10000.0
        x = self.mapping_in(self.embeddings(input_ids, segment_ids))
        for _ in range(self.layers):
            x = self.block(x, mask_add)
        pooled = torch.tanh(self.pooler(x[:, 0]))
        return x, pooled


class Pretraining(nn.Module):
    """Encoder + MLM head (decoder tied to the word embeddings) + SOP head, and their losses."""

    def __init__(self, c):
        super().__init__()
        self.encoder = Encoder(c)
        self.mlm_dense = nn.Linear(c.hidden, c.embedding)
        self.mlm_norm = nn.LayerNorm(c.embedding, eps=c.eps)
        self.mlm_bias = nn.Parameter(torch.zeros(c.vocab))
        self.sop = nn.Linear(c.hidden, 2)

    def forward(self, input_ids, input_mask, segment_ids, positions, lm_ids, lm_weights, sop_labels):
        seq, pooled = self.encoder(input_ids, input_mask, segment_ids)
        idx = positions.unsqueeze(-1).expand(-1, -1, seq.shape[-1])
        x = torch.gather(seq, 1, idx)  # [B, P, H]
        x = self.mlm_norm(gelu_new(self.mlm_dense(x)))
        logits = torch.matmul(x, self.encoder.embeddings.word.weight.t()) + self.mlm_bias  # [B, P, V]
        nll = -torch.gather(F.log_softmax(logits, dim=-1), 2, lm_ids.unsqueeze(-1)).squeeze(-1)
        w = lm_weights.reshape(-1)
        mlm = torch.sum(w * nll.reshape(-1)) / (torch.sum(w) + 1e-5)
        sop = F.cross_entropy(self.sop(pooled), sop_labels)
        return mlm + sop


def init_weights(model, std=0.02):
    """The original's init: truncated normal (2 stddev) weights, zero biases, LayerNorm 1 and 0."""
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, (nn.Linear, nn.Embedding)):
                nn.init.trunc_normal_(mod.weight, std=std, a=-2 * std, b=2 * std)
                if getattr(mod, 'bias', None) is not None:
                    nn.init.zeros_(mod.bias)
            elif isinstance(mod, nn.LayerNorm):
                nn.init.ones_(mod.weight)
                nn.init.zeros_(mod.bias)
    return model


def no_decay(name):
    return 'norm' in name or name.endswith('bias')


class Lamb(torch.optim.Optimizer):
    """
    The original ALBERT's LAMB: Adam moments without bias correction, u = m/(sqrt(v)+eps) + wd*p,
    trust ratio ||p||/||u|| (1 when either norm is 0, and for parameters without weight decay),
    p -= lr * ratio * u. Parameter groups carry their own weight decay (0 for LayerNorm and bias).
    """

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.01):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self):
        for g in self.param_groups:
            b1, b2 = g['betas']
            for p in g['params']:
                if p.grad is None:
                    continue
                st = self.state[p]
                if not st:
                    st['m'] = torch.zeros_like(p)
                    st['v'] = torch.zeros_like(p)
                m, v = st['m'], st['v']
                m.mul_(b1).add_(p.grad, alpha=1 - b1)
                v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                u = m / (v.sqrt() + g['eps'])
                ratio = 1.0
                if g['weight_decay'] != 0:
                    u.add_(p, alpha=g['weight_decay'])
                    pn = torch.linalg.vector_norm(p)
                    un = torch.linalg.vector_norm(u)
                    ratio = torch.where((pn > 0) & (un > 0), pn / un, torch.ones_like(pn))
                p.sub_(g['lr'] * ratio * u)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def token_feeds(c, batch, seq, gen, dtype):
    ids = torch.randint(0, c.vocab, (batch, seq), generator=gen, dtype=dtype)
    mask = torch.ones(batch, seq, dtype=dtype)
    seg = (torch.arange(seq) >= seq // 2).to(dtype).unsqueeze(0).expand(batch, seq).contiguous()
    return ids, mask, seg


def cmd_export(a, c):
    torch.manual_seed(1)
    enc = init_weights(Encoder(c)).eval()
    dtype = torch.int32 if a.int32 else torch.int64
    feeds = token_feeds(c, a.batch, a.seq, torch.Generator().manual_seed(1), dtype)
    axes = {0: 'batch', 1: 'seq'}
    t0 = time.time()
    with torch.no_grad():
        torch.onnx.export(
            enc,
            feeds,
            a.out,
            input_names=['input_ids', 'input_mask', 'segment_ids'],
            output_names=['last_hidden_state', 'pooler_output'],
            dynamic_axes={
                'input_ids': axes,
                'input_mask': axes,
                'segment_ids': axes,
                'last_hidden_state': axes,
                'pooler_output': {0: 'batch'},
            },
            opset_version=a.opset,
            do_constant_folding=True,
        )
    return {
        'mode': 'export',
        'out': a.out,
        'opset': a.opset,
        'inputDtype': 'int32' if a.int32 else 'int64',
        'torch': torch.__version__,
        'parameters': sum(p.numel() for p in enc.parameters()),
        'seconds': time.time() - t0,
    }


def cmd_train(a, c):
    torch.manual_seed(1)
    model = init_weights(Pretraining(c)).train()  # v2: no dropout layers at all
    named = list(model.named_parameters())
    groups = [
        {'params': [p for n, p in named if not no_decay(n)], 'weight_decay': 0.01},
        {'params': [p for n, p in named if no_decay(n)], 'weight_decay': 0.0},
    ]
    if a.optimizer == 'adamw':
        opt = torch.optim.AdamW(groups, lr=1e-4, betas=(0.9, 0.999), eps=1e-6)
    else:
        opt = Lamb(groups, lr=1e-4)
    gen = torch.Generator().manual_seed(2)
    B, S, P = a.batch, a.seq, a.predictions

    def batch():
        ids, mask, seg = token_feeds(c, B, S, gen, torch.int64)
        pos = torch.randint(0, S, (B, P), generator=gen)
        lm_ids = torch.randint(0, c.vocab, (B, P), generator=gen)
        w = torch.ones(B, P)
        sop = torch.randint(0, 2, (B,), generator=gen)
        return ids, mask, seg, pos, lm_ids, w, sop

    times = []
    first = None
    loss = float('nan')
    for i in range(a.steps + 1):
        feeds = batch()
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        l = model(*feeds)
        l.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        loss = float(l)
        dt = time.perf_counter() - t0
        if i == 0:
            first = dt
        else:
            times.append(dt)
    srt = sorted(times)
    return {
        'mode': 'train',
        'optimizer': a.optimizer,
        'batch': B,
        'seq': S,
        'threads': torch.get_num_threads(),
        'parameters': sum(p.numel() for p in model.parameters()),
        'firstStepSeconds': first,
        'stepSeconds': times,
        'medianStepSeconds': srt[len(srt) // 2],
        'bestStepSeconds': srt[0],
        'loss': loss,
        'peakRssMb': peak_rss_mb(),
        'torch': torch.__version__,
    }


def cmd_infer(a, c):
    torch.manual_seed(1)
    enc = init_weights(Encoder(c)).eval()
    feeds = token_feeds(c, a.batch, a.seq, torch.Generator().manual_seed(1), torch.int64)
    times = []
    with torch.no_grad():
        for _ in range(3):
            enc(*feeds)
        for _ in range(a.runs):
            t0 = time.perf_counter()
            enc(*feeds)
            times.append(time.perf_counter() - t0)
    srt = sorted(times)
    return {
        'mode': 'infer',
        'batch': a.batch,
        'seq': a.seq,
        'threads': torch.get_num_threads(),
        'runSeconds': times,
        'medianSeconds': srt[len(srt) // 2],
        'bestSeconds': srt[0],
        'peakRssMb': peak_rss_mb(),
        'torch': torch.__version__,
    }


def cmd_gemm(a):
    """PyTorch's own fp32 GEMM rate, the same shape as bench/gemm.ts (1024x768 by 768x3072)."""
    M, K, N = 1024, 768, 3072
    x = torch.randn(M, K)
    w = torch.randn(K, N)
    for _ in range(3):
        torch.matmul(x, w)
    times = []
    for _ in range(60):
        t0 = time.perf_counter()
        torch.matmul(x, w)
        times.append(time.perf_counter() - t0)
    srt = sorted(times)
    flops = 2 * M * K * N
    return {'mode': 'gemm', 'shape': f'{M}x{K}x{N}', 'threads': torch.get_num_threads(), 'medianSeconds': srt[30], 'bestSeconds': srt[0], 'gflopsMedian': flops / srt[30] / 1e9, 'gflopsBest': flops / srt[0] / 1e9}


def main():
    p = argparse.ArgumentParser()
    p.add_argument('mode', choices=['export', 'train', 'infer', 'gemm'])
    p.add_argument('--out')
    p.add_argument('--batch', type=int, default=8)
    p.add_argument('--seq', type=int, default=128)
    p.add_argument('--steps', type=int, default=3)
    p.add_argument('--runs', type=int, default=10)
    p.add_argument('--predictions', type=int, default=20)
    p.add_argument('--optimizer', choices=['adamw', 'lamb'], default='lamb')
    p.add_argument('--threads', type=int, default=0)
    p.add_argument('--opset', type=int, default=17)
    p.add_argument('--int32', type=int, default=1)
    p.add_argument('--vocab', type=int, default=30000)
    p.add_argument('--embedding', type=int, default=128)
    p.add_argument('--hidden', type=int, default=768)
    p.add_argument('--layers', type=int, default=12)
    p.add_argument('--heads', type=int, default=12)
    p.add_argument('--intermediate', type=int, default=3072)
    p.add_argument('--max-positions', type=int, default=512)
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    c = Config(a)
    if a.mode == 'export':
        if not a.out:
            p.error('export needs --out FILE')
        r = cmd_export(a, c)
    elif a.mode == 'gemm':
        r = cmd_gemm(a)
    elif a.mode == 'train':
        r = cmd_train(a, c)
    else:
        r = cmd_infer(a, c)
    sys.stdout.write(json.dumps(r) + '\n')


if __name__ == '__main__':
    main()
