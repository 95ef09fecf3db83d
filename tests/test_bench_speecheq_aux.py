"""SpeechEQ's auxiliary-loss controls: weight schedule, gradient scaling into the encoder, CTC depth."""

import pytest
import torch

from seqd_builder.benchmark.models.base import ModelSpec
from seqd_builder.benchmark.models.layers import aux_weight, grad_scale, masked_ce
from seqd_builder.benchmark.models.speecheq import SpeechEQ
from seqd_builder.errors import ConfigError

CLASSES = ("angry", "boredom", "disgust", "fear", "happy", "neutral", "sad")
SPEC = ModelSpec(dim=8, num_layers=1, targets=("category", "intensity", "phones", "gender"), classes=CLASSES,
                 n_intensity=2, n_phones=6, epochs=10)
BATCH = {"category": torch.tensor([0, 1, 2]), "intensity": torch.tensor([0, 1, 1]),
         "gender": torch.tensor([1, 0, 1]), "phones": torch.tensor([1, 2, 3, 4, 5]),
         "phone_lengths": torch.tensor([3, 0, 2])}


def forward(model):
    torch.manual_seed(1)
    return model(torch.randn(3, 1, 40, 8), torch.tensor([40, 31, 12]))


def test_grad_scale_is_identity_forward_and_scales_backward():
    x = torch.randn(4, requires_grad=True)
    for s in (1.0, 0.25):
        x.grad = None
        y = grad_scale(x, s)
        assert torch.equal(y, x)
        (3 * y).sum().backward()
        assert torch.allclose(x.grad, torch.full((4,), 3 * s))
    stopped = grad_scale(x, 0.0)
    assert torch.equal(stopped, x) and not stopped.requires_grad


def test_aux_schedule_decays_auxiliary_losses_only():
    torch.manual_seed(0)
    model = SpeechEQ(SPEC, hidden=16, aux_schedule={"start": 1.0, "floor": 0.1, "decay_epochs": 4, "after": 0.0})
    out = forward(model)
    w = model.weights
    for epoch in (0, 2, 4, 9):
        loss, parts = model.loss(out, BATCH, epoch)
        f = aux_weight(epoch, 1.0, 0.1, 4, 0.0)
        expected = parts["category"] + f * sum(w[k] * parts[k] for k in ("intensity", "gender", "phones"))
        assert float(loss.detach()) == pytest.approx(expected, rel=1e-5)
    assert float(model.loss(out, BATCH, 9)[0].detach()) == pytest.approx(
        model.loss(out, BATCH, 9)[1]["category"], rel=1e-6)  # after the decay only the category loss is left
    constant = SpeechEQ(SPEC, hidden=16)
    assert [aux_weight(e, **constant.schedule) for e in range(5)] == [1.0] * 5
    with pytest.raises(ConfigError, match="aux_schedule"):
        SpeechEQ(SPEC, aux_schedule={"begin": 1.0})


def encoder_grad(model, head: str) -> float:
    """Gradient norm reaching the shared encoder's input projection from the gender head's loss."""
    model.zero_grad()
    out = forward(model)
    masked_ce(out[head], BATCH[head]).backward()
    grad = model.proj[0].weight.grad
    return 0.0 if grad is None else float(grad.norm())


def test_aux_grad_scale_limits_what_auxiliary_heads_do_to_the_encoder():
    torch.manual_seed(0)
    full = SpeechEQ(SPEC, hidden=16, dropout=0.0)
    scaled = SpeechEQ(SPEC, hidden=16, dropout=0.0, aux_grad_scale=0.5)
    scaled.load_state_dict(full.state_dict())
    stopped = SpeechEQ(SPEC, hidden=16, dropout=0.0, aux_grad_scale=0.0)
    stopped.load_state_dict(full.state_dict())
    g_full, g_half = encoder_grad(full, "gender"), encoder_grad(scaled, "gender")
    assert g_full > 0 and g_half == pytest.approx(0.5 * g_full, rel=1e-4)
    assert encoder_grad(stopped, "gender") == 0.0
    stopped.zero_grad()
    out = forward(stopped)
    # the auxiliary heads themselves still learn
    masked_ce(out["gender"], BATCH["gender"]).backward()
    assert float(stopped.gender.weight.grad.norm()) > 0
    with pytest.raises(ConfigError, match="aux_grad_scale"):
        SpeechEQ(SPEC, aux_grad_scale=2.0)


def test_ctc_block_picks_the_conv_block_under_the_phone_head():
    torch.manual_seed(0)
    model = SpeechEQ(SPEC, hidden=16, conv_blocks=2, rnn_layers=0, ctc_from="conv", ctc_block=0, dropout=0.0)
    model.eval()
    out = forward(model)
    # the phone posteriors do not depend on the second block: zeroing it leaves them unchanged
    with torch.no_grad():
        for p in model.blocks[1].parameters():
            p.zero_()
    again = forward(model)
    assert torch.allclose(out["phones"], again["phones"], atol=1e-6)
    assert not torch.allclose(out["category"], again["category"])
    with pytest.raises(ConfigError, match="ctc_block"):
        SpeechEQ(SPEC, conv_blocks=2, ctc_block=2)
