"""The tiny local backbone loads through the same ``from_pretrained`` path as a real model."""

from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def test_tiny_backbone_loads_and_runs(tiny_backbone_dir: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_backbone_dir))
    model = AutoModelForCausalLM.from_pretrained(str(tiny_backbone_dir))
    batch = tokenizer(["What is $3+4$?"], return_tensors="pt")
    with torch.no_grad():
        logits = model(**batch).logits
    assert logits.shape == (1, batch["input_ids"].shape[1], len(tokenizer))
    assert tokenizer.pad_token is not None and tokenizer.eos_token is not None


def test_verdict_words_are_single_tokens(tiny_backbone_dir: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_backbone_dir))
    for form in ("correct", " correct", "incorrect", " incorrect"):
        assert len(tokenizer.encode(form, add_special_tokens=False)) == 1, form
    # digits are split one per token
    assert len(tokenizer.encode("12345", add_special_tokens=False)) == 5


def test_data_backbone_trains_its_tokenizer_on_the_corpus(tmp_path: Path) -> None:
    """A macro that fills the corpus becomes a few tokens; the synthetic corpus never saw it."""
    import json

    from mathft.cli.data import main as data_main

    corpus = tmp_path / "train.jsonl"
    rows = [{"problem": f"Compute $\\binom{{{n}}}{{2}}$.", "solution": f"$\\binom{{{n}}}{{2}} = \\boxed{{{n * (n - 1) // 2}}}$"}
            for n in range(3, 200)]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert data_main(["backbone", "--out", str(tmp_path / "bb"), "--corpus", str(corpus), "--vocab-size", "400",
                      "--hidden-size", "16", "--num-heads", "2", "--num-layers", "1"]) == 0
    tokenizer = AutoTokenizer.from_pretrained(str(tmp_path / "bb"))
    model = AutoModelForCausalLM.from_pretrained(str(tmp_path / "bb"))
    assert model.config.hidden_size == 16 and model.config.vocab_size == len(tokenizer)
    assert len(tokenizer.encode("\\binom", add_special_tokens=False)) <= 2
    assert len(tokenizer.encode(" correct", add_special_tokens=False)) == 1  # the evaluator's verdict word


def test_data_backbone_refuses_bad_sizes_and_corpus(tmp_path: Path, capsys) -> None:
    from mathft.cli.data import main as data_main

    assert data_main(["backbone", "--out", str(tmp_path / "bb"), "--hidden-size", "10", "--num-heads", "4"]) == 2
    assert "--num-heads 4 must divide --hidden-size 10" in capsys.readouterr().err
    assert data_main(["backbone", "--out", str(tmp_path / "bb"), "--corpus", str(tmp_path / "none.jsonl")]) == 2
    assert "none.jsonl: no such file" in capsys.readouterr().err


def _synthetic_texts(n: int = 200) -> list[str]:
    from mathft.data.synthetic import corpus

    return corpus(n, seed=0, families=["factored_linear"])


def test_number_tokens_make_every_integer_below_it_one_token(tmp_path: Path) -> None:
    """Numbers the corpus never holds are tokens too; longer digit runs split into chunks of three."""
    from mathft.backbones.tiny import train_tokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(train_tokenizer(_synthetic_texts(), tmp_path / "tok",
                                                                  vocab_size=1024, number_tokens=300)))
    assert all(len(tokenizer.encode(str(n), add_special_tokens=False)) == 1 for n in range(300))
    assert [tokenizer.decode([i]) for i in tokenizer.encode("7 \\cdot 13 = 91", add_special_tokens=False)] == \
        ["7", " \\", "cdot", " ", "13", " =", " ", "91"]
    pieces = [tokenizer.decode([i]) for i in tokenizer.encode("123456", add_special_tokens=False)]
    assert "".join(pieces) == "123456" and len(pieces) >= 2 and all(len(p) <= 3 for p in pieces)
    assert len(tokenizer.encode(" correct", add_special_tokens=False)) == 1


def test_number_tokens_need_room_in_the_vocabulary(tmp_path: Path) -> None:
    import pytest

    from mathft.backbones.tiny import train_tokenizer

    with pytest.raises(ValueError, match="integers below number_tokens=900.*raise vocab_size"):
        train_tokenizer(_synthetic_texts(50), tmp_path / "tok", vocab_size=400, number_tokens=900)
    with pytest.raises(ValueError, match="number_tokens must be >= 0"):
        train_tokenizer(_synthetic_texts(50), tmp_path / "tok2", number_tokens=-1)


def test_data_backbone_takes_number_tokens(tmp_path: Path) -> None:
    from mathft.cli.data import main as data_main

    assert data_main(["backbone", "--out", str(tmp_path / "bb"), "--vocab-size", "1024", "--number-tokens", "100",
                      "--hidden-size", "16", "--num-heads", "2", "--num-layers", "1"]) == 0
    tokenizer = AutoTokenizer.from_pretrained(str(tmp_path / "bb"))
    assert len(tokenizer.encode("99", add_special_tokens=False)) == 1
    assert len(tokenizer.encode("100", add_special_tokens=False)) == 2  # chunks of two digits below 100
