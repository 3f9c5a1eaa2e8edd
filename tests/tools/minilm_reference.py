"""Reference embeddings for all-MiniLM-L6-v2, computed with a plain numpy BERT forward pass
(sentence-transformers' pipeline: WordPiece tokens, BERT, mean pooling, L2 normalisation)."""
import json, sys
import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

model_dir = sys.argv[1]
W = load_file(f"{model_dir}/model.safetensors")
cfg = json.load(open(f"{model_dir}/config.json"))
tok = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
tok.no_padding(); tok.no_truncation()
P = "" if "embeddings.word_embeddings.weight" in W else "bert."

def ln(x, g, b, eps=cfg["layer_norm_eps"]):
    m = x.mean(-1, keepdims=True); v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * g + b

def gelu(x):
    from math import sqrt
    import scipy.special as sp  # noqa
    return 0.5 * x * (1 + sp.erf(x / sqrt(2)))

def embed(text):
    enc = tok.encode(text)
    ids = np.array(enc.ids); n = len(ids)
    x = W[P+"embeddings.word_embeddings.weight"][ids] + W[P+"embeddings.position_embeddings.weight"][:n] + W[P+"embeddings.token_type_embeddings.weight"][0]
    x = ln(x, W[P+"embeddings.LayerNorm.weight"], W[P+"embeddings.LayerNorm.bias"])
    H = cfg["num_attention_heads"]; d = x.shape[1] // H
    for i in range(cfg["num_hidden_layers"]):
        p = f"{P}encoder.layer.{i}."
        lin = lambda t, name: t @ W[p+name+".weight"].T + W[p+name+".bias"]
        q, k, v = (lin(x, f"attention.self.{name}").reshape(n, H, d).transpose(1, 0, 2) for name in ("query", "key", "value"))
        a = q @ k.transpose(0, 2, 1) / np.sqrt(d)
        a = np.exp(a - a.max(-1, keepdims=True)); a /= a.sum(-1, keepdims=True)
        ctx = (a @ v).transpose(1, 0, 2).reshape(n, H * d)
        x = ln(x + lin(ctx, "attention.output.dense"), W[p+"attention.output.LayerNorm.weight"], W[p+"attention.output.LayerNorm.bias"])
        h = gelu(lin(x, "intermediate.dense"))
        x = ln(x + lin(h, "output.dense"), W[p+"output.LayerNorm.weight"], W[p+"output.LayerNorm.bias"])
    v = x.mean(0)
    return (v / np.linalg.norm(v)).tolist()

texts = ["How do I reverse a list in Python?", "exchange rate from USD to JPY", "exchange rate from JPY to USD",
         "Split a €20 bill three ways", "and in Java?", "What is the capital of France?"]
print(json.dumps([{"text": t, "embedding": [round(x, 6) for x in embed(t)]} for t in texts]))
