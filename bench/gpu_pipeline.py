"""The two-stage pipeline on a GPU with bfloat16 autocast: training samples per second per method.

    python bench/gpu_pipeline.py --out bench/gpu_pipeline.json [--epochs 10] [--batch-size 64]

Samples per second = epochs x training windows / wall time of `fit` (validation passes included), measured
after one warm-up epoch of the same model. The source's forward pass is what D-CAT adds; cached scores remove it.
"""
import argparse, json, platform, time
from datetime import datetime, timezone
from pathlib import Path
import torch
from d_cat.data.offline import watch_imu
from d_cat.pipeline import TransferConfig, train_source, train_target

p = argparse.ArgumentParser()
p.add_argument('--out', default='bench/gpu_pipeline.json'); p.add_argument('--epochs', type=int, default=10)
p.add_argument('--batch-size', type=int, default=64); p.add_argument('--device', default='cuda')
a = p.parse_args()
dev = torch.device(a.device)
splits = watch_imu('id')
n_train = len(splits.train)
cfg = TransferConfig(epochs=a.epochs, batch_size=a.batch_size)
rows = []
def timed(name, f):
    if dev.type == 'cuda': torch.cuda.synchronize()
    t0 = time.perf_counter(); res = f()
    if dev.type == 'cuda': torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    rows.append({'run': name, 'seconds': round(dt, 2), 'samples_per_s': round(a.epochs * n_train / dt, 1),
                 'test_f1_best': round(res.test_best['f1_macro'], 4), 'test_f1_last': round(res.test_last['f1_macro'], 4)})
    print(rows[-1], flush=True)
    return res
train_source(splits, 'acc', cfg=TransferConfig(epochs=1, batch_size=a.batch_size), device=dev)  # warm-up (CUDA context, kernels)
src = timed('source (acc, unimodal)', lambda: train_source(splits, 'acc', cfg=cfg, device=dev))
timed('target gyro, unimodal', lambda: train_target(splits, 'gyro', method='unimodal', cfg=cfg, device=dev))
live = TransferConfig(**{**cfg.to_dict(), 'cache_source': False})
timed('target gyro, D-CAT live source', lambda: train_target(splits, 'gyro', source=src.model, source_modality='acc',
                                                            method='dcat', cfg=live, device=dev))
timed('target gyro, D-CAT cached scores', lambda: train_target(splits, 'gyro', source=src.model, source_modality='acc',
                                                              method='dcat', cfg=cfg, device=dev))
gpu = torch.cuda.get_device_name(0) if dev.type == 'cuda' else 'none'
out = {'date': datetime.now(timezone.utc).isoformat(timespec='seconds'), 'gpu': gpu, 'torch': torch.__version__,
       'python': platform.python_version(), 'dataset': 'watch_imu (id)', 'train_windows': n_train, 'epochs': a.epochs,
       'batch_size': a.batch_size, 'autocast': 'bfloat16' if dev.type == 'cuda' else 'none', 'rows': rows}
Path(a.out).parent.mkdir(parents=True, exist_ok=True)
Path(a.out).write_text(json.dumps(out, indent=1))
print(json.dumps(out, indent=1))
