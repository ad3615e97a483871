"Acceptance test of the training issue: every method trains on BasicMotions and its target deploys from one sensor."
import pytest, torch
from d_cat.data.offline import basic_motions
from d_cat.transfer import METHODS, TransferConfig, train_source, train_target
from d_cat.export import export_model, load_exported

CFG = TransferConfig(epochs=2, d_model=16, n_heads=2, batch_size=16)

@pytest.fixture(scope='module')
def data_and_source():
    bm = basic_motions()
    return bm, train_source(bm, 'acc', CFG)

@pytest.mark.parametrize('method', [m for m in METHODS if m != 'late_fusion'])
def test_method_trains_and_deploys_from_one_sensor(method, data_and_source, tmp_path):
    bm, source = data_and_source
    res = train_target(bm, 'gyro', source.model, 'acc', method, CFG)
    assert len(res.history) == CFG.epochs and 0 <= res.test_best['f1_macro'] <= 1
    export_model(res.model, tmp_path/'gyro', 'gyro', bm.info, bm.normalizer, method=method)
    del res, source  # the deployed model needs neither the source nor the accelerometer
    deployed = load_exported(tmp_path/'gyro')
    gyro = torch.stack([bm.test[i]['gyro'] for i in range(len(bm.test))])
    raw = gyro * torch.tensor(bm.normalizer.stats['gyro']['std'])[:, None] + torch.tensor(bm.normalizer.stats['gyro']['mean'])[:, None]
    names, probs = deployed.predict(raw)
    assert len(names) == len(bm.test) and set(names) <= set(bm.info.classes)
    assert torch.allclose(probs.sum(-1), torch.ones(len(bm.test)), atol=1e-5)
    with pytest.raises(ValueError, match="reads the 'gyro' sensor"):
        deployed.predict(torch.cat([raw, raw], 1))  # accelerometer + gyroscope together is not its input

def test_late_fusion_is_the_upper_bound_not_a_deployable_model(data_and_source, tmp_path):
    bm, _ = data_and_source
    res = train_target(bm, None, None, None, 'late_fusion', CFG)
    assert 0 <= res.test_best['f1_macro'] <= 1
    with pytest.raises(ValueError, match='not a one-sensor model'):
        export_model(res.model, tmp_path/'fusion', 'gyro', bm.info)
