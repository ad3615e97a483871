"""The docs check bites: pages broken on purpose (a missing image, a dead link or anchor, an oversized output, a stored
warning or error, a second H1) fail their check, and the good pages they were copied from pass.

Each case writes a small site of real notebooks into a temporary folder, runs nbdev's processing on it, renders it
with tools/docs.py and runs its checks, exactly as `make test` does on nbs/."""
import base64, copy, hashlib, html, importlib.util, json, re, shutil
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location('docs', ROOT/'tools'/'docs.py')
docs = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(docs)

# a 2x2 red PNG
PNG = base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEklEQVR4nGP4z8DAwMDAxMDAAAAdBgED'
                       'Wv6jAgAAAABJRU5ErkJggg==')

def _id(src): return hashlib.md5(src.encode()).hexdigest()[:8]
def md(src): return {'cell_type': 'markdown', 'id': _id(src), 'metadata': {}, 'source': src}
def code(src, *outputs):
    return {'cell_type': 'code', 'execution_count': None, 'id': _id(src), 'metadata': {}, 'outputs': list(outputs),
            'source': src}
def stream(text, name='stdout'): return {'output_type': 'stream', 'name': name, 'text': text}
def png_output():
    return {'output_type': 'display_data', 'metadata': {},
            'data': {'image/png': base64.b64encode(PNG).decode(), 'text/plain': '<Figure size 2x2>'}}
def notebook(*cells):
    return {'cells': list(cells), 'nbformat': 4, 'nbformat_minor': 5,
            'metadata': {'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'},
                         'language_info': {'name': 'python'}}}

def good_pages():
    "A home page, a concept page with a dataclass and a figure, and a .qmd page: every feature the checks look at."
    return {
        'index.ipynb': notebook(
            md('# Home\n> A good page that links, shows an image and a formula.'),
            md('Start with [the idea](01_concept.ipynb#the-idea), or [the tutorials](tutorials/index.qmd). '
               'The scores $K^\\top V$ are $d\\times d$.\n\n![a dot](images/dot.png)'),
            code('#| echo: false\nprint("only the output shows")', stream('only the output shows\n')),
            code('#| output: false\nx = 1', stream('this output is hidden\n')),
            code('#| include: false\ny = 2', stream('this cell is hidden\n'))),
        '01_concept.ipynb': notebook(
            md('# Concept\n> One idea per notebook.'),
            md('## The idea\n\nBack [home](index.ipynb), to [the title](#the-idea) or [Config](#config).'),
            code('#| export\nfrom dataclasses import dataclass\n\n@dataclass\nclass Config:\n'
                 '    "Settings."\n    epochs:int=20 # training epochs\n    lr:float=3e-3 # AdamW learning rate'),
            code('plot_scores(scores)', png_output())),
        'tutorials/index.qmd': '---\ntitle: Tutorials\n---\n\nSee the [concept](../01_concept.ipynb).\n',
    }

def write_site(folder, pages):
    nbs = folder/'nbs'
    for name, page in pages.items():
        p = nbs/name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(page if isinstance(page, str) else json.dumps(page, indent=1))
    (nbs/'images').mkdir()
    (nbs/'images'/'dot.png').write_bytes(PNG)
    for f in ('_quarto.yml', 'nbdev.yml', 'styles.css'): shutil.copy(ROOT/'nbs'/f, nbs/f)
    (nbs/'sidebar.yml').write_text('website:\n  sidebar:\n    contents:\n' + ''.join(
        f'      - {n}\n' for n in pages))
    return nbs

def run_checks(folder, pages):
    "nbdev processing, rendering and checks on a copy; returns the site folder and {check: passed}."
    nbs = write_site(folder, pages)
    docs.proc_dir(nbs, folder/'_proc')
    import contextlib, io
    out = io.StringIO()
    with contextlib.redirect_stdout(out): docs.check(folder/'_proc', folder/'site', nbs)
    lines = re.findall(r'^(PASS|FAIL) (.+?)(?::|$| ->)', out.getvalue(), re.M)
    return folder/'site', {what: ok == 'PASS' for ok, what in lines}, out.getvalue()

@pytest.fixture(autouse=True)
def in_repo(monkeypatch): monkeypatch.chdir(ROOT)  # nbdev reads its settings from pyproject.toml

def test_good_pages_pass(tmp_path):
    site, results, out = run_checks(tmp_path, good_pages())
    assert results and all(results.values()), out
    assert {'images', 'links', 'output size', 'stored errors and warnings', 'headings'} <= set(results)
    home = (site/'index.html').read_text()
    # the front matter is the heading, not raw text
    assert '<h1 class="title">Home</h1>' in home and 'A good page that links' in home
    assert 'output-file' not in home and '---' not in home.split('<main')[1]
    # echo: false hides the source, output: false the output, include: false both
    home = html.unescape(re.sub(r'<[^>]+>', '', home.split('<main')[1]))  # the page's text
    assert 'only the output shows' in home and 'print(' not in home
    assert 'x = 1' in home and 'this output is hidden' not in home and 'y = 2' not in home and 'this cell is hidden' not in home
    # links to notebooks and .qmd pages lead to their rendered pages, with nbdev's output names
    home = (site/'index.html').read_text()
    assert 'href="concept.html#the-idea"' in home and 'href="tutorials/index.html"' in home
    assert (site/'concept.html').exists() and (site/'tutorials'/'index.html').exists()
    assert 'Tutorials' in (site/'tutorials'/'index.html').read_text()
    # images: nbs/images is copied, figures are written as files next to their page
    assert (site/'images'/'dot.png').read_bytes() == PNG
    assert list((site/'concept_files'/'figure-html').glob('*.png'))
    # MathJax comes from this machine, never a CDN
    assert not re.search(r'<script[^>]+src="https?:', home)
    if docs.MATHJAX.exists(): assert '_mathjax/MathJax.js' in home and (site/'_mathjax'/'MathJax.js').exists()

def test_dataclass_fields_described(tmp_path):
    "show_doc of a dataclass defined in a notebook describes its fields from their inline comments."
    site, results, out = run_checks(tmp_path, good_pages())
    concept = (site/'concept.html').read_text()
    assert 'training epochs' in concept and 'AdamW learning rate' in concept

def broken(change):
    pages = copy.deepcopy(good_pages())
    change(pages)
    return pages

def add_cell(page, cell): return lambda pages: pages[page]['cells'].append(cell)

BROKEN = {
    'missing image': ('images', add_cell('01_concept.ipynb', md('![gone](images/missing.png)')), 'images/missing.png'),
    'dead link to a page': ('links', add_cell('01_concept.ipynb', md('See [nothing](02_missing.ipynb).')), 'no such page'),
    'dead anchor': ('links', add_cell('index.ipynb', md('See [nowhere](01_concept.ipynb#no-such-section).')),
                    'no anchor #no-such-section'),
    'dead link in a .qmd page': ('links', lambda p: p.update({'tutorials/index.qmd': '---\ntitle: T\n---\n\n[x](nope.ipynb)\n'}),
                                 'tutorials/index.qmd'),
    'oversized output': ('output size', add_cell('01_concept.ipynb', code('print("x" * 200_000)', stream('x' * 200_000))),
                         'budget 150 kB'),
    'stored warning': ('stored errors and warnings',
                       add_cell('01_concept.ipynb', code('import warnings', stream(
                           "/tmp/x.py:3: UserWarning: this is deprecated\n  warnings.warn('this is deprecated')\n", 'stderr'))),
                       'a warning on stderr'),
    'stored error': ('stored errors and warnings', add_cell('index.ipynb', code('1/0', {
        'output_type': 'error', 'ename': 'ZeroDivisionError', 'evalue': 'division by zero', 'traceback': []})),
                     'ZeroDivisionError'),
    'second H1': ('headings', add_cell('01_concept.ipynb', md('# Another title')), 'an H1 ("Another title")'),
    'report with its own sections': ('headings', add_cell('01_concept.ipynb', code('show(report)', {
        'output_type': 'execute_result', 'execution_count': 1, 'metadata': {},
        'data': {'text/markdown': '## Results\n\n| a |\n|---|\n| 1 |', 'text/plain': 'report'}})),
                                     'a level-2 heading in an output ("Results")'),
}

@pytest.mark.parametrize('case', BROKEN)
def test_broken_page_fails(tmp_path, case):
    check, change, message = BROKEN[case]
    site, results, out = run_checks(tmp_path, broken(change))
    assert results[check] is False, out
    assert [k for k, ok in results.items() if not ok] == [check], out  # and only that check
    assert message in out

def test_pandoc_ids():
    used = set()
    assert docs.pandoc_id('1. What K^T V summarises', used) == 'what-kt-v-summarises'
    assert docs.pandoc_id('Learner.fit', used) == 'learner.fit'
    assert docs.pandoc_id('cross_attention_loss', used) == 'cross_attention_loss'
    assert docs.pandoc_id('cross_attention_loss', used) == 'cross_attention_loss-1'

def test_readme_links_reach_the_site():
    "Links to pages in nbs/index.ipynb become links to the docs site in README.md (which sits above nbs/)."
    text = 'See [the loss](00_cross_attention_loss.ipynb), [a tutorial](tutorials/10_imu_tutorial.ipynb#stage-1), ' \
           '![fig](images/flagship_gains.png) and [the site](https://d-cat-dev.github.io/d_cat/).'
    out = re.sub(r'(?<!\\)\[([^\]]*)\]\(([^)\s]+)\)', docs._readme_link, text)
    base = docs.site_url()
    assert f'[the loss]({base}/cross_attention_loss.html)' in out
    assert f'[a tutorial]({base}/tutorials/imu_tutorial.html#stage-1)' in out
    assert '(nbs/images/flagship_gains.png)' in out and '[the site](https://d-cat-dev.github.io/d_cat/)' in out
