# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
policy_node (`/imle_policy`): camera frames and the arm's state in, arm commands out.

Thin wiring over control.PolicyController, which makes every decision (what to command,
when to hold, when to infer, when a new model takes over). Four threads, none waiting for
another: the control loop (a PeriodicLoop at control_rate_hz), inference (ThreadedRunner),
the inputs (camera and joint-state subscriptions, on a companion node `_imle_policy_inputs`
with its own executor, so a frame is encoded as it arrives), and this node's executor
(services, parameters, diagnostics), where a new model is loaded and validated while
everything else goes on. (ros/spin.py says why not a MultiThreadedExecutor.)

Joint bundles take joint states and command joints (joint_trajectory, forward_position);
end-effector bundles take the measured pose (ros/ee_inputs.py) and command the pose in the
base frame (pose, twist: ros/command_outputs.py) and the gripper (ros/gripper_outputs.py).

Besides the commands: `~/predicted_trajectory` (the newest usable chunk; for end-effector
bundles `~/predicted_path` and `~/sampled_paths`, ros/path_markers.py), `~/command_info`
(what each published command came from: ros/command_info.py, for checking the command
stream against the safety invariants) and /diagnostics (control/controller_status.py says
what its levels mean).
"""

from __future__ import annotations

import sys

from diagnostic_msgs.msg import DiagnosticArray
from rcl_interfaces.msg import SetParametersResult
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import CompressedImage, Image, JointState
from std_msgs.msg import Float64MultiArray
from std_srvs.srv import SetBool, Trigger
from trajectory_msgs.msg import JointTrajectory

from . import messages
from .command_info import command_info
from .command_layout import check_bundle, command_limits, CommandLayout, gripper_not_commanded
from .command_outputs import COMMAND_OUTPUTS
from .ee_inputs import ee_status_values, EePoseInput
from .gripper_outputs import connect_gripper
from .node_parameters import declare_settings, with_parameters
from .path_markers import PathPublisher
from .policy_parameters import PolicyNodeConfig
from ..cameras.image_codec import ImageRejected
from ..control.controller_status import ControllerStatus
from ..control.inference_runner import ThreadedRunner
from ..control.model_switch import check_switchable
from ..control.periodic_loop import PeriodicLoop
from ..control.policy_controller import PolicyController
from ..control.rate_meter import RateMeter
from ..resources import resolve_model_path
from ..runtime import load_bundle, OnnxPolicy
from ..runtime.policy_spec import PolicySpec, SPEC_FILE
from ..settings import flat_values

NODE_NAME = 'imle_policy'


class RosClock:
    """The node's clock (ROS time: follows /clock when use_sim_time is set) in seconds."""

    def __init__(self, node: Node):
        self._clock = node.get_clock()

    def now(self) -> float:
        return self._clock.now().nanoseconds * 1e-9


class PolicyNode(Node):
    """The policy node: camera frames and the arm's state in, arm commands out."""

    def __init__(self, **kwargs):
        super().__init__(NODE_NAME, **kwargs)
        cfg = self.config = declare_settings(self, PolicyNodeConfig)
        self.clock = RosClock(self)
        policy = self._load_policy(cfg.model_path)
        spec = policy.spec
        check_bundle(cfg, spec)  # the interface, base frame and gripper fit this bundle
        self.layout = CommandLayout.create(cfg.joint_names, spec, cfg.base_frame)
        limits = command_limits(cfg, self.layout, spec)
        self.output = COMMAND_OUTPUTS[cfg.command_interface].create(cfg, limits)
        self.runner = ThreadedRunner(self.clock)
        self.controller = PolicyController(
            policy,
            limits,
            self.clock,
            self.runner,
            cfg.controller,
            label=str(policy.bundle.path),  # the one record of the active model
        )
        self.rate = RateMeter(1.0 / cfg.control_rate_hz)
        self._published_disabled_hold = True  # nothing to stop before the first enable
        self._last_predicted = None
        self._ticks = 0
        self._status = ControllerStatus()

        # Leading underscore: hidden from node lists. Without the global arguments, because a
        # `-r __node:=imle_policy` (what launch_ros passes for name=) would rename it too, and
        # two nodes answering /imle_policy's parameter services make half the calls fail.
        self.input_node = Node(
            f'_{self.get_name()}_inputs',
            namespace=self.get_namespace(),
            use_global_arguments=False,
            context=self.context,
        )
        self.ee_pose: EePoseInput | None = None  # the measured pose, for ee_pose bundles
        self._subscribe_inputs(cfg, len(spec.cameras))
        self._command_pub = self.create_publisher(
            self.output.message_type(), cfg.command_topic, 10
        )
        if warning := gripper_not_commanded(cfg, spec):
            self.get_logger().warning(warning)
        gripper = spec.ee_layout.gripper if spec.ee_layout is not None else None
        self._has_gripper = gripper is not None
        self.gripper = connect_gripper(self, cfg, gripper)  # None: not commanded
        if self.ee_pose is not None:
            self._paths = PathPublisher(self, self.layout.frame_id)
        else:
            self._predicted_pub = self.create_publisher(
                JointTrajectory, '~/predicted_trajectory', 10
            )
        # what each command came from (ros/command_info.py)
        self._info_pub = self.create_publisher(Float64MultiArray, '~/command_info', 100)
        self._diagnostics_pub = self.create_publisher(DiagnosticArray, '/diagnostics', 10)
        self.create_service(SetBool, '~/enable', self._on_enable)
        self.create_service(Trigger, '~/reset', self._on_reset)
        # A thread waiting for the GIL waits up to the switch interval (5 ms by default) while
        # another (decoding a frame, preparing an inference) holds it: 1 ms keeps the control
        # loop's jitter within its budget (bench/bench_ros_loop.py).
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
        self.control_loop = PeriodicLoop(
            1.0 / cfg.control_rate_hz,
            self._on_control_tick,
            'imle-control',
            on_error=self._on_control_error,
        )
        self.create_timer(1.0 / cfg.diagnostics_rate_hz, self._publish_diagnostics)
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self.controller.enable(cfg.autostart)
        self.control_loop.start()
        state = 'enabled' if cfg.autostart else 'disabled: call ~/enable to move the arm'
        to_gripper = (
            f'; gripper {cfg.gripper_interface} -> {self.gripper.topic}' if self.gripper else ''
        )
        self.get_logger().info(
            f'model {self.controller.policy_label} on {policy.bundle.generator_provider}; '
            f'{cfg.command_interface} -> {cfg.command_topic} at {cfg.control_rate_hz:g} Hz'
            f'{to_gripper}; {state}'
        )

    # ---- set-up -------------------------------------------------------------------------
    def _load_policy(self, model_path: str) -> OnnxPolicy:
        """Load and validate a bundle (BundleError on any problem)."""
        inference = self.config.inference
        # ORT workers must not busy-wait: they share the cores with the control timer.
        bundle = load_bundle(
            resolve_model_path(model_path),
            inference.providers,
            inference.inference_threads,
            allow_spinning=False,
        )
        return OnnxPolicy(bundle, diffusion_sampler=self.config.controller.sampler_override)

    def _subscribe_inputs(self, cfg: PolicyNodeConfig, cameras: int) -> None:
        topics = cfg.image_topics
        if cameras == 0:
            # A state policy: its whole state comes by name in /joint_states (an object
            # tracker publishes there too). image_topics cannot be an empty ROS parameter
            # array, so it is not asked to be one.
            self.get_logger().info(
                f'the bundle has no cameras (a state policy): image_topics {list(topics)} '
                f'not subscribed; its state {list(self.controller.history.joint_names)} comes '
                f'from {cfg.joint_state_topic}'
            )
            topics = ()
        elif len(topics) != cameras:
            raise ValueError(
                f'image_topics lists {len(cfg.image_topics)} topics but the bundle has {cameras} '
                f"camera(s): give one topic per camera, in the bundle's order"
            )
        for index, topic in enumerate(topics):
            msg_type = CompressedImage if topic.rstrip('/').endswith('/compressed') else Image
            self.input_node.create_subscription(
                msg_type,
                topic,
                lambda msg, i=index: self._on_image(i, msg),
                qos_profile_sensor_data,
            )
        if self.controller.history.uses_joint_states:  # an ee_pose bundle may use none
            self.input_node.create_subscription(
                JointState, cfg.joint_state_topic, self._on_joint_state, qos_profile_sensor_data
            )
        if self.controller.history.uses_ee_pose:
            self.ee_pose = EePoseInput(
                self.input_node,
                self.controller,
                cfg.ee_pose_topic,
                self.layout.frame_id,
                self._stamp,
                self._log_refusal,
            )

    def nodes(self) -> list[Node]:
        """Return the nodes to spin, each in its own executor (ros/spin.py)."""
        return [self, self.input_node]

    def stop_work(self) -> None:
        """
        Stop the control loop and inference before the context goes.

        ros/spin.py calls this first, so no tick publishes into a shut-down context.
        """
        self.control_loop.stop()
        self.runner.stop()

    def destroy_node(self) -> None:
        self.stop_work()
        super().destroy_node()  # the input node is destroyed by whoever spins it

    # ---- inputs -------------------------------------------------------------------------
    def _stamp(self, header) -> float:
        """Header stamp in seconds; an unset (zero) stamp means 'now' (some drivers)."""
        t = messages.stamp_seconds(header.stamp)
        return t if t > 0 else self.clock.now()

    def _on_image(self, camera: int, msg) -> None:
        try:
            frame = messages.image_to_frame(msg)
        except ImageRejected as exc:
            source = self.controller.history.source_name(camera)
            self.controller.reject_input(source, f'{source}: {exc}')
            self.get_logger().warning(
                f'image refused on {self.config.image_topics[camera]}: {exc}',
                throttle_duration_sec=2.0,
            )
            return
        self._log_refusal(self.controller.on_frame(camera, self._stamp(msg.header), frame))

    def _on_joint_state(self, msg: JointState) -> None:
        self._log_refusal(
            self.controller.on_joint_state(
                self._stamp(msg.header), list(msg.name), list(msg.position)
            )
        )

    def _log_refusal(self, reason: str | None) -> None:
        if reason:
            self.get_logger().warning(f'input refused: {reason}', throttle_duration_sec=2.0)

    # ---- control tick -------------------------------------------------------------------
    def _on_control_tick(self) -> None:
        command = self.controller.tick(waypoints=self.output.wants_waypoints)
        self._ticks += 1
        self.rate.tick(command.time)
        self._publish_prediction()
        if command.positions is None:
            return  # no joint state yet: nothing safe to command
        if not self.controller.enabled:  # whatever else holds it, e.g. inputs not there yet
            if self._published_disabled_hold:
                return  # disabled: leave the arm to whoever else commands it
            self._published_disabled_hold = True  # but stop it where it is first
        else:
            self._published_disabled_hold = False
        period = 1.0 / self.config.control_rate_hz
        measured = self.controller.history.latest_ee_pose() if self.ee_pose else None
        self._command_pub.publish(self.output.message(command, self.layout, period, measured))
        if self.gripper is not None:
            self.gripper.on_command(command)
        positions = self.layout.to_command_order(command.positions)
        self._info_pub.publish(
            command_info(
                self._ticks, command, positions, self.layout.joint_names, self._has_gripper
            )
        )

    def _on_control_error(self, exc: BaseException) -> None:
        self.get_logger().error(f'control tick failed: {exc!r}', throttle_duration_sec=1.0)

    def _publish_prediction(self) -> None:
        """Publish the newest usable chunk, one point per action, timed from its observation."""
        chunk = self.controller.predicted_chunk
        if chunk is None or chunk is self._last_predicted:
            return
        self._last_predicted = chunk
        if self.ee_pose is not None:
            self._paths.publish(chunk, self.controller.predicted_from, self.controller.spec)
            return
        msg = messages.joint_trajectory(
            self.layout.joint_names,
            chunk.times - chunk.t_obs,
            self.layout.to_command_order(chunk.positions),
            stamp=messages.seconds_to_stamp(chunk.t_obs),
        )
        self._predicted_pub.publish(msg)

    # ---- services -----------------------------------------------------------------------
    def _on_enable(self, request: SetBool.Request, response: SetBool.Response) -> SetBool.Response:
        self.controller.enable(request.data)
        response.success = True
        response.message = (
            'enabled' if request.data else 'disabled: holding, then leaving the arm alone'
        )
        self.get_logger().info(response.message)
        return response

    def _on_reset(self, request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        self.controller.reset()
        response.success = True
        response.message = (
            'inputs, chunks and inference in flight forgotten; holding until fresh inputs'
        )
        return response

    # ---- parameters ---------------------------------------------------------------------
    def _on_set_parameters(self, params: list[Parameter]) -> SetParametersResult:
        config, result = with_parameters(self.config, params)
        if not result.successful:
            return result
        if config.model_path != self.config.model_path:
            reason = self._stage_model(config.model_path)
            if reason:
                return SetParametersResult(successful=False, reason=reason)
        if config.controller != self.config.controller:
            self.controller.update_config(**flat_values(config.controller))
        self.config = config
        return result

    def _stage_model(self, model_path: str) -> str:
        """
        Load and validate a bundle to take over; return '' or the reason it is refused.

        Runs in this (parameter service) thread while control goes on in its own; the
        controller swaps it in between chunks.
        """
        self.get_logger().info(f'loading model {model_path} (the running model keeps control)')
        try:
            spec_file = resolve_model_path(model_path) / SPEC_FILE
            if spec_file.is_file():
                # Before paying for ONNX Runtime sessions and a test inference, on the cores the
                # control loop runs on: a bundle for other joints is refused from its policy.json.
                new_spec = PolicySpec.read(spec_file.parent)
                check_bundle(self.config, new_spec)  # first: its message names the fix
                check_switchable(self.controller.spec, new_spec)
            policy = self._load_policy(model_path)
            self.controller.stage_policy(policy, label=str(policy.bundle.path))
        except Exception as exc:  # every failure is a refusal: the old model keeps running
            reason = f'model {model_path} refused: {exc}'
            self.get_logger().error(reason)
            return reason
        self.get_logger().info(
            f'model {policy.bundle.path} validated; it takes over at the next chunk'
        )
        return ''

    # ---- diagnostics --------------------------------------------------------------------
    def _publish_diagnostics(self) -> None:
        ctrl = self.controller
        timeout = ctrl.config.stale_observation_timeout
        stale = ctrl.history.stale_inputs(self.clock.now(), timeout)
        level, message, values = self._status.summarize(ctrl, stale)
        values.update(
            {
                'provider': ctrl.policy.bundle.generator_provider,
                'num_samples': ctrl.config.num_samples,
                'control_rate_hz': self.rate.rate_hz(),
                'control_jitter_ms_p99': self.rate.jitter_ms(99),
                # since the previous status
                'control_longest_gap_ms': self.rate.longest_gap * 1e3,
                # ticks skipped: the loop fell a period behind
                'missed_deadlines': self.control_loop.skipped_ticks,
            }
        )
        if self.ee_pose is not None:
            values.update(ee_status_values(ctrl, self.ee_pose, self.gripper))
        self.rate.reset_gap()
        self._diagnostics_pub.publish(
            messages.diagnostic_array(
                self.get_clock().now().to_msg(),
                f'{self.get_name()}: controller',
                self.get_name(),
                level,
                message,
                values,
            )
        )


def main(args=None) -> int:
    from .spin import spin_nodes

    return spin_nodes(lambda: PolicyNode().nodes(), args)


if __name__ == '__main__':
    sys.exit(main())
