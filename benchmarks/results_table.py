"""Markdown tables of a ``pytest benchmarks/ --benchmark-only --benchmark-json=FILE`` run.

    python benchmarks/results_table.py benchmarks/results/<name>.json            # every benchmark, by group
    python benchmarks/results_table.py benchmarks/results/<name>.json --readme   # the README's performance rows

The first form lists each benchmark's min / median / mean ± stddev, rounds and its ``extra_info`` figures; the
second derives the README's figures (ms per frame, speed-ups, steps, fps, peak memory) from the same JSON, so the
table can be regenerated from the saved run alone.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path


def _by_name(report: dict) -> dict[str, dict]:
    return {b["name"]: b for b in report["benchmarks"]}


def machine_line(report: dict) -> str:
    m, h = report["machine_info"], report["machine_info"].get("harmonization", {})
    load = report.get("load_average") or {}
    start, end = (load.get("start") or [math.nan])[0], (load.get("end") or [math.nan])[0]
    return (f"{m.get('cpu', {}).get('brand_raw', m.get('processor', '?'))}, {h.get('logical_cpus')} logical CPUs, "
            f"torch {h.get('torch')} with {h.get('torch_threads')} thread(s), Python {m.get('python_version')}; "
            f"bf16 {h.get('bf16', {}).get('reason', 'support not recorded')}; "
            f"1-min load average {start:.1f} at the start, {end:.1f} at the end; {report['datetime'][:16]} UTC, "
            f"commit {report.get('commit_info', {}).get('id', '?')[:10]}"
            + (" (dirty tree)" if report.get("commit_info", {}).get("dirty") else ""))


def full_table(report: dict) -> str:
    lines = [machine_line(report), "", "| group | benchmark | min s | median s | mean ± sd s | rounds | extra |",
             "|---|---|---|---|---|---|---|"]
    for b in sorted(report["benchmarks"], key=lambda b: (b["group"] or "", b["name"])):
        s = b["stats"]
        extra = ", ".join(f"{k}={_short(v)}" for k, v in b["extra_info"].items() if not isinstance(v, (dict, list)))
        lines.append(f"| {b['group']} | {b['name']} | {s['min']:.4g} | {s['median']:.4g} | "
                     f"{s['mean']:.4g} ± {s['stddev']:.2g} | {s['rounds']} | {extra} |")
    return "\n".join(lines) + "\n"


def _short(v):
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def readme_rows(report: dict, source: str = "") -> str:
    """The README's performance rows (only for benchmarks present in the JSON); ``source`` names the JSON."""
    b = _by_name(report)
    rows = []

    def med(name):
        return b[name]["stats"]["median"]

    if "test_metrics_with_dis" in b and "test_reference_loop_with_dis" in b:
        frames = b["test_metrics_with_dis"]["extra_info"]["frames"]
        ours, ref = med("test_metrics_with_dis"), med("test_reference_loop_with_dis")
        ours_m, ref_m = med("test_metrics_flows_given"), med("test_reference_loop_flows_given")
        rows.append(f"| metric set + DIS flow, {b['test_metrics_with_dis']['extra_info']['size']}² | "
                    f"{1000 * ours / frames:.1f} ms/frame vs {1000 * ref / frames:.1f} for the per-frame scikit-image loop "
                    f"({ref / ours:.1f}×; metrics only {1000 * ours_m / frames:.1f} vs {1000 * ref_m / frames:.1f}, "
                    f"{ref_m / ours_m:.1f}×), equal to 1e−6 | ≥ 5× | `test_bench_metrics.py` |")
    if "test_dis_flow" in b:
        e = b["test_dis_flow"]["extra_info"]
        rows.append(f"| DIS flow, {e['size']}², both directions | {1000 * med('test_dis_flow') / e['frame_pairs']:.1f} ms per "
                    f"frame pair; background within {e['max_background_error_px']:.2f} px of the known flow | — | `test_bench_flow.py` |")
    if "test_build_speed" in b:
        e = b["test_build_speed"]["extra_info"]
        rows.append(f"| Dancing build, {e['size']}² two-frame clips, {e['workers']} workers | {e['clips'] / med('test_build_speed'):.1f} "
                    f"clips/s (median of {b['test_build_speed']['stats']['rounds']} builds of {e['clips']}); "
                    f"{e['cpu_s_per_clip']:.3f} CPU s/clip → ≈ {e['workers'] / e['cpu_s_per_clip']:.0f} clips/s CPU-bound ceiling "
                    f"| ≥ 10 clips/s | `test_bench_data.py` |")
    if "test_build_memory" in b:
        runs = b["test_build_memory"]["extra_info"]["runs"]
        rows.append(f"| Dancing build, peak memory per worker | " + " / ".join(
            f"{r['worker_peak_rss_mb']:.0f} MB for {r['clips']}" for r in runs) + " clips | independent of clip count | "
            "`test_bench_data.py` |")
    steps = sorted((n for n in b if n.startswith("test_train_step[")), key=lambda n: (n.split("[")[1]))
    for profile in dict.fromkeys(n[len("test_train_step["):].split("-")[0] for n in steps):
        fp, bf = b.get(f"test_train_step[{profile}-fp32]"), b.get(f"test_train_step[{profile}-bf16]")
        if not fp:
            continue
        e = fp["extra_info"]
        frac = e.get("fraction_of_fp32_peak")
        if bf:  # a bf16 step on a CPU without native bf16 times torch's emulation (extra_info says which)
            emulated = " emulated" if bf["extra_info"].get("bf16_native") is False else ""
            bf16 = (f"bf16{emulated} {bf['stats']['median']:.2f} s "
                    f"({fp['stats']['median'] / bf['stats']['median']:.2f}× the fp32 speed)")
        else:
            bf16 = f"bf16 {e.get('bf16_step', 'not in this run')}"
        pairs = f"{e['batch']} pair" + ("s" if e["batch"] != 1 else "")
        rows.append(f"| training step, {profile} profile ({e['size']}², {pairs}, 1 thread) | fp32 "
                    f"{fp['stats']['median']:.2f} s" + (f" ({100 * frac:.0f} % of measured fp32 matmul peak)" if frac else "")
                    + f"; {bf16} | ≥ 40 % of peak; bf16 ≥ 1.5× | `test_bench_train.py` |")
    harm = [n for n in b if n.startswith("test_harmonize[")]
    if harm:
        parts = []
        for n in sorted(harm):
            e = b[n]["extra_info"]
            parts.append(f"{e['profile']} G {e['size']}²: {e['frames'] / b[n]['stats']['median']:.2f} fps")
        rows.append(f"| `harmonize` throughput (frame by frame) | {'; '.join(parts)} | — | `test_bench_train.py` |")
    # runs before the VmHWM fix read ru_maxrss, which starts at the pytest parent's size: not a figure of scoring
    mem = [n for n in b if n.startswith("test_runner_memory[") and b[n]["extra_info"].get("peak") == "VmHWM"]
    if mem:
        parts = []
        for n in sorted(mem):
            e = b[n]["extra_info"]
            parts.append(" vs ".join(f"{r['peak_rss_mib']:.0f}" for r in e["runs"])
                         + f" MiB for {' vs '.join(str(r['clips']) for r in e['runs'])} clips ({e['flow']} flow; "
                         + " vs ".join(f"{r['growth_mib']:.0f}" for r in e["runs"])
                         + f" MiB above the {e['runs'][0]['rss_before_mib']:.0f} MiB before scoring)")
        rows.append(f"| scoring memory (peak RSS) | {'; '.join(parts)} | flat in clip count | `test_bench_runner.py` |")
    if "test_fit_rankings" in b:
        e = b["test_fit_rankings"]["extra_info"]
        rows.append(f"| Plackett–Luce fit, {e['rankings']} rankings × {e['n_boot']} bootstrap refits | "
                    f"{med('test_fit_rankings'):.2f} s (matches a direct MLE to 0.02) | — | `test_bench_userstudy.py` |")
    if source:
        rows = [r.replace(f"`{f}` |", f"`pytest benchmarks/{f}` → `{source}` |")
                for r in rows for f in [r.rsplit("`", 2)[-2]]]
    return "\n".join(rows) + "\n"


def main(argv=None) -> str:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("json", type=Path)
    p.add_argument("--readme", action="store_true", help="only the README's performance rows")
    args = p.parse_args(argv)
    report = json.loads(args.json.read_text())
    source = f"benchmarks/results/{args.json.name}"
    text = (machine_line(report) + "\n\n" + readme_rows(report, source)) if args.readme else full_table(report)
    print(text)
    return text


if __name__ == "__main__":
    main()
