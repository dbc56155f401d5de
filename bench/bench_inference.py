"""Bundle inference through ONNX Runtime vs the same networks in torch eager, in one run.

    python bench/bench_inference.py [--quick] [--json] [--threads T] [--config paper|small]

Builds a network with random weights (no training; speed does not depend on the values),
exports it with the package's own exporter to a temporary bundle, loads that bundle with
`runtime.load_bundle` + `OnnxPolicy` exactly as the node does, and times, interleaved:

  encoder, one frame      OnnxPolicy.encode (preprocess + session) and the bare session
                          vs net.encoder(frame) (and the same preprocess + encoder)
  generator, N = 1 / 32   one generator session call vs net.generator(condition, noise)
  act, N = 32             OnnxPolicy.act with cached features (condition + one generator
                          call + consistency selection + unnormalize) vs the same code
                          with the generator call done by torch eager (TorchEagerPolicy)

Fairness: torch intra-op threads == ORT intra-op threads (default: every usable core);
both run float32 on the CPU; torch runs under inference_mode. The two backends alternate
in blocks (the order flips every round) so machine noise hits both, and the first call of
each block is not timed (it would otherwise pay for the other backend's thread pool still
spinning on the cores). Percentiles are over every timed call.

--investigate adds, for the generator only: other ORT session options (graph
optimization level, no spinning), two export variants that the package does not use yet
(Conv1d folded over the batch; Mish written with one Exp), an ORT kernel profile and the
op types left after ORT's graph optimizations.

Machine noise: the 1-min load average is printed at start and end; on a busy machine
(load above ~0.5 on 2 cores) the numbers are not worth keeping, rerun when idle.

The pieces (configs, bundle writer, torch twin of OnnxPolicy, interleaved timer, report
formatting) are functions so a later `imle-policy-ros bench` can add DDPM/DDIM rows.
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import onnxruntime as ort
import torch
from torch import nn
from torch.nn import functional as F

from imle_policy_ros.learning.export import export_onnx
from imle_policy_ros.learning.policy_network import ImlePolicyNetwork, NetworkConfig
from imle_policy_ros.runtime import (CameraSpec, MinMaxStats, OnnxPolicy, PolicySpec,
                                     TrainingInfo, load_bundle, prepare_frame)
from imle_policy_ros.runtime.bundle import PolicyBundle, file_sha256
from imle_policy_ros.runtime.policy import _require_finite
from imle_policy_ros.runtime.policy_spec import ENCODER_FILE, GENERATOR_FILE

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flops import count_macs, count_parameters  # noqa: E402

OPSET = 17


# ---- configurations -----------------------------------------------------------------
@dataclass(frozen=True)
class BenchConfig:
    name: str
    encoder_width: int
    down_dims: tuple[int, ...]
    image_hw: tuple[int, int] = (96, 96)
    cameras: tuple[str, ...] = ("front",)
    state_dim: int = 7  # 7 joints
    action_dim: int = 7
    obs_horizon: int = 2
    pred_horizon: int = 16
    action_horizon: int = 8
    rate_hz: float = 10.0

    def describe(self) -> str:
        return (f"{self.name}: encoder width {self.encoder_width} ({8 * self.encoder_width}-d features) "
                f"on {self.image_hw[0]}x{self.image_hw[1]}, {len(self.cameras)} camera(s), UNet "
                f"{list(self.down_dims)}, obs_horizon {self.obs_horizon}, pred_horizon "
                f"{self.pred_horizon}, action_dim {self.action_dim}, state_dim {self.state_dim}")


CONFIGS = {
    "paper": BenchConfig("paper", encoder_width=64, down_dims=(256, 512, 1024)),
    "small": BenchConfig("small", encoder_width=8, down_dims=(32, 64, 128)),
}


def network_config(cfg: BenchConfig) -> NetworkConfig:
    return NetworkConfig(camera_names=list(cfg.cameras), image_hw=tuple(cfg.image_hw),
                         state_dim=cfg.state_dim, action_dim=cfg.action_dim,
                         obs_horizon=cfg.obs_horizon, pred_horizon=cfg.pred_horizon,
                         action_horizon=cfg.action_horizon, encoder_width=cfg.encoder_width,
                         down_dims=list(cfg.down_dims))


def build_network(cfg: BenchConfig, seed: int = 0) -> ImlePolicyNetwork:
    """The network with its initial (random) weights, in eval mode."""
    torch.manual_seed(seed)
    return ImlePolicyNetwork(network_config(cfg)).eval()


def bench_spec(cfg: BenchConfig, net: ImlePolicyNetwork) -> PolicySpec:
    """A policy.json for the benchmark bundle (no file hashes yet)."""
    ncfg = net.config
    h, w = cfg.image_hw
    return PolicySpec(
        cameras=tuple(CameraSpec(name, h, w, None) for name in cfg.cameras),
        joint_names=tuple(f"joint_{i + 1}" for i in range(cfg.state_dim)),
        action_names=tuple(f"joint_{i + 1}" for i in range(cfg.action_dim)),
        action_kind="joint_position",
        obs_horizon=ncfg.obs_horizon, pred_horizon=ncfg.pred_horizon,
        action_horizon=ncfg.action_horizon, dt=1.0 / cfg.rate_hz, feature_dim=ncfg.feature_dim,
        state_stats=MinMaxStats(np.full(cfg.state_dim, -3.0, np.float32), np.full(cfg.state_dim, 3.0, np.float32)),
        action_stats=MinMaxStats(np.full(cfg.action_dim, -3.0, np.float32), np.full(cfg.action_dim, 3.0, np.float32)),
        training=TrainingInfo(objective="rs_imle"), onnx_opset=OPSET)


def write_bundle(net: ImlePolicyNetwork, spec: PolicySpec, directory: Path) -> Path:
    """Export `net` with the package's exporter and write policy.json with the file hashes.

    What export_bundle does minus the checkpoint, the parity gate and the staging move
    (the benchmark checks parity itself, on the inputs it times).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    export_onnx(net, directory)
    hashes = {name: file_sha256(directory / name) for name in (ENCODER_FILE, GENERATOR_FILE)}
    replace(spec, file_sha256=hashes).write(directory)
    return directory


# ---- torch eager twin of OnnxPolicy ----------------------------------------------------
class TorchEagerPolicy(OnnxPolicy):
    """OnnxPolicy with its two network calls done by torch eager instead of ORT.

    Everything else (preprocess, condition building, noise, consistency selection,
    unnormalize, finiteness checks) is OnnxPolicy's own code, so a comparison of `act`
    measures the backend and nothing else. The bundle is used only for its spec. Made for
    rs_imle bundles: the zero-noise path of an MSE model is not mirrored.
    """

    def __init__(self, bundle, net: ImlePolicyNetwork, **kwargs):
        super().__init__(bundle, **kwargs)
        self.net = net.eval()

    def encode_batch(self, frames, cameras=None) -> np.ndarray:
        if cameras is None:
            cameras = range(len(self.spec.cameras))
        images = np.stack([prepare_frame(f, self.camera(c)) for f, c in zip(frames, cameras)])
        with torch.inference_mode():
            features = self.net.encoder(torch.from_numpy(images)).numpy()
        _require_finite(features, "encoder features")
        return features

    def sample(self, condition: np.ndarray, num_samples: int | None = None) -> np.ndarray:
        spec = self.spec
        n = self.num_samples if num_samples is None else int(num_samples)
        condition = np.asarray(condition, dtype=np.float32).reshape(-1)
        shape = (n, spec.pred_horizon, spec.action_dim)
        with self._lock:
            noise = self._rng.standard_normal(shape, dtype=np.float32)
        conditions = np.ascontiguousarray(np.broadcast_to(condition, (n, spec.condition_dim)))
        with torch.inference_mode():
            actions = self.net.generator(torch.from_numpy(conditions), torch.from_numpy(noise)).numpy()
        _require_finite(actions, "generator actions")
        return actions


# ---- timing -------------------------------------------------------------------------
@dataclass
class Timing:
    samples_ms: list = field(default_factory=list)

    def summary(self) -> dict:
        a = np.asarray(self.samples_ms, dtype=np.float64)
        return {"p50_ms": float(np.percentile(a, 50)), "p99_ms": float(np.percentile(a, 99)),
                "mean_ms": float(a.mean()), "min_ms": float(a.min()), "n": int(a.size)}


def measure_interleaved(cases: dict[str, Callable[[], object]], rounds: int, block: int,
                        warmup: int = 3, block_warmup: int = 1) -> dict[str, dict]:
    """Time every case `rounds * block` times, alternating the cases in blocks of `block`
    calls; the case order flips every round. Each case first runs `warmup` untimed calls,
    and each block starts with `block_warmup` untimed calls."""
    names = list(cases)
    for name in names:
        for _ in range(warmup):
            cases[name]()
    timings = {name: Timing() for name in names}
    clock = time.perf_counter
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            fn, out = cases[name], timings[name].samples_ms
            for _ in range(block_warmup):
                fn()
            for _ in range(block):
                t0 = clock()
                fn()
                out.append((clock() - t0) * 1e3)
    return {name: timings[name].summary() for name in names}


@contextlib.contextmanager
def torch_threads(n: int):
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


# ---- machine and costs --------------------------------------------------------------
def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def machine_info() -> dict:
    model = platform.processor() or platform.machine()
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
                break
    except (OSError, subprocess.CalledProcessError):
        pass
    mem_gib = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gib = round(int(line.split()[1]) / 2**20, 1)
    flags = set()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    isa = [f for f in ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile") if f in flags]
    return {"cpu": model, "cores": usable_cores(), "memory_gib": mem_gib, "isa": isa,
            "kernel": platform.release()}


def versions() -> dict:
    return {"python": platform.python_version(), "torch": torch.__version__,
            "onnxruntime": ort.__version__, "numpy": np.__version__}


def machine_rates(threads: int, repeats: int = 5) -> dict:
    """What this machine sustains, for rough floors: fp32 GEMM MAC rate (torch.mm 2048^3
    on `threads` threads, best of `repeats`) and single-thread memory copy bandwidth."""
    size = 2048
    a, b = torch.randn(size, size), torch.randn(size, size)
    with torch_threads(threads):
        torch.mm(a, b)
        best = min(_timed(lambda: torch.mm(a, b)) for _ in range(repeats))
    src = np.ones(64 * 2**20, np.float32)  # 256 MiB, well beyond any cache
    dst = np.empty_like(src)
    np.copyto(dst, src)
    copy_s = min(_timed(lambda: np.copyto(dst, src)) for _ in range(repeats))
    return {"gemm_gmacs_per_s": round(size**3 / best / 1e9, 1),
            "copy_gb_per_s": round(2 * src.nbytes / copy_s / 1e9, 1)}  # read + write


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def floors(costs: dict, rates: dict, big_n: int) -> dict:
    """Rough lower bounds (ms): compute = MACs / sustained GEMM rate; memory = fp32
    generator weights read once / copy bandwidth. Not a model of either backend."""
    gemm = rates["gemm_gmacs_per_s"] * 1e9
    return {"encoder_compute_ms": 1e3 * costs["encoder_macs_per_frame"] / gemm,
            "generator_n1_compute_ms": 1e3 * costs["generator_macs_n1"] / gemm,
            "generator_n1_weights_ms": 1e3 * costs["generator_weight_bytes_fp32"] / (rates["copy_gb_per_s"] * 1e9),
            f"generator_n{big_n}_compute_ms": 1e3 * costs[f"generator_macs_n{big_n}"] / gemm}


class CpuMeter:
    """CPU time spent by OTHER processes while a block of work ran, from /proc/stat minus
    this process's own CPU time: the load average cannot tell them apart (this benchmark's
    own threads count in it). `other_cores` = average cores busy with other work;
    `steal_cores` = cores the hypervisor gave to other guests (a VM's hidden neighbours)."""

    def __init__(self):
        self._start = self._read()

    @staticmethod
    def _read():
        t = os.times()
        wall = time.perf_counter()
        try:
            fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        except (OSError, ValueError):
            return wall, t.user + t.system, None, None
        hz = os.sysconf("SC_CLK_TCK")
        user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
        busy = (user + nice + system + irq + softirq) / hz
        return wall, t.user + t.system, busy, steal / hz

    def read(self) -> dict:
        wall0, own0, busy0, steal0 = self._start
        wall1, own1, busy1, steal1 = self._read()
        elapsed = max(wall1 - wall0, 1e-9)
        if busy0 is None:
            return {"own_cores": round((own1 - own0) / elapsed, 2)}
        return {"own_cores": round((own1 - own0) / elapsed, 2),
                "other_cores": round(max(0.0, (busy1 - busy0) - (own1 - own0)) / elapsed, 2),
                "steal_cores": round((steal1 - steal0) / elapsed, 2)}


def load_average() -> list[float]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return []


def network_costs(net: ImlePolicyNetwork, batch: int = 32) -> dict:
    """Parameter counts, and MACs of the encoder per frame and the generator at N=batch."""
    cfg = net.config
    h, w = cfg.image_hw
    enc = count_macs(net.encoder, torch.zeros(1, h, w, 3, dtype=torch.uint8))
    gen1 = count_macs(net.generator, torch.zeros(1, cfg.condition_dim),
                      torch.zeros(1, cfg.pred_horizon, cfg.action_dim))
    genn = count_macs(net.generator, torch.zeros(batch, cfg.condition_dim),
                      torch.zeros(batch, cfg.pred_horizon, cfg.action_dim))
    return {
        "params_encoder": count_parameters(net.encoder),
        "params_generator": count_parameters(net.generator),
        "params_total": count_parameters(net),
        "encoder_macs_per_frame": enc.total,
        "generator_macs_n1": gen1.total,
        f"generator_macs_n{batch}": genn.total,
        "generator_macs_by_type_n1": gen1.by_type,
        "generator_weight_bytes_fp32": 4 * count_parameters(net.generator),
        "condition_dim": cfg.condition_dim,
    }


# ---- the benchmark ------------------------------------------------------------------
@dataclass
class RunSettings:
    threads: int
    rounds: int
    block: int
    warmup: int
    big_n: int = 32


def settings_for(quick: bool, threads: int, config: str) -> RunSettings:
    # Tuned so the paper config on 2 cores takes < 3 min (default) / < 1 min (--quick),
    # export included; the small config is far cheaper and gets more repetitions.
    if config == "small":
        return RunSettings(threads, rounds=10 if quick else 40, block=10, warmup=5)
    return RunSettings(threads, rounds=4 if quick else 14, block=3 if quick else 5, warmup=2)


def parity(policy: OnnxPolicy, net: ImlePolicyNetwork, frame: np.ndarray, n: int) -> dict:
    """Max abs difference ORT vs torch on the benchmark's own inputs (same networks?)."""
    b = policy.bundle
    rng = np.random.default_rng(7)
    cond = rng.standard_normal((n, policy.spec.condition_dim)).astype(np.float32)
    noise = rng.standard_normal((n, policy.spec.pred_horizon, policy.spec.action_dim)).astype(np.float32)
    with torch.inference_mode():
        ft = net.encoder(torch.from_numpy(frame[None])).numpy()
        gt = net.generator(torch.from_numpy(cond), torch.from_numpy(noise)).numpy()
    fo = b.encoder.run(None, {b.image_input: frame[None]})[0]
    go = b.generator.run(None, {b.condition_input: cond, b.noise_input: noise})[0]
    return {"encoder_max_abs_diff": float(np.abs(fo - ft).max()),
            "generator_max_abs_diff": float(np.abs(go - gt).max())}


def make_cases(policy: OnnxPolicy, twin: TorchEagerPolicy, net: ImlePolicyNetwork,
               frame: np.ndarray, big_n: int, seed: int = 0) -> dict[str, dict[str, Callable]]:
    """Groups of cases that are timed interleaved with each other: group -> name -> fn."""
    spec, b = policy.spec, policy.bundle
    rng = np.random.default_rng(seed)
    image = np.ascontiguousarray(frame[None])
    image_t = torch.from_numpy(image)
    features = rng.standard_normal((spec.obs_horizon, len(spec.cameras), spec.feature_dim)).astype(np.float32)
    joints = rng.uniform(-1.0, 1.0, (spec.obs_horizon, spec.state_dim)).astype(np.float32)
    condition = policy.condition(features, joints)

    def generator_inputs(n):
        cond = np.ascontiguousarray(np.broadcast_to(condition, (n, spec.condition_dim)))
        noise = rng.standard_normal((n, spec.pred_horizon, spec.action_dim)).astype(np.float32)
        return cond, noise

    def ort_gen(n):
        cond, noise = generator_inputs(n)
        feeds = {b.condition_input: cond, b.noise_input: noise}
        return lambda: b.generator.run([b.actions_output], feeds)

    def torch_gen(n):
        cond, noise = (torch.from_numpy(a.copy()) for a in generator_inputs(n))

        def run():
            with torch.inference_mode():
                return net.generator(cond, noise)
        return run

    def torch_encoder():
        with torch.inference_mode():
            return net.encoder(image_t)

    return {
        "encoder": {
            "ort_encode": lambda: policy.encode(0, frame),
            "ort_session": lambda: b.encoder.run([b.features_output], {b.image_input: image}),
            "torch_encode": lambda: twin.encode(0, frame),
            "torch_eager": torch_encoder,
        },
        "generator_n1": {"ort_session": ort_gen(1), "torch_eager": torch_gen(1)},
        f"generator_n{big_n}": {"ort_session": ort_gen(big_n), "torch_eager": torch_gen(big_n)},
        f"act_n{big_n}": {"ort_act": lambda: policy.act(features, joints),
                          "torch_act": lambda: twin.act(features, joints)},
    }


def ratios(results: dict, big_n: int) -> dict:
    def r(group, slow, fast):
        g = results[group]
        return {"p50": g[slow]["p50_ms"] / g[fast]["p50_ms"], "p99": g[slow]["p99_ms"] / g[fast]["p99_ms"]}
    return {
        f"ort_vs_torch_speedup_generator_n{big_n}": r(f"generator_n{big_n}", "torch_eager", "ort_session"),
        "ort_vs_torch_speedup_generator_n1": r("generator_n1", "torch_eager", "ort_session"),
        "ort_vs_torch_speedup_encoder": r("encoder", "torch_eager", "ort_session"),
        "ort_vs_torch_speedup_encode_with_preprocess": r("encoder", "torch_encode", "ort_encode"),
        f"ort_vs_torch_speedup_act_n{big_n}": r(f"act_n{big_n}", "torch_act", "ort_act"),
    }


def run_benchmark(cfg: BenchConfig, settings: RunSettings, log: Callable[[str], None] = print,
                  workdir: str | None = None, investigate: bool = False) -> dict:
    report: dict = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": machine_info(),
                    "versions": versions(), "config": asdict(cfg), "settings": asdict(settings),
                    "load_average_start": load_average()}
    n = settings.big_n
    with torch_threads(settings.threads), tempfile.TemporaryDirectory(prefix="imle-bench-", dir=workdir) as tmp:
        report["threads"] = {"torch_intra_op": torch.get_num_threads(),
                             "ort_intra_op": settings.threads}
        t0 = time.perf_counter()
        net = build_network(cfg)
        report["costs"] = network_costs(net, n)
        report["machine_rates"] = machine_rates(settings.threads)
        report["floors_ms"] = floors(report["costs"], report["machine_rates"], n)
        spec = bench_spec(cfg, net)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bundle_dir = write_bundle(net, spec, Path(tmp) / "bundle")
        bundle = load_bundle(bundle_dir, providers=["cpu"], intra_op_threads=settings.threads)
        report["ort_provider"] = bundle.generator_provider
        report["export_and_load_s"] = round(time.perf_counter() - t0, 1)
        log(f"exported and loaded the bundle in {report['export_and_load_s']} s")

        policy = OnnxPolicy(bundle, num_samples=n, seed=0)
        twin = TorchEagerPolicy(bundle, net, num_samples=n, seed=0)
        frame = np.random.default_rng(1).integers(0, 256, (*cfg.image_hw, 3), dtype=np.uint8)
        report["parity"] = parity(policy, net, frame, n)

        results = {}
        cpu = {}
        for group, cases in make_cases(policy, twin, net, frame, n).items():
            t1, meter = time.perf_counter(), CpuMeter()
            results[group] = measure_interleaved(cases, settings.rounds, settings.block, settings.warmup)
            cpu[group] = meter.read()
            log(f"{group}: " + ", ".join(f"{k} p50 {v['p50_ms']:.2f} ms" for k, v in results[group].items())
                + f" ({time.perf_counter() - t1:.0f} s; cpu {cpu[group]})")
        report["results"] = results
        report["cpu_during"] = cpu
        report["ratios"] = ratios(results, n)
        report["benchmark_s"] = round(time.perf_counter() - t0, 1)  # the default run, export included
        if investigate:
            report["investigation"] = investigate_generator(net, bundle, settings, Path(tmp), log)
    report["load_average_end"] = load_average()
    report["wall_s"] = round(time.perf_counter() - t0, 1)
    return report


# ---- investigation: why ORT is (or is not) faster at N = 32 ----------------------------
class BatchFoldedConv1d(nn.Module):
    """A Conv1d / ConvTranspose1d computed as a 2-D conv over [1, C, B, T] (kernel 1 x k).

    Same weights, same result. ORT's CPU Conv runs im2col + one GEMM per batch element, so
    a Conv1d on [B, C, T] with a short T (4..16 in the UNet) is B skinny GEMMs (T columns)
    that each stream the whole weight matrix from memory; folded, it is one convolution over
    a B x T image (ORT runs it with its NCHWc kernels), which reuses every weight for all
    B*T output positions.
    """

    def __init__(self, conv: nn.Module):
        super().__init__()
        self.conv = conv

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = self.conv
        y = x.transpose(0, 1).unsqueeze(0)  # [B, C, T] -> [1, C, B, T]
        weight = c.weight.unsqueeze(2)  # [O, I, k] -> [O, I, 1, k] (or [I, O, 1, k])
        if isinstance(c, nn.ConvTranspose1d):
            y = F.conv_transpose2d(y, weight, c.bias, stride=(1, c.stride[0]), padding=(0, c.padding[0]),
                                   output_padding=(0, c.output_padding[0]), groups=c.groups,
                                   dilation=(1, c.dilation[0]))
        else:
            y = F.conv2d(y, weight, c.bias, stride=(1, c.stride[0]), padding=(0, c.padding[0]),
                         dilation=(1, c.dilation[0]), groups=c.groups)
        return y.squeeze(0).transpose(0, 1)  # [1, O, B, T'] -> [B, O, T']


def fold_conv1d_batch(module: nn.Module) -> nn.Module:
    """A copy of `module` with every Conv1d / ConvTranspose1d wrapped in BatchFoldedConv1d."""
    folded = copy.deepcopy(module)
    for parent in list(folded.modules()):
        for name, child in list(parent.named_children()):
            if type(child) in (nn.Conv1d, nn.ConvTranspose1d):
                setattr(parent, name, BatchFoldedConv1d(child))
    return folded


class ExpMish(nn.Module):
    """Mish written with one Exp: x * tanh(softplus(x)) = x * n / (n + 2), n = e^x (e^x + 2).

    Exact algebra (max abs diff to torch's mish ~1e-5 over [-100, 100], relative 3e-7);
    the clamp at 20 keeps n finite (for x > 20 the factor n / (n + 2) is 1 in float32).
    Exported at opset 17, nn.Mish becomes Softplus -> Tanh -> Mul, and ORT's CPU Softplus
    is far slower per element than Exp, Mul, Add and Div.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = torch.exp(torch.clamp(x, max=20.0))
        n = u * (u + 2.0)
        return x * n / (n + 2.0)


def swap_mish(module: nn.Module) -> nn.Module:
    """A copy of `module` with every nn.Mish replaced by ExpMish."""
    swapped = copy.deepcopy(module)
    for parent in list(swapped.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.Mish):
                setattr(parent, name, ExpMish())
    return swapped


def export_generator(generator: nn.Module, cfg: NetworkConfig, path: Path) -> Path:
    """generator.onnx with the bundle contract's names and free batch axis (as export_onnx)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(generator.eval(), (torch.zeros(2, cfg.condition_dim),
                                             torch.zeros(2, cfg.pred_horizon, cfg.action_dim)),
                          str(path), input_names=["condition", "noise"], output_names=["actions"],
                          dynamic_axes={k: {0: "batch"} for k in ("condition", "noise", "actions")},
                          opset_version=OPSET, dynamo=False)
    return path


def ort_session(path: Path, threads: int, level: str = "all", config: dict | None = None,
                profile_prefix: str | None = None, parallel: bool = False) -> ort.InferenceSession:
    """A CPU session like runtime.sessions builds (level "all", `threads` intra-op,
    sequential), with overrides: level in disable/basic/extended/all, session config
    entries, parallel execution mode."""
    levels = {"disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
              "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
              "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
              "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL}
    options = ort.SessionOptions()
    options.graph_optimization_level = levels[level]
    options.intra_op_num_threads = threads
    if parallel:
        options.execution_mode = ort.ExecutionMode.ORT_PARALLEL
    for key, value in (config or {}).items():
        options.add_session_config_entry(key, str(value))
    if profile_prefix:
        options.enable_profiling = True
        options.profile_file_prefix = profile_prefix
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def ort_profile(path: Path, threads: int, feeds: dict, runs: int = 3, top: int = 5) -> dict:
    """Per op type kernel time (ms per call) of a generator call, and the slowest nodes."""
    with tempfile.TemporaryDirectory(prefix="imle-bench-prof-") as tmp:
        session = ort_session(path, threads, profile_prefix=str(Path(tmp) / "gen"))
        session.run(None, feeds)  # warm-up (profiled too; dropped below)
        for _ in range(runs):
            session.run(None, feeds)
        events = json.loads(Path(session.end_profiling()).read_text())
    by_op: dict = {}
    by_node: dict = {}
    kernel = [e for e in events if e.get("cat") == "Node" and e["name"].endswith("_kernel_time")]
    calls = runs + 1
    for e in kernel[len(kernel) // calls:]:  # drop the warm-up run
        op = e["args"]["op_name"]
        by_op[op] = by_op.get(op, 0.0) + e["dur"] / 1e3 / runs
        shapes = [list(d.values())[0] for d in e["args"].get("input_type_shape", [])]
        key = e["name"][:-len("_kernel_time")]
        entry = by_node.setdefault(key, {"op": op, "inputs": shapes, "ms": 0.0})
        entry["ms"] += e["dur"] / 1e3 / runs
    total = sum(by_op.values())
    return {"kernel_ms_per_call": round(total, 2),
            "by_op_ms": {k: round(v, 2) for k, v in sorted(by_op.items(), key=lambda kv: -kv[1])},
            "slowest_nodes": sorted(by_node.values(), key=lambda n: -n["ms"])[:top]}


def optimized_op_counts(path: Path, threads: int, level: str = "all") -> dict:
    """Op types of the graph after ORT's optimizations (shows which fusions happened)."""
    import onnx

    with tempfile.TemporaryDirectory(prefix="imle-bench-opt-") as tmp:
        options = ort.SessionOptions()
        options.graph_optimization_level = {"all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
                                            "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED}[level]
        options.intra_op_num_threads = threads
        options.optimized_model_filepath = str(Path(tmp) / "opt.onnx")
        options.log_severity_level = 3  # not the "hardware specific optimizations" note
        options.add_session_config_entry("session.optimized_model_external_initializers_file_name", "w.bin")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        model = onnx.load(str(Path(tmp) / "opt.onnx"), load_external_data=False)
    counts: dict = {}
    for node in model.graph.node:
        key = f"{node.domain + ':' if node.domain else ''}{node.op_type}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def investigate_generator(net: ImlePolicyNetwork, bundle: PolicyBundle, settings: RunSettings,
                          workdir: Path, log: Callable[[str], None] = print) -> dict:
    """Generator at N=1 and N=big_n: the runtime's session against other ORT session
    options and two export variants (batch-folded Conv1d; plus ExpMish), interleaved with
    torch eager. Returns timings, each variant's max abs difference to torch, ORT
    kernel-time profiles and the op types of the graphs after ORT's optimizations."""
    cfg, n_big, threads = net.config, settings.big_n, settings.threads
    rng = np.random.default_rng(3)
    folded = fold_conv1d_batch(net.generator)
    folded_path = export_generator(folded, cfg, workdir / "generator_folded.onnx")
    fast_path = export_generator(swap_mish(folded), cfg, workdir / "generator_folded_expmish.onnx")
    plain_path = bundle.path / GENERATOR_FILE
    sessions = {
        "ort_runtime_session": bundle.generator,
        "ort_allow_spinning_0": ort_session(plain_path, threads, config={"session.intra_op.allow_spinning": 0}),
        "ort_level_extended": ort_session(plain_path, threads, level="extended"),
        "ort_level_basic": ort_session(plain_path, threads, level="basic"),
        "ort_level_disable_all": ort_session(plain_path, threads, level="disable"),
        "ort_disable_prepacking": ort_session(plain_path, threads, config={"session.disable_prepacking": 1}),
        "ort_parallel_execution": ort_session(plain_path, threads, parallel=True),
        "ort_1_intra_op_thread": ort_session(plain_path, 1),
        "ort_batch_folded_conv": ort_session(folded_path, threads),
        "ort_batch_folded_conv_extended": ort_session(folded_path, threads, level="extended"),
        "ort_batch_folded_conv_exp_mish": ort_session(fast_path, threads),
    }
    out: dict = {"timings": {}}
    for n in (1, n_big):
        cond = rng.standard_normal((n, cfg.condition_dim)).astype(np.float32)
        noise = rng.standard_normal((n, cfg.pred_horizon, cfg.action_dim)).astype(np.float32)
        feeds = {"condition": cond, "noise": noise}
        cond_t, noise_t = torch.from_numpy(cond), torch.from_numpy(noise)
        with torch.inference_mode():
            reference = net.generator(cond_t, noise_t).numpy()
        cases = {name: (lambda s=s: s.run(None, feeds)) for name, s in sessions.items()}

        def torch_eager():
            with torch.inference_mode():
                return net.generator(cond_t, noise_t)
        cases["torch_eager"] = torch_eager
        for name in ("ort_batch_folded_conv", "ort_batch_folded_conv_exp_mish"):
            diff = np.abs(sessions[name].run(None, feeds)[0] - reference).max()
            out[f"max_abs_diff_vs_torch_n{n}_{name}"] = float(diff)
        rounds = max(3, settings.rounds // 4) if n == n_big else max(3, settings.rounds // 2)
        t0 = time.perf_counter()
        meter = CpuMeter()
        out["timings"][f"generator_n{n}"] = measure_interleaved(cases, rounds, max(1, settings.block // 2),
                                                                warmup=settings.warmup)
        out.setdefault("cpu_during", {})[f"generator_n{n}"] = meter.read()
        log(f"investigate generator_n{n}: " + ", ".join(
            f"{k} {v['p50_ms']:.1f}" for k, v in out["timings"][f"generator_n{n}"].items())
            + f" ms p50 ({time.perf_counter() - t0:.0f} s)")
        if n == n_big:
            out[f"profile_runtime_n{n}"] = ort_profile(plain_path, threads, feeds)
            out[f"profile_folded_exp_mish_n{n}"] = ort_profile(fast_path, threads, feeds)
    out["optimized_ops_runtime"] = optimized_op_counts(plain_path, threads)
    out["optimized_ops_folded_exp_mish"] = optimized_op_counts(fast_path, threads)
    return out


# ---- output -------------------------------------------------------------------------
ROW_LABELS = {
    ("encoder", "ort_encode"): "encoder, 1 frame: OnnxPolicy.encode (preprocess + ORT)",
    ("encoder", "ort_session"): "encoder, 1 frame: ORT session.run",
    ("encoder", "torch_encode"): "encoder, 1 frame: preprocess + torch eager",
    ("encoder", "torch_eager"): "encoder, 1 frame: torch eager net.encoder",
}


def markdown_table(report: dict) -> str:
    n = report["settings"]["big_n"]
    res, rat = report["results"], report["ratios"]
    labels = dict(ROW_LABELS)
    for k in (1, n):
        labels[(f"generator_n{k}", "ort_session")] = f"generator, N={k}: ORT session.run"
        labels[(f"generator_n{k}", "torch_eager")] = f"generator, N={k}: torch eager"
    labels[(f"act_n{n}", "ort_act")] = f"act, N={n} (condition + generator + selection): OnnxPolicy"
    labels[(f"act_n{n}", "torch_act")] = f"act, N={n}: same code, torch eager generator"
    speedup = {("encoder", "ort_session"): rat["ort_vs_torch_speedup_encoder"],
               ("encoder", "ort_encode"): rat["ort_vs_torch_speedup_encode_with_preprocess"],
               ("generator_n1", "ort_session"): rat["ort_vs_torch_speedup_generator_n1"],
               (f"generator_n{n}", "ort_session"): rat[f"ort_vs_torch_speedup_generator_n{n}"],
               (f"act_n{n}", "ort_act"): rat[f"ort_vs_torch_speedup_act_n{n}"]}
    lines = ["| case | p50 ms | p99 ms | calls | torch / ORT (p50, p99) |",
             "| --- | ---: | ---: | ---: | --- |"]
    for group, cases in res.items():
        for name, s in cases.items():
            sp = speedup.get((group, name))
            ratio = f"**{sp['p50']:.2f}x**, {sp['p99']:.2f}x" if sp else ""
            lines.append(f"| {labels.get((group, name), f'{group} {name}')} | {s['p50_ms']:.2f} | "
                         f"{s['p99_ms']:.2f} | {s['n']} | {ratio} |")
    return "\n".join(lines)


def busy(report: dict, threshold: float = 0.15) -> bool:
    """Whether other processes (or the hypervisor) took a noticeable share of the CPU."""
    return any(c.get("other_cores", 0) + c.get("steal_cores", 0) > threshold
               for c in report.get("cpu_during", {}).values())


def text_report(report: dict) -> str:
    m, v, c = report["machine"], report["versions"], report["costs"]
    n = report["settings"]["big_n"]
    out = [
        f"config      {CONFIGS[report['config']['name']].describe()}",
        f"machine     {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, ISA {' '.join(m['isa'])}",
        f"versions    python {v['python']}, torch {v['torch']}, onnxruntime {v['onnxruntime']}, numpy {v['numpy']}",
        f"threads     torch intra-op {report['threads']['torch_intra_op']}, ORT intra-op "
        f"{report['threads']['ort_intra_op']} ({report['ort_provider']})",
        f"load avg    start {report['load_average_start']}, end {report['load_average_end']} (this run's "
        f"threads count too)",
        "other CPU   " + ", ".join(f"{g} {c.get('other_cores', '?')}" for g, c in report["cpu_during"].items())
        + " cores busy with other processes; steal " + ", ".join(
            f"{c.get('steal_cores', '?')}" for c in report["cpu_during"].values())
        + (f"  <- BUSY, rerun" if busy(report) else ""),
        f"params      encoder {c['params_encoder'] / 1e6:.2f} M, generator {c['params_generator'] / 1e6:.2f} M",
        f"MACs        encoder {c['encoder_macs_per_frame'] / 1e9:.3f} G/frame, generator "
        f"{c['generator_macs_n1'] / 1e9:.3f} G (N=1), {c[f'generator_macs_n{n}'] / 1e9:.2f} G (N={n})",
        f"machine     sustained fp32 GEMM {report['machine_rates']['gemm_gmacs_per_s']} GMAC/s "
        f"({report['threads']['torch_intra_op']} threads), copy {report['machine_rates']['copy_gb_per_s']} GB/s",
        "floors      " + ", ".join(f"{k[:-3]} {v:.1f} ms" for k, v in report["floors_ms"].items()),
        f"parity      encoder {report['parity']['encoder_max_abs_diff']:.1e}, generator "
        f"{report['parity']['generator_max_abs_diff']:.1e} (max abs diff ORT vs torch)",
        "",
        markdown_table(report),
        "",
        f"ORT vs torch eager, generator N={n}: "
        f"{report['ratios'][f'ort_vs_torch_speedup_generator_n{n}']['p50']:.2f}x (p50); target >= 1.5x",
        f"wall {report['benchmark_s']} s (export, load and timing)"
        + (f", {report['wall_s']} s with --investigate" if "investigation" in report else ""),
    ]
    if "investigation" in report:
        out += ["", investigation_text(report["investigation"])]
    return "\n".join(out)


def investigation_text(inv: dict) -> str:
    out = ["investigation (generator; p50 / p99 ms, interleaved; other-process cores "
           + ", ".join(f"{g} {c.get('other_cores', '?')}" for g, c in inv.get("cpu_during", {}).items()) + "):"]
    for group, cases in inv["timings"].items():
        out.append(f"  {group}:")
        for name, st in cases.items():
            out.append(f"    {name:34s} {st['p50_ms']:9.2f} {st['p99_ms']:9.2f}  (n={st['n']})")
    for key in sorted(k for k in inv if k.startswith("max_abs_diff")):
        out.append(f"  {key}: {inv[key]:.1e}")
    for key in sorted(k for k in inv if k.startswith("profile_")):
        prof = inv[key]
        ops = ", ".join(f"{op} {ms:.1f}" for op, ms in list(prof["by_op_ms"].items())[:6])
        out.append(f"  {key}: kernels {prof['kernel_ms_per_call']:.1f} ms/call: {ops}")
        for node in prof["slowest_nodes"][:3]:
            out.append(f"    {node['ms']:7.2f} ms {node['op']} inputs {node['inputs']}")
    for key in ("optimized_ops_runtime", "optimized_ops_folded_exp_mish"):
        out.append(f"  {key}: " + ", ".join(f"{k} {v}" for k, v in inv[key].items()))
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer repetitions (< 1 min)")
    p.add_argument("--json", action="store_true", help="print the full report as JSON")
    p.add_argument("--threads", type=int, default=usable_cores(),
                   help="torch and ORT intra-op threads (default: usable cores, %(default)s)")
    p.add_argument("--config", choices=sorted(CONFIGS), default="paper")
    p.add_argument("--investigate", action="store_true",
                   help="also time the generator under other ORT session options and two export "
                        "variants (batch-folded Conv1d, ExpMish), and profile ORT's kernels "
                        "(~+1.5 min for paper)")
    args = p.parse_args(argv)
    if args.threads < 1:
        p.error("--threads must be >= 1")

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    meter = CpuMeter()
    time.sleep(1.0)
    before = meter.read()
    if before.get("other_cores", 0) + before.get("steal_cores", 0) > 0.15:
        log(f"warning: other processes are using the CPU ({before}); the timings will be skewed, "
            f"rerun when idle (load average {load_average()})")
    report = run_benchmark(CONFIGS[args.config], settings_for(args.quick, args.threads, args.config), log,
                           investigate=args.investigate)
    report["cpu_before_start"] = before
    if busy(report):
        log("warning: other processes used the CPU during the run (see 'other CPU'); rerun when idle")
    print(json.dumps(report, indent=2) if args.json else text_report(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
