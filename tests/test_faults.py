"Faults survived: a training process killed with SIGKILL mid-epoch resumes from its checkpoint to the same weights."
import os, signal, subprocess, sys
from pathlib import Path
import torch

HERE = Path(__file__).parent

def run(out:Path, mode:str)->subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS='1', CUDA_VISIBLE_DEVICES='',
               PYTHONPATH=f"{HERE.parent}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    return subprocess.run([sys.executable, str(HERE/'fault_train.py'), str(out), mode], env=env, capture_output=True,
                          text=True, timeout=300)

def test_sigkill_mid_epoch_then_resume_equals_an_uninterrupted_run(tmp_path):
    straight = run(tmp_path, 'straight')
    assert straight.returncode == 0, straight.stderr[-3000:]
    killed = run(tmp_path, 'kill')
    assert killed.returncode == -signal.SIGKILL, (killed.returncode, killed.stderr[-3000:])
    assert not (tmp_path/'kill.pt').exists()  # it really died mid-fit
    ck = torch.load(tmp_path/'ckpt.pt', weights_only=True)
    assert ck['epochs_done'] == 2  # the last checkpoint: epochs 0 and 1 done, epoch 2 lost half-way
    resumed = run(tmp_path, 'resume')
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    a, b = (torch.load(tmp_path/f'{m}.pt', weights_only=True) for m in ('straight', 'resume'))
    assert a['history'] == b['history']
    assert a['weights'].keys() == b['weights'].keys()
    for k in a['weights']: assert torch.equal(a['weights'][k], b['weights'][k]), k
