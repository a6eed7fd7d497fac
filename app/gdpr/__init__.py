"""Personal data of citizens: erased after the retention period, or on request."""
