"""Arm driver + camera + IMLE policy: `ros2 launch imle_policy_ros deploy.launch.py robot:=sim`.

Every decision (which driver, which camera, which parameters) is made by
imle_policy_ros.ros.launch_plan.plan_deploy, which the tests check for each robot; this
file only turns that plan into launch_ros actions.
"""
import os

from ament_index_python.packages import PackageNotFoundError, get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription, OpaqueFunction
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from imle_policy_ros.resources import resolve_config_path
from imle_policy_ros.ros.launch_plan import DeployArgs, plan_deploy

ARGUMENTS = {  # name: (default, description)
    "robot": ("sim", "sim | ur | franka | custom"),
    "camera": ("auto", "auto | sim | realsense | none (auto: sim for robot:=sim, else realsense)"),
    "model": ("", "model bundle folder (default: the config's model_path)"),
    "config": ("", "parameters file (default: config/<robot>.yaml)"),
    "autostart": ("", "true | false: start moving without calling ~/enable (default: the config's)"),
    "ur_type": ("ur5e", "robot:=ur: ur3e, ur5e, ur10e, ..."),
    "robot_ip": ("", "robot:=ur|franka: the arm's address"),
    "use_mock_hardware": ("false", "robot:=ur|franka: ros2_control mock hardware instead of the arm"),
    "robot_launch": ("", "robot:=custom: your arm's launch file"),
}


def _installed(package: str) -> bool:
    try:
        get_package_share_directory(package)
        return True
    except PackageNotFoundError:
        return False


def _actions(context):
    value = {name: LaunchConfiguration(name).perform(context) for name in ARGUMENTS}
    plan = plan_deploy(DeployArgs(
        robot=value["robot"], camera=value["camera"], model=value["model"], config=value["config"],
        autostart=value["autostart"], ur_type=value["ur_type"], robot_ip=value["robot_ip"],
        use_mock_hardware=value["use_mock_hardware"].lower() == "true", robot_launch=value["robot_launch"],
        ros_distro=os.environ.get("ROS_DISTRO", "jazzy")), _installed)
    actions = []
    for include in plan.includes:
        path = include.path or os.path.join(get_package_share_directory(include.package), "launch",
                                            include.launch_file)
        actions.append(IncludeLaunchDescription(PythonLaunchDescriptionSource(path),
                                                launch_arguments=include.arguments.items()))
    for node in plan.nodes:
        parameters = [str(resolve_config_path(f)) for f in node.parameter_files]
        if node.overrides:
            parameters.append(dict(node.overrides))
        actions.append(Node(package=node.package, executable=node.executable, name=node.name,
                            namespace=node.namespace, parameters=parameters, output="screen"))
    return actions


def generate_launch_description():
    return LaunchDescription(
        [DeclareLaunchArgument(name, default_value=default, description=description)
         for name, (default, description) in ARGUMENTS.items()]
        + [OpaqueFunction(function=_actions)])
