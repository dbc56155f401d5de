# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""The text form of a benchmark report: markdown tables that can go into BENCHMARKS.md."""

from __future__ import annotations


def _f(v, digits: int = 2) -> str:
    if v is None:
        return '-'
    return f'{v:.{digits}f}' if isinstance(v, float) else str(v)


def _x(v) -> str:
    return '-' if v is None else f'{v:.1f}x' if v >= 10 else f'{v:.2f}x'


def inference_table(rows: list[dict]) -> str:
    lines = [
        '| target | case | backend | N | p50 ms | p99 ms | calls | floor ms | p50 / floor '
        '| device |',
        '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ]
    for r in sorted(rows, key=lambda r: (r['target'], r['n'], r['case'], r['backend'])):
        lines.append(
            f'| {r["target"]} | {r["case"]} | {r["backend"]} | {r["n"]} | {_f(r["p50_ms"])} | '
            f'{_f(r["p99_ms"])} | {r["calls"]} | {_f(r.get("floor_ms"))} | '
            f'{_x(r.get("x_floor"))} | {r["device"]} |'
        )
    return '\n'.join(lines)


def headline_lines(h: dict) -> list[str]:
    p99 = h['p99_ratios']
    names = {
        'imle_vs_ddpm100_speedup': 'IMLE (ORT) vs DDPM100 (ORT), same UNet',
        'imle_vs_ddim10_speedup': 'IMLE (ORT) vs DDIM10 (ORT), same UNet',
        'ort_vs_torch_speedup': 'IMLE generator: ORT vs torch eager',
        'ort_int8_vs_torch_speedup': 'IMLE generator: ORT int8 vs torch eager fp32',
        'ort_int8_vs_ort_fp32_speedup': 'IMLE generator: ORT int8 vs ORT fp32',
        'encoder_cache_speedup': 'encoder caching vs re-encoding the history per inference',
        'imle_vs_ddpm100_torch_speedup': (
            'IMLE (ORT) vs DDPM100 in torch eager (as Diffusion Policy runs)'
        ),
        'imle_vs_ddim10_torch_speedup': 'IMLE (ORT) vs DDIM10 in torch eager',
    }
    lines = [
        f'| ratio at N = {h["n"]} ({h["target"]}) | p50 | p99 | target |',
        '| --- | ---: | ---: | --- |',
    ]
    for key, label in names.items():
        t = h['targets'].get(key)
        verdict = (
            ''
            if not t
            else f'{t["target"]}: {"met" if t["met"] else "not met" if t["met"] is False else "-"}'
        )
        lines.append(f'| {label} (`{key}`) | {_x(h[key])} | {_x(p99[key])} | {verdict} |')
    return lines


def text_report(report: dict) -> str:
    m, v, h = report['machine'], report['versions'], report['headline']
    rates = report['rates']['cpu']
    out = [
        f'config    {report["config_description"]}',
        f'machine   {m["cpu"]}, {m["cores"]} cores, {m["memory_gib"]} GiB, '
        f'ISA {" ".join(m["isa"])}; GPU {m["gpu"] or "none"}',
        f'versions  python {v["python"]}, torch {v.get("torch")}, onnxruntime {v["onnxruntime"]} '
        f'({", ".join(v["ort_providers"])}), numpy {v["numpy"]}, rclpy {v.get("rclpy", "-")}',
        f'threads   {report["threads"]} (torch intra-op = ORT intra-op)',
        f'rates     {rates["gemm_gmacs_per_s"]} GMAC/s fp32 matmul, '
        f'{rates.get("gemm_gmacs_per_s_int8", "-")} int8 (ORT), '
        f'{rates.get("gemm_gmacs_per_s_bf16", "-")} bf16 (torch), '
        f'{rates["copy_gb_per_s"]} GB/s copy ({rates["device"]}; '
        'the better of the start and the end of the run)'
        + (f'; GPU {report["rates"]["gpu"]}' if 'gpu' in report['rates'] else ''),
        f'load avg  start {report["load_average_start"]}, end {report["load_average_end"]}; '
        "other processes' cores per section: "
        + ', '.join(
            f'{k} {c.get("other_cores", "?")}'
            for k, c in report['cpu_during'].items()
            if 'other_cores' in c
        ),
        f'parity    {report["export"]["parity_max_abs_diff"]} (max abs diff, ORT vs torch)',
    ]
    if report.get('busy_sections'):
        out.append(
            f'BUSY      other processes used the CPU during {", ".join(report["busy_sections"])}: '
            'these timings are skewed, rerun on an idle machine'
        )
    out += [f'note      {n}' for n in report['notes']]
    out += [f'skipped   {k}: {r}' for k, r in report['skipped'].items()]
    out += ['', *headline_lines(h), '']
    if isinstance(h['gpu'], dict):
        for label, g in h['gpu'].items():
            out.append(
                f'GPU {label}: IMLE p99 at N = {h["n"]}: {_f(g["imle_p99_ms"])} ms '
                f'({g["p99_target"]}: {"met" if g["p99_met"] else "not met"}); '
                f'vs DDPM100 {_x(g["imle_vs_ddpm100_speedup"])}, '
                f'vs DDIM10 {_x(g["imle_vs_ddim10_speedup"])}, '
                f'ORT vs torch {_x(g["ort_vs_torch_speedup"])}'
            )
    else:
        out.append(f'GPU: {h["gpu"]}')
    if isinstance(h.get('torch_cuda'), dict):
        for label, g in h['torch_cuda'].items():
            out.append(
                f'GPU {label}: IMLE p50 / p99 at N = {h["n"]}: {_f(g["imle_p50_ms"])} / '
                f'{_f(g["imle_p99_ms"])} ms ({g["p99_target"]}: '
                f'{"met" if g["p99_met"] else "not met"}); '
                f'vs DDPM100 {_x(g["imle_vs_ddpm100_speedup"])}, '
                f'vs DDIM10 {_x(g["imle_vs_ddim10_speedup"])} (same precision, eager)'
            )
    if report.get('inference'):
        out += ['', inference_table(report['inference'])]
    if report.get('encoder_cache'):
        out += [
            '',
            '| target | case | N | p50 ms | p99 ms | calls | device |',
            '| --- | --- | ---: | ---: | ---: | ---: | --- |',
        ]
        out += [
            f'| {r["target"]} | {r["case"]} | {r["n"]} | {_f(r["p50_ms"])} | {_f(r["p99_ms"])} | '
            f'{r["calls"]} | {r["device"]} |'
            for r in report['encoder_cache']
        ]
    if 'training' in report:
        t = report['training']
        out += [
            '',
            f'training  {t["steps_per_s"]:.4f} steps/s ({1 / t["steps_per_s"]:.1f} s/step, '
            f'{t["samples_per_s"]:.1f} examples/s) at batch {t["batch"]}, m = {t["m"]}; floor '
            f'{_f(t.get("floor_step_s"), 1)} s/step ({_x(t.get("x_floor"))}); {t["device"]}; '
            f'process peak RSS {t["peak_rss_mib_process"]:.0f} MiB',
        ]
    for key, mem in report.get('memory', {}).items():
        peak = mem.get('peak_rss_mib_peak', mem.get('peak_rss_mib'))
        weights = f', weights {mem["weight_mib"]} MiB' if 'weight_mib' in mem else ''
        out.append(f'memory    {key}: peak RSS {_f(peak, 0)} MiB{weights} ({mem["what"]})')
    if 'control_loop' in report:
        s = report['control_loop']['steady']
        a, lat = s['arrival_jitter_ms'], s['image_to_command_ms']
        out.append(
            f'loop      {s["seconds"]:.0f} s: node jitter p99 {s["node_jitter_ms_p99"]:.2f} ms '
            f'(worst window), {s["node_control_rate_hz"]:.1f} Hz; at a subscriber p50/p99/max '
            f'{a["p50"]:.2f}/{a["p99"]:.2f}/{a["max"]:.1f} ms; image-to-command p50/p99 '
            f'{lat["p50"]:.1f}/{lat["p99"]:.1f} ms (n={lat["n"]})'
        )
        if 'switch' in report['control_loop']:
            w = report['control_loop']['switch']
            out.append(
                f'switches  {w["switches"]} ({w["refused"]} refused): longest tick gap '
                f'{w["node_longest_gap_ms"]:.1f} ms, between arriving commands '
                f'{w["arrival_longest_gap_ms"]:.1f} ms'
            )
    out += [
        '',
        'wall      '
        + ', '.join(f'{k} {s} s' for k, s in report['sections_s'].items())
        + f'; total {report["total_s"]} s',
    ]
    return '\n'.join(out)
