# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Start nodes, spin each in its own single-threaded executor, shut down cleanly.

Every executable (and `imle-policy-ros run`) goes through here, so they all handle
start-up errors the same way: a node that cannot start (bad parameter, bad bundle, no
camera) logs one line saying why and what to do, and the process exits 1 without
commanding anything.

One SingleThreadedExecutor per node, each in its own thread, instead of one
MultiThreadedExecutor: rclpy's MultiThreadedExecutor (Jazzy) busy-loops and delays a
control thread beside it by up to half a second at these rates (bench/bench_executors.py,
numbers in control/periodic_loop.py); separate executors keep one node's slow callback (a
model load) from delaying another's (the camera input).

A node may end the process itself: one with a `done` event (sim_teleop_node, when its
demonstration is over) stops everything, in the same order, once the event is set.

SIGINT/SIGTERM (Ctrl-C, launch stopping a node) only set an event here; the main thread
then shuts down in order: context, executors, their threads, nodes. Letting rclpy's
handler and Python's KeyboardInterrupt interrupt that sequence left executor threads
inside rcl at interpreter exit, and the process aborted ("terminate called without an
active exception") instead of exiting 0.
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Callable

import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.signals import SignalHandlerOptions

from ..errors import Refusal

# A node that cannot start says why in one line: a bad parameter, bundle or camera is a
# Refusal (errors.py); ValueError and FileNotFoundError come from files a parameter names.
STARTUP_ERRORS = (Refusal, ValueError, FileNotFoundError)


def _spin(executor: SingleThreadedExecutor, failures: list, stop: threading.Event) -> None:
    try:
        executor.spin()
    except ExternalShutdownException:
        pass
    except BaseException as exc:  # a node's callback raised: stop the whole process
        failures.append(exc)
    stop.set()


def spin_nodes(make_nodes: Callable[[], list], args=None, duration: float | None = None) -> int:
    """duration: stop (in order, as on SIGINT) after this many seconds."""
    stop = threading.Event()
    previous = {
        s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)
    }
    rclpy.init(
        args=args if args is not None else sys.argv, signal_handler_options=SignalHandlerOptions.NO
    )
    nodes, executors, threads, failures = [], [], [], []
    try:
        try:
            nodes = make_nodes()
        except STARTUP_ERRORS as exc:
            rclpy.logging.get_logger('imle_policy_ros').error(f'cannot start: {exc}')
            return 1
        for node in nodes:
            executor = SingleThreadedExecutor()
            executor.add_node(node)
            executors.append(executor)
            threads.append(
                threading.Thread(
                    target=_spin,
                    args=(executor, failures, stop),
                    name=node.get_name(),
                    daemon=True,
                )
            )
        for thread in threads:
            thread.start()
        if duration is not None:
            threading.Timer(duration, stop.set).start()
        finished = [
            node.done for node in nodes if isinstance(getattr(node, 'done', None), threading.Event)
        ]
        while not stop.wait(0.2) and rclpy.ok() and not any(event.is_set() for event in finished):
            pass
        if failures:
            rclpy.logging.get_logger('imle_policy_ros').error(f'stopped: {failures[0]!r}')
            return 1
        return 0
    finally:
        for node in nodes:  # threads of a node's own (control loop, inference) stop first
            if hasattr(node, 'stop_work'):
                node.stop_work()
        rclpy.try_shutdown()  # wakes every executor
        for executor in executors:
            executor.shutdown(timeout_sec=1.0)
        for thread in threads:  # no executor may still be inside rcl while its nodes go away
            thread.join(timeout=5.0)
        for node in nodes:
            node.destroy_node()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
