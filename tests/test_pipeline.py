"Acceptance test of the training issue: every method trains on BasicMotions and its target deploys from one sensor."
import pytest, torch
from d_cat.data.offline import basic_motions
from d_cat.methods import METHODS, get_method
from d_cat.pipeline import TransferConfig, train_source, train_target, train_late_fusion
from d_cat.export import export_model, load_exported

CFG = TransferConfig(epochs=2, d_model=16, n_heads=2, batch_size=16)

@pytest.fixture(scope='module')
def data_and_source():
    bm = basic_motions()
    return bm, train_source(bm, 'acc', cfg=CFG)

@pytest.mark.parametrize('method', [m for m in METHODS if not get_method(m).fusion])
def test_method_trains_and_deploys_from_one_sensor(method, data_and_source, tmp_path):
    bm, source = data_and_source
    res = train_target(bm, 'gyro', source=source.model, source_modality='acc', method=method, cfg=CFG)
    assert len(res.history) == CFG.epochs and 0 <= res.test_best['f1_macro'] <= 1
    export_model(res, tmp_path/'gyro', bm)  # the result and the data: the card takes sensor, classes, method from them
    del res, source  # the deployed model needs neither the source nor the accelerometer
    deployed = load_exported(tmp_path/'gyro')
    gyro = torch.stack([bm.test[i]['gyro'] for i in range(len(bm.test))])
    raw = bm.normalizer.inverse('gyro', gyro)
    names, probs = deployed.predict(raw)
    assert len(names) == len(bm.test) and set(names) <= set(bm.info.classes)
    assert deployed.card['method'] == method and deployed.card['source_modality'] == ('acc' if method != 'unimodal' else None)
    assert torch.allclose(probs.sum(-1), torch.ones(len(bm.test)), atol=1e-5)
    with pytest.raises(ValueError, match="reads the 'gyro' sensor"):
        deployed.predict(torch.cat([raw, raw], 1))  # accelerometer + gyroscope together is not its input

def test_late_fusion_is_the_upper_bound_not_a_deployable_model(data_and_source, tmp_path):
    bm, _ = data_and_source
    res = train_late_fusion(bm, cfg=CFG)
    assert 0 <= res.test_best['f1_macro'] <= 1
    with pytest.raises(ValueError, match='not a one-sensor model'):
        export_model(res, tmp_path/'fusion', bm)
