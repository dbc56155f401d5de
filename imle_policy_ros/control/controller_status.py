# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
What the controller's state means to an operator: the policy node's /diagnostics status.

The level, message and values of the policy node's /diagnostics status. ROS-free, so the
rules are tested on simulated time.

Levels:
  error  enabled and holding because of a fault: an input stale, missing or refused (a
         camera gone, joint states with a NaN or without a commanded joint), or a chunk
         refused (model output NaN/Inf or outside the limits)
  warn   enabled, but the last chunk ran out before the next was ready, or no chunk came
         and results were dropped as too late (the arm holds the last waypoint: inference
         slower than a chunk lasts), or inputs
         were refused since the previous status (e.g. out-of-order frames dropped while
         newer ones keep it going); or disabled with stale inputs (shadow predictions stop)
  ok     running; or disabled (the arm is left to the operator)
"""

from __future__ import annotations

FAULT_HOLDS = ('stale or missing input', 'refused chunk')


class ControllerStatus:
    """The policy node's /diagnostics status from a PolicyController's state."""

    def __init__(self):
        self._rejected_before = 0  # rejected_inputs at the previous status
        self._late_before = 0  # late_results at the previous status

    def summarize(self, ctrl, stale: list[str]) -> tuple[str, str, dict]:
        """(level: ok | warn | error, message, values) for a PolicyController now."""
        stats = ctrl.stats
        reason = ctrl.holding_reason
        newly_rejected = stats.rejected_inputs - self._rejected_before
        newly_late = stats.late_results - self._late_before
        self._rejected_before, self._late_before = stats.rejected_inputs, stats.late_results
        if not ctrl.enabled:
            level, message = ('warn' if stale else 'ok'), 'holding: ' + (reason or 'disabled')
        elif reason:
            level = 'error' if reason.startswith(FAULT_HOLDS) else 'warn'
            message = 'holding: ' + reason
        elif ctrl.chunk_ran_out or (ctrl.executor.active is None and newly_late > 0):
            level, message = (
                'warn',
                (
                    f'running; no usable chunk in time (inference slower than a chunk lasts; '
                    f'{stats.late_results} results came from inputs older than the timeout): '
                    f'holding the last waypoint'
                ),
            )
        elif newly_rejected > 0:
            level = 'warn'
            message = (
                f'running; {newly_rejected} inputs refused since the last status: '
                f'{stats.last_error}'
            )
        else:
            level, message = 'ok', 'running'
        by_source = ', '.join(
            f'{source}: {n}' for source, n in sorted(stats.rejected_by_source.items())
        )
        values = {
            'enabled': ctrl.enabled,
            'active_model': ctrl.policy_label,
            'switch_pending': ctrl.switch_pending,
            'model_switches': stats.model_switches,
            'inference_ms': stats.last_inference_ms,
            'inference_latency_ms': stats.last_latency_s * 1e3,
            'stale_inputs': ', '.join(stale) or 'none',
            'chunk_jump': stats.last_jump,
            'chunks_started': stats.chunks_started,
            'chunks_refused': stats.chunks_refused,
            'chunk_ran_out': ctrl.chunk_ran_out,
            'overruns': stats.overruns,
            'late_results': stats.late_results,
            'rejected_inputs': stats.rejected_inputs,
            'rejected_inputs_by_source': by_source or 'none',
            'clock_resets': stats.clock_resets,
            'last_error': stats.last_error or 'none',
        }
        return level, message, values
