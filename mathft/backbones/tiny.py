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


def _number_lines(number_tokens: int, repeats: int = 50) -> list[str]:
    """The integers below ``number_tokens``, one line of them ``repeats`` times: often enough that BPE
    merges every one into a token (a corpus holds only the numbers its problems use)."""
    line = " ".join(str(n) for n in range(number_tokens))
    return [line] * repeats


def _with_verdict_words(texts: Iterable[str], repeats: int) -> Iterator[str]:
    yield from texts
    for _ in range(repeats):
        for word in VERDICT_WORDS:
            yield _EVALUATOR_SENTENCE.format(word=word)
            yield word


def train_tokenizer(texts: Iterable[str], out_dir: str | Path, vocab_size: int = 512, number_tokens: int = 0) -> Path:
    """Train a byte-level BPE tokenizer and save it as a ``PreTrainedTokenizerFast`` directory.

    Digits are split one per token by default. With ``number_tokens`` every integer below it is one token
    instead, as in the tokenizers of Llama 3 or GPT-4 (which give each run of up to three digits its own
    token): digit runs are split into chunks of at most as many digits as ``number_tokens - 1`` has, and
    the integers are added to the corpus so that BPE merges each into one token. The words
    ``correct``/``incorrect`` are guaranteed single tokens, with and without a leading space.

    Args:
        texts: Training corpus (problems and solutions).
        out_dir: Directory to write; loadable with ``AutoTokenizer.from_pretrained(out_dir)``.
        vocab_size: Target vocabulary size (at least 300: 256 bytes plus specials and merges).
        number_tokens: Integers ``0 .. number_tokens - 1`` become single tokens; 0 splits every digit.

    Returns:
        ``out_dir`` as a ``Path``.

    Raises:
        ValueError: If ``number_tokens`` is negative, or the trained vocabulary could not hold the verdict
            words or the integers below ``number_tokens`` as single tokens.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    if vocab_size < 300:
        raise ValueError(f"vocab_size must be at least 300, got {vocab_size}")
    if number_tokens < 0:
        raise ValueError(f"number_tokens must be >= 0, got {number_tokens}")
    tokenizer = Tokenizer(models.BPE())
    if number_tokens:
        chunk = len(str(number_tokens - 1))
        digits = pre_tokenizers.Split(Regex(rf"\d{{1,{chunk}}}"), behavior="isolated")
        texts = [*texts, *_number_lines(number_tokens)]
    else:
        digits = pre_tokenizers.Digits(individual_digits=True)
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([digits, pre_tokenizers.ByteLevel(add_prefix_space=False)])
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
    split = [n for n in range(number_tokens) if len(fast.encode(str(n), add_special_tokens=False)) != 1]
    if split:
        raise ValueError(f"tokenizer split {len(split)} integers below number_tokens={number_tokens} (e.g. "
                         f"{split[0]}) into several tokens; raise vocab_size")
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


def write_tiny_backbone(texts: Iterable[str], out_dir: str | Path, *, vocab_size: int = 512, number_tokens: int = 0,
                        **model_kwargs) -> Path:
    """Train a tokenizer on ``texts`` and write a tiny model plus tokenizer into one directory.

    Returns:
        ``out_dir``, loadable by both ``AutoTokenizer`` and ``AutoModelForCausalLM``.
    """
    out = Path(out_dir)
    train_tokenizer(texts, out / "tokenizer", vocab_size=vocab_size, number_tokens=number_tokens)
    return build_tiny_causal_lm(out / "tokenizer", out, **model_kwargs)
