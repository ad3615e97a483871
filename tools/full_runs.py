"""Run the tutorials' full runs: the numbers and figures their pages show (`make pages` calls this).

A tutorial that uses `d_cat.setup.FullRun` trains at its full settings when run outside the tests, saves what its
page shows in `nbs/tutorials/data/<notebook>.json`, and stores its outputs in the notebook. This script does that
for every such tutorial (or the ones named), each in its own process with one torch thread, `--jobs` at a time,
without IN_TEST; then `nbdev-clean` tidies the notebooks. Commit the JSON files and the notebooks together.

    python tools/full_runs.py                  # every FullRun tutorial, two at a time
    python tools/full_runs.py 12 13 --jobs 1   # tutorials 12 and 13, one after the other
    python tools/full_runs.py --fresh          # recompute everything (default: FullRun reuses saved values
                                               #   of unchanged settings, so a rerun only redraws the pages)
    python tools/full_runs.py --list           # what would run, and the estimated time of each

A notebook is written back only when every cell ran; a failed run leaves it as it was, and its log (under
`runs/full_runs/`) shows the error.
"""
import argparse, os, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = ROOT/'nbs'/'tutorials'
LOGS = ROOT/'runs'/'full_runs'
BUDGET = 150_000  # bytes of stored outputs per notebook (tools/docs.py checks the same)
# Minutes on one thread of a 2-core CPU (the project's machine), estimated from the settings and one timed epoch:
# about 5 s per epoch of the IMU models, 5.5 of the image model, 2 of the audio model, 0.3 of the toy model at n=600,
# 4 of tutorial 13's ViT, measured on one thread while another job kept both cores busy (alone: somewhat less).
ESTIMATE_MIN = {'10_imu_tutorial': 35, '11_av_digits_tutorial': 18, '12_when_transfer_helps': 30,
                '13_your_own_model': 10, '15_your_own_streams': 8}

def full_run_notebooks(names=()):
    "The tutorials that draw their pages from a `FullRun`, or those of them whose name starts with one of `names`."
    nbs = [p for p in sorted(TUTORIALS.glob('*.ipynb')) if not p.name.startswith('_') and 'FullRun(' in p.read_text()]
    if not names: return nbs
    chosen = [p for p in nbs if any(p.stem.startswith(n) for n in names)]
    unknown = [n for n in names if not any(p.stem.startswith(n) for p in nbs)]
    if unknown: sys.exit(f"no FullRun tutorial starts with {unknown}; there are {[p.stem for p in nbs]}")
    return chosen

def output_bytes(nb:Path)->int:
    "Bytes of stored outputs, as the docs check counts them."
    import json
    return sum(len(json.dumps(c.get('outputs', []))) for c in json.loads(nb.read_text())['cells'])

def run_one(nb:Path):
    "Execute `nb` in this process, in its folder, and write it back with its outputs (only if every cell ran)."
    from execnb.shell import CaptureShell
    from fastcore.xtras import working_directory
    from nbdev.config import get_config
    os.environ.pop('IN_TEST', None)
    with working_directory(nb.parent):   # as nbdev-test runs it: FullRun's 'data/...' is beside the notebook
        CaptureShell(nb, profile=bool(get_config(nb.parent).exec_profile)).execute(nb, dest=nb, exc_stop=True)

def launch(nb:Path, fresh:bool)->tuple[Path, bool, float]:
    "Run `nb` in a child process with one thread; log to runs/full_runs/<name>.log."
    data = nb.parent/'data'/f'{nb.stem}.json'
    if fresh and data.exists(): data.unlink()
    env = {k: v for k, v in os.environ.items() if k != 'IN_TEST'}
    env.update(OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    LOGS.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    print(f'{time.strftime("%H:%M:%S")} start  {nb.stem} (about {ESTIMATE_MIN.get(nb.stem, "?")} min)', flush=True)
    with open(LOGS/f'{nb.stem}.log', 'w') as log:
        r = subprocess.run([sys.executable, __file__, '--one', str(nb)], env=env, stdout=log, stderr=subprocess.STDOUT)
    took = time.time() - t0
    ok = r.returncode == 0 and data.exists()
    print(f'{time.strftime("%H:%M:%S")} {"done  " if ok else "FAILED"} {nb.stem} in {took / 60:.1f} min'
          + ('' if ok else f' (see {LOGS.relative_to(ROOT)}/{nb.stem}.log)'), flush=True)
    return nb, ok, took

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('names', nargs='*', help='tutorials to run, by the start of their name (default: all)')
    ap.add_argument('--jobs', type=int, default=2, help='tutorials run at once, one torch thread each')
    ap.add_argument('--fresh', action='store_true', help='delete the saved results first: recompute everything')
    ap.add_argument('--list', action='store_true', help='say what would run, and run nothing')
    ap.add_argument('--one', help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one: return run_one(Path(a.one))
    nbs = sorted(full_run_notebooks(a.names), key=lambda nb: -ESTIMATE_MIN.get(nb.stem, 0))   # the longest first
    total = sum(ESTIMATE_MIN.get(nb.stem, 0) for nb in nbs)
    print(f"{len(nbs)} full runs, {a.jobs} at a time: about {total} min of one CPU thread in all "
          f"(estimates for a 2-core CPU; a GPU or faster cores take less)")
    for nb in nbs: print(f'  {nb.relative_to(ROOT)}: about {ESTIMATE_MIN.get(nb.stem, "?")} min')
    if a.list: return
    with ThreadPoolExecutor(max(1, a.jobs)) as pool:
        results = list(pool.map(lambda nb: launch(nb, a.fresh), nbs))
    done = [nb for nb, ok, _ in results if ok]
    if done:
        for nb in done: subprocess.run([str(Path(sys.executable).parent/'nbdev-clean'), '--fname', str(nb)], check=True, cwd=ROOT)
    for nb, ok, took in results:
        size = output_bytes(nb) if ok else 0
        note = f'{size / 1000:.0f} kB of outputs' + (f' (OVER the {BUDGET // 1000} kB budget)' if size > BUDGET else '')
        print(f"{'ok    ' if ok else 'FAILED'} {nb.stem}: {took / 60:.1f} min" + (f', {note}' if ok else ''))
    if len(done) < len(results): sys.exit(1)
    print('Commit nbs/tutorials/data/*.json with the notebooks.')

if __name__ == '__main__': main()
