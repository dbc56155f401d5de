# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Which bundles may replace the running one while the arm moves.

A new model is swapped in between chunks, so it must speak the running one's interface:
the same cameras (the node is subscribed to their topics), the same action kind and
action names in the same order (the command publisher maps them to the controller's
joints). Everything else may differ: the state's joint order (joint states are reordered
by name), feature size, horizons, dt and the normalization.
"""

from __future__ import annotations

from ..errors import Refusal
from ..runtime.policy_spec import PolicySpec


class ModelSwitchRefused(Refusal, ValueError):
    """The new bundle cannot replace the running one; the message says why."""


def check_switchable(running: PolicySpec, new: PolicySpec) -> None:
    running_cameras = [c.name for c in running.cameras]
    new_cameras = [c.name for c in new.cameras]
    if new_cameras != running_cameras:
        raise ModelSwitchRefused(
            f"the new bundle's cameras {new_cameras} differ from the running model's "
            f'{running_cameras}; restart the node with matching image_topics to use it'
        )
    if new.action_kind != running.action_kind:
        raise ModelSwitchRefused(
            f"the new bundle's action kind {new.action_kind!r} differs from the running "
            f"model's {running.action_kind!r}"
        )
    if tuple(new.action_names) != tuple(running.action_names):
        raise ModelSwitchRefused(
            f"the new bundle's actions {list(new.action_names)} differ from the running "
            f"model's {list(running.action_names)} (names and order must match)"
        )
    if set(new.state_names) != set(running.state_names):
        raise ModelSwitchRefused(
            f"the new bundle's state joints {sorted(new.state_names)} differ from the "
            f"running model's {sorted(running.state_names)}"
        )
    if new.ee_layout is not None and running.ee_layout is not None:
        old, now = running.ee_layout, new.ee_layout
        if (old.base_frame, old.ee_frame) != (now.base_frame, now.ee_frame):
            raise ModelSwitchRefused(
                f"the new bundle's frames {now.base_frame} -> {now.ee_frame} differ from the "
                f"running model's {old.base_frame} -> {old.ee_frame}"
            )
        if old.gripper != now.gripper:
            raise ModelSwitchRefused(
                f"the new bundle's gripper {now.gripper} differs from the running model's "
                f'{old.gripper} (joint, open and closed positions, threshold)'
            )
        if now.state_joints != old.state_joints:
            raise ModelSwitchRefused(
                f"the new bundle's state joints {list(now.state_joints)} differ from the "
                f"running model's {list(old.state_joints)}"
            )
