"""Train a small D-CAT-library classifier on BasicMotions for 4 epochs with a checkpoint after every epoch.

Run as: python tests/fault_train.py OUT_DIR straight|kill|resume
- straight: 4 epochs in one go;
- kill: the same, but the process SIGKILLs itself in the middle of epoch 3 (after epoch 2's checkpoint);
- resume: a fresh process, another seed, continues from the killed run's checkpoint.
Each run that ends writes OUT_DIR/{mode}.pt with its final weights and history.
"""
import os, signal, sys
from pathlib import Path
import torch
from d_cat.learner import Learner, Callback, set_seed
from d_cat.checkpoints import CheckpointCB
from d_cat.encoders import build_classifier
from d_cat.data.core import dataloaders
from d_cat.data.offline import basic_motions

class KillMidEpoch(Callback):
    "SIGKILL this process at batch 1 of epoch 2 (0-based; BasicMotions has 2 training batches of 16): as `kill -9` does."
    def before_batch(self, learn):
        if learn.training and learn.epoch == 2 and learn.iter == 1: os.kill(os.getpid(), signal.SIGKILL)

if __name__ == '__main__':
    out, mode = Path(sys.argv[1]), sys.argv[2]
    torch.set_num_threads(1)
    bm = basic_motions()
    set_seed(123 if mode == 'resume' else 0)  # the resumed run must get everything from the checkpoint
    model = build_classifier(bm.info.modalities['acc'], bm.info.n_classes, d_model=16, n_heads=2)
    dls = dataloaders(bm, 16, seed=123 if mode == 'resume' else 0)[:2]
    ckpt = out/('straight_ckpt.pt' if mode == 'straight' else 'ckpt.pt')
    cbs = [CheckpointCB(ckpt)] + ([KillMidEpoch()] if mode == 'kill' else [])
    learn = Learner(model, dls, 'acc', lr=1e-2, quiet=True, device='cpu', cbs=cbs)
    learn.fit(4, resume=ckpt if mode == 'resume' else None)
    torch.save(dict(weights=learn.model.state_dict(), history=learn.history), out/f'{mode}.pt')
