"""Verdict-word scoring: ``S = p(correct) / (p(correct) + p(incorrect))`` from the last position (Eq. 5-7)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from mathft.modules.backbone import position_logits

__all__ = ["VerdictTokens", "verdict_tokens", "VerdictLogProbs", "score_verdicts"]

log = logging.getLogger(__name__)

# The words the paper's template ends on; `mathft.data.templates.verdict_prompt` is the source of truth.
_PROBE = "The above candidate solution is "


@dataclass(frozen=True)
class VerdictTokens:
    """Token ids of the two verdict words as they follow the evaluator prompt."""

    correct: tuple[int, ...]
    incorrect: tuple[int, ...]

    @property
    def single_token(self) -> bool:
        """Whether both words are one token each (the fast path: two LM-head rows at one position)."""
        return len(self.correct) == 1 and len(self.incorrect) == 1


def verdict_tokens(tokenizer: Any, correct_word: str = "correct", incorrect_word: str = "incorrect") -> VerdictTokens:
    """The verdict token ids, from the data layer's template when present (it owns the prompt format)."""
    try:
        from mathft.data.templates import verdict_prompt
    except ImportError:
        verdict_prompt = None
    if verdict_prompt is not None and (correct_word, incorrect_word) == ("correct", "incorrect"):
        vp = verdict_prompt(tokenizer, _PROBE)
        tokens = VerdictTokens(tuple(vp.correct_ids), tuple(vp.incorrect_ids))
    else:
        tokens = VerdictTokens(_word_ids(tokenizer, correct_word), _word_ids(tokenizer, incorrect_word))
    if not tokens.single_token:
        log.warning(
            "verdict words split into several tokens (%s, %s): scoring with each word's full sequence "
            "log-probability, which costs one extra forward pass per word", tokens.correct, tokens.incorrect
        )
    return tokens


def _word_ids(tokenizer: Any, word: str) -> tuple[int, ...]:
    """Ids the word gets right after the prompt (the prompt's trailing space merges into the word)."""
    base = tokenizer.encode(_PROBE.rstrip(), add_special_tokens=False)
    full = tokenizer.encode(_PROBE + word, add_special_tokens=False)
    if full[: len(base)] != base:
        raise ValueError(f"cannot isolate the tokens of verdict word {word!r} after the evaluator prompt")
    return tuple(full[len(base) :])


@dataclass(frozen=True)
class VerdictLogProbs:
    """Per-row verdict log-probabilities, possibly sharing one per-row constant (see ``VerdictLossInputs``)."""

    correct: Tensor
    incorrect: Tensor

    @property
    def score(self) -> Tensor:
        """``S`` in [0, 1], ``[M]``."""
        return torch.sigmoid(self.correct - self.incorrect)


def score_verdicts(model: nn.Module, input_ids: Tensor, attention_mask: Tensor, tokens: VerdictTokens) -> VerdictLogProbs:
    """Score M right-padded evaluator prompts without full-vocabulary logits at every position.

    Single-token words: the decoder's hidden state at the last non-pad position times the two LM-head rows.
    The softmax normaliser cancels in S, so the two raw logits stand in for the log-probabilities.
    Multi-token words: each word's full sequence log-probability (normalised over the vocabulary at the
    word's positions only).
    """
    last = attention_mask.long().sum(1) - 1
    if tokens.single_token:
        rows = torch.tensor([tokens.correct[0], tokens.incorrect[0]], device=input_ids.device)
        logits = position_logits(model, input_ids, attention_mask, last.unsqueeze(1), rows)[:, 0, :].float()
        return VerdictLogProbs(logits[:, 0], logits[:, 1])
    return VerdictLogProbs(
        _word_logprob(model, input_ids, attention_mask, last, tokens.correct),
        _word_logprob(model, input_ids, attention_mask, last, tokens.incorrect),
    )


def _word_logprob(model: nn.Module, input_ids: Tensor, attention_mask: Tensor, last: Tensor,
                  word: tuple[int, ...]) -> Tensor:
    """``sum_j log p(w_j | x, w_<j)``: append ``w_<k`` after each row's last token and read k positions."""
    k = len(word)
    ids = torch.tensor(word, device=input_ids.device)
    pad = input_ids.new_full((input_ids.size(0), k - 1), 0)
    ext_ids = torch.cat([input_ids, pad], 1)
    ext_mask = torch.cat([attention_mask, torch.zeros_like(pad)], 1)
    offsets = torch.arange(k, device=input_ids.device)
    positions = last.unsqueeze(1) + offsets  # [M, k]: where w_1..w_k are predicted
    if k > 1:
        fill = positions[:, 1:]
        ext_ids.scatter_(1, fill, ids[:-1].expand(ext_ids.size(0), -1))
        ext_mask.scatter_(1, fill, torch.ones_like(fill, dtype=ext_mask.dtype))
    logp = torch.log_softmax(position_logits(model, ext_ids, ext_mask, positions).float(), -1)  # [M, k, V]
    return logp.gather(2, ids.expand(ext_ids.size(0), -1).unsqueeze(-1)).squeeze(-1).sum(1)
