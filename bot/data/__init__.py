"""Package data: the fitted abstention calibration."""
