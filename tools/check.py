"""Every check CI runs, in one place: `make test` calls this, and `.ci/run` calls `make test`.

1. sync: `nbdev-export` and `nbdev-clean` must change no file (the library matches its notebooks);
2. notebooks: `nbdev-test` runs every notebook (IN_TEST set, reduced data);
3. pytest: the tests under tests/;
4. docs: `tools/docs.py all`: nbdev processes the notebooks as for the Quarto site, every page is rendered to HTML
   and checked (images, internal links and anchors, stored output size, stored errors and warnings, headings),
   three pages are screenshot in headless Chromium; README.md must match `nbs/index.ipynb`.

It ends with one line `N passed, N failed` counting notebooks, tests, pages and sync checks that really ran.
"""
import os, re, subprocess, sys, time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
os.chdir(ROOT)
results = {}  # section -> [passed, failed]
notes = []  # checks that could not run here, with the reason

def run(cmd, **kw):
    print(f'$ {" ".join(map(str, cmd))}', flush=True)
    return subprocess.run([str(c) for c in cmd], text=True, capture_output=True, **kw)

def record(section, ok, what):
    results.setdefault(section, [0, 0])[0 if ok else 1] += 1
    if not ok: print(f'FAILED [{section}] {what}', flush=True)

def tree_state():
    "What git sees of the working tree, including untracked files' contents."
    st = run(['git', 'status', '--porcelain', '--untracked-files=all']).stdout
    diff = run(['git', 'diff']).stdout
    untracked = [l[3:] for l in st.splitlines() if l.startswith('??')]
    return st + diff + ''.join(Path(f).read_text(errors='replace') for f in untracked if Path(f).is_file())

def check_sync():
    for name, cmd in (('nbdev-export', [BIN/'nbdev-export']), ('nbdev-clean', [BIN/'nbdev-clean'])):
        before = tree_state()
        r = run(cmd)
        changed = run(['git', 'status', '--porcelain']).stdout
        ok = r.returncode == 0 and tree_state() == before
        if not ok: print(r.stdout, r.stderr, f'{name} changed the tree:\n{changed}', sep='\n')
        record('sync', ok, f'{name} changed files: run `make sync` and commit')

def check_notebooks():
    t0 = time.time()
    r = run([BIN/'nbdev-test', '--do-print', '--timing'])
    print(r.stdout[-4000:]); print(r.stderr[-20000:], file=sys.stderr)
    started = re.findall(r'Starting (.+?\.ipynb)', r.stdout)  # parallel workers may share a line
    failed = set()
    if 'nbdev Tests Failed On The Following Notebooks' in r.stderr:
        failed = {l.strip() for l in r.stderr.split('=' * 50)[-1].splitlines() if l.strip()}
    if not started: record('notebooks', False, 'nbdev-test ran no notebook')
    for nb in started: record('notebooks', Path(nb).name not in failed, Path(nb).name)
    if r.returncode != 0 and not failed: record('notebooks', False, f'nbdev-test exited {r.returncode}')
    print(f'notebooks took {time.time() - t0:.0f} s', flush=True)

def check_pytest():
    xml = ROOT/'.pytest-results.xml'
    r = subprocess.run([str(BIN/'python'), '-m', 'pytest', '-q', '-p', 'no:cacheprovider', f'--junitxml={xml}', 'tests'])
    if not xml.exists(): return record('pytest', False, f'pytest exited {r.returncode} without results')
    suites = ET.parse(xml).getroot().iter('testsuite')
    for s in suites:
        total, bad, skipped = int(s.get('tests')), int(s.get('failures')) + int(s.get('errors')), int(s.get('skipped'))
        results.setdefault('pytest', [0, 0])
        results['pytest'][0] += total - bad - skipped; results['pytest'][1] += bad
    xml.unlink()
    if r.returncode not in (0, 1): record('pytest', False, f'pytest exited {r.returncode}')

def check_docs():
    "Each PASS/FAIL line of `tools/docs.py all` counts (pages, kinds of check, screenshots); SKIP lines are reported."
    t0 = time.time()
    r = run([BIN/'python', 'tools/docs.py', 'all'])
    print(r.stdout[-12000:]); print(r.stderr[-6000:], file=sys.stderr)
    for line in r.stdout.splitlines():
        m = re.match(r'^(PASS|FAIL|SKIP) (.+)$', line)
        if m and m[1] == 'SKIP': notes.append(f'docs skipped {m[2]}')
        elif m: record('docs', m[1] == 'PASS', m[2])
    if r.returncode != 0 and not results.get('docs', [0, 0])[1]: record('docs', False, f'docs exited {r.returncode}')
    print(f'docs took {time.time() - t0:.0f} s', flush=True)

if __name__ == '__main__':
    steps = sys.argv[1:] or ['sync', 'notebooks', 'pytest', 'docs']
    for step in steps: globals()[f'check_{step}']()
    for n in notes: print(n)
    print('\n' + ', '.join(f'{k}: {p} passed, {f} failed' for k, (p, f) in results.items()))
    passed, failed = sum(p for p, _ in results.values()), sum(f for _, f in results.values())
    print(f'{passed} passed, {failed} failed', flush=True)
    sys.exit(1 if failed or not passed else 0)
