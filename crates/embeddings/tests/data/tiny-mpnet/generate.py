# The fixture of bert.rs's MPNet test: a tiny MPNet with random weights, built with
# Hugging Face transformers, and the sentence vectors (mean pooling, L2 normalisation) its
# implementation gives for fixed token-id sequences. Run with torch and transformers
# installed: python generate.py .
import json, sys, torch
from transformers import MPNetConfig, MPNetModel
out = sys.argv[1]
torch.manual_seed(7)
cfg = MPNetConfig(vocab_size=120, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                  intermediate_size=64, max_position_embeddings=322, relative_attention_num_buckets=32,
                  pad_token_id=1, bos_token_id=0, eos_token_id=2, layer_norm_eps=1e-5, hidden_act="gelu")
model = MPNetModel(cfg, add_pooling_layer=False).eval()
with torch.no_grad():
    for name, p in model.named_parameters():
        std = 1.0 if "relative_attention_bias" in name else 0.3
        if "LayerNorm" in name:
            p.copy_(1.0 + 0.1 * torch.randn_like(p) if name.endswith("weight") else 0.1 * torch.randn_like(p))
        else:
            p.normal_(0.0, std)
model.save_pretrained(out, safe_serialization=True)
g = torch.Generator().manual_seed(11)
sequences = []
for n in (1, 3, 9, 40, 150, 320):
    ids = [0] + torch.randint(3, 120, (n - 2,), generator=g).tolist() + [2] if n >= 2 else [0]
    sequences.append(ids)
vectors = []
with torch.no_grad():
    for ids in sequences:
        t = torch.tensor([ids])
        h = model(input_ids=t, attention_mask=torch.ones_like(t)).last_hidden_state[0].double()
        v = h.mean(0)
        vectors.append((v / v.norm()).tolist())
json.dump({"sequences": sequences, "vectors": vectors}, open(f"{out}/expected.json", "w"))
