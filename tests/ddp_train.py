"""Tiny DDP training run used by tests/test_ddp.py.

Run as: python -m torch.distributed.run --nproc_per_node 2 tests/ddp_train.py OUT_DIR
Each rank writes OUT_DIR/result_rank{r}.pt (its final weights and what it saw); the learner's
CheckpointCB is given a per-rank path so that the test can see which ranks wrote one.
"""
import atexit, os, sys
from pathlib import Path
import torch, torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader, Dataset
from sklearn.metrics import accuracy_score, f1_score
from d_cat.learner import Learner, Callback, set_seed
from d_cat.checkpoints import CheckpointCB

class Toy(Dataset):
    "Dict samples {'x': (3, 8), 'label': int}; the label is readable from the channel means."
    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.y = torch.randint(0, 3, (n,), generator=g)
        centers = torch.randn(3, 3, 1, generator=torch.Generator().manual_seed(0))
        self.x = centers[self.y] + torch.randn(n, 3, 8, generator=g)
    def __len__(self): return len(self.y)
    def __getitem__(self, i): return {'x': self.x[i], 'label': int(self.y[i]), 'idx': i}

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body, self.head = nn.Sequential(nn.Linear(3, 16), nn.ReLU()), nn.Linear(16, 3)
    def forward(self, x): return self.head(self.body(x.transpose(1, 2)).mean(1)), None

class Seen(Callback):
    "Records which training samples this rank saw, the model wrapper type and the process group."
    def __init__(self): self.idx, self.wrapper, self.group = [], set(), None
    def before_batch(self, learn):
        if learn.training: self.idx += learn.batch['idx'].tolist(); self.wrapper.add(type(learn.model).__name__)
        self.group = (dist.get_world_size(), dist.get_backend())

if __name__ == '__main__':
    out = Path(sys.argv[1])
    rank = int(os.environ['RANK'])
    # registered before any fit, so it runs after DDPCB's exit handler (atexit is last in, first out)
    atexit.register(lambda: (out/f'closed_at_exit_rank{rank}').write_text(str(not dist.is_initialized())))
    set_seed(rank) # different on purpose: DDP must broadcast rank 0's initial weights
    train = DataLoader(Toy(96, seed=0), batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(0))
    valid = DataLoader(Toy(48, seed=1), batch_size=48)
    seen = Seen()
    learn = Learner(Net(), (train, valid), inputs='x', lr=1e-2, quiet=True, device='cpu',
                    cbs=[seen, CheckpointCB(out/f'checkpoint_rank{rank}.pt')])
    learn.fit(2)
    still_open = dist.is_initialized()  # DDPCB opened the process group: it stays for the next fit
    # 95 samples on 2 ranks: the DistributedSampler repeats one to give both ranks 48; with lr=0 the weights stay
    # put, so the training metrics must be those of the fixed model on the 95 samples, each counted once
    odd = Toy(95, seed=2)
    set_seed(0)
    frozen = Learner(Net(), (DataLoader(odd, batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(0)),),
                     inputs='x', lr=0., quiet=True, device='cpu')
    frozen.fit(1)  # the same process group
    with torch.no_grad(): preds = frozen.model(odd.x)[0].argmax(-1)
    direct = dict(accuracy=float(accuracy_score(odd.y, preds)),
                  f1_macro=float(f1_score(odd.y, preds, labels=range(3), average='macro', zero_division=0)))
    torch.save(dict(weights=learn.model.state_dict(), idx=seen.idx, wrapper=sorted(seen.wrapper), still_open=still_open,
                    history=learn.history, world_size=seen.group[0], backend=seen.group[1],
                    odd_history=frozen.history, odd_direct=direct),
               out/f'result_rank{rank}.pt')
