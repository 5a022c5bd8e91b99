"""Tiny local backbones: a tokenizer trained on the fly and a randomly initialised causal LM.

Nothing can be downloaded where tests and the demo run, so they exercise exactly the path a user takes
with a real model — ``AutoTokenizer.from_pretrained(dir)`` / ``AutoModelForCausalLM.from_pretrained(dir)``
— on a directory these functions write.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = ["SPECIAL_TOKENS", "VERDICT_WORDS", "train_tokenizer", "build_tiny_causal_lm", "write_tiny_backbone"]

SPECIAL_TOKENS = {"bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"}
# The evaluator reads p("correct") and p("incorrect") from one next-token distribution (paper Eq. 5-7),
# so the built-in tokenizer must hold each word, with and without a leading space, as a single token.
VERDICT_WORDS = ("correct", "incorrect")
_EVALUATOR_SENTENCE = "The above candidate solution is {word}"


def _with_verdict_words(texts: Iterable[str], repeats: int) -> Iterator[str]:
    yield from texts
    for _ in range(repeats):
        for word in VERDICT_WORDS:
            yield _EVALUATOR_SENTENCE.format(word=word)
            yield word


def train_tokenizer(texts: Iterable[str], out_dir: str | Path, vocab_size: int = 512) -> Path:
    """Train a byte-level BPE tokenizer and save it as a ``PreTrainedTokenizerFast`` directory.

    Digits are split one per token (a known help for arithmetic in small models), and the words
    ``correct``/``incorrect`` are guaranteed single tokens, with and without a leading space.

    Args:
        texts: Training corpus (problems and solutions).
        out_dir: Directory to write; loadable with ``AutoTokenizer.from_pretrained(out_dir)``.
        vocab_size: Target vocabulary size (at least 300: 256 bytes plus specials and merges).

    Returns:
        ``out_dir`` as a ``Path``.

    Raises:
        ValueError: If the trained vocabulary could not hold the verdict words as single tokens.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    if vocab_size < 300:
        raise ValueError(f"vocab_size must be at least 300, got {vocab_size}")
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)]
    )
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS.values()),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    # Enough repeats that the verdict words' merges outrank any corpus word's.
    tokenizer.train_from_iterator(_with_verdict_words(texts, repeats=2000), trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, **SPECIAL_TOKENS)
    for word in VERDICT_WORDS:
        for form in (word, " " + word):
            ids = fast.encode(form, add_special_tokens=False)
            if len(ids) != 1:
                raise ValueError(f"tokenizer split verdict word {form!r} into {len(ids)} tokens; raise vocab_size")
    out = Path(out_dir)
    fast.save_pretrained(out)
    return out


def build_tiny_causal_lm(
    tokenizer_dir: str | Path,
    out_dir: str | Path,
    *,
    hidden_size: int = 64,
    num_layers: int = 2,
    num_heads: int = 4,
    intermediate_size: int | None = None,
    max_position_embeddings: int = 1024,
    seed: int = 0,
) -> Path:
    """Write a randomly initialised Llama-architecture causal LM (and its tokenizer) with ``save_pretrained``.

    Args:
        tokenizer_dir: A tokenizer directory (e.g. from :func:`train_tokenizer`); copied next to the model.
        out_dir: Directory to write; loadable with ``AutoModelForCausalLM.from_pretrained(out_dir)``.
        hidden_size: Model width.
        num_layers: Number of decoder layers.
        num_heads: Attention heads (must divide ``hidden_size``).
        intermediate_size: MLP width; defaults to ``4 * hidden_size``.
        max_position_embeddings: Longest sequence the model accepts.
        seed: Seed of the random initialisation.

    Returns:
        ``out_dir`` as a ``Path``.
    """
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    if hidden_size % num_heads:
        raise ValueError(f"num_heads ({num_heads}) must divide hidden_size ({hidden_size})")
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=intermediate_size or 4 * hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=num_heads,
        max_position_embeddings=max_position_embeddings,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    out = Path(out_dir)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def write_tiny_backbone(texts: Iterable[str], out_dir: str | Path, *, vocab_size: int = 512, **model_kwargs) -> Path:
    """Train a tokenizer on ``texts`` and write a tiny model plus tokenizer into one directory.

    Returns:
        ``out_dir``, loadable by both ``AutoTokenizer`` and ``AutoModelForCausalLM``.
    """
    out = Path(out_dir)
    train_tokenizer(texts, out / "tokenizer", vocab_size=vocab_size)
    return build_tiny_causal_lm(out / "tokenizer", out, **model_kwargs)
