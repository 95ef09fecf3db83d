"""Features and padded batches of a task's rows for training (the rows themselves: :mod:`.taskdata`)."""

from __future__ import annotations

import numpy as np
import torch

from .taskdata import (IGNORE, TaskData, WavePrep, decode_audio, load_dataset_folder,  # noqa: F401
                       load_task_data, primary_target, wave_stats)


# --- batches ----------------------------------------------------------------------------------------

def lengths_to_mask(lengths: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """``[B, T]`` bool mask, True on valid frames."""
    max_len = int(lengths.max()) if max_len is None else max_len
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]


class PhoneVocab:
    """Phone inventory of a fold's training rows; index 0 is the CTC blank, unseen phones are dropped."""

    def __init__(self, sequences):
        self.phones = sorted({p for seq in sequences for p in seq})
        self.index = {p: i + 1 for i, p in enumerate(self.phones)}

    def __len__(self) -> int:  # including the blank
        return len(self.phones) + 1

    def encode(self, seq) -> list[int]:
        return [self.index[p] for p in seq if p in self.index]


class FeatureDataset(torch.utils.data.Dataset):
    """Items of one fold role: cached features (``[L, T, D]`` per row, or per speed copy) + targets."""

    def __init__(self, data: TaskData, indices, features, vocab: PhoneVocab | None = None,
                 copies: int = 1, seed: int = 0):
        self.data, self.indices, self.features = data, np.asarray(indices), features
        self.vocab, self.copies, self.epoch, self.seed = vocab, copies, 0, seed

    def __len__(self) -> int:
        return len(self.indices)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __getitem__(self, k: int) -> dict:
        i = int(self.indices[k])
        if self.copies > 1:  # speed perturbation: one copy per item and epoch, reproducibly
            copy = int(np.random.default_rng((self.seed, self.epoch, i)).integers(self.copies))
        else:
            copy = 0
        d = self.data
        phones = self.vocab.encode(d.phones[i]) if self.vocab is not None else []
        # cached features per speed copy, or (fine-tuned upstream) a callable giving the waveform
        x = ({"feats": self.features[copy][i]} if isinstance(self.features, list)
             else {"wave": self.features(i, copy)})
        return {"index": i, **x, "category": int(d.category[i]),
                "intensity": int(d.intensity[i]), "gender": int(d.gender[i]),
                "vad": torch.from_numpy(d.vad[i]), "phones": torch.tensor(phones, dtype=torch.long)}


def pad_features(feats: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """``[L, T_i, D]`` tensors zero-padded to ``[B, L, max T, D]``, and the lengths ``[B]``."""
    lengths = torch.tensor([f.shape[1] for f in feats], dtype=torch.long)
    L, _, D = feats[0].shape
    out = feats[0].new_zeros((len(feats), L, int(lengths.max()), D))
    for b, f in enumerate(feats):
        out[b, :, : f.shape[1]] = f
    return out, lengths


def collate(items: list[dict]) -> dict:
    """Pad ``[L, T, D]`` features to the longest item; lengths give the padding mask.

    Items holding waveforms (fine-tuned upstream) are passed on as a list under ``waves``.
    """
    if "feats" in items[0]:
        feats, lengths = pad_features([it["feats"] for it in items])
        x = {"feats": feats, "lengths": lengths}
    else:
        x = {"waves": [it["wave"] for it in items]}
    phones = [it["phones"] for it in items]
    return {
        "index": torch.tensor([it["index"] for it in items], dtype=torch.long), **x,
        "category": torch.tensor([it["category"] for it in items], dtype=torch.long),
        "intensity": torch.tensor([it["intensity"] for it in items], dtype=torch.long),
        "gender": torch.tensor([it["gender"] for it in items], dtype=torch.long),
        "vad": torch.stack([it["vad"] for it in items]),
        "phones": torch.cat(phones) if phones else torch.zeros(0, dtype=torch.long),
        "phone_lengths": torch.tensor([len(p) for p in phones], dtype=torch.long),
    }
