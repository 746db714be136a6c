"""Open, probe and iterate images and video frames with real timestamps."""
