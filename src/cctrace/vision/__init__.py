"""The eyes of cctrace: face, person, mask and appearance models on the CPU."""
