"""nnlib: the playground's training engine -- pure PyTorch, importable without streamlit (and cheaply without torch)."""

from nnlib.config import CNNSpec, ConfigError, ConvBlock, DataConfig, ModelConfig, RunConfig, TrainConfig

__all__ = ["CNNSpec", "ConfigError", "ConvBlock", "DataConfig", "ModelConfig", "RunConfig", "TrainConfig"]
