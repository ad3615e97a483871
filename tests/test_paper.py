"""The paper's datasets end to end on fixtures in their release formats: `paper_splits` (what the command line calls),
a two-stage training (source, then a D-CAT target), and the target exported and deployed from its one sensor."""
import functools, os, urllib.request, warnings
import pytest, torch
from d_cat.data.paper import paper_splits
from d_cat.data.paper_fixtures import write_vggsound_fixture, write_uestc_fixture, write_dryad_fixture
from d_cat.export import export_model, load_exported
from d_cat.pipeline import TransferConfig, train_source, train_target

torch.set_num_threads(1)
CFG = TransferConfig(epochs=2, d_model=16, n_heads=2, batch_size=8)
CASES = {  # dataset: (fixture writer, loader options kept small, source, target)
    'uestc': (write_uestc_fixture, dict(n_segments=4, image_size=16, imu_length=48), 'acc', 'video'),
    'vggsound': (write_vggsound_fixture, dict(sample_rate=8000, clip_seconds=1.0, image_size=24), 'audio', 'image'),
    # six recordings per class: enough that every split can hold every class (fewer warns, rightly)
    'dryad': (functools.partial(write_dryad_fixture, n_per_class=6), dict(sample_rate=8000), 'audio', 'imu'),
}

@pytest.mark.parametrize('name', list(CASES))
def test_two_stages_and_export_on_the_release_format(name, tmp_path):
    write, options, src, tgt = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter('error')                     # a clean fixture: no bad-file warning
        splits = paper_splits(name, write(tmp_path / name), **options)
    source = train_source(splits, src, cfg=CFG)
    target = train_target(splits, tgt, source=source.model, source_modality=src, method='dcat', cfg=CFG)
    assert len(target.history) == CFG.epochs and 'train_ca' in target.history[0]
    assert 0 <= target.test_best['f1_macro'] <= 1
    assert splits.train.n_failed == 0 and splits.train.skipped == 0
    export_model(target.model, tmp_path / 'model', tgt, splits.info, splits.normalizer, program=False, torchscript=False)
    deployed = load_exported(tmp_path / 'model')
    splits.test.normalizer = None                          # the deployed model standardises raw sensor data itself
    raw = torch.stack([splits.test[i][tgt] for i in range(3)])
    names, probs = deployed.predict(raw)
    assert set(names) <= set(splits.info.classes) and probs.shape == (3, splits.info.n_classes)
    splits.test.normalizer = splits.normalizer
    with torch.no_grad(): logits, _ = target.model.eval()(torch.stack([splits.test[i][tgt] for i in range(3)]))
    torch.testing.assert_close(deployed(raw), logits, atol=1e-4, rtol=1e-4)

def _online()->bool:
    try: urllib.request.urlopen('https://download.pytorch.org', timeout=3); return True
    except Exception: return False

def test_pretrained_offline_gives_one_clear_error(tmp_path, monkeypatch):
    "Without D_CAT_OFFLINE: a real download attempt, which fails here (no internet) with one message naming the cache."
    if _online(): pytest.skip('this machine reaches download.pytorch.org: the offline path cannot happen here')
    from d_cat.encoders import build_encoder
    from d_cat.data.core import ModalitySpec
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    monkeypatch.delenv('D_CAT_OFFLINE', raising=False)
    with pytest.raises(FileNotFoundError, match=r'not in the torch hub cache .*resnet18-f37072fd\.pth.*could not be downloaded'):
        build_encoder(ModalitySpec('video', (4, 3, 32, 32)), 16, stem='resnet18', pretrained=True)
