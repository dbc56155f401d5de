"""Console entry points of the ROS 2 executables (registered in setup.py).

Each imports its node only when run, so `imle-policy-ros` and the package import work on
a host without rclpy; without it, an executable says how to get it instead of a traceback.
"""
import sys

_NO_RCLPY = ("{name}: rclpy is not importable. On a ROS 2 machine, source it first "
             "(source /opt/ros/<distro>/setup.bash); without ROS, install the pip wheels: "
             "pip install 'imle_policy_ros[ros]' (Python 3.11, x86_64).")


def _rclpy_available(name: str) -> bool:
    try:
        import rclpy  # noqa: F401
        return True
    except ImportError:
        print(_NO_RCLPY.format(name=name), file=sys.stderr)
        return False


def policy_node() -> int:
    if not _rclpy_available("policy_node"):
        return 1
    from imle_policy_ros.ros.policy_node import main

    return main()


def realsense_node() -> int:
    if not _rclpy_available("realsense_node"):
        return 1
    from imle_policy_ros.ros.realsense_node import main

    return main()


def sim_robot_node() -> int:
    if not _rclpy_available("sim_robot_node"):
        return 1
    from imle_policy_ros.ros.sim_robot_node import main

    return main()


def sim_teleop_node() -> int:
    if not _rclpy_available("sim_teleop_node"):
        return 1
    from imle_policy_ros.ros.sim_teleop_node import main

    return main()
