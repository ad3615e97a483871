"Launch tests/ddp_train.py on 2 CPU processes (gloo) and check what DDP promises."
import os, socket, subprocess, sys
from pathlib import Path
import pytest, torch

HERE = Path(__file__).parent

def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def torchrun(script:str, out:Path, timeout:int):
    "Run tests/`script` on 2 CPU processes with torchrun (gloo), writing into `out`; fail with its output if it fails."
    env = {k: v for k, v in os.environ.items() if k not in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR', 'MASTER_PORT')}
    env.update(CUDA_VISIBLE_DEVICES='', OMP_NUM_THREADS='1', PYTHONPATH=f"{HERE.parent}{os.pathsep}{env.get('PYTHONPATH', '')}")
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_addr', '127.0.0.1',
           '--master_port', str(free_port()), str(HERE/script), str(out)]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]

@pytest.fixture(scope='module')
def ddp_run(tmp_path_factory):
    "Run tests/ddp_train.py once under torchrun; its folder holds each rank's results and checkpoint."
    out = tmp_path_factory.mktemp('ddp')
    torchrun('ddp_train.py', out, timeout=180)
    return out

@pytest.fixture(scope='module')
def ddp_results(ddp_run): return [torch.load(ddp_run/f'result_rank{r}.pt', weights_only=True) for r in (0, 1)]

def test_ddp_two_cpu_processes(ddp_run, ddp_results):
    tmp_path, (r0, r1) = ddp_run, ddp_results
    assert r0['world_size'] == 2 and r0['backend'] == 'gloo'
    assert r0['still_open'] and r1['still_open']  # the process group DDPCB opened serves the script's next fit ...
    for r in (0, 1): assert (tmp_path/f'closed_at_exit_rank{r}').read_text() == 'True'  # ... and is closed at exit
    assert r0['wrapper'] == r1['wrapper'] == ['DistributedDataParallel']
    # both ranks end with identical weights (although they started from different seeds)
    assert r0['weights'].keys() == r1['weights'].keys()
    for k in r0['weights']: assert torch.equal(r0['weights'][k], r1['weights'][k]), k
    # the DistributedSampler gave each rank a different half of the data, each epoch all of it
    n = 96
    assert len(r0['idx']) == len(r1['idx']) == n  # 2 epochs x 48 samples
    for e in range(2):
        a, b = r0['idx'][e*48:(e+1)*48], r1['idx'][e*48:(e+1)*48]
        assert not set(a) & set(b) and sorted(a + b) == list(range(n))
    assert r0['idx'][:48] != r0['idx'][48:]  # set_epoch reshuffled
    # metrics were gathered from both ranks: identical histories
    assert r0['history'] == r1['history'] and len(r0['history']) == 2
    # only rank 0 wrote a checkpoint, and it holds the final weights
    assert (tmp_path/'checkpoint_rank0.pt').exists() and not (tmp_path/'checkpoint_rank1.pt').exists()
    ck = torch.load(tmp_path/'checkpoint_rank0.pt', weights_only=True)
    assert ck['epochs_done'] == 2
    for k in r0['weights']: assert torch.equal(ck['model'][k], r0['weights'][k]), k

def test_ddp_metrics_count_each_sample_once(ddp_results):
    "95 samples on 2 ranks: the sampler's padding (one repeated sample) is not counted in the training metrics."
    for r in ddp_results:
        for k in ('accuracy', 'f1_macro'):
            assert abs(r['odd_history'][0][f'train_{k}'] - r['odd_direct'][k]) < 1e-9, (k, r['odd_history'], r['odd_direct'])

def test_ddp_two_stage_pipeline(tmp_path):
    "The real pipeline under torchrun: every rank ends with the same target; the seed still changes the training."
    torchrun('ddp_transfer.py', tmp_path, timeout=180)
    r0, r1 = (torch.load(tmp_path/f'transfer_rank{r}.pt', weights_only=True) for r in (0, 1))
    for seed in (0, 1):
        for k in r0[seed]: assert torch.equal(r0[seed][k], r1[seed][k]), (seed, k)
    assert any(not torch.equal(r0[0][k], r0[1][k]) for k in r0[0])  # seeds 0 and 1 trained differently
    for k in r0['proj']: assert torch.equal(r0['proj'][k], r1['proj'][k]), k  # the projection's gradients are averaged too
