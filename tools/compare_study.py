"""Compare two study results (results.json written by `dcat-study`): same chosen settings, same jobs, same numbers.

    python tools/compare_study.py results/study/results.json /path/to/rerun/results/study/results.json

Every field of every final and tuning row is compared except `seconds` (the time a job took). Exits 1 on a difference.
"""
import json, sys

def compare(a:dict, b:dict)->list:
    "Differences between two studies, as lines; empty when they agree."
    out = [] if a['chosen'] == b['chosen'] else ['the chosen settings differ']
    for part in ('rows', 'tuning'):
        A, B = ({r['key']: r for r in s[part]} for s in (a, b))
        if A.keys() != B.keys(): out.append(f"{part}: {len(A.keys() - B.keys())} jobs only in the first, "
                                            f"{len(B.keys() - A.keys())} only in the second")
        for k in sorted(A.keys() & B.keys()):
            out += [f"{part} {k} {f}: {v!r} != {B[k].get(f)!r}" for f, v in A[k].items()
                    if f != 'seconds' and v != B[k].get(f)]
    return out

if __name__ == '__main__':
    if len(sys.argv) != 3: sys.exit(__doc__)
    a, b = (json.load(open(p)) for p in sys.argv[1:])
    diffs = compare(a, b)
    if diffs: print(*diffs[:20], sep="\n")
    print(f"{len(a['rows'])} final and {len(a['tuning'])} tuning rows compared: "
          + ('identical (up to the seconds each job took)' if not diffs else f'{len(diffs)} differences'))
    print(f"wall: {a['meta']['seconds'] / 60:.1f} and {b['meta']['seconds'] / 60:.1f} min")
    sys.exit(1 if diffs else 0)
