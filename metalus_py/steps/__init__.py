"""Step functions: their return type, resolution from ``stepPackages`` and argument binding."""
