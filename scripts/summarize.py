"""Placeholder; replaced below."""
import sys
print("synth ok", sys.argv)
