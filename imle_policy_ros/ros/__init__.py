"""rclpy wiring: thin nodes over `control/` (policy_node, realsense_node, sim_robot_node)."""
