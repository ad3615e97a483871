"Run by tests/test_ddp.py under torchrun: the two-stage pipeline's feature distillation on 2 CPU ranks."
import sys, torch, torch.distributed as dist
from pathlib import Path
from d_cat.data.offline import toy_sensors
from d_cat.pipeline import TransferConfig, train_source, train_target

out = Path(sys.argv[1])
splits = toy_sensors(n=96)
cfg = TransferConfig(epochs=2, d_model=16, n_heads=2, batch_size=16)
source = train_source(splits, 'a', cfg=cfg, seed=0)
res = {}
for seed in (0, 1):
    target = train_target(splits, 'b', source=source.model, source_modality='a', method='feature_kd', cfg=cfg, seed=seed)
    res[seed] = {k: v.detach().cpu() for k, v in target.model.state_dict().items()}
# the feature-distillation projection trains outside the model: it must stay identical across ranks too
from d_cat.learner import Learner, set_seed
from d_cat.data.core import dataloaders
from d_cat.encoders import build_classifier
from d_cat.distill import FeatureKDCB
set_seed(0)
cb = FeatureKDCB(source.model, 'a')
learn = Learner(build_classifier(splits.info.modalities['b'], splits.info.n_classes, d_model=16, n_heads=2),
                dataloaders(splits, 16, seed=0)[:2], inputs='b', quiet=True, device='cpu', cbs=[cb])
learn.fit(2)
res['proj'] = {k: v.detach().cpu() for k, v in cb.state_dict()['proj'].items()}
torch.save(res, out/f'transfer_rank{dist.get_rank()}.pt')
dist.destroy_process_group()
