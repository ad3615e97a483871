"""A short printed demonstration of the cross-attention loss on two small models (until the flagship lands)."""
import torch
from d_cat.cross_attention_loss import cross_attention_loss

torch.manual_seed(0)
B, d = 32, 64
audio_kqv = tuple(torch.randn(B, 100, d) for _ in range(3))
image_kqv = tuple(torch.randn(B, 256, d) for _ in range(3))
mask = torch.rand(B) > 0.3
print('loss on random k, q, v:', cross_attention_loss(audio_kqv, image_kqv, mask=mask).item())
