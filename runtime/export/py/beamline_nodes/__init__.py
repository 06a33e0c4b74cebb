"""Beamline node classes for Ray Serve. Written by beamline export."""
