"""Docs without Quarto: process the notebooks as nbdev does for the site, render each page to HTML, write README.md.

Quarto cannot be installed on our build machines (the GitHub workflow builds the real site with it). Here we run
the same nbdev processing (`nbdev-proc-nbs`) and render every processed notebook to HTML with nbconvert, so a page
with an error output, a broken directive or a failing `show_doc` fails the check.

    python tools/docs.py proc     # nbdev-proc-nbs into _proc/ (without nbdev's automatic Quarto download)
    python tools/docs.py html     # render _proc/**/*.ipynb to _docs_html/, print PASS/FAIL per page
    python tools/docs.py readme   # write README.md from nbs/index.ipynb
    python tools/docs.py all      # proc, html, and check that README.md matches nbs/index.ipynb
"""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROC, HTML = ROOT/'_proc', ROOT/'_docs_html'

def proc():
    import nbdev.quarto as q
    q._ensure_quarto = lambda: None  # the site is built by Quarto in CI; here we only need the processed notebooks
    q.nbdev_proc_nbs.__wrapped__(n_workers=1)

def _frontmatter(nb):
    "Title and description of a processed notebook (nbdev turns `# Title` + `> summary` into YAML in a raw cell)."
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'raw' and src.startswith('---'):
            import yaml
            return yaml.safe_load(src.strip().strip('-')) or {}
    return {}

def _errors(nb):
    "Error outputs of a notebook: exceptions and tracebacks printed to stderr."
    errs = []
    for c in nb['cells']:
        for o in c.get('outputs', []):
            if o.get('output_type') == 'error': errs.append(f"{o.get('ename')}: {o.get('evalue')}")
            if o.get('output_type') == 'stream' and o.get('name') == 'stderr' and 'Traceback' in ''.join(o.get('text', '')):
                errs.append(''.join(o['text'])[-300:])
    return errs

def html():
    import nbformat
    from nbconvert import HTMLExporter
    exporter = HTMLExporter()
    pages = sorted(p for p in PROC.rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts)
    if not pages: print('FAIL no processed notebooks in _proc'); return False
    ok = True
    for p in pages:
        rel = p.relative_to(PROC)
        try:
            raw = json.loads(p.read_text())
            for c in raw['cells']: c.get('metadata', {}).pop('execution', None)  # nbdev's cell timings, not nbformat
            nb = nbformat.reads(json.dumps(raw), as_version=4)
            errs = _errors(nb)
            body, _ = exporter.from_notebook_node(nb)
            out = HTML/rel.with_suffix('.html'); out.parent.mkdir(parents=True, exist_ok=True); out.write_text(body)
            if 'Traceback (most recent call last)' in body and not errs: errs.append('traceback in rendered page')
        except Exception as e: errs = [f'{type(e).__name__}: {e}']
        print(('FAIL ' if errs else 'PASS ') + f'docs/{rel}' + ''.join(f'\n    {e}' for e in errs))
        ok &= not errs
    return ok

def sidebar(check=True):
    "The course order in nbs/sidebar.yml must name every page in nbs/, and only pages that exist."
    import yaml
    nbs = ROOT/'nbs'
    def entries(items):
        for it in items:
            if isinstance(it, str): yield it
            elif isinstance(it, dict): yield from entries(it.get('contents', []))
    listed = set(entries(yaml.safe_load((nbs/'sidebar.yml').read_text())['website']['sidebar']['contents']))
    pages = {str(p.relative_to(nbs)) for p in nbs.rglob('*') if p.suffix in ('.ipynb', '.qmd')
             and not any(part.startswith(('_', '.')) for part in p.relative_to(nbs).parts)}
    missing, dangling = sorted(pages - listed), sorted(listed - pages)
    ok = not missing and not dangling
    print(('PASS' if ok else 'FAIL') + ' nbs/sidebar.yml lists every page' + (f': missing {missing}' if missing else '')
          + (f'; no such page {dangling}' if dangling else ''))
    return ok

def readme_text():
    "README.md from nbs/index.ipynb: markdown cells as they are, code cells fenced, outputs as text or images."
    nb = json.loads((ROOT/'nbs/index.ipynb').read_text())
    parts = []
    for c in nb['cells']:
        src = ''.join(c['source']).rstrip()
        if not src or re.match(r'#\s*\|\s*(hide|default_exp)', src): continue
        if c['cell_type'] == 'markdown': parts.append(re.sub(r'\]\((images/[^)]+)\)', r'](nbs/\1)', src))  # README sits above nbs/
        elif c['cell_type'] == 'code':
            parts.append(f'```python\n{src}\n```')
            for o in c.get('outputs', []):
                text = ''.join(o.get('text', '') or o.get('data', {}).get('text/plain', ''))
                if o.get('data', {}).get('text/markdown'): parts.append(''.join(o['data']['text/markdown']).rstrip())
                elif text.strip(): parts.append('```\n' + text.rstrip() + '\n```')
    note = '<!-- generated from nbs/index.ipynb by `make readme`; edit the notebook, not this file -->'
    return note + '\n\n' + '\n\n'.join(parts) + '\n'

def readme(check=False):
    path, text = ROOT/'README.md', readme_text()
    if check:
        ok = path.exists() and path.read_text() == text
        print(('PASS' if ok else 'FAIL') + ' README.md matches nbs/index.ipynb' + ('' if ok else ' (run `make readme`)'))
        return ok
    path.write_text(text); print('wrote README.md')
    return True

if __name__ == '__main__':
    cmd = sys.argv[1] if len(sys.argv) > 1 else 'all'
    if cmd == 'proc': proc()
    elif cmd == 'html': sys.exit(0 if html() else 1)
    elif cmd == 'readme': readme()
    elif cmd == 'all':
        proc()
        ok = html()
        ok &= readme(check=True)
        ok &= sidebar()
        sys.exit(0 if ok else 1)
    else: sys.exit(__doc__)
