# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
One benchmark run: build the networks, export them, run the sections, collect one report.

Sections run one after the other (never overlapping, so none loads the cores of another)
in this order: the machine's rates and the networks' costs, inference (IMLE vs DDPM100
vs DDIM10, ORT vs torch eager), encoder caching, deploy-process memory, training, and the
ROS control loop. Each section records the CPU time other processes used while it ran.
"""

from __future__ import annotations

import copy
import gc
from pathlib import Path
import tempfile
import time
from typing import Callable

import numpy as np
import torch

from . import control_loop, machine, providers, torch_cuda
from .encoder_cache import run_encoder_cache
from .flops import network_costs
from .inference import run_target
from .low_precision import cpu_rates, onnx_bytes, write_int8_bundle
from .models import (
    build_diffusion_unet,
    build_network,
    CONFIGS,
    DIFFUSION_UNET_FILE,
    export_diffusion_unet,
    export_fp16,
    unet_example_inputs,
    write_imle_bundle,
)
from .settings import SECTIONS, Settings
from .summary import add_floors, BUSY_CORES, busy_sections, headline, INT8_TARGET
from .timing import CpuMeter, load_average, torch_threads
from ..learning.export import check_parity
from ..runtime import load_bundle
from ..runtime.bundle import PolicyBundle
from ..runtime.policy_spec import ENCODER_FILE, GENERATOR_FILE


class Run:
    """The networks, their ONNX files and sessions for one configuration."""

    def __init__(self, config: str, settings: Settings, workdir: Path):
        self.cfg, self.settings, self.workdir = CONFIGS[config], settings, workdir
        self.net = build_network(self.cfg)
        self.unet = build_diffusion_unet(self.net, self.cfg.step_embed_dim)
        c = self.net.config
        self.dims = (c.condition_dim, c.pred_horizon, c.action_dim)
        self.cpu_device = machine.cpu_device(settings.threads)
        self.gpu_sessions: dict = {}

    def export(self) -> dict:
        t0 = time.perf_counter()
        self.bundle_dir = write_imle_bundle(self.cfg, self.net, self.workdir / 'bundle')
        self.unet_path = export_diffusion_unet(
            self.unet, self.cfg.pred_horizon, self.workdir / DIFFUSION_UNET_FILE
        )
        parity = check_parity(self.net, self.bundle_dir)
        self.bundle = load_bundle(
            self.bundle_dir,
            providers=['cpu'],
            intra_op_threads=self.settings.threads,
            allow_spinning=self.settings.ort_allow_spinning,
        )
        self.unet_session = self.open(providers.Target('cpu', 'fp32'), self.unet_path)
        unet_diff = self._unet_parity()
        export_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        self.int8_dir = write_int8_bundle(self.bundle_dir, self.workdir / 'bundle_int8')
        self.int8_bundle = load_bundle(
            self.int8_dir,
            providers=['cpu'],
            intra_op_threads=self.settings.threads,
            allow_spinning=self.settings.ort_allow_spinning,
        )
        return {
            'export_and_load_s': round(export_s, 1),
            'int8_quantize_and_load_s': round(time.perf_counter() - t0, 1),
            'parity_max_abs_diff': {
                'encoder': parity.encoder_max_abs_diff,
                'generator': parity.generator_max_abs_diff,
                'diffusion_unet': unet_diff,
            },
        }

    def _unet_parity(self) -> float:
        g = torch.Generator().manual_seed(5)
        cond = torch.randn(4, self.dims[0], generator=g)
        x = torch.randn(4, *self.dims[1:], generator=g)
        t = torch.tensor([0, 17, 60, 99])
        with torch.inference_mode():
            ref = self.unet(cond, x, t).numpy()
        got = self.unet_session.run(
            None, {'condition': cond.numpy(), 'noise': x.numpy(), 'timestep': t.numpy()}
        )[0]
        return float(np.abs(got - ref).max())

    # ---- sessions per target ----------------------------------------------------------
    def batch_shapes(self, inputs: str) -> Callable[[int], dict]:
        cd, ph, ad = self.dims
        h, w = self.cfg.image_hw
        shapes = {
            'generator': lambda n: {'condition': (n, cd), 'noise': (n, ph, ad)},
            'unet': lambda n: {'condition': (n, cd), 'noise': (n, ph, ad), 'timestep': (n,)},
            'encoder': lambda n: {'image': (n, h, w, 3)},
        }
        return shapes[inputs]

    def open(  # noqa: A003
        self, target: providers.Target, path: Path, fp16=None, shapes=None, max_batch: int = 0
    ):
        return providers.open_session(
            target,
            path,
            fp16,
            self.settings.threads,
            shapes,
            max_batch,
            self.workdir / 'trt_cache',
            self.settings.ort_allow_spinning,
        )

    def sessions(self, target: providers.Target) -> tuple:
        """Get (encoder, generator, diffusion unet) sessions on `target`, opened once per run."""
        if target.provider == 'cpu':
            return self.bundle.encoder, self.bundle.generator, self.unet_session
        if target not in self.gpu_sessions:
            self.gpu_sessions[target] = self._open_all(target)
        return self.gpu_sessions[target]

    def _open_all(self, target: providers.Target) -> tuple:
        c, d = self.net.config, self.workdir
        h, w = self.cfg.image_hw
        specs = [
            (
                'encoder',
                self.bundle_dir / ENCODER_FILE,
                self.net.encoder,
                (torch.zeros(1, h, w, 3, dtype=torch.uint8),),
                ['image'],
                c.obs_horizon,
            ),
            (
                'generator',
                self.bundle_dir / GENERATOR_FILE,
                self.net.generator,
                unet_example_inputs(self.net.generator, c.pred_horizon),
                ['condition', 'noise'],
                self.settings.big_n,
            ),
            (
                'unet',
                self.unet_path,
                self.unet,
                unet_example_inputs(self.unet, c.pred_horizon),
                ['condition', 'noise', 'timestep'],
                self.settings.big_n,
            ),
        ]
        out = []
        for name, path, module, args, names, max_batch in specs:

            def fp16(m=module, a=args, nm=names, p=d / f'{name}_fp16.onnx'):
                return export_fp16(m, a, nm, p)

            out.append(self.open(target, path, fp16, self.batch_shapes(name), max_batch))
        return tuple(out)

    def gpu_bundle(self, encoder, generator, target) -> PolicyBundle:
        """Return the loaded bundle's spec with sessions on another target (for OnnxPolicy)."""
        b = self.bundle
        return PolicyBundle(
            b.spec,
            b.path,
            encoder,
            generator,
            target.label,
            target.label,
            features_output=encoder.get_outputs()[0].name,
            actions_output=generator.get_outputs()[0].name,
        )


def run_benchmark(
    config: str,
    settings: Settings,
    sections=SECTIONS,
    gpu_providers=(),
    log: Callable[[str], None] = print,
) -> dict:
    t_start = time.perf_counter()
    report: dict = {
        'date': time.strftime('%Y-%m-%d %H:%M:%S %Z'),
        'config': config,
        'config_description': CONFIGS[config].describe(),
        'quick': settings.quick,
        'machine': machine.machine_info(),
        'versions': machine.versions(),
        'threads': settings.threads,
        'notes': settings.notes(),
        'load_average_start': load_average(),
        'cpu_during': {},
        'sections_s': {},
        'skipped': {},
    }
    idle = CpuMeter()
    time.sleep(1.0)
    report['cpu_before_start'] = before = idle.read()
    if before.get('other_cores', 0) + before.get('steal_cores', 0) > BUSY_CORES:
        log(
            f'warning: other processes use {before.get("other_cores")} cores before the start; '
            f'the timings will be skewed (load average {load_average()})'
        )
    with torch_threads(settings.threads), tempfile.TemporaryDirectory(prefix='imle-bench-') as tmp:
        meter = CpuMeter()
        report['rates'] = {'cpu': cpu_rates(settings.threads, 3 if settings.quick else 5)}
        gpu_rates = (
            machine.measured_gpu_rates() if gpu_providers or 'torch_cuda' in sections else None
        )
        if gpu_rates:
            report['rates']['gpu'] = gpu_rates
        run = Run(config, settings, Path(tmp))
        report['costs'] = network_costs(run.net, settings.batches, run.unet)
        report['export'] = run.export()
        report['cpu_during']['setup'] = meter.read()
        report['sections_s']['setup'] = round(time.perf_counter() - t_start, 1)
        log(
            f'setup (rates, networks, export, load) {report["sections_s"]["setup"]} s; parity '
            f'{report["export"]["parity_max_abs_diff"]}'
        )

        targets, report['inference'], report['encoder_cache'] = [], [], []
        for target in providers.targets(list(gpu_providers)):
            reason = providers.unavailable_reason(target)
            if reason:
                report['skipped'][target.label] = reason
                log(f'skipped {target.label}: {reason}')
                continue
            targets.append(target)
        for section in ('inference', 'encoder_cache'):
            if section in sections:
                _timed_section(
                    report,
                    section,
                    lambda s=section: _per_target(report, run, targets, s, log),
                    log,
                )
            if section == 'inference' and 'torch_cuda' in sections:
                _timed_section(
                    report, 'torch_cuda', lambda: torch_cuda.add_section(report, run, log), log
                )
        if 'memory' in sections:
            _timed_section(report, 'memory', lambda: _memory(report, run), log)
        # The sessions hold ~1 GB (paper) of weights; training needs the room.
        run.bundle = run.unet_session = run.int8_bundle = None
        run.gpu_sessions.clear()
        gc.collect()
        if 'training' in sections:
            _timed_section(report, 'training', lambda: _training(report, run), log)
        if 'control_loop' in sections:
            _timed_section(
                report, 'control_loop', lambda: control_loop.add_section(report, settings), log
            )
        # The floor needs what the hardware sustains, not what was left of it while another
        # process ran: measure again at the end and keep the better of the two.
        again = cpu_rates(settings.threads, 3 if settings.quick else 5)
        first = report['rates']['cpu']
        report['rates']['cpu_start_end'] = [dict(first), again]
        for key in set(first) - {'device'}:
            first[key] = max(first[key], again[key])
        add_floors(report)
        report['headline'] = headline(report, settings.big_n)
        # The keys also at the top level of the JSON object (N = 32, CPU target, p50).
        for key in (
            'imle_vs_ddpm100_speedup',
            'imle_vs_ddim10_speedup',
            'ort_vs_torch_speedup',
            'encoder_cache_speedup',
            'ort_int8_vs_torch_speedup',
            'ort_int8_vs_ort_fp32_speedup',
        ):
            report[key] = report['headline'][key]
        report['busy_sections'] = busy_sections(report)
        if report['busy_sections']:
            log(
                'warning: other processes used the CPU during '
                f'{", ".join(report["busy_sections"])}: '
                f'rerun on an idle machine before relying on these timings'
            )
    report['load_average_end'] = load_average()
    report['total_s'] = round(time.perf_counter() - t_start, 1)
    return report


def _timed_section(report: dict, name: str, fn: Callable[[], None], log) -> None:
    t0, meter = time.perf_counter(), CpuMeter()
    log(f'{name} ...')
    fn()
    report['cpu_during'][name] = meter.read()
    report['sections_s'][name] = round(time.perf_counter() - t0, 1)
    log(
        f'{name} done in {report["sections_s"][name]} s (other processes: '
        f'{report["cpu_during"][name].get("other_cores", "?")} cores)'
    )


def _per_target(report: dict, run: Run, targets: list, section: str, log) -> None:
    gpu_torch = torch.cuda.is_available()
    for target in targets:
        device = (
            run.cpu_device
            if target.provider == 'cpu'
            else f'gpu: {report["machine"]["gpu"] or "unknown GPU"} ({target.label})'
        )
        try:
            encoder, generator, unet = run.sessions(target)
        except Exception as exc:  # a GPU provider whose libraries fail: skip it, say why
            report['skipped'][f'{target.label}/{section}'] = f'{type(exc).__name__}: {exc}'
            log(f'skipped {target.label}: {exc}')
            continue
        if section == 'inference':
            torch_name, gen, unet_module = None, run.net.generator, run.unet
            if target.provider == 'cpu':
                torch_name = run.cpu_device
            elif target == providers.Target('cuda', 'fp32') and gpu_torch:
                torch_name = f'gpu: {torch.cuda.get_device_name(0)} (torch eager fp32)'
                gen, unet_module = copy.deepcopy(gen).cuda(), copy.deepcopy(unet_module).cuda()
            others = None
            if target.provider == 'cpu':
                others = {INT8_TARGET: run.int8_bundle.generator}
            rows, cpu = run_target(
                target.label,
                device,
                generator,
                unet,
                gen,
                unet_module,
                torch_name,
                run.dims,
                run.settings,
                log,
                others,
            )
            report['inference'] += rows
            report['cpu_during'][f'inference_{target.label}'] = cpu
        else:
            bundle = (
                run.bundle
                if target.provider == 'cpu'
                else run.gpu_bundle(encoder, generator, target)
            )
            for n in sorted({1, run.settings.big_n}):
                rows = run_encoder_cache(
                    bundle, device, run.settings, n, with_frame=n == run.settings.big_n
                )
                for r in rows:
                    r['target'] = target.label
                report['encoder_cache'] += rows


def _memory(report: dict, run: Run) -> None:
    from .deploy_memory import measure_deploy_process

    report['memory'] = {
        f'deploy_process{suffix}': {
            'what': 'fresh python: load_bundle + OnnxPolicy, encode, '
            f'act N={run.settings.big_n} x5 '
            f'(numpy + onnxruntime only, {run.cfg.name} bundle, {precision}, cpu)',
            'device': run.cpu_device,
            'weight_mib': round(onnx_bytes(directory) / 2**20, 1),
            **measure_deploy_process(directory, run.settings.big_n, run.settings.threads),
        }
        for suffix, precision, directory in (
            ('', 'fp32', run.bundle_dir),
            ('_int8', 'int8', run.int8_dir),
        )
    }


def _training(report: dict, run: Run) -> None:
    from .training import run_training

    s = run.settings
    cuda = torch.cuda.is_available()
    device = f'gpu: {torch.cuda.get_device_name(0)}' if cuda else run.cpu_device
    report['training'] = run_training(
        run.cfg,
        device,
        s.train_batch,
        s.train_m,
        s.train_steps,
        s.train_warmup,
        'cuda' if cuda else 'cpu',
    )
