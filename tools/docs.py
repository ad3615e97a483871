"""The docs site without Quarto: a preview that fails where the real site would be broken, and README.md.

Quarto cannot be installed on our build machines (the GitHub workflow builds the real site with it). Here we run
nbdev's processing (`nbdev-proc-nbs`, which turns `# Title` + `> summary` into front matter, adds `show_doc` cells
and links names in backticks), then render every processed page (notebooks and `.qmd`) to `_docs_html/` the way
Quarto lays it out: title and description as the heading, `echo: false` / `output: false` / `include: false`
honoured, figures written as files, `nbs/images/` copied, links to `.ipynb`/`.qmd` pages resolved to their
output files, MathJax from Debian's `libjs-mathjax` (offline). Then it checks, one PASS/FAIL line per page and per
kind of check (`make test` counts them):

- images: every image a page shows exists;
- links: every internal link reaches a page (or file) that exists, and its `#anchor` exists there;
- output size: each notebook's stored outputs stay under 150 kB;
- stored errors and warnings: no error output, traceback, or warning printed to stderr;
- headings: the title is the page's only H1;
- screenshots: the home page, the first concept page and the first tutorial, rendered in headless Chromium
  (Debian's `chromium`): page height, every local image loaded, MathJax typeset; PNGs in `_docs/shots/`.

Missing Debian packages are installed (`apt-get`, as root) on first use; where that is impossible the step says
`SKIP` with the reason.

    python tools/docs.py proc     # nbdev processing into _proc/ (no Quarto download)
    python tools/docs.py html     # render _proc/ into _docs_html/ and run the checks (no screenshots)
    python tools/docs.py shots    # screenshots of the rendered pages (after `html`)
    python tools/docs.py readme   # write README.md from nbs/index.ipynb
    python tools/docs.py site     # the real site: nbdev-docs (needs Quarto), with the fixes the preview uses
    python tools/docs.py all      # proc, html, shots, and check README.md and nbs/sidebar.yml
"""
import ast, base64, bisect, contextlib, functools, html, json, os, posixpath, re, shutil, subprocess, sys, tempfile, time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
NBS, PROC, HTML, SHOTS = ROOT/'nbs', ROOT/'_proc', ROOT/'_docs_html', ROOT/'_docs'/'shots'
OUTPUT_BUDGET = 150_000  # bytes of stored outputs per notebook
SHOT_PAGES = ('index.ipynb', '00_cross_attention_loss.ipynb', 'tutorials/10_imu_tutorial.ipynb')
MIN_HEIGHT = 1000  # px: a page that rendered at all is taller than this
MATHJAX = Path('/usr/share/javascript/mathjax/MathJax.js')  # Debian package libjs-mathjax (MathJax 2.7)
CHROMIUM = Path('/usr/bin/chromium')  # Debian package chromium
BROWSERS = ('chromium', 'google-chrome', 'google-chrome-stable', 'chromium-browser')  # any of these (GitHub's runners have Chrome)

def report(ok, what, details=()):
    "One PASS/FAIL line (counted by tools/check.py), then the details indented."
    print(('PASS ' if ok else 'FAIL ') + what + ''.join(f'\n    {d}' for d in details), flush=True)
    return ok

def skip(what, why): print(f'SKIP {what}: {why}', flush=True)

def ensure_deb(pkg, path):
    "Install Debian package `pkg` if `path` is missing; None when `path` exists after, else why it cannot."
    if Path(path).exists(): return None
    if not shutil.which('apt-get'): return f'Debian package {pkg} is missing and this system has no apt-get'
    sudo = []
    if os.geteuid() != 0:  # on CI (GitHub sets CI=true) passwordless sudo is the norm; never prompt anyone
        if not (os.environ.get('CI') and shutil.which('sudo') and subprocess.run(['sudo', '-n', 'true']).returncode == 0):
            return f'Debian package {pkg} is missing; installing it needs root: sudo apt-get install {pkg}'
        sudo = ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive']
    env = {**os.environ, 'DEBIAN_FRONTEND': 'noninteractive'}
    print(f'installing Debian package {pkg} (once)...', flush=True)
    cmd = sudo + ['apt-get', 'install', '-y', '-q', '--no-install-recommends', pkg]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode:  # stale package lists: refresh once
        subprocess.run(sudo + ['apt-get', 'update', '-q'], env=env, capture_output=True)
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if Path(path).exists(): return None
    return f'Debian package {pkg} could not be installed: ' + ((r.stderr or r.stdout).strip().splitlines() or ['?'])[-1]

# ---------------------------------------------------------------- nbdev processing

@contextlib.contextmanager
def dataclass_fields_documented():
    """Let `show_doc` describe a dataclass's fields when the class was defined in a notebook.

    fastcore reads field docs (`epochs:int=20 # training epochs`) from the class's source, but gives up on classes
    in `__main__` (Python 3.11 cannot find a class's source there), and nbdev runs the notebook's cells in
    `__main__`: on the site a dataclass showed its signature without a word about its fields. IPython keeps every
    cell it ran in `linecache`, so the latest cell that defines the class with these fields is its source."""
    import linecache, fastcore.docments as fd
    orig = fd.get_dataclass_source
    def get_dataclass_source(s):
        if getattr(s, '__module__', None) != '__main__': return orig(s)
        fields = set(s.__dict__.get('__annotations__', {}))
        for name in reversed(list(linecache.cache)):
            lines = linecache.cache[name][2]
            src = ''.join(lines)
            if f'class {s.__name__}' not in src: continue
            try: tree = ast.parse(src)
            except SyntaxError: continue
            for node in tree.body:
                if not (isinstance(node, ast.ClassDef) and node.name == s.__name__): continue
                names = {a.target.id for a in node.body if isinstance(a, ast.AnnAssign) and isinstance(a.target, ast.Name)}
                if names == fields:
                    start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
                    return ''.join(lines[start:node.end_lineno])
        return ''
    fd.get_dataclass_source = get_dataclass_source
    try: yield
    finally: fd.get_dataclass_source = orig

def proc():
    "nbdev's processing of nbs/ into _proc/, in this process (so the fix above applies), without installing Quarto."
    import nbdev.quarto as q
    q._ensure_quarto = lambda: None  # the site is built by Quarto in CI; here we only need the processed notebooks
    # nbdev reprocesses a notebook whose file is newer than its processed copy, and `nbdev-clean` (run by `make test`
    # just before) rewrites every notebook: keep the copies of notebooks whose content did not change. Redo them all
    # when this processing or the library's symbols (which names link where) changed.
    import hashlib
    sha = lambda *ps: hashlib.sha1(b''.join(p.read_bytes() for p in ps if p.exists())).hexdigest()
    stamp, state = sha(Path(__file__), ROOT/'d_cat'/'_modidx.py'), PROC/'.docs-state.json'
    old = json.loads(state.read_text()) if state.exists() else {}
    if PROC.exists() and old.get('stamp') != stamp: shutil.rmtree(PROC)
    for rel, h in old.get('notebooks', {}).items():
        if (PROC/rel).exists() and (NBS/rel).exists() and sha(NBS/rel) == h: os.utime(PROC/rel)
    with dataclass_fields_documented(): q.nbdev_proc_nbs.__wrapped__(n_workers=0)
    nbs = {p.relative_to(NBS).as_posix(): sha(p) for p in NBS.rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts}
    state.write_text(json.dumps({'stamp': stamp, 'notebooks': nbs}))

def proc_dir(src, dst):
    "nbdev's processing of every page under `src` into `dst` (no cache), other files copied: for tests on a copy."
    from fastcore.nbio import read_nb, write_nb
    from nbdev.processors import FilterDefaults
    with dataclass_fields_documented():
        for p in sorted(Path(src).rglob('*')):
            d = Path(dst)/p.relative_to(src)
            if p.is_dir() or any(part.startswith(('.', '_proc')) for part in p.relative_to(src).parts): continue
            d.parent.mkdir(parents=True, exist_ok=True)
            if p.suffix == '.ipynb':
                nb = read_nb(p); FilterDefaults()(nb); write_nb(nb, d)
            else: shutil.copy2(p, d)

def site():
    "Build the real site with Quarto (nbdev-docs), with the same fixes as the preview."
    import nbdev.quarto as q
    with dataclass_fields_documented(): q.nbdev_docs.__wrapped__(n_workers=0)

# ---------------------------------------------------------------- rendering

def _src(x): return ''.join(x) if isinstance(x, list) else (x or '')
_re_ansi = re.compile(r'\x1B(?:[@-Z\\-_]|\[[0-?]*[ -/]*[@-~])')
def _plain(text): return _re_ansi.sub('', text)

def _yaml(text):
    import yaml
    try: d = yaml.safe_load(text)
    except yaml.YAMLError: return {}
    return d if isinstance(d, dict) else {}

def _pandoc_md(src):
    "Quarto (pandoc) markdown that mistune does not read: `:::` fenced divs become <div>s; `{...}` after a link goes."
    out, depth, fence = [], 0, None
    for line in src.splitlines():
        m = re.match(r'^\s*(`{3,}|~{3,})', line)
        if fence:
            if m and line.strip().startswith(fence) and not line.strip().strip(fence[0]): fence = None
            out.append(line); continue
        if m: fence = m[1]; out.append(line); continue
        d = re.match(r'^:{3,}\s*(\{[^}]*\}|[\w-]+)?\s*:*\s*$', line)
        if d and d[1]:
            attrs = d[1].strip('{}').split()
            cls = ' '.join(a[1:] if a.startswith('.') else a for a in attrs if not a.startswith('#') and '=' not in a)
            ids = [a[1:] for a in attrs if a.startswith('#')]
            out += ['', f'<div class="{html.escape(cls)}"' + (f' id="{html.escape(ids[0])}"' if ids else '') + '>', '']
            depth += 1; continue
        if d and depth: out += ['', '</div>', '']; depth -= 1; continue
        out.append(re.sub(r'(\]\([^)\s]*(?:\s+"[^"]*")?\))\{[^}]*\}', r'\1', line))
    return '\n'.join(out + ['</div>'] * depth)

_markdown = None
def md(src):
    "Markdown to HTML with nbconvert's mistune (math left to MathJax), after the pandoc-only syntax is translated."
    global _markdown
    if _markdown is None:
        from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
        _markdown = MarkdownWithMath(renderer=IPythonRenderer(escape=False))
    return _markdown.render(_pandoc_md(src))

def md_inline(src): return re.sub(r'^<p>(.*)</p>\s*$', r'\1', md(src).strip(), flags=re.S)

@functools.lru_cache(None)
def _lexer(lang):
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound
    try: return get_lexer_by_name(lang)
    except ClassNotFound: return get_lexer_by_name('text')

def _highlight(code, lang='python'):
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    return highlight(code, _lexer(lang or 'python'), HtmlFormatter(cssclass='highlight'))

_re_directive = re.compile(r'^#\|\s?(.*)$')
def directives(source):
    "Quarto cell options (`#| key: value` lines at the top of a cell) and the source without them."
    lines, opts = source.splitlines(), {}
    i = 0
    while i < len(lines) and (m := _re_directive.match(lines[i].strip())):
        k, sep, v = m[1].partition(':')
        if sep: opts[k.strip()] = _yaml(f'v: {v.strip()}').get('v', v.strip()) if v.strip() else ''
        else: opts[k.strip()] = True  # nbdev's bare directives (`#| hide`)
        i += 1
    return opts, '\n'.join(lines[i:])

MIME_ORDER = ('text/html', 'image/svg+xml', 'image/png', 'image/jpeg', 'image/gif', 'text/markdown', 'text/latex',
              'text/plain')
IMAGE_EXT = {'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif', 'image/svg+xml': 'svg'}

@dataclass
class Page:
    src: str                       # path under nbs/, e.g. 'tutorials/10_imu_tutorial.ipynb'
    out: str = ''                  # output path in the site, e.g. 'tutorials/imu_tutorial.html'
    title: str = ''
    description: str = ''
    body: str = ''
    ids: set = field(default_factory=set)
    refs: list = field(default_factory=list)   # (tag, url, where)
    headings: list = field(default_factory=list)  # (where, heading) that break the page's outline
    has_math: bool = False
    error: str = ''

class Renderer:
    "Render processed pages (`proc`) into `site` as Quarto lays out a website."
    def __init__(self, proc, site, nbs=None):
        self.proc, self.site, self.nbs = Path(proc), Path(site), Path(nbs or proc)

    def page(self, path):
        rel = path.relative_to(self.proc).as_posix()
        pg = Page(rel)
        try:
            if path.suffix == '.qmd': self._qmd(pg, path.read_text())
            else: self._ipynb(pg, json.loads(path.read_text()))
        except Exception as e: pg.error = f'{type(e).__name__}: {e}'
        if not pg.out: pg.out = posixpath.join(posixpath.dirname(rel), Path(rel).stem + '.html').lstrip('/')
        return pg

    def _qmd(self, pg, text):
        fm, body = {}, text
        if m := re.match(r'^---\s*\n(.*?)\n---\s*\n', text, re.S): fm, body = _yaml(m[1]), text[m.end():]
        self._frontmatter(pg, fm)
        pg.body = f'<div class="cell markdown" data-where="page text">{md(body)}</div>'
        pg.has_math = bool(re.search(r'\$[^$\s][^$]*\$', body))

    def _frontmatter(self, pg, fm):
        pg.title, pg.description = str(fm.get('title') or ''), str(fm.get('description') or '')
        if fm.get('output-file'): pg.out = posixpath.join(posixpath.dirname(pg.src), fm['output-file']).lstrip('/')

    def _ipynb(self, pg, nb):
        src_nb = self.nbs/pg.src
        src_cells = json.loads(src_nb.read_text())['cells'] if src_nb.exists() else []
        index_of = {c.get('id'): i for i, c in enumerate(src_cells) if c.get('id')}
        cells, fm = nb['cells'], {}
        if cells and cells[0]['cell_type'] == 'raw' and _src(cells[0]['source']).startswith('---'):
            fm, cells = _yaml(_src(cells[0]['source']).strip().strip('-')), cells[1:]
        elif cells and cells[0]['cell_type'] == 'markdown':  # not processed by nbdev: `# Title` + `> summary`
            if m := re.match(r'^#\s+(.+?)\s*\n(?:>\s*(.+))?', _src(cells[0]['source']).strip() + '\n'):
                fm, cells = {'title': m[1], 'description': m[2] or ''}, cells[1:]
        self._frontmatter(pg, fm)
        self.files = posixpath.join(posixpath.dirname(pg.out), Path(pg.out).stem + '_files')
        parts = []
        for k, c in enumerate(cells):
            if 'source' not in c: continue
            i = index_of.get(c.get('id'))
            first = (_src(c['source']).strip().splitlines() or [''])[-1][:60]
            where = f'cell {i}' if i is not None else f'cell added by nbdev: {first}'
            tags = set(c.get('metadata', {}).get('tags', []))
            if c['cell_type'] == 'markdown':
                text = _src(c['source'])
                pg.has_math |= bool(re.search(r'\$[^$\s][^$]*\$', text))
                for name, data in c.get('attachments', {}).items():
                    mime, b64 = next(iter(data.items()))
                    f = f'{self.files}/attachments/{name}'
                    self._write(f, base64.b64decode(b64))
                    text = text.replace(f'attachment:{name}', posixpath.relpath(f, posixpath.dirname(pg.out) or '.'))
                parts.append(f'<div class="cell markdown" data-where="{html.escape(where)}">{md(text)}</div>')
            elif c['cell_type'] == 'code':
                parts.append(self._code(pg, c, k, where, tags))
            # raw cells other than the front matter are for other formats; Quarto passes them through untouched
        pg.body = '\n'.join(p for p in parts if p)

    def _code(self, pg, c, k, where, tags):
        opts, source = directives(_src(c['source']))
        if opts.get('include') is False or tags & {'remove-cell'}: return ''
        out = []
        if opts.get('echo', True) is not False and not tags & {'remove-input'} and source.strip():
            code = _highlight(source, c.get('metadata', {}).get('language', 'python'))
            fold = opts.get('code-fold')
            if fold in (True, 'true', 'show'):
                summary = html.escape(str(opts.get('code-summary') or 'Code'))
                code = f'<details class="code-fold"{" open" if fold == "show" else ""}><summary>{summary}</summary>{code}</details>'
            out.append(f'<div class="cell-code">{code}</div>')
        if opts.get('output', True) is not False and not tags & {'remove-output'}:
            for j, o in enumerate(c.get('outputs', [])): out.append(self._output(pg, o, k, j, opts.get('output') == 'asis', where))
        if not out: return ''
        return f'<div class="cell" data-where="{html.escape(where)}">' + '\n'.join(out) + '</div>'

    def _output(self, pg, o, k, j, asis, where=''):
        t = o.get('output_type')
        if t == 'stream':
            text = _plain(_src(o.get('text')))
            if asis and o.get('name') == 'stdout': return md(text)
            return f'<div class="cell-output cell-output-{o.get("name", "stdout")}"><pre><code>{html.escape(text)}</code></pre></div>'
        if t == 'error':
            tb = _plain('\n'.join(o.get('traceback', [])) or f"{o.get('ename')}: {o.get('evalue')}")
            return f'<div class="cell-output cell-output-error"><pre><code>{html.escape(tb)}</code></pre></div>'
        data, meta = o.get('data', {}), o.get('metadata', {})
        mime = next((m for m in MIME_ORDER if m in data), None)
        if mime is None: return ''
        val = _src(data[mime])
        if mime in IMAGE_EXT:
            f = f'{self.files}/figure-html/cell-{k}-output-{j + 1}.{IMAGE_EXT[mime]}'
            self._write(f, val.encode() if mime == 'image/svg+xml' else base64.b64decode(val))
            size = meta.get(mime, {}) if isinstance(meta.get(mime), dict) else {}
            wh = ''.join(f' {a}="{size[a]}"' for a in ('width', 'height') if a in size)
            src = posixpath.relpath(f, posixpath.dirname(pg.out) or '.')
            return f'<div class="cell-output cell-output-display"><img src="{html.escape(src)}"{wh} class="img-fluid"></div>'
        if mime == 'text/html': return f'<div class="cell-output cell-output-display raw-html">{val}</div>'
        if mime in ('text/markdown', 'text/latex'):
            fenced = False
            for line in val.splitlines():  # a report shown in a page starts at ###: its ## would enter the outline
                if line.lstrip().startswith(('```', '~~~')): fenced = not fenced
                elif not fenced and (h := re.match(r'^##\s+(.+)', line)):
                    pg.headings.append((where, f'a level-2 heading in an output ("{h[1].strip()[:60]}"): use ### and below'))
            pg.has_math |= '$' in val
            return md(val) if asis else f'<div class="cell-output cell-output-display">{md(val)}</div>'
        return f'<div class="cell-output cell-output-display"><pre><code>{html.escape(_plain(val))}</code></pre></div>'

    def _write(self, rel, data):
        p = self.site/rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)

def page_out(proc, src):
    "The output path Quarto gives page `src`: its front matter's `output-file`, else its name as .html."
    out, p = Path(src).stem + '.html', proc/src
    if p.suffix == '.ipynb' and p.exists():
        cells = json.loads(p.read_text())['cells']
        if cells and cells[0]['cell_type'] == 'raw': out = _yaml(_src(cells[0]['source']).strip().strip('-')).get('output-file', out)
    return posixpath.join(posixpath.dirname(src), out)

def pandoc_id(text, used):
    "The identifier pandoc (so Quarto) gives a heading: letters from the first one on, `_-.` kept, spaces as `-`."
    s = ''.join(ch for ch in text.lower() if ch.isspace() or ch.isalnum() or ch in '_-.')
    while s and not s[0].isalpha(): s = s[1:]
    s = '-'.join(s.split()) or 'section'
    base, n = s, 0
    while s in used: n += 1; s = f'{base}-{n}'
    used.add(s)
    return s

_re_md_heading = re.compile(r'<h([1-6]) id="[^"]*">(.*?)<a class="anchor-link" href="[^"]*">&#182;</a></h\1>', re.S)
_re_tag = re.compile(r'<[^>]+>')
def _text(fragment): return html.unescape(_re_tag.sub('', fragment))

_re_ref = re.compile(r'<(a|img|source|video|audio|iframe|embed)\b[^>]*?\s(?:href|src)\s*=\s*("[^"]*"|\'[^\']*\'|[^\s>]+)', re.I)
_re_where = re.compile(r'\sdata-where="([^"]*)"')

def _finish(pg):
    "Give markdown headings pandoc's ids; collect the page's ids, H1s and references (tag, url, where)."
    used = set()
    def heading(m):
        level, inner = m[1], m[2]
        if a := re.search(r'\s*\{([^}]*)\}\s*$', inner):  # explicit attributes: ## Heading {#sec-id .unnumbered}
            inner = inner[:a.start()]
            if ids := [x[1:] for x in a[1].split() if x.startswith('#')]:
                used.add(ids[0])
                return f'<h{level} id="{html.escape(ids[0])}">{inner}</h{level}>'
        return f'<h{level} id="{pandoc_id(_text(inner), used)}">{inner}</h{level}>'
    pg.body = _re_md_heading.sub(heading, pg.body)
    pg.ids = {html.unescape(i) for i in re.findall(r'\sid=["\']([^"\']+)["\']', pg.body)}
    wheres = [(m.start(), html.unescape(m[1])) for m in _re_where.finditer(pg.body)]
    starts = [w[0] for w in wheres]
    def where(pos): return wheres[i][1] if (i := bisect.bisect(starts, pos) - 1) >= 0 else 'page'
    for h in re.finditer(r'<h1\b[^>]*>(.*?)</h1>', pg.body, re.S):
        pg.headings.append((where(h.start()), f'an H1 ("{_text(h[1]).strip()[:60]}"): the title is the page\'s only H1, use ##'))
    pg.refs = [(m[1].lower(), html.unescape(m[2].strip('"\'')), where(m.start())) for m in _re_ref.finditer(pg.body)]

_re_href = re.compile(r'(<a\b[^>]*?\shref=)(["\'])(.*?)\2', re.S)
def _relink(body, new):
    "Replace the href of every link whose (unescaped) href is a key of `new`."
    def f(m):
        url = html.unescape(m[3])
        return f'{m[1]}"{html.escape(new[url])}"' if url in new else m[0]
    return _re_href.sub(f, body) if new else body

def site_url():
    "The site's public address (nbs/nbdev.yml), so absolute links to it count as internal."
    for f in (NBS/'nbdev.yml', NBS/'_quarto.yml'):
        if f.exists() and (u := (_yaml(f.read_text()).get('website') or {}).get('site-url')): return u.rstrip('/')
    return ''

@dataclass
class Target:
    path: str              # site-relative path of what the reference reaches
    anchor: str = ''
    page: object = None    # the Page, when it is one
    missing: str = ''      # why it does not exist

def resolve(url, pg, pages, proc, site, base_url):
    "Where `url` on page `pg` leads in the site, or None when it leads off the site (not checked: no network)."
    u = urlsplit(url)
    if u.scheme in ('data', 'mailto', 'javascript', 'tel', 'about'): return None
    path = unquote(u.path)
    if u.scheme or u.netloc:
        full = f'{u.scheme}://{u.netloc}{u.path}' if u.scheme else url
        if not base_url or not (full == base_url or full.startswith(base_url + '/')): return None
        path = full[len(base_url):].lstrip('/')
    elif path.startswith('/'): path = path.lstrip('/')
    elif not path: path = pg.src
    else: path = posixpath.normpath(posixpath.join(posixpath.dirname(pg.src), path))
    if path.startswith('..'): return Target(path, u.fragment, missing='outside the site')
    if (proc/path).is_dir(): path += '/'
    if path in ('', '.') or path.endswith('/'): path = posixpath.join(path.rstrip('/').lstrip('.'), 'index.html').lstrip('/')
    by_src = {p.src: p for p in pages}
    by_out = {p.out: p for p in pages}
    if path.endswith(('.ipynb', '.qmd')):
        p = by_src.get(path)
        return Target(p.out if p else path, u.fragment, p, '' if p else 'no such page')
    if p := by_out.get(path): return Target(path, u.fragment, p)
    if path.endswith('.html'): return Target(path, u.fragment, missing='no such page')
    if (site/path).is_file() or (proc/path).is_file(): return Target(path, u.fragment)
    return Target(path, u.fragment, missing='no such file')

SITE_CSS = """
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#343a40;
  line-height:1.5;font-size:17px}
a{color:#2780e3;text-decoration:none} a:hover{text-decoration:underline}
.navbar{background:#2780e3;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.5rem;align-items:center}
.navbar a{color:#fff} .navbar .brand{font-weight:600;font-size:1.2rem}
.layout{display:flex;align-items:flex-start}
.sidebar{width:250px;flex:none;padding:1rem 1.2rem;font-size:.9rem;position:sticky;top:0}
.sidebar ul{list-style:none;padding-left:0;margin:.2rem 0 .8rem} .sidebar .section{font-weight:600;margin-top:.6rem}
.sidebar li{margin:.15rem 0} .sidebar a.active{font-weight:600;color:#1a5ea8}
main.content{flex:1;min-width:0;max-width:900px;padding:1rem 2rem 4rem}
#title-block-header h1.title{font-size:2.2rem;margin:.8rem 0 .2rem}
pre{background:#f8f9fa;padding:.6rem .8rem;overflow-x:auto;font-size:.85rem;border-radius:4px}
.cell-code pre,.highlight pre{background:#f1f3f5}
.cell-output pre{background:none} .cell-output-stderr pre{background:#fff3cd}
.cell-output-error pre{background:#f8d7da}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem} th,td{border-bottom:1px solid #dee2e6;padding:.25rem .6rem}
img{max-width:100%;height:auto}
details.code-fold summary{cursor:pointer;color:#6c757d}
.callout-note,.callout-tip,.callout-warning,.callout-important,.callout-caution,.callout{border-left:4px solid #2780e3;
  padding:.4rem 1rem;margin:1rem 0;background:#f8f9fa}
"""

def _shell(pg, pages, sidebar, navbar, title, mathjax):
    "The page around the body: navbar, sidebar (the course order), title block, MathJax."
    root = posixpath.relpath('.', posixpath.dirname(pg.out) or '.')
    rel = lambda p: posixpath.relpath(p, posixpath.dirname(pg.out) or '.')
    by_src = {p.src: p for p in pages}
    def link(src, text=None):
        p = by_src.get(src)
        cls = ' class="active"' if p is pg else ''
        return f'<a href="{html.escape(rel(p.out) if p else src)}"{cls}>{html.escape(text or (p.title if p else src))}</a>'
    def items(entries):
        out = []
        for e in entries:
            if isinstance(e, str): out.append(f'<li>{link(e)}</li>')
            elif isinstance(e, dict) and 'section' in e:
                out.append(f'<li><div class="section">{html.escape(str(e["section"]))}</div><ul>{items(e.get("contents", []))}</ul></li>')
            elif isinstance(e, dict) and 'href' in e: out.append(f'<li>{link(e["href"], e.get("text"))}</li>')
        return ''.join(out)
    nav = ''.join(link(e['href'], e.get('text')) for e in navbar if isinstance(e, dict) and 'href' in e)
    head = f'<header id="title-block-header"><h1 class="title">{md_inline(pg.title)}</h1>' + (
        f'<div class="description">{md(pg.description)}</div>' if pg.description else '') + '</header>'
    mj = ''
    if mathjax:
        mj = ('<script type="text/x-mathjax-config">MathJax.Hub.Config({tex2jax:{inlineMath:[["$","$"],["\\\\(","\\\\)"]],'
              'displayMath:[["$$","$$"],["\\\\[","\\\\]"]],processEscapes:true,processEnvironments:true},'
              'messageStyle:"none"});</script>'
              f'<script src="{root}/_mathjax/MathJax.js?config=TeX-AMS_CHTML"></script>')
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(pg.title)} – {html.escape(title)}</title>
<link rel="stylesheet" href="{root}/_preview/site.css"><link rel="stylesheet" href="{root}/styles.css">{mj}</head>
<body><nav class="navbar"><a class="brand" href="{rel('index.html')}">{html.escape(title)}</a>{nav}</nav>
<div class="layout"><aside class="sidebar"><ul>{items(sidebar)}</ul></aside>
<main class="content">{head}
{pg.body}
</main></div></body></html>"""

def build(proc=PROC, site=HTML, nbs=NBS):
    "Render every processed page into `site`; return the pages and the problems found, by kind of check."
    proc, site, nbs = Path(proc), Path(site), Path(nbs)
    if site.exists(): shutil.rmtree(site)
    site.mkdir(parents=True)
    srcs = sorted(p for p in proc.rglob('*') if p.suffix in ('.ipynb', '.qmd')
                  and not any(part.startswith(('_', '.')) for part in p.relative_to(proc).parts))
    r = Renderer(proc, site, nbs)
    pages = [r.page(p) for p in srcs]
    for pg in pages:
        if not pg.error: _finish(pg)
    problems = {'images': [], 'links': [], 'headings': []}
    base_url = site_url()
    for pg in pages:
        if pg.error: continue
        problems['headings'] += [f'{pg.src} ({where}): {what}' for where, what in pg.headings]
        new = {}
        for tag, url, where in pg.refs:
            t = resolve(url, pg, pages, proc, site, base_url)
            if t is None: continue
            kind = 'links' if tag == 'a' else 'images'
            if t.missing: problems[kind].append(f'{pg.src} ({where}): {url} -> {t.path}: {t.missing}'); continue
            if t.anchor and t.page is not None and t.anchor not in t.page.ids:
                problems['links'].append(f'{pg.src} ({where}): {url}: no anchor #{t.anchor} in {t.page.src}'); continue
            if t.page is None and not (site/t.path).exists():  # a file the page uses: copy it next to the page
                (site/t.path).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(proc/t.path, site/t.path)
            if tag == 'a' and t.page is not None:  # link the rendered page, offline, as Quarto does on the site
                new[url] = posixpath.relpath(t.page.out, posixpath.dirname(pg.out) or '.') + (f'#{t.anchor}' if t.anchor else '')
        pg.body = _relink(pg.body, new)
    # the site around the pages
    if (proc/'images').is_dir(): shutil.copytree(proc/'images', site/'images', dirs_exist_ok=True)
    if (proc/'styles.css').exists(): shutil.copy2(proc/'styles.css', site/'styles.css')
    (site/'_preview').mkdir(exist_ok=True)
    from pygments.formatters import HtmlFormatter
    (site/'_preview'/'site.css').write_text(SITE_CSS + HtmlFormatter().get_style_defs('.highlight'))
    mathjax = MATHJAX.exists()
    if mathjax: (site/'_mathjax').symlink_to(MATHJAX.parent, target_is_directory=True)
    sidebar = ((_yaml((proc/'sidebar.yml').read_text()).get('website') or {}).get('sidebar') or {}).get('contents', []) \
        if (proc/'sidebar.yml').exists() else [p.src for p in pages]
    qy = _yaml((proc/'_quarto.yml').read_text()) if (proc/'_quarto.yml').exists() else {}
    navbar = ((qy.get('website') or {}).get('navbar') or {}).get('left', [])
    title = ((_yaml((proc/'nbdev.yml').read_text()).get('website') or {}).get('title') if (proc/'nbdev.yml').exists() else '') or 'docs'
    for pg in pages:
        if pg.error: continue
        out = site/pg.out
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(_shell(pg, pages, sidebar, navbar, title, mathjax))
    return pages, problems

# ---------------------------------------------------------------- checks on the stored notebooks

_re_warning = re.compile(r'warning|warnings\.warn', re.I)
_re_traceback = re.compile(r'Traceback \(most recent call last\)')

def _cell_name(i, c):
    first = next((l for l in _src(c.get('source')).splitlines() if l.strip() and not l.startswith('#|')), '')
    return f'cell {i} ({first.strip()[:50]})'

def stored_outputs(nbs=NBS):
    "Problems in what the notebooks store: outputs over the size budget; errors, tracebacks and warnings."
    nbs = Path(nbs)
    size, errors = [], []
    for p in sorted(nbs.rglob('*.ipynb')):
        rel = p.relative_to(nbs)
        if any(part.startswith(('_', '.')) for part in rel.parts): continue
        cells = json.loads(p.read_text())['cells']
        sizes = []
        for i, c in enumerate(cells):
            outs = c.get('outputs', [])
            sizes.append((len(json.dumps(outs)), i, c))
            for o in outs:
                t = o.get('output_type')
                if t == 'error':
                    errors.append(f'{rel} ({_cell_name(i, c)}): error {o.get("ename")}: {o.get("evalue", "")[:80]}'); continue
                text = _plain(_src(o.get('text')) if t == 'stream' else _src(o.get('data', {}).get('text/plain')))
                if _re_traceback.search(text):
                    errors.append(f'{rel} ({_cell_name(i, c)}): a traceback in the output'); continue
                if t == 'stream' and o.get('name') == 'stderr' and (m := _re_warning.search(text)):
                    line = next(l for l in text.splitlines() if _re_warning.search(l))
                    errors.append(f'{rel} ({_cell_name(i, c)}): a warning on stderr: "{line.strip()[:110]}"')
        total = sum(s for s, _, _ in sizes)
        if total > OUTPUT_BUDGET:
            top = ', '.join(f'{_cell_name(i, c)} {s / 1000:.0f} kB' for s, i, c in sorted(sizes, key=lambda x: -x[0])[:3])
            size.append(f'{rel}: {total / 1000:.0f} kB of stored outputs (budget {OUTPUT_BUDGET // 1000} kB); largest: {top}')
    return {'output size': size, 'stored errors and warnings': errors}

CHECKS = {'images': 'images: every image a page shows exists',
          'links': 'links: every internal link reaches a page and anchor that exist',
          'headings': 'headings: the title is the only H1; outputs bring no ## sections',
          'output size': f'output size: stored outputs under {OUTPUT_BUDGET // 1000} kB per notebook',
          'stored errors and warnings': 'stored errors and warnings: none in any notebook'}

def check(proc=PROC, site=HTML, nbs=NBS):
    "Render and check; print one line per page and per check. True when all pass."
    if not MATHJAX.exists():
        why = ensure_deb('libjs-mathjax', MATHJAX)
        if why: skip('offline MathJax (pages show formulas as TeX)', why)
    pages, problems = build(proc, site, nbs)
    if not pages: return report(False, f'no pages in {proc}')
    ok = True
    for pg in pages:
        why = pg.error or ('' if pg.title else 'no title (a `# Title` cell followed by a `> summary` line)')
        ok &= report(not why, f'docs/{pg.src} -> {site.name}/{pg.out}', [why] if why else [])
    problems.update(stored_outputs(nbs))
    for kind, what in CHECKS.items(): ok &= report(not problems[kind], what, problems[kind])
    return ok

# ---------------------------------------------------------------- screenshots in headless Chromium

class CDP:
    "The few Chrome DevTools Protocol calls the screenshots need, over one websocket (websocket-client)."
    def __init__(self, url):
        import websocket
        self.ws, self.n, self.events = websocket.create_connection(url, timeout=60, suppress_origin=True), 0, []

    def __call__(self, method, session=None, **params):
        self.n += 1
        msg = {'id': self.n, 'method': method, 'params': params, **({'sessionId': session} if session else {})}
        self.ws.send(json.dumps(msg))
        while True:
            r = json.loads(self.ws.recv())
            if r.get('id') == self.n:
                if 'error' in r: raise RuntimeError(f'{method}: {r["error"].get("message")}')
                return r.get('result', {})
            self.events.append(r)

    def wait(self, method, timeout=60):
        t0 = time.time()
        while time.time() - t0 < timeout:
            for e in self.events:
                if e.get('method') == method: self.events.remove(e); return e
            self.events.append(json.loads(self.ws.recv()))
        raise TimeoutError(f'no {method} within {timeout} s')

PAGE_STATE = """new Promise(done => {
  const state = () => done(JSON.stringify({
    height: Math.max(document.documentElement.scrollHeight, document.body.scrollHeight),
    images: Array.from(document.images).map(i => ({src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0})),
    mathjax: !!(window.MathJax && MathJax.Hub),
    formulas: document.querySelectorAll('.MathJax_CHTML, .MathJax_Display').length,
    math_errors: document.querySelectorAll('.MathJax_Error, .MathJax_CHTML merror, mjx-merror').length}));
  if (window.MathJax && MathJax.Hub) { MathJax.Hub.Register.StartupHook('End', state); setTimeout(state, 15000); }
  else state();
})"""

def shots(site=HTML, out=SHOTS, pages=SHOT_PAGES, proc=PROC):
    "Screenshot `pages` of the rendered site; check height, images and formulas. True when all pass."
    chromium = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
    if chromium is None:
        if why := ensure_deb('chromium', CHROMIUM): skip('screenshots', why); return True
        chromium = str(CHROMIUM)
    site, out = Path(site), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    targets = [(src, site/(o := page_out(Path(proc), src)), Path(o).stem) for src in pages]
    tmp = Path(tempfile.mkdtemp(prefix='dcat-chromium-'))
    args = [chromium, '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
            '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-extensions',
            '--allow-file-access-from-files', '--hide-scrollbars', f'--user-data-dir={tmp}',
            '--remote-debugging-port=0', '--window-size=1280,900', 'about:blank']
    log = open(tmp/'chromium.log', 'w')
    browser = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    ok = True
    try:
        port_file, t0 = tmp/'DevToolsActivePort', time.time()
        while not (port_file.exists() and len(port_file.read_text().split()) == 2):
            if browser.poll() is not None or time.time() - t0 > 60:
                skip('screenshots', 'chromium did not start: ' + (tmp/'chromium.log').read_text()[-300:].strip())
                return True
            time.sleep(0.1)
        port, path = port_file.read_text().split()
        cdp = CDP(f'ws://127.0.0.1:{port}{path}')
        target = cdp('Target.createTarget', url='about:blank')['targetId']
        s = cdp('Target.attachToTarget', targetId=target, flatten=True)['sessionId']
        cdp('Page.enable', s); cdp('Network.enable', s)
        cdp('Network.setBlockedURLs', s, urls=['http://*', 'https://*'])  # offline: only the site's own files
        for src, html_path, name in targets:
            png = out/f'{name}.png'
            if not html_path.exists(): ok &= report(False, f'screenshot {src}', [f'{html_path} was not rendered']); continue
            cdp.events.clear()
            cdp('Emulation.setDeviceMetricsOverride', s, width=1280, height=900, deviceScaleFactor=1, mobile=False)
            cdp('Page.navigate', s, url=html_path.resolve().as_uri())
            cdp.wait('Page.loadEventFired')
            st = json.loads(cdp('Runtime.evaluate', s, expression=PAGE_STATE, awaitPromise=True, returnByValue=True)['result']['value'])
            local = [i for i in st['images'] if i['src'].startswith('file:')]
            broken = [unquote(i['src']).replace(site.resolve().as_uri() + '/', '') for i in local if not i['ok']]
            external = [i['src'] for i in st['images'] if not i['src'].startswith(('file:', 'data:'))]
            h = min(st['height'], 16000)  # Chromium's largest capture
            cdp('Emulation.setDeviceMetricsOverride', s, width=1280, height=h, deviceScaleFactor=1, mobile=False)
            png.write_bytes(base64.b64decode(cdp('Page.captureScreenshot', s, format='png', captureBeyondViewport=True)['data']))
            problems = [f'page only {st["height"]} px high'] if st['height'] < MIN_HEIGHT else []
            problems += [f'image did not load: {b}' for b in broken]
            math_src = html_path.read_text()
            if MATHJAX.exists() and '$' in math_src:
                if not st['mathjax']: problems.append('MathJax did not load')
                if st['math_errors']: problems.append(f'{st["math_errors"]} formulas MathJax could not typeset')
            notes = [f'not loaded, outside the site (no network here): {e}' for e in external]
            ok &= report(not problems, f'screenshot {src}: {st["height"]} px high, {len(local) - len(broken)} of {len(local)} '
                         f'images loaded, {st["formulas"]} formulas typeset -> {png.relative_to(ROOT) if png.is_relative_to(ROOT) else png}',
                         problems + notes)
        with contextlib.suppress(Exception): cdp('Browser.close')
    finally:
        with contextlib.suppress(Exception): browser.wait(10)
        if browser.poll() is None: browser.kill(); browser.wait()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return ok

# ---------------------------------------------------------------- README and sidebar

def sidebar(check=True, nbs=NBS):
    "The course order in nbs/sidebar.yml must name every page in nbs/, and only pages that exist."
    nbs = Path(nbs)
    def entries(items):
        for it in items:
            if isinstance(it, str): yield it
            elif isinstance(it, dict): yield from entries(it.get('contents', []))
    listed = set(entries(_yaml((nbs/'sidebar.yml').read_text())['website']['sidebar']['contents']))
    pages = {str(p.relative_to(nbs)) for p in nbs.rglob('*') if p.suffix in ('.ipynb', '.qmd')
             and not any(part.startswith(('_', '.')) for part in p.relative_to(nbs).parts)}
    missing, dangling = sorted(pages - listed), sorted(listed - pages)
    ok = not missing and not dangling
    print(('PASS' if ok else 'FAIL') + ' nbs/sidebar.yml lists every page' + (f': missing {missing}' if missing else '')
          + (f'; no such page {dangling}' if dangling else ''))
    return ok

def _readme_link(m):
    "A link in nbs/index.ipynb as README.md (above nbs/) needs it: images from nbs/, pages on the docs site."
    text, url = m[1], m[2]
    u = urlsplit(url)
    if u.scheme or u.netloc or url.startswith('#'): return m[0]
    if u.path.endswith(('.ipynb', '.qmd')) and (base := site_url()):
        p = NBS/u.path
        out = posixpath.join(posixpath.dirname(u.path), Path(u.path).stem + '.html')
        if p.suffix == '.ipynb' and p.exists():
            from nbdev.config import nbpath2html
            out = nbpath2html(u.path).as_posix()
        return f'[{text}]({base}/{out}' + (f'#{u.fragment}' if u.fragment else '') + ')'
    return f'[{text}](nbs/{url})'

def readme_text():
    "README.md from nbs/index.ipynb: markdown cells as they are, code cells fenced, outputs as text or images."
    nb = json.loads((NBS/'index.ipynb').read_text())
    parts = []
    for c in nb['cells']:
        src = ''.join(c['source']).rstrip()
        if not src or re.match(r'#\s*\|\s*(hide|default_exp)', src): continue
        if c['cell_type'] == 'markdown': parts.append(re.sub(r'(?<!\\)\[([^\]]*)\]\(([^)\s]+)\)', _readme_link, src))
        elif c['cell_type'] == 'code':
            # `#| echo: false`: a cell that computes what the page shows (a table from results/): only its output
            if not re.match(r'#\s*\|\s*echo:\s*false', src): parts.append(f'```python\n{src}\n```')
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
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    cmd = sys.argv[1] if len(sys.argv) > 1 else 'all'
    if cmd == 'proc': proc()
    elif cmd == 'html': sys.exit(0 if check() else 1)
    elif cmd == 'shots': sys.exit(0 if shots() else 1)
    elif cmd == 'readme': readme()
    elif cmd == 'site': site()
    elif cmd == 'all':
        t = [time.time()]
        proc(); t.append(time.time())
        ok = check(); t.append(time.time())
        ok &= shots(); t.append(time.time())
        ok &= readme(check=True)
        ok &= sidebar()
        print(f'docs took {t[-1] - t[0]:.0f} s: nbdev processing {t[1] - t[0]:.0f} s, rendering and checks '
              f'{t[2] - t[1]:.0f} s, screenshots {t[3] - t[2]:.0f} s', flush=True)
        sys.exit(0 if ok else 1)
    else: sys.exit(__doc__)
