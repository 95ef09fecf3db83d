"""Publishing: the dataset card of a built folder and the upload to the Hugging Face Hub."""

from .card import render_card, write_card
from .hub import push

__all__ = ["push", "render_card", "write_card"]
