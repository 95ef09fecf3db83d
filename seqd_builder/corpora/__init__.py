"""Corpus adapters (one module per corpus) and corpus cards."""

from .base import Adapter, adapter_names, get_adapter, register
from .card import CorpusCard, available_cards, load_card

__all__ = ["Adapter", "CorpusCard", "adapter_names", "available_cards", "get_adapter", "load_card",
           "register"]
