"""Reading fine-tuning data: labelled texts, instruction records, and the masked targets."""

import csv
import re
from pathlib import Path

import pytest

from scratchgpt.classify import read_labelled
from scratchgpt.data import DataError
from scratchgpt.finetuning import split_indices
from scratchgpt.instruct import IGNORE, Record, collate, encode_example, format_prompt, read_records
from scratchgpt.tokenizer import GPT2Tokenizer


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shared_sms_file_reads_as_it_is(shared_data):
    data = read_labelled(shared_data / "finetune" / "sms-spam.tsv")
    assert len(data.texts) == 4412
    assert sorted(set(data.labels)) == ["ham", "spam"] and data.labels.count("spam") == 587
    assert data.texts[2] == "Nah I don't think he goes to usf, he lives around here though"


def test_csv_with_a_header_and_quoted_fields(tmp_path):
    # As Python's csv module and pandas.to_csv write it: extra columns, quotes, commas.
    path = _write(
        tmp_path / "d.csv", 'id,label,text\n1,spam,"WIN a prize, now!"\n2,ham,"ok ""see"" you"\n'
    )
    data = read_labelled(path)
    assert data.texts == ["WIN a prize, now!", 'ok "see" you'] and data.labels == ["spam", "ham"]
    assert data.lines == [2, 3]


def test_tsv_with_a_header_and_jsonl(tmp_path):
    tsv = read_labelled(_write(tmp_path / "d.tsv", "text\tlabel\nhello\tham\nfree money\tspam\n"))
    assert tsv.labels == ["ham", "spam"]
    jsonl = _write(tmp_path / "d.jsonl", '{"text": "a", "label": 1}\n\n{"text": "b", "label": 0}\n')
    data = read_labelled(jsonl)
    assert data.labels == ["1", "0"] and data.lines == [1, 3]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("d.csv", "text,category\nhi,ham\n", "d.csv:1: the header has no 'label' column"),
        ("d.tsv", "ham\thi\nspam\tyo\nnot a pair\n", "d.tsv:3: expected LABEL<TAB>TEXT"),
        ("d.tsv", "ham\thi\nham\tyo\n", "every example has the label 'ham'"),
        ("d.tsv", "\n  \n", "d.tsv: the file is empty"),
        (
            "d.jsonl",
            '{"text": "a", "label": 1}\n{"text": "b", label: 0}\n',
            "d.jsonl:2: invalid JSON",
        ),
        ("d.jsonl", '{"text": "a", "label": 1}\n{"label": 0}\n', "d.jsonl:2: no 'text' field"),
        ("d.csv", "text,label\na,x\nb,y,z\n", "d.csv:3: 3 columns, the header has 2"),
    ],
)
def test_bad_labelled_data_is_one_line_naming_file_and_line(tmp_path, name, content, message):
    with pytest.raises(DataError) as info:
        read_labelled(_write(tmp_path / name, content))
    assert message in str(info.value) and "\n" not in str(info.value)
    assert str(tmp_path / name) in str(info.value)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "i.json",
            '[\n  {"instruction": "a", "output": "b"},\n  {"instruction": "c",\n',
            "i.json:4: invalid JSON",
        ),
        (
            "i.json",
            '[\n  {"instruction": "a", "output": "b"},\n  {"input": "c", "output": "d"}\n]',
            "i.json:3: no 'instruction' field",
        ),
        (
            "i.jsonl",
            '{"instruction": "a", "output": "b"}\n{"instruction": "a" "output": "b"}\n',
            "i.jsonl:2: invalid JSON",
        ),
        ("i.json", "", "i.json: the file is empty"),
        ("i.json", '{"instruction": "a"}', "i.json:1: invalid JSON: expected a list"),
    ],
)
def test_bad_instruction_data_is_one_line_naming_file_and_line(tmp_path, name, content, message):
    with pytest.raises(DataError) as info:
        read_records(_write(tmp_path / name, content))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_the_shared_instruction_file_reads(shared_data):
    records = read_records(shared_data / "finetune" / "instruction-data.json")
    assert len(records) == 1100
    assert records[2] == Record(
        "Convert 45 kilometers to meters.", "", "45 kilometers is 45000 meters."
    )


def test_the_alpaca_prompt():
    assert format_prompt("Add.", "2 + 3") == (
        "Below is an instruction that describes a task. Write a response that appropriately "
        "completes the request.\n\n### Instruction:\nAdd.\n\n### Input:\n2 + 3\n\n### Response:\n"
    )
    assert "### Input" not in format_prompt("Say hi.")


def test_loss_targets_are_the_response_and_one_end_of_text(tiktoken_cache):
    tokenizer = GPT2Tokenizer.from_tiktoken()
    eot = tokenizer.eot_token
    short = Record("Say hi.", "", "Hi!")
    long = Record("Convert 45 kilometers to meters.", "", "45 kilometers is 45000 meters.")
    examples = [encode_example(r, tokenizer, 1000) for r in (short, long)]
    inputs, targets = collate(examples, eot)
    assert inputs.shape == targets.shape
    for row, record in enumerate((short, long)):
        prompt = tokenizer.encode(format_prompt(record.instruction, record.input))
        response = tokenizer.encode(record.output)
        kept = [t for t in targets[row].tolist() if t != IGNORE]
        assert kept == [*response, eot]  # prompt and padding ignored, one end-of-text kept
        # The targets are the inputs shifted: each kept target is the next input token.
        first = len(prompt) - 1
        assert targets[row, :first].eq(IGNORE).all()
        assert inputs[row, : len(prompt)].tolist() == prompt
    # The shorter row is padded with end-of-text inputs, whose targets are ignored.
    pad = inputs.size(1) - len(examples[0][0])
    assert pad > 0 and inputs[0, -pad:].eq(eot).all() and targets[0, -pad:].eq(IGNORE).all()


def test_validation_split_keeps_a_rare_class():
    labels = ["ham"] * 95 + ["spam"] * 5
    train, val = split_indices(labels, 0.1, seed=1)
    assert sorted(train + val) == list(range(100))
    assert sum(labels[i] == "spam" for i in val) == 1 and sum(labels[i] == "ham" for i in val) == 10
    assert split_indices(labels, 0.1, seed=1) == (train, val)


def _sms(shared_data: Path) -> list[tuple[str, str]]:
    lines = (shared_data / "finetune" / "sms-spam.tsv").read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t", 1)) for line in lines]  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("quoted.csv", {"quoting": csv.QUOTE_ALL}),  # csv.writer / pandas with quoting=1
        ("excel-eu.csv", {"delimiter": ";"}),  # Excel in a locale with decimal commas
        ("piped.txt.csv", {"delimiter": "|"}),
        ("header.tsv", {"delimiter": "\t"}),
    ],
)
def test_the_sms_file_as_spreadsheets_write_it(shared_data, tmp_path, name, options):
    rows = _sms(shared_data)
    path = tmp_path / name
    # utf-8-sig: with the byte order mark Excel writes, which must not become part of a label.
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, **options)
        writer.writerow(["label", "text"])
        writer.writerows(rows)
    data = read_labelled(path)
    assert sorted(set(data.labels)) == ["ham", "spam"] and len(data.texts) == len(rows)
    assert data.texts[2] == rows[2][1]


def test_swapped_columns_are_refused_naming_what_was_seen(shared_data, tmp_path):
    rows = _sms(shared_data)
    swapped = _write(tmp_path / "swapped.tsv", "".join(f"{t}\t{label}\n" for label, t in rows))
    with pytest.raises(DataError, match=r"swapped.tsv: the label column looks like free text"):
        read_labelled(swapped)
    named = _write(tmp_path / "named.csv", "label,text\n" + "".join(
        f'"{t.replace(chr(34), chr(34) * 2)}",{label}\n' for label, t in rows[:200]))  # fmt: skip
    with pytest.raises(DataError, match=r"columns label, text\. Are the text and label columns"):
        read_labelled(named)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("ham\thi\nspam\tyo\tthere\n", "d.tsv:2: 3 fields, expected 2 (LABEL<TAB>TEXT)"),
        ("label\ttext\nham\thi\nspam\n", "d.tsv:3: 1 columns, the header has 2 (missing fields"),
        ('"label"\t"text"\nham\thi\nspam\tyo\tx\n', "d.tsv:3: 3 columns, the header has 2 (extra"),
    ],
)
def test_rows_with_missing_or_extra_fields_name_their_line(tmp_path, content, message):
    with pytest.raises(DataError, match=re.escape(message)):
        read_labelled(_write(tmp_path / "d.tsv", content))


def test_a_jsonl_record_with_another_key_names_the_keys_it_has(tmp_path):
    path = _write(tmp_path / "d.jsonl", '{"text": "a", "label": "x"}\n{"sms": "b", "label": "y"}\n')
    with pytest.raises(DataError, match=r"d.jsonl:2: no 'text' field \(the record has: 'sms', "):
        read_labelled(path)
