"""hezi (盒子): AI in a box — one service that turns a machine into a private AI platform."""

__version__ = "0.1.0"
